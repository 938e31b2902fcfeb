// Policy → Sandbox. The namespace, id, environment and filesystem parts go
// through the bwrap front end (policy_to_bwrap + parse_bwrap_args), so a
// policy and its to-bwrap output resolve to the same Sandbox; the parts
// bwrap has no options for (seccomp by name, landlock, limits, network
// "none", exit codes) are filled in here.
#pragma once

#include <string>
#include <vector>

#include "policy/bwrap/args.hpp"
#include "policy/file/policy.hpp"
#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

struct Resolved {
    Sandbox sandbox;
    // memfds holding inline file contents: sandbox.fs names them by number,
    // so they live as long as this object.
    std::vector<Fd> data_fds;
    std::vector<std::string> warnings; // lint findings
};

// Throws PolicyError.
Resolved resolve_policy(const Policy& p, const std::vector<std::string>& command,
                        const HostFacts& host);

} // namespace burrow::policy
