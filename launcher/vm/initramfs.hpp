// The guest initramfs burrow assembles itself when given only --kernel: a
// newc cpio (written here, no cpio(1), no shell) holding the guest agent as
// /init, /dev/console, and the kernel's virtio/9p modules with their load
// order. Cached by the SHA-256 of its contents under
// ${XDG_CACHE_HOME:-~/.cache}/burrow/initramfs/<hash>.cpio, written to a
// temporary file and renamed, so the second launch reuses it and concurrent
// launches never see a half-written archive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace burrow::vm {

// The guest agent executable embedded in burrow at build time.
std::string_view agent_binary();

struct Initramfs {
    std::string path;
    bool built = false;    // false: cache hit
    double elapsed_ms = 0; // hashing (+ writing when built)
};

// moddir: /lib/modules/<release> of the guest kernel, or empty for an
// archive with the agent alone (a user --initrd must then bring the modules,
// see burrow-launch(1)).
Initramfs agent_initramfs(const std::string& moddir);

std::string initramfs_cache_dir();

// out := user's initrd, zero padding to a 4-byte boundary, then ours. Linux
// unpacks concatenated (and individually compressed) cpio archives in order,
// a later file replacing an earlier one, so our /init wins.
void concat_initrd(const std::string& user, const std::string& ours, const std::string& out);

// Exposed for the unit test: a newc archive of the given entries.
struct CpioEntry {
    std::string name; // no leading '/'
    unsigned mode;    // with S_IF* type bits
    std::string data; // file contents or symlink target
    unsigned rdev_major = 0, rdev_minor = 0;
};
std::string cpio_newc(const std::vector<CpioEntry>& entries);

} // namespace burrow::vm
