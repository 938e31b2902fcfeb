// The launch modules behind `burrow launch`: each takes the backend-neutral
// project sandbox (policy/project_sandbox.hpp) and runs its command to the
// end, returning the exit status burrow exits with (the command's, 128+N for
// a signal, 125 for burrow's own failure with one line already on stderr).
// Every module records a running sandbox in the session registry
// (launcher/session_registry.hpp) so that enter/stop/ps work the same on all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "launcher/session_registry.hpp"
#include "policy/project_sandbox.hpp"

namespace burrow::launch {

struct ContainerOptions {
    bool sudo = false;                     // not root: re-exec through sudo (else fail, 125)
    std::string nspawn = "systemd-nspawn"; // PATH-searched unless it has a '/'
};

struct VmOptions {
    std::string kernel; // --kernel PATH (else from the Nix build)
    std::string initrd; // --initrd PATH: use it as is (else burrow assembles one)
    std::string append; // --append: extra kernel command line
    uint64_t memory_mib = 1024;
    unsigned cores = 1;
    std::string qemu = "qemu-system-x86_64";
    // "auto": probe /dev/kvm with a timeout, fall back to TCG; "kvm"; "tcg".
    std::string accel = "auto";
};

int launch_namespace(const project::ProjectSandbox& ps);
int launch_container(const project::ProjectSandbox& ps, const ContainerOptions& o);
int launch_vm(const project::ProjectSandbox& ps, const VmOptions& o);

// Sessions of the vm backend (launcher/launch_vm_session.cpp, owned by the
// vm module): `burrow enter` / a second `burrow launch` on a running VM
// (argv: the command, e.g. the user's shell; returns its exit status or
// 125), and `burrow stop` (0 once the VM is gone, 125 with one line on
// stderr otherwise). namespace and container entries are joined by setns
// (launcher/session_join.cpp) instead.
int enter_vm(const session::Entry& e, const std::vector<std::string>& argv);
int stop_vm(const session::Entry& e);

} // namespace burrow::launch
