// Translating the backend-neutral project sandbox into what the guest needs:
// the host directories QEMU exports over virtio-9p (one tag each), the
// per-launch meta directory (copies of file shares, the manifest the guest
// agent reads: launcher/vm/protocol.hpp) and what cannot cross into a VM
// (unix sockets, device nodes), which the caller reports in one line each.
#pragma once

#include <string>
#include <vector>

#include "policy/project/sandbox.hpp"

namespace burrow::vm {

struct Export {
    std::string tag;    // 9p mount tag
    std::string source; // host directory
    bool readonly = true;
};

struct GuestPlan {
    std::vector<Export> exports;
    std::vector<std::string> skipped_sockets;  // shares that are unix sockets
    std::vector<std::string> skipped_devices;  // dev_bind and device files
    std::vector<std::string> not_written_back; // read-write file binds (copies in a VM)
    std::vector<std::string> secret_files;     // meta files the guest has read once it is ready
};

// --system DIR, resolved on the host (launcher/vm/launch.cpp).
struct GuestSystem {
    std::string init;   // the init to exec, a path that is the same in the guest
    std::string etc;    // a plain system's DIR/etc, the guest's /etc read-only (empty: the host's)
    bool nixos = false; // a NixOS toplevel: /etc and /usr start empty and writable (its
                        // activation fills them), no host /usr, no merged-/usr links
};

// Writes meta_dir/manifest and meta_dir/files/* (meta_dir exists, mode 0700).
// Throws VmError on a share it cannot read.
GuestPlan plan_guest(const project::ProjectSandbox& ps, const std::string& meta_dir,
                     bool interactive, bool enter, const GuestSystem* system = nullptr);

} // namespace burrow::vm
