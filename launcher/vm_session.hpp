// `burrow enter` and `burrow stop` for a VM session (launcher/launch_vm_session.cpp).
// The same declarations belong in launcher/launch_backend.hpp once the launch
// CLI lands there; declaring them twice is harmless.
#pragma once

#include <string>
#include <vector>

#include "launcher/session_registry.hpp"

namespace burrow::launch {

// Opens a console in the running guest: the user's shell (argv empty) or
// argv, on a pty when stdin is a terminal, else with piped stdin/stdout.
// Returns the guest command's status (128+N for a signal), 125 on failure.
int enter_vm(const session::Entry& e, const std::vector<std::string>& argv);
// Stops the VM: SIGTERM to the launching burrow (which forwards it to the
// command, so it exits 143 and cleans up), else to QEMU; SIGKILL to QEMU
// after 10 s. Returns 0, or 125 when it is not running.
int stop_vm(const session::Entry& e);

} // namespace burrow::launch
