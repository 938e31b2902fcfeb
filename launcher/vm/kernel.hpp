// Facts about the guest kernel the VM backend boots: its release (from the
// bzImage header, so modules of THAT kernel are used, not the host's) and
// which .ko files, in dependency order, give the guest virtio, 9p, the
// virtio console and virtio-net (modules.dep, minus modules.builtin).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace burrow::vm {

// Thrown for anything the user must fix; what() is the text after
// "burrow: launch: ", one line.
struct VmError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The kernel release string of a bzImage ("6.1.0-56-amd64"): the header's
// kernel_version pointer, else the "vmlinuz-RELEASE" file name.
std::string kernel_release(const std::string& image);

// The modules the agent needs (virtio_pci, virtio_console, 9pnet_virtio, 9p,
// virtio_net and their dependencies), as paths relative to moddir with
// every dependency before its user; built-in ones are left out.
std::vector<std::string> guest_modules(const std::string& moddir);

} // namespace burrow::vm
