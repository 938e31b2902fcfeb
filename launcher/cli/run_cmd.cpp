#include "launcher/cli/run_cmd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "policy/bwrap/args.hpp"
#include "policy/file/policy.hpp"
#include "policy/file/resolve.hpp"
#include "runtime/fd.hpp"
#include "runtime/runtime.hpp"
#include "runtime/exit_status.hpp"

namespace burrow {

namespace {

struct RunOptions {
    CLI::App* cmd = nullptr;
    std::string policy;
    std::vector<std::string> sets;
    std::vector<std::string> env_names; // --env NAME
    std::vector<std::pair<std::string, std::string>> binds, ro_binds;
    std::string status_file;
    bool verbose = false;
    int json_status_fd = -1, info_fd = -1;
    std::vector<int> keep_fds;
};
RunOptions opts;
std::vector<std::string> after_dashes;
bool dashes_seen = false;

// Binds from the command line come after the policy's operations, so they
// are visible whatever the policy mounts.
void add_cli_binds(policy::Policy& p) {
    auto add = [&](const auto& list, const char* type) {
        for (const auto& [src, dest] : list) {
            for (const std::string* s : {&src, &dest}) {
                if (s->empty() || (*s)[0] != '/' || s->find("/../") != std::string::npos ||
                    s->ends_with("/..") || s->starts_with("../"))
                    throw policy::PolicyError(std::string("--") + type + " " + src + " " + dest +
                                              ": paths must be absolute, without \"..\"");
            }
            policy::FsEntry e;
            e.type = type;
            e.src = src;
            e.dest = dest;
            e.pos = policy::Pos{std::string("--") + type, 1, 1};
            p.fs.push_back(e);
        }
    };
    add(opts.binds, "bind");
    add(opts.ro_binds, "ro-bind");
}

// --env NAME: one more name the policy's env.inherit allowlist passes (a
// policy without env.clear passes every variable already).
void add_cli_env(policy::Policy& p) {
    for (const auto& name : opts.env_names) {
        if (name.empty() || name.find('=') != std::string::npos)
            throw policy::PolicyError("--env " + name + ": expected a variable NAME (or NAME*)");
        p.env_inherit.push_back(name);
    }
}

// One JSON document written next to the target and renamed into place, so a
// reader never sees half of it.
void write_status_file(const std::string& path, const RunResult& r) {
    nlohmann::ordered_json j;
    j["exit_code"] = r.status;
    j["payload_exit_code"] = r.exit_code ? nlohmann::ordered_json(*r.exit_code) : nullptr;
    j["signal"] = r.signal ? nlohmann::ordered_json(*r.signal) : nullptr;
    j["timed_out"] = r.timed_out;
    j["setup_failed"] = r.setup_failed;
    j["exec_failed"] = r.exec_errno.has_value();
    j["exec_errno"] = r.exec_errno ? nlohmann::ordered_json(*r.exec_errno) : nullptr;
    j["wall_ms"] = r.wall_ms;
    j["peak_rss_kib"] = r.peak_rss_kib;
    j["landlock_abi"] = r.landlock_abi;
    j["enforced"] = r.enforced;
    j["unavailable"] = r.unavailable;
    // The egress allowlist's counts per destination (empty without one).
    j["net"] = nlohmann::ordered_json::array();
    for (const auto& t : r.net)
        j["net"].push_back({{"dest", t.dest}, {"allowed", t.allowed}, {"refused", t.refused}});
    const std::string text = j.dump(2) + "\n";
    // A fresh name next to the target (mkstemp: O_EXCL, never through a
    // planted symlink), renamed over it.
    std::string tmp = path + ".XXXXXX";
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd || ::fchmod(fd.get(), 0644) != 0 ||
        ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::rename(tmp.c_str(), path.c_str()) != 0) {
        std::fprintf(stderr, "burrow: --status-file %s: %s\n", path.c_str(), std::strerror(errno));
        if (fd) ::unlink(tmp.c_str());
    }
}

} // namespace

void set_run_command(std::vector<std::string> command) {
    after_dashes = std::move(command);
    dashes_seen = true;
}

