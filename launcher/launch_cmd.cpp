#include "launcher/launch_cmd.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "launcher/launch_backend.hpp"
#include "launcher/session_join.hpp"
#include "launcher/session_registry.hpp"
#include "policy/policy.hpp"
#include "policy/project_sandbox.hpp"

namespace burrow {

namespace {

struct Options {
    CLI::App* launch = nullptr;
    CLI::App* enter = nullptr;
    CLI::App* stop = nullptr;
    CLI::App* ps = nullptr;
    project::LaunchOptions lo;
    std::string backend = "namespace";
    std::vector<std::string> policies;
    std::string agent_dir;
    launch::ContainerOptions container;
    launch::VmOptions vm;
    std::string project = ".";
    unsigned grace_s = 5;
    bool json = false;
    std::vector<int> keep_fds;
};
Options opts;
std::vector<std::string> after_dashes;
bool dashes_seen = false;

int fail(const char* what, const std::string& why) {
    std::fprintf(stderr, "burrow: %s: %s\n", what, why.c_str());
    return 125;
}

// The project id of DIR (enter/stop): the same canonical path launch used.
bool project_of(const char* what, const std::string& dir, std::string& id, std::string& canon) {
    char buf[PATH_MAX];
    if (!::realpath(dir.c_str(), buf)) {
        fail(what, dir + ": " + std::strerror(errno));
        return false;
    }
    canon = buf;
    id = project::project_id_for(canon);
    return true;
}

// --policy layers, with ${project} the project dir. A layer that does not
// name a network leaves launch's (an empty network tells the backend so).
bool load_layers(const std::string& project_dir, std::vector<policy::Policy>& out) {
    for (const auto& name : opts.policies) {
        try {
            policy::LoadOptions lo;
            if (!project_dir.empty()) lo.vars.values["project"] = project_dir;
            policy::Policy p = policy::load_policy(name, lo);
            const policy::Node tree = policy::load_policy_tree(name, {});
            if (!tree.get("network")) p.network.clear();
            out.push_back(std::move(p));
        } catch (const policy::PolicyError& e) {
            fail("launch", std::string("--policy ") + e.what());
            return false;
        }
    }
    return true;
}

// --keep-fd: each must be open now (stdio always passes).
bool check_keep_fds(const char* what) {
    for (int fd : opts.keep_fds)
        if (::fcntl(fd, F_GETFD) < 0) {
            fail(what, "--keep-fd " + std::to_string(fd) + ": " + std::strerror(errno));
            return false;
        }
    return true;
}

int run_launch() {
    if (!check_keep_fds("launch")) return 125;
    project::LaunchOptions lo = opts.lo;
    if (opts.backend == "namespace")
        lo.backend = project::Backend::ns;
    else if (opts.backend == "container")
        lo.backend = project::Backend::container;
    else if (opts.backend == "vm")
        lo.backend = project::Backend::vm;
    else
        return fail("launch",
                    "--backend " + opts.backend + ": expected namespace, container or vm");
    lo.project = opts.project;
    lo.command = after_dashes;
    if (!opts.agent_dir.empty()) lo.agent_dir = opts.agent_dir;

    // Layers first: a bad policy file must not leave a fresh state dir.
    char buf[PATH_MAX];
    const std::string canon = ::realpath(opts.project.c_str(), buf) ? buf : "";
    std::vector<policy::Policy> layers;
    if (!load_layers(canon, layers)) return 125;

    project::ProjectSandbox ps;
    try {
        ps = project::build_project_sandbox(lo, project::host_from_process());
    } catch (const project::LaunchError& e) {
        return fail("launch", e.what());
    }
    ps.layers = std::move(layers);
    ps.keep_fds = opts.keep_fds;
    if (!ps.keep_fds.empty() && ps.backend != project::Backend::ns)
        return fail("launch", "--keep-fd: only the namespace backend passes fds");

    if (!ps.new_session) {
        std::optional<session::Entry> running;
        try {
            running = session::find(ps.project_id);
        } catch (const std::exception& e) {
            return fail("launch", std::string("session registry: ") + e.what());
        }
        if (running) {
            // What shapes a sandbox cannot change a running one: say so.
            const auto& o = opts.lo;
            if (!o.binds.empty() || !o.ro_binds.empty() || !o.env_names.empty() || o.gh_token ||
                o.no_network || o.tmux || !opts.policies.empty())
                std::fprintf(stderr,
                             "burrow: launch: joining the sandbox already running for %s; its "
                             "options apply, not these (--new starts another)\n",
                             ps.project_dir.c_str());
            return launch::join_session(*running, ps.command, "launch", ps.keep_fds);
        }
    }
    switch (ps.backend) {
    case project::Backend::ns:
        return launch::launch_namespace(ps);
    case project::Backend::container:
        return launch::launch_container(ps, opts.container);
    case project::Backend::vm:
        return launch::launch_vm(ps, opts.vm);
    }
    return 125;
}

int run_enter() {
    if (!check_keep_fds("enter")) return 125;
    std::string id, canon;
    if (!project_of("enter", opts.project, id, canon)) return 125;
    std::optional<session::Entry> e;
    try {
        e = session::find(id);
    } catch (const std::exception& ex) {
        return fail("enter", std::string("session registry: ") + ex.what());
    }
    if (!e) return fail("enter", "no sandbox runs for " + canon);
    std::vector<std::string> argv = after_dashes;
    if (argv.empty()) {
        std::string shell = "/bin/sh";
        for (const auto& [k, v] : e->env)
            if (k == "SHELL" && !v.empty()) shell = v;
        argv = {shell};
    }
    return launch::join_session(*e, argv, "enter", opts.keep_fds);
}

int run_stop() {
    std::string id, canon;
    if (!project_of("stop", opts.project, id, canon)) return 125;
    std::optional<session::Entry> e;
    try {
        e = session::find(id);
    } catch (const std::exception& ex) {
        return fail("stop", std::string("session registry: ") + ex.what());
    }
    if (!e) return fail("stop", "no sandbox runs for " + canon);
    const int rc = launch::stop_session(*e, opts.grace_s * 1000);
    if (rc == 0) {
        try {
            session::find(id); // removes the entry once its process is gone
        } catch (const std::exception&) {
        }
    }
    return rc;
}

std::string iso_time(int64_t t) {
    char buf[64];
    const time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    ::gmtime_r(&tt, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string duration(int64_t s) {
    char buf[64];
    if (s < 0) s = 0;
    if (s >= 86400)
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                      static_cast<long long>(s % 86400 / 3600));
    else
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                      static_cast<long long>(s % 3600 / 60), static_cast<long long>(s % 60));
    return buf;
}

int run_ps() {
    std::vector<session::Entry> entries;
    try {
        entries = session::list();
    } catch (const std::exception& ex) {
        return fail("ps", std::string("session registry: ") + ex.what());
    }
    const int64_t now = static_cast<int64_t>(::time(nullptr));
    if (opts.json) {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const auto& e : entries) {
            nlohmann::ordered_json j;
            j["project"] = e.project_dir;
            j["project_id"] = e.project_id;
            j["backend"] = e.backend;
            j["pid"] = e.pid;
            j["launcher_pid"] = e.launcher_pid;
            j["started"] = e.started;
            j["started_utc"] = iso_time(e.started);
            j["uptime_s"] = now - e.started;
            arr.push_back(j);
        }
        std::printf("%s\n", arr.dump(2).c_str());
        return 0;
    }
    std::printf("%-10s %8s %-20s %9s  %s\n", "BACKEND", "PID", "STARTED", "UPTIME", "PROJECT");
    for (const auto& e : entries) {
        // The path as JSON text when it holds control characters, so one
        // sandbox is always one line.
        std::string dir = e.project_dir;
        for (char c : dir)
            if (static_cast<unsigned char>(c) < 0x20) {
                dir = nlohmann::json(e.project_dir).dump();
                break;
            }
        std::printf("%-10s %8d %-20s %9s  %s\n", e.backend.c_str(), static_cast<int>(e.pid),
                    iso_time(e.started).c_str(), duration(now - e.started).c_str(), dir.c_str());
    }
    return 0;
}

} // namespace

