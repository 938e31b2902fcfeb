// burrow's main(): the choice of bwrap mode (argv[0] "bwrap", or a bwrap
// option first), the setuid refusal and the
// dispatch of burrow's own subcommands (CLI11).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "launcher/cli/bwrap_mode.hpp"
#include "launcher/container/exec.hpp"
#include "launcher/manager/supervise.hpp"
#include "launcher/oci/oci_cmd.hpp"
#include "launcher/cli/launch_cmd.hpp"
#include "launcher/cli/manager_client_cmd.hpp"
#include "launcher/cli/manager_cmd.hpp"
#include "launcher/cli/nix_cmd.hpp"
#include "launcher/cli/policy_cmd.hpp"
#include "launcher/cli/remote_cmd.hpp"
#include "launcher/cli/run_cmd.hpp"
#include "launcher/cli/seccomp_cmd.hpp"
#include "policy/bwrap/args.hpp"
#include "runtime/exit_status.hpp"

namespace {

bool invoked_as(const char* argv0, const char* name) {
    const char* base = std::strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    return std::strcmp(base, name) == 0;
}

bool invoked_as_bwrap(const char* argv0) {
    return invoked_as(argv0, "bwrap");
}

// bwrap mode: started under the name bwrap, or with a bwrap option as the
// first argument. The second keeps a bwrap that re-executes itself through
// /proc/self/exe (how nested sandboxes are made) a bwrap: that name is lost
// there. No burrow command line starts with such an option (burrow's own
// top-level options are only --help and --version, which stay burrow's), so
// every burrow command line keeps its meaning.
bool bwrap_mode(int argc, char** argv) {
    if (argc < 1) return false;
    if (invoked_as_bwrap(argv[0])) return true;
    return argc > 1 && burrow::is_bwrap_option(argv[1]);
}

// burrow needs no privileges beyond what unprivileged user namespaces give;
// a setuid/setgid burrow would only widen the attack surface, so refuse.
bool running_setuid() {
    return getuid() != geteuid() || getgid() != getegid();
}

} // namespace

int main(int argc, char** argv) {
    const bool as_bwrap = bwrap_mode(argc, argv);
    if (running_setuid()) {
        std::fprintf(stderr,
                     "%s: refusing to run setuid or setgid: burrow needs no privileges "
                     "(remove the bit: chmod u-s,g-s %s)\n",
                     as_bwrap ? "bwrap" : "burrow", argc > 0 ? argv[0] : "burrow");
        return 1;
    }
    if (as_bwrap) return burrow::bwrap_main(argc, argv, 1);
    // The OCI runtime command line: "burrow-oci ARGS" is "burrow oci ARGS"
    // (what podman's --runtime and containerd's BinaryName point at).
    if (argc > 0 && invoked_as(argv[0], "burrow-oci")) return burrow::oci::oci_main(argc, argv, 1);
    if (argc > 1 && std::strcmp(argv[1], "oci") == 0) return burrow::oci::oci_main(argc, argv, 2);
    // Inside a --backend container sandbox: the payload-side helper.
    if (argc > 1 && std::strcmp(argv[1], burrow::container::kExecVerb) == 0)
        return burrow::container::container_exec_main(argc, argv);
    // The manager's supervisor of one sandbox (launcher/manager/supervise.hpp).
    if (argc > 1 && std::strcmp(argv[1], burrow::manager::kSuperviseVerb) == 0)
        return burrow::manager::supervise_main(argc, argv);
    // "burrow bwrap ARGS...": everything after "bwrap" is a bwrap command line,
    // passed through untouched (order is meaning there).
    if (argc > 1 && std::strcmp(argv[1], "bwrap") == 0) return burrow::bwrap_main(argc, argv, 2);

    CLI::App app{"burrow: a setuid-free Linux sandbox runtime and drop-in bwrap", "burrow"};
    app.set_version_flag("--version", "burrow " BURROW_VERSION);
    app.require_subcommand(1);
    app.add_subcommand("bwrap", "Run a bubblewrap command line (see burrow-bwrap(1))")
        ->allow_extras();
    // Dispatched above (launcher/oci); listed for --help.
    app.add_subcommand("oci", "The OCI runtime command line, runc-compatible (see burrow-oci(1))")
        ->allow_extras();
    burrow::add_seccomp_subcommand(app);
    burrow::add_nix_subcommand(app);
    burrow::add_run_subcommand(app);
    burrow::add_policy_subcommand(app);
    burrow::add_launch_subcommands(app);
    burrow::add_manager_subcommand(app);
    // The client subcommands (request, token, attach) under the lead's
    // `burrow manager`; dispatched before the daemon, whose subcommand is
    // "parsed" for them too.
    burrow::add_manager_client_subcommands(app.get_subcommand("manager"));
    burrow::add_remote_subcommand(app);
    // "burrow run ... -- COMMAND": everything after the first "--" is the
    // payload's, untouched by CLI11 (which would treat it as stray arguments).
    if (argc > 1 && std::strcmp(argv[1], "run") == 0) {
        for (int i = 2; i < argc; ++i)
            if (std::strcmp(argv[i], "--") == 0) {
                burrow::set_run_command(std::vector<std::string>(argv + i + 1, argv + argc));
                argc = i;
                break;
            }
    }
    // The same for "burrow remote HOST create ... -- COMMAND".
    if (argc > 1 && std::strcmp(argv[1], "remote") == 0) {
        for (int i = 2; i < argc; ++i)
            if (std::strcmp(argv[i], "--") == 0) {
                burrow::set_remote_command(std::vector<std::string>(argv + i + 1, argv + argc));
                argc = i;
                break;
            }
    }
    // The same for "burrow launch|enter ... -- COMMAND".
    if (argc > 1 && (std::strcmp(argv[1], "launch") == 0 || std::strcmp(argv[1], "enter") == 0)) {
        for (int i = 2; i < argc; ++i)
            if (std::strcmp(argv[i], "--") == 0) {
                burrow::set_launch_command(std::vector<std::string>(argv + i + 1, argv + argc));
                argc = i;
                break;
            }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // launch/enter/stop/ps: one line naming the subcommand, like their
        // other errors (--help is a ParseError with exit code 0).
        if (e.get_exit_code() != 0 && argc > 1 && burrow::is_launch_subcommand(argv[1])) {
            std::fprintf(stderr, "burrow: %s: %s\n", argv[1], e.what());
            return burrow::kExitFailure;
        }
        return app.exit(e) == 0 ? 0 : burrow::kExitFailure;
    }
    if (int rc = burrow::dispatch_seccomp_subcommand(app); rc >= 0) return rc;
    if (int rc = burrow::dispatch_nix_subcommand(app); rc >= 0) return rc;
    if (int rc = burrow::dispatch_run_subcommand(); rc >= 0) return rc;
    if (int rc = burrow::dispatch_policy_subcommand(); rc >= 0) return rc;
    if (int rc = burrow::dispatch_launch_subcommands(); rc >= 0) return rc;
    if (int rc = burrow::dispatch_manager_client_subcommands(); rc >= 0) return rc;
    if (int rc = burrow::dispatch_remote_subcommand(); rc >= 0) return rc;
    if (int rc = burrow::dispatch_manager_subcommand(); rc >= 0) return rc;
    return 0;
}
