// The manager's one way to start a process (supervisors, stops, terminals):
// posix_spawn (no fork of the event loop's process), argv as given (never a
// shell), the signal dispositions and mask reset to the defaults whatever
// the event loop set up for itself.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace burrow::manager {

// terminal empty: stdin and stdout /dev/null, stderr the manager's.
// terminal a pty slave path: a new session whose controlling terminal it is,
// on stdin, stdout and stderr. env: the environment ("NAME=value").
// Throws std::runtime_error "ARGV0: reason".
pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& terminal = "");

// This process's environment, as spawn_process takes it.
std::vector<std::string> current_environment();

} // namespace burrow::manager