void set_launch_command(std::vector<std::string> command) {
    after_dashes = std::move(command);
    dashes_seen = true;
}

void add_launch_subcommands(CLI::App& app) {
    auto* l = opts.launch = app.add_subcommand(
        "launch",
        "Run COMMAND (default: your shell) in a sandbox for the project directory, or join "
        "the one already running (see burrow-launch(1))");
    l->add_option("PROJECT_DIR", opts.project, "project directory, read-write inside (default: .)");
    l->add_option("--backend", opts.backend, "namespace (default), container or vm")
        ->check(CLI::IsMember({"namespace", "container", "vm"}));
    l->add_flag("--shell", opts.lo.shell, "an interactive shell instead of a command");
    l->add_flag("--tmux", opts.lo.tmux,
                "run inside a tmux session whose socket is in the run dir (attach from the host)");
    l->add_flag("--no-network", opts.lo.no_network, "no network at all");
    l->add_flag("--gh-token", opts.lo.gh_token, "forward GH_TOKEN/GITHUB_TOKEN");
    l->add_option("--env", opts.lo.env_names, "forward the variable NAME (repeatable)")
        ->allow_extra_args(false);
    l->add_option("--bind", opts.lo.binds, "host SRC read-write at DEST (default: SRC)")
        ->allow_extra_args(false);
    l->add_option("--ro-bind", opts.lo.ro_binds, "host SRC read-only at DEST (default: SRC)")
        ->allow_extra_args(false);
    l->add_option("--policy", opts.policies, "layer a policy file or built-in (repeatable)")
        ->allow_extra_args(false);
    l->add_flag("--new", opts.lo.new_session, "a separate sandbox even if one runs");
    l->add_option("--agent-dir", opts.agent_dir,
                  "agent config dir, read-write (default ~/.claude; per project when missing)");
    l->add_flag("--no-agent-dir", opts.lo.no_agent_dir, "no agent config dir");
    l->add_option("--seed", opts.lo.seeds,
                  "copy FILE in at start, never written back (default ~/.claude.json)")
        ->allow_extra_args(false);
    l->add_flag("--no-seed", opts.lo.no_seed, "no copy-seeded files");
    l->add_option("--keep-fd", opts.keep_fds,
                  "pass fd N to the command (repeatable; otherwise only stdio)")
        ->check(CLI::NonNegativeNumber)
        ->allow_extra_args(false);
    auto* c = l->add_option_group("container", "container backend (systemd-nspawn)");
    c->add_flag("--sudo", opts.container.sudo, "not root: re-exec through sudo");
    auto* v = l->add_option_group("vm", "vm backend (QEMU)");
    v->add_option("--kernel", opts.vm.kernel, "kernel image to boot");
    v->add_option("--initrd", opts.vm.initrd, "initramfs to use as is");
    v->add_option("--append", opts.vm.append, "extra kernel command line");
    v->add_option("--memory", opts.vm.memory_mib, "guest memory in MiB (default 1024)")
        ->check(CLI::PositiveNumber);
    v->add_option("--cores", opts.vm.cores, "guest CPUs (default 1)")->check(CLI::PositiveNumber);
    v->add_option("--accel", opts.vm.accel, "auto (default), kvm or tcg")
        ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
    l->footer("COMMAND follows \"--\". Exit status: the command's; 128+N if it died of signal N; "
              "125 burrow failed; 126 cannot execute; 127 not found.");

    auto* e = opts.enter = app.add_subcommand(
        "enter", "Open your shell (or COMMAND after \"--\") in the project's running sandbox");
    e->add_option("PROJECT_DIR", opts.project, "project directory (default: .)");
    e->add_option("--keep-fd", opts.keep_fds,
                  "pass fd N to the command (repeatable; otherwise only stdio)")
        ->check(CLI::NonNegativeNumber)
        ->allow_extra_args(false);
    e->footer("Exit status: the shell's; 125 when no sandbox runs for the project.");

    auto* s = opts.stop = app.add_subcommand("stop", "Stop the project's running sandbox");
    s->add_option("PROJECT_DIR", opts.project, "project directory (default: .)");
    s->add_option("--grace", opts.grace_s, "seconds between SIGTERM and SIGKILL (default 5)");
    s->footer("Exit status: 0 once it is gone; 125 when no sandbox runs for the project.");

    auto* p = opts.ps = app.add_subcommand("ps", "List running project sandboxes");
    p->add_flag("--json", opts.json, "one JSON array");
}

bool is_launch_subcommand(const char* name) {
    for (const char* s : {"launch", "enter", "stop", "ps"})
        if (std::strcmp(name, s) == 0) return true;
    return false;
}

int dispatch_launch_subcommands() {
    if (opts.launch && opts.launch->parsed()) return run_launch();
    if (opts.enter && opts.enter->parsed()) return run_enter();
    if (opts.stop && opts.stop->parsed()) return run_stop();
    if (opts.ps && opts.ps->parsed()) return run_ps();
    return -1;
}

} // namespace burrow
