// Booting faster under TCG: a bzImage spends seconds decompressing itself in
// an emulated CPU (here 4.7 s of a 10 s launch). When the kernel is
// xz-compressed and has a PVH entry point (CONFIG_PVH, Debian's has), burrow
// decompresses it once on the host and QEMU boots the ELF vmlinux directly.
// Cached like the initramfs: ${XDG_CACHE_HOME:-~/.cache}/burrow/kernel/
// <sha256 of the bzImage>.vmlinux, written to a temporary file and renamed.
#pragma once

#include <string>

namespace burrow::vm {

struct PvhKernel {
    std::string path; // empty: boot the bzImage as it is
    bool built = false;
    double elapsed_ms = 0;
    std::string why; // when empty path: why not (for BURROW_VM_TIMING)
};

PvhKernel pvh_kernel(const std::string& bzimage);

} // namespace burrow::vm