void add_run_subcommand(CLI::App& app) {
    opts.cmd = app.add_subcommand("run", "Run COMMAND in the sandbox a policy describes "
                                         "(see burrow-run(1))");
    opts.cmd
        ->add_option("--policy", opts.policy, "built-in policy name (minimal, agent, ci) or file")
        ->required();
    opts.cmd->add_option("--set", opts.sets, "set a policy key or variable: KEY=VALUE");
    opts.cmd
        ->add_option("--env", opts.env_names,
                     "pass the caller's variable NAME into a policy that clears the "
                     "environment (as env.inherit; NAME* for a prefix)")
        ->allow_extra_args(false);
    opts.cmd
        ->add_option("--bind", opts.binds, "bind host SRC read-write at DEST (after the policy's)")
        ->allow_extra_args(false);
    opts.cmd->add_option("--ro-bind", opts.ro_binds, "bind host SRC read-only at DEST")
        ->allow_extra_args(false);
    opts.cmd->add_option("--status-file", opts.status_file,
                         "write one JSON document about the run to PATH");
    opts.cmd
        ->add_option("--json-status-fd", opts.json_status_fd,
                     "write bwrap's JSON status objects to FD (as bwrap --json-status-fd)")
        ->check(CLI::NonNegativeNumber);
    opts.cmd
        ->add_option("--info-fd", opts.info_fd,
                     "write bwrap's info JSON (child pid, namespaces) to FD")
        ->check(CLI::NonNegativeNumber);
    opts.cmd
        ->add_option("--keep-fd", opts.keep_fds,
                     "pass fd N to the command (repeatable; otherwise only stdio)")
        ->check(CLI::NonNegativeNumber)
        ->allow_extra_args(false);
    opts.cmd->add_flag("--verbose", opts.verbose,
                       "report what was enforced and what was unavailable");
    // Everything from the command on is the payload's, options included.
    opts.cmd->prefix_command();
    opts.cmd->allow_extras();
    opts.cmd->footer("Exit status: the command's; 128+N if it died of signal N; 124 timeout; "
                     "125 burrow failed; 126 cannot execute; 127 not found.");
}

int dispatch_run_subcommand() {
    if (opts.cmd == nullptr || !opts.cmd->parsed()) return -1;
    std::vector<std::string> command = dashes_seen ? after_dashes : opts.cmd->remaining();
    if (command.empty()) {
        std::fprintf(stderr, "burrow: run: no command given (burrow run --policy P -- COMMAND)\n");
        return kExitFailure;
    }
    for (int fd : opts.keep_fds)
        if (::fcntl(fd, F_GETFD) < 0) {
            std::fprintf(stderr, "burrow: run: --keep-fd %d: %s\n", fd, std::strerror(errno));
            return kExitFailure;
        }
    policy::Resolved res;
    std::string status_file = opts.status_file;
    try {
        policy::LoadOptions lo;
        lo.sets = opts.sets;
        policy::Policy p = policy::load_policy(opts.policy, lo);
        add_cli_binds(p);
        add_cli_env(p);
        if (status_file.empty() && p.status_file) status_file = *p.status_file;
        res = policy::resolve_policy(p, command, host_facts_from_process());
    } catch (const policy::PolicyError& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return kExitFailure;
    }
    for (const auto& w : res.warnings) std::fprintf(stderr, "burrow: warning: %s\n", w.c_str());
    res.sandbox.diag.verbose = opts.verbose;
    res.sandbox.status.json_status_fd = opts.json_status_fd;
    res.sandbox.status.info_fd = opts.info_fd;
    // Not bwrap mode: pid 1 and the monitor non-dumpable for every caller,
    // stdio and --keep-fd only, TIOCSTI refused (runtime/hardening.hpp).
    res.sandbox.proc.hardened = true;
    res.sandbox.proc.keep_fds = opts.keep_fds;
    // With diag.verbose the runtime itself reports what it enforced and
    // what was unavailable, before the payload starts.
    const RunResult r = run_sandbox_report(res.sandbox);
    if (!status_file.empty()) write_status_file(status_file, r);
    return r.status;
}

} // namespace burrow
