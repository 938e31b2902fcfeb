// The last steps of the payload's process: its working directory, its
// environment and the exec itself, with bwrap's rules.
#pragma once

#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow::exec {

// The caller's cwd as bwrap takes it (get_current_dir_name: $PWD when it
// names the same directory, so a cwd reached through a symlink keeps its
// name). Empty when there is none. Must run before the mounts.
std::string caller_cwd();

// bwrap's rule: --chdir (failure is fatal), else the caller's cwd if it
// exists inside, else $HOME of the final environment, else "/". Then PWD is
// set in env (replaced in place, or appended, like setenv()).
void enter_working_directory(const Process& proc, const std::string& caller_cwd,
                             std::vector<std::string>& env);

// execvp() of proc.argv with env as the whole environment (so $PATH of the
// sandbox is searched) and argv[0] replaced by proc.argv0. Returns only on
// failure, errno set.
void exec_payload(const Process& proc, std::vector<std::string>& env);

// What exec_payload would find: 0 when proc.argv[0] names (or the PATH of
// env finds) an executable regular file, else ENOENT or EACCES, and the
// setup fails with runc's wording ("exec: \"NAME\": executable file not
// found in $PATH", "exec: stat PATH: No such file or directory"), which
// podman turns into its 127 and 126. For a detached payload (burrow oci
// create), whose exec comes only after the caller has gone: checked before
// it returns, as runc does before it waits for `start`.
void check_executable(const Process& proc, const std::vector<std::string>& env);

} // namespace burrow::exec
