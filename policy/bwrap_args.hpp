// The bwrap front end: bubblewrap 0.11.1's command line (plus 0.12's
// --not-a-security-boundary and burrow's extensions) turned into a Sandbox.
// Option order is meaning (--perms/--size apply to the next operation, fs ops
// run in order), so argv is parsed by hand, not with CLI11.
#pragma once

#include <sys/types.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow {

// What the parser needs to know about the caller; filled from the real
// process by host_facts_from_process(), or by hand in unit tests.
struct HostFacts {
    uid_t uid = 0;  // real uid
    gid_t gid = 0;  // real gid
    std::vector<std::string> env; // the caller's environment, "NAME=VALUE"
    bool userns_available = true;  // unprivileged user namespaces can be created
    bool cgroupns_available = true; // /proc/self/ns/cgroup exists
};
HostFacts host_facts_from_process();

// A misuse of the command line. message is printed as "bwrap: <message>"
// (or the usage text when show_usage); exit status 1 like bwrap.
struct BwrapUsageError : std::runtime_error {
    explicit BwrapUsageError(const std::string& msg, bool usage = false)
        : std::runtime_error(msg), show_usage(usage) {}
    bool show_usage = false;
};

struct BwrapInvocation {
    enum class Action { run, help, version } action = Action::run;
    Sandbox sandbox;
    std::vector<std::string> warnings; // printed as "bwrap: <warning>" before running
};

// args excludes argv[0]. --args FD is read (and its fd consumed) during parsing.
// Throws BwrapUsageError.
BwrapInvocation parse_bwrap_args(const std::vector<std::string>& args, const HostFacts& host);

// bwrap's --help text (the program name is substituted).
std::string bwrap_usage_text(const std::string& prog);

} // namespace burrow
