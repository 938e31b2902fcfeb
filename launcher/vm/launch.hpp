// The VM backend of `burrow launch`: the project sandbox in a QEMU guest
// (contract as in launcher/namespace/launch.hpp), and `burrow enter`/`stop`
// for a running guest (through its enter socket and control port: a VM has
// no namespaces to join).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/session/registry.hpp"
#include "policy/project/sandbox.hpp"

namespace burrow::launch {

struct VmOptions {
    std::string kernel; // --kernel PATH (else from the Nix build)
    std::string initrd; // --initrd PATH: use it as is (else burrow assembles one)
    std::string append; // --append: extra kernel command line
    // 0: the seed's defaults, 4096 MiB and 4 cores, capped to half the
    // host's memory and to its CPUs.
    uint64_t memory_mib = 0;
    unsigned cores = 0;
    std::string qemu = "qemu-system-x86_64";
    // "auto": KVM when /dev/kvm opens and the guest shows progress within
    // 10 s (else TCG, remembered per boot and kernel); "kvm"; "tcg".
    std::string accel = "auto";
    // --system DIR: boot that system's init (DIR/init) as the guest's pid 1
    // with the guest agent as one of its units (empty: the agent is pid 1).
    std::string system;
    bool display = false; // --display: a graphics device (window or VNC socket)
};

int launch_vm(const project::ProjectSandbox& ps, const VmOptions& o);

// `burrow enter` / a second `burrow launch` on a running VM (argv: the
// command, e.g. the user's shell; returns its exit status or 125), and
// `burrow stop` (0 once the VM is gone, 125 with one line on stderr
// otherwise). Namespace and container entries are joined by setns
// (launcher/session/join.hpp) instead.
int enter_vm(const session::Entry& e, const std::vector<std::string>& argv);
int stop_vm(const session::Entry& e);

} // namespace burrow::launch
