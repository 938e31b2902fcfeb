// Acting on a registered sandbox: join it (a second launch, enter), stop it.
// Dispatches by the entry's backend: namespace and container entries are
// joined by setns through runtime/join; vm entries go to the vm module.
#pragma once

#include <string>
#include <vector>

#include "launcher/session_registry.hpp"

namespace burrow::launch {

// Runs argv inside e's sandbox (its recorded environment, cwd the project
// dir). `what` names the subcommand in messages ("launch", "enter").
// keep_fds: passed to the command besides stdio (every other fd is closed).
int join_session(const session::Entry& e, const std::vector<std::string>& argv, const char* what,
                 const std::vector<int>& keep_fds = {});

// SIGTERM to the sandbox's payload, SIGKILL after grace_ms; waits until it
// is gone. 0, or 125 with one line on stderr.
int stop_session(const session::Entry& e, unsigned grace_ms);

} // namespace burrow::launch
