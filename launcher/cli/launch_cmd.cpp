#include "launcher/cli/launch_cmd.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "launcher/container/launch.hpp"
#include "launcher/namespace/launch.hpp"
#include "launcher/session/join.hpp"
#include "launcher/session/registry.hpp"
#include "launcher/vm/launch.hpp"
#include "policy/file/policy.hpp"
#include "policy/project/sandbox.hpp"
#include "runtime/fd.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

extern char** environ;

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
    std::string system; // --system DIR (container, vm)
    launch::ContainerOptions container;
    launch::VmOptions vm;
    std::string project = ".";
    unsigned grace_s = 5;
    bool json = false;
    // Internal (--tmux-pane RUN_DIR): this launch is the command of the
    // host-side tmux session a `launch --tmux` started; it reports its exit
    // status in RUN_DIR/tmux/status.
    std::string tmux_pane;
    std::vector<int> keep_fds;
};
Options opts;
std::vector<std::string> after_dashes;
bool dashes_seen = false;

int fail(const char* what, const std::string& why) {
    std::fprintf(stderr, "burrow: %s: %s\n", what, why.c_str());
    return kExitFailure;
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

// --policy layers, with ${project} the project dir, each loaded once. What
// a layer does not write leaves launch's (Policy::written).
bool load_layers(const std::string& project_dir, std::vector<policy::Policy>& out) {
    for (const auto& name : opts.policies) {
        try {
            policy::LoadOptions lo;
            if (!project_dir.empty()) lo.vars.values["project"] = project_dir;
            out.push_back(policy::load_policy(name, lo));
            // Refused, not ignored: pid 1 stays burrow's on every backend
            // (the session is registered through pid 1's child), and
            // status files are `burrow run`'s.
            for (const char* key : {"process.as_pid_1", "status.file"})
                if (out.back().wrote(key)) {
                    fail("launch", "--policy " + name + ": " + key +
                                       " is not supported by burrow launch (burrow run takes it)");
                    return false;
                }
        } catch (const policy::PolicyError& e) {
            fail("launch", std::string("--policy ") + e.what());
            return false;
        }
    }
    return true;
}

// ---- --tmux: the tmux server on the host side ----
//
// The server the user attaches to runs outside the sandbox, as the caller,
// with its socket in the launch's run dir (never shared into a sandbox);
// its one pane runs `burrow launch --tmux-pane RUN_DIR ...`, i.e. the
// sandbox. Code in the sandbox never sees the socket, so it cannot set a
// hook, `detach-client -E CMD` or `run-shell` that the attaching client or
// the server would run on the host.

// PATH lookup without a shell; "" when not found.
std::string find_in_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t pos = 0;
    while (pos <= p.size()) {
        const auto colon = p.find(':', pos);
        const std::string dir = p.substr(pos, colon == std::string::npos ? colon : colon - pos);
        pos = colon == std::string::npos ? p.size() + 1 : colon + 1;
        if (dir.empty() || dir[0] != '/') continue;
        const std::string c = dir + "/" + name;
        struct stat st {};
        if (::stat(c.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(c.c_str(), X_OK) == 0)
            return c;
    }
    return {};
}

// Runs argv (stdio as given, or /dev/null) and waits; the exit status, or
// -1. Termination signals to burrow meanwhile call on_signal once each.
template <typename F>
int run_and_wait(const std::vector<std::string>& argv, bool null_stdio, F on_signal) {
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    std::vector<char*> av;
    for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    // Not nested in the caller's own tmux (tmux refuses that).
    std::vector<std::string> envs;
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, "TMUX=", 5) != 0 && std::strncmp(*e, "TMUX_PANE=", 10) != 0)
            envs.emplace_back(*e);
    std::vector<char*> ev;
    for (auto& e : envs) ev.push_back(e.data());
    ev.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        return -1;
    }
    if (pid == 0) {
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        if (null_stdio) {
            const int fd = ::open("/dev/null", O_RDWR);
            if (fd >= 0)
                for (int i = 0; i < 3; ++i) ::dup2(fd, i);
        }
        ::execve(av[0], av.data(), ev.data());
        ::_exit(kExitNotFound);
    }
    int status = -1;
    for (;;) {
        siginfo_t si{};
        timespec ts{1, 0};
        const int sig = ::sigtimedwait(&mask, &si, &ts);
        if (sig > 0 && sig != SIGCHLD) on_signal(sig);
        int ws = 0;
        const pid_t r = ::waitpid(pid, &ws, WNOHANG);
        if (r == pid) {
            status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            break;
        }
        if (r < 0 && errno != EINTR) break;
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return status;
}

