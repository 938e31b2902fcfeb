#include "launcher/cli/bwrap_mode.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "policy/bwrap/args.hpp"
#include "policy/bwrap/lint.hpp"
#include "runtime/error.hpp"
#include "runtime/io.hpp"
#include "runtime/runtime.hpp"
#include "runtime/exit_status.hpp"

namespace burrow {

namespace {

void print_warnings(const std::vector<BwrapWarning>& warnings) {
    for (const auto& w : warnings) {
        Diagnostics d; // bwrap always says "bwrap: ", whatever argv[0] is
        d.level_prefix = w.level_prefix;
        report_warning(d, w.message);
    }
}

// bwrap's usage line names the program as invoked ("/usr/bin/bwrap" stays
// that way); "burrow bwrap" names itself so.
std::string program_name(char** argv, int first_arg) {
    if (first_arg == 1 && argv[0] != nullptr && argv[0][0] != '\0') return argv[0];
    return "burrow bwrap";
}

// "burrow bwrap --lint ARGS...": parse a bwrap command line, print the
// operations a later mount hides, run nothing. Exit 0 when clean, 1 with
// findings, 125 when the command line itself is wrong.
int lint_main(std::vector<std::string> args) {
    BwrapInvocation inv;
    try {
        try {
            inv = parse_bwrap_args(args, host_facts_from_process());
        } catch (const BwrapUsageError& e) {
            // A command line to lint need not name a command.
            // (bwrap answers a missing command with its usage text).
            if (!e.show_usage) throw;
            args.push_back("true");
            inv = parse_bwrap_args(args, host_facts_from_process());
        }
    } catch (const BwrapUsageError& e) {
        std::fprintf(stderr, "burrow: bwrap --lint: %s\n",
                     e.show_usage ? "invalid command line (see bwrap --help)" : e.what());
        return kExitFailure;
    }
    const auto findings = lint_fs(inv.sandbox.fs);
    for (const auto& f : findings)
        std::fprintf(stderr, "burrow: warning: operation %zu: %s\n", f.hidden + 1,
                     f.message.c_str());
    return findings.empty() ? 0 : 1;
}

} // namespace

int bwrap_main(int argc, char** argv, int first_arg) {
    std::vector<std::string> args(argv + first_arg, argv + argc);
    if (first_arg == 2 && !args.empty() && args[0] == "--lint")
        return lint_main(std::vector<std::string>(args.begin() + 1, args.end()));
    const std::string prog = program_name(argv, first_arg);
    BwrapInvocation inv;
    try {
        inv = parse_bwrap_args(args, host_facts_from_process());
    } catch (const BwrapUsageError& e) {
        print_warnings(e.warnings);
        if (e.show_usage) {
            (void)write_all(STDERR_FILENO, bwrap_usage_text(prog));
        } else {
            Diagnostics d;
            d.level_prefix = e.level_prefix;
            report_error(d, e.what());
        }
        return 1;
    }
    print_warnings(inv.warnings);
    switch (inv.action) {
    // Like bwrap, --help and --version succeed even if stdout is gone.
    case BwrapInvocation::Action::help:
        (void)write_all(STDOUT_FILENO, bwrap_usage_text(prog));
        return 0;
    case BwrapInvocation::Action::version:
        (void)write_all(STDOUT_FILENO, std::string(bwrap_version_string) + "\n");
        return 0;
    case BwrapInvocation::Action::run:
        break;
    }
    inv.sandbox.diag.quiet_pid1_death = true;
    return run_sandbox(inv.sandbox);
}

} // namespace burrow
