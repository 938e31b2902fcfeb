// Acting on a registered namespace or container sandbox: join it (a second
// launch, enter) by setns through runtime/join, stop it through its pidfd.
// A VM has no namespaces to join: the CLI sends its entries to the VM
// backend (launcher/vm/launch.hpp) instead.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "launcher/session/registry.hpp"

namespace burrow::launch {

// Runs argv inside e's sandbox (its recorded environment, cwd the project
// dir). `what` names the subcommand in messages ("launch", "enter").
// keep_fds: passed to the command besides stdio (every other fd is closed).
int join_session(const session::Entry& e, const std::vector<std::string>& argv, const char* what,
                 const std::vector<int>& keep_fds = {});

// SIGTERM to the sandbox's payload, SIGKILL after grace_ms; waits until it
// is gone. 0, or 125 with one line on stderr.
int stop_session(const session::Entry& e, unsigned grace_ms);

// The CLONE_NEW* flags of the namespaces in `ns` (name -> inode, as
// session::process_namespaces gives them) that differ from ours: what a
// setns through a pidfd must name (joining our own namespace is EINVAL,
// and a sandbox may share some with the host).
int namespaces_to_join(const std::map<std::string, uint64_t>& ns);

// Waits up to ms for a pidfd to turn readable (its process ended): true.
bool wait_pidfd(int pidfd, int ms);

} // namespace burrow::launch