// The arguments burrow was started with, minus argv[0], with --tmux-pane
// RUN_DIR added before the command's "--" (or at the end).
bool pane_arguments(const std::string& run_dir, std::vector<std::string>& out) {
    Fd fd(::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    std::string text;
    if (read_fd_to_end(fd.get(), text, 1 << 20) != 0) return false;
    std::vector<std::string> args;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nul = text.find('\0', pos);
        if (nul == std::string::npos) nul = text.size();
        args.emplace_back(text, pos, nul - pos);
        pos = nul + 1;
    }
    if (args.size() < 2) return false;
    bool added = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (!added && args[i] == "--") {
            out.push_back("--tmux-pane=" + run_dir);
            added = true;
        }
        out.push_back(args[i]);
    }
    if (!added) out.push_back("--tmux-pane=" + run_dir);
    return true;
}

// The exit status the pane's burrow left in the tmux dir: a regular file of
// ours, read without following a symlink and capped; -1 when there is none.
int read_pane_status(int dirfd) {
    Fd fd(::openat(dirfd, "status", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return -1;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) return -1;
    char buf[16] = {};
    const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return -1;
    char* end = nullptr;
    const long v = std::strtol(buf, &end, 10);
    return end != buf && v >= 0 && v <= 255 ? static_cast<int>(v) : -1;
}

// The tmux server still accepts connections on its socket.
bool server_up(const std::string& sock) {
    Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (!s || sock.size() >= sizeof sa.sun_path) return false;
    std::memcpy(sa.sun_path, sock.c_str(), sock.size());
    return ::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
}

// Polls (status every 100 ms, the server every second); termination
// signals meanwhile go to on_signal.
template <typename F> void wait_session_end(int dirfd, const std::string& sock, F on_signal) {
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    for (unsigned i = 0;; ++i) {
        struct stat st {};
        if (::fstatat(dirfd, "status", &st, AT_SYMLINK_NOFOLLOW) == 0) break;
        if (i % 10 == 0 && !server_up(sock)) break;
        timespec ts{0, 100 * 1000 * 1000};
        const int sig = ::sigtimedwait(&mask, nullptr, &ts);
        if (sig > 0) on_signal(sig);
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

int run_tmux_outside(const project::ProjectSandbox& ps) {
    const std::string tmux = find_in_path("tmux");
    if (tmux.empty()) return fail("launch", "--tmux: tmux not found in PATH");
    char exe[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return fail("launch", std::string("/proc/self/exe: ") + std::strerror(errno));
    const std::string dir = ps.run_dir + "/tmux";
    Fd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!dirfd || ::fstat(dirfd.get(), &st) != 0 || st.st_uid != ::geteuid() ||
        (st.st_mode & 077) != 0)
        return fail("launch", dir + ": not a private directory of ours");
    const std::string sock = dir + "/tmux.sock";
    ::unlinkat(dirfd.get(), "status", 0);
    std::vector<std::string> pane = {std::string(exe, static_cast<std::size_t>(n))};
    if (!pane_arguments(ps.run_dir, pane))
        return fail("launch", "--tmux: cannot read this process's arguments");
    const bool tty = ::isatty(0) == 1 && ::isatty(1) == 1;
    std::vector<std::string> argv = {tmux, "-S", sock, "new-session"};
    if (!tty) argv.push_back("-d");
    // The pane starts where burrow was started: PROJECT_DIR may be relative.
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd)) argv.insert(argv.end(), {"-c", cwd});
    argv.insert(argv.end(), {"-s", "burrow", "--"});
    argv.insert(argv.end(), pane.begin(), pane.end());
    int got_signal = 0;
    auto stop_session = [&](int sig) {
        if (!got_signal) got_signal = sig;
        // The pane's burrow gets SIGHUP and ends its sandbox.
        run_and_wait({tmux, "-S", sock, "kill-server"}, true, [](int) {});
    };
    const int rc = run_and_wait(argv, !tty ? true : false, stop_session);
    if (rc != 0 && read_pane_status(dirfd.get()) < 0 && !got_signal) {
        ::unlink(sock.c_str());
        ::rmdir(dir.c_str());
        ::rmdir(ps.run_dir.c_str());
        return fail("launch", "--tmux: tmux new-session failed (exit " + std::to_string(rc) + ")");
    }
    // Detached (or never attached): the session lasts as long as the
    // sandbox. Over when the pane's burrow has left its status, or when the
    // server is gone (killed) without one.
    wait_session_end(dirfd.get(), sock, stop_session);
    if (read_pane_status(dirfd.get()) >= 0 && server_up(sock)) // say, remain-on-exit
        run_and_wait({tmux, "-S", sock, "kill-server"}, true, [](int) {});
    const int status = read_pane_status(dirfd.get());
    ::unlinkat(dirfd.get(), "status", 0);
    ::unlink(sock.c_str());
    ::rmdir(dir.c_str());
    ::rmdir(ps.run_dir.c_str());
    if (status >= 0) return status;
    if (got_signal) return 128 + got_signal;
    return fail("launch", "--tmux: the tmux session ended before the command reported its status");
}

// The pane's burrow: its status for the host-side tmux launcher.
void write_pane_status(const std::string& run_dir, int status) {
    const std::string dir = run_dir + "/tmux";
    Fd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dirfd) return;
    Fd fd(::openat(dirfd.get(), "status",
                   O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!fd) return;
    const std::string s = std::to_string(status) + "\n";
    (void)!::write(fd.get(), s.data(), s.size());
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

// enter, stop and a second launch: a VM through its own sockets, a
// namespace or container sandbox through setns and its pidfd.
int enter_session(const session::Entry& e, const std::vector<std::string>& argv, const char* what,
                  const std::vector<int>& keep_fds) {
    if (e.backend != "vm") return launch::join_session(e, argv, what, keep_fds);
    if (!keep_fds.empty()) {
        std::fprintf(stderr, "burrow: %s: --keep-fd: a VM sandbox cannot be passed fds\n", what);
        return kExitFailure;
    }
    // The identity check once more right before use (QEMU, its start time
    // and exe, the launcher, the enter socket's place and owner): nothing
    // typed goes to a socket a sandbox could have made.
    Fd pin(session::open_verified_pidfd(e));
    if (!pin) {
        std::fprintf(stderr, "burrow: %s: no sandbox runs for %s\n", what, e.project_dir.c_str());
        return kExitFailure;
    }
    return launch::enter_vm(e, argv);
}

int stop_any_session(const session::Entry& e, unsigned grace_ms) {
    if (e.backend != "vm") return launch::stop_session(e, grace_ms);
    Fd pin(session::open_verified_pidfd(e)); // nothing signalled unless it passes
    if (!pin) {
        std::fprintf(stderr, "burrow: stop: no sandbox runs for %s\n", e.project_dir.c_str());
        return kExitFailure;
    }
    return launch::stop_vm(e);
}

int run_launch_backend();

int run_launch() {
    const int rc = run_launch_backend();
    if (!opts.tmux_pane.empty()) write_pane_status(opts.tmux_pane, rc);
    return rc;
}

int run_launch_backend() {
    if (!check_keep_fds("launch")) return kExitFailure;
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
    if (!load_layers(canon, layers)) return kExitFailure;

    if (!opts.tmux_pane.empty()) lo.tmux = false; // the pane: tmux is outside already
    project::ProjectSandbox ps;
    try {
        lo.layers = std::move(layers);
        ps = project::build_project_sandbox(lo, project::host_from_process());
    } catch (const project::LaunchError& e) {
        return fail("launch", e.what());
    }
    if (!opts.tmux_pane.empty()) {
        // The run dir of the launch that started the tmux server (with
        // --new it carries that burrow's pid), and nothing else.
        const std::string root = project::run_root(project::host_from_process()) + "/";
        const std::string& d = opts.tmux_pane;
        const bool ok = d.rfind(root + ps.project_id, 0) == 0 &&
                        (d.size() == root.size() + ps.project_id.size() ||
                         (d[root.size() + ps.project_id.size()] == '-' &&
                          d.find_first_not_of("0123456789", root.size() + ps.project_id.size() +
                                                                1) == std::string::npos));
        if (!ok) return fail("launch", "--tmux-pane " + d + ": not this project's run dir");
        if (ps.run_dir != d) ::rmdir(ps.run_dir.c_str()); // --new made its own: unused
        ps.run_dir = d;
    }
    ps.keep_fds = opts.keep_fds;
    // The pane's burrow is started by the tmux server, which passes it no
    // fds of ours.
    if (!ps.keep_fds.empty() && ps.tmux)
        return fail("launch", "--keep-fd: not with --tmux (tmux passes no fds to its pane)");
    if (!ps.keep_fds.empty() && ps.backend != project::Backend::ns)
        return fail("launch", "--keep-fd: only the namespace backend passes fds");
    if (!opts.system.empty() && ps.backend == project::Backend::ns)
        return fail("launch", "--system: only the container and vm backends boot a system");

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
                o.ssh_keys || o.no_network || !o.network.empty() || !o.allow_net.empty() ||
                o.tmux || !opts.policies.empty())
                std::fprintf(stderr,
                             "burrow: launch: joining the sandbox already running for %s; its "
                             "options apply, not these (--new starts another)\n",
                             ps.project_dir.c_str());
            return enter_session(*running, ps.command, "launch", ps.keep_fds);
        }
    }
    // Sharing the host's network is asked for by name and said every time
    // (not again by a --tmux pane's burrow).
    if (ps.network == project::Network::host && !opts.lo.network.empty() && opts.tmux_pane.empty())
        std::fprintf(stderr, "burrow: launch: warning: --network host: the sandbox shares the "
                             "host's network namespace (its loopback services and abstract unix "
                             "sockets: D-Bus, X11, ...)\n");
    if (ps.tmux) return run_tmux_outside(ps);
    switch (ps.backend) {
    case project::Backend::ns:
        return launch::launch_namespace(ps);
    case project::Backend::container:
        opts.container.system = opts.system;
        return launch::launch_container(ps, opts.container);
    case project::Backend::vm:
        opts.vm.system = opts.system;
        return launch::launch_vm(ps, opts.vm);
    }
    return kExitFailure;
}

