// The bwrap front end: bubblewrap 0.11.1's command line (plus 0.12's
// --not-a-security-boundary and burrow's extensions) turned into a Sandbox.
// Option order is meaning (--perms/--size apply to the next operation, fs ops
// run in order), so argv is parsed by hand, not with CLI11.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow {

// What the parser needs to know about the caller; filled from the real
// process by host_facts_from_process(), or by hand in unit tests.
struct HostFacts {
    uid_t uid = 0;                  // real uid
    gid_t gid = 0;                  // real gid
    std::vector<std::string> env;   // the caller's environment, "NAME=VALUE"
    bool userns_available = true;   // unprivileged user namespaces can be created
    bool cgroupns_available = true; // /proc/self/ns/cgroup exists
    // Capabilities of the caller. bwrap run by uid 0 starts from its effective
    // set (the caller can --cap-drop from there); a non-root caller that holds
    // permitted capabilities is refused (bwrap: "old file caps config?").
    uint64_t effective_caps = 0;
    uint64_t permitted_caps = 0;
    unsigned cap_last_cap = 40;   // /proc/sys/kernel/cap_last_cap
    bool selinux_enabled = false; // --exec-label/--file-label need SELinux
    bool setuid = false;          // real and effective ids differ (main refuses this
                                  // anyway; kept so bwrap's setuid rules stay explicit)
    // With SELinux on: 0 if the kernel accepts the context, else an errno
    // (bwrap: security_check_context()). Empty means "accept every label".
    std::function<int(const std::string&)> check_selinux_context;
};
HostFacts host_facts_from_process();

// One "bwrap: ..." warning, remembering whether --level-prefix had already
// been seen when bwrap would have printed it (bwrap prints as it parses).
struct BwrapWarning {
    std::string message;
    bool level_prefix = false;
};

// A misuse of the command line. message is printed as "bwrap: <message>"
// (or the usage text when show_usage); exit status 1 like bwrap.
struct BwrapUsageError : std::runtime_error {
    explicit BwrapUsageError(const std::string& msg, bool usage = false)
        : std::runtime_error(msg), show_usage(usage) {}
    bool show_usage = false;
    bool level_prefix = false;          // --level-prefix was seen before the error
    std::vector<BwrapWarning> warnings; // printed before the error, in order
};

struct BwrapInvocation {
    enum class Action { run, help, version } action = Action::run;
    Sandbox sandbox;
    std::vector<BwrapWarning> warnings; // printed as "bwrap: <warning>" before acting
};

// args excludes argv[0]. --args FD, --seccomp FD and --add-seccomp-fd FD are
// read (and their fds closed, as bwrap does) during parsing.
// Throws BwrapUsageError.
BwrapInvocation parse_bwrap_args(const std::vector<std::string>& args, const HostFacts& host);

// True for an option the bwrap command line knows ("--bind", "--unshare-all",
// burrow's extensions...), not for --help, --version or "--". main() uses it to keep a re-executed
// bwrap (argv[0] "/proc/self/exe") in bwrap mode.
bool is_bwrap_option(std::string_view arg);

// bwrap's --help text (the program name is substituted).
std::string bwrap_usage_text(const std::string& prog);

// bwrap --version output, without the newline.
inline constexpr const char* bwrap_version_string = "bubblewrap 0.11.1";

} // namespace burrow
