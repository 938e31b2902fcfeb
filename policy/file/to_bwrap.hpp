// Policy → bwrap command line. This is also the first half of resolving a
// policy: policy_resolve feeds these arguments to the bwrap front end, so a
// policy and the equivalent bwrap argv produce the same Sandbox by
// construction (one path into the runtime).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "policy/file/policy.hpp"

namespace burrow::policy {

struct BwrapPlan {
    std::vector<std::string> args; // options, without the command
    // Parts of the policy stock bwrap cannot express (landlock, limits,
    // seccomp by name...): to-bwrap prints them as warnings.
    std::vector<std::string> unexpressed;
    // Which fs entry each emitted filesystem operation came from (lint).
    std::vector<std::size_t> fs_entry_of_op;
};

// data_fd(content) returns an fd number the bwrap command line can name for
// the inline content of a file/bind-data entry. host_env is the caller's
// environment (env.inherit copies values from it).
BwrapPlan policy_to_bwrap(const Policy& p, const std::vector<std::string>& host_env,
                          const std::function<int(const std::string&)>& data_fd);

// Text for `burrow policy to-bwrap`: NUL-separated, or one shell command line
// with the inline contents as here-strings on extra fds.
std::string bwrap_command_shell(const Policy& p, const std::vector<std::string>& host_env,
                                std::vector<std::string>& warnings);
std::string bwrap_command_nul(const Policy& p, const std::vector<std::string>& host_env,
                              std::vector<std::string>& warnings);

std::string shell_quote(const std::string& s);

} // namespace burrow::policy