int run_enter() {
    if (!check_keep_fds("enter")) return kExitFailure;
    std::string id, canon;
    if (!project_of("enter", opts.project, id, canon)) return kExitFailure;
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
    return enter_session(*e, argv, "enter", opts.keep_fds);
}

int run_stop() {
    std::string id, canon;
    if (!project_of("stop", opts.project, id, canon)) return kExitFailure;
    std::optional<session::Entry> e;
    try {
        e = session::find(id);
    } catch (const std::exception& ex) {
        return fail("stop", std::string("session registry: ") + ex.what());
    }
    if (!e) return fail("stop", "no sandbox runs for " + canon);
    const int rc = stop_any_session(*e, opts.grace_s * 1000);
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
                "run the sandbox in a tmux session on the host side, socket in the run dir "
                "(attach from the host; the sandbox cannot reach it)");
    l->add_option("--tmux-pane", opts.tmux_pane, "internal: the pane of a --tmux launch")
        ->group("");
    l->add_option(
         "--network", opts.lo.network,
         "private (default; container: TCP and DNS only), host (the host's network namespace, "
         "with a warning) or none")
        ->check(CLI::IsMember({"private", "host", "none"}));
    l->add_flag("--no-network", opts.lo.no_network, "no network at all (--network none)");
    l->add_option("--allow-net", opts.lo.allow_net,
                  "a network of its own whose only way out is burrow's egress proxy, to RULE: "
                  "NAME[:PORT], *.NAME[:PORT], IPv4[/PREFIX][:PORT] or [IPv6[/PREFIX]][:PORT] "
                  "(repeatable; every backend)")
        ->allow_extra_args(false)
        ->type_name("RULE");
    l->add_flag("--gh-token", opts.lo.gh_token,
                "forward GH_TOKEN/GITHUB_TOKEN and share ~/.config/gh read-only");
    l->add_flag("--ssh-keys", opts.lo.ssh_keys,
                "share all of ~/.ssh read-only, private keys included (default: known_hosts, "
                "config and *.pub)");
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
    l->add_option("--system", opts.system,
                  "container and vm: boot this system (a NixOS toplevel, or a directory with "
                  "init[, etc/, kernel, initrd]) with its own init; the command runs as a unit "
                  "of it (see burrow-launch(1))")
        ->type_name("DIR");
    auto* c = l->add_option_group("container", "container backend (systemd-nspawn)");
    c->add_flag("--sudo", opts.container.sudo, "not root: re-exec through sudo");
    auto* v = l->add_option_group("vm", "vm backend (QEMU)");
    v->add_option("--kernel", opts.vm.kernel, "kernel image to boot");
    v->add_option("--initrd", opts.vm.initrd, "initramfs to use as is");
    v->add_option("--append", opts.vm.append, "extra kernel command line");
    v->add_option("--memory", opts.vm.memory_mib,
                  "guest memory in MiB (default 4096, at most half the host's)")
        ->check(CLI::PositiveNumber);
    v->add_option("--cores", opts.vm.cores, "guest CPUs (default 4, at most the host's)")
        ->check(CLI::PositiveNumber);
    v->add_flag("--display", opts.vm.display,
                "a graphical display: a QEMU window when the host has one, else a VNC server on "
                "a unix socket in the run dir");
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
