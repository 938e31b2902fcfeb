// `burrow oci`: the OCI runtime command line (runc's and crun's), as podman,
// containerd's shim and CRI-O call it:
//   create --bundle B --pid-file P [--console-socket S] ID; start ID;
//   exec --pid-file P --process F --detach ID; kill ID 15; kill ID 9;
//   delete --force ID
// The container's init is a direct child of `create` (the runtime's
// detached mode), so when create exits it is reparented to the caller's
// subreaper (conmon, the shim), which waits for the pid of --pid-file.
// Between create and start it waits on ROOT/ID/exec.fifo.
#include "launcher/oci/oci_cmd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "launcher/oci/state.hpp"
#include "launcher/session/registry.hpp"
#include "policy/oci/bundle.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"
#include "runtime/fd_passing.hpp"
#include "launcher/session/join.hpp"
#include "runtime/join.hpp"
#include "runtime/runtime.hpp"

namespace burrow::oci {

namespace {

// Every failure of a command: one line, exit 1 (runc's status for its own
// errors; podman reads the line).
struct CmdError : std::runtime_error {
    explicit CmdError(const std::string& m, bool on_stderr = false)
        : std::runtime_error(m), already_on_stderr(on_stderr) {}
    // The runtime printed its own line for it: only the log gets this one.
    bool already_on_stderr = false;
};
[[noreturn]] void die(const std::string& m) {
    throw CmdError(m);
}
[[noreturn]] void die_errno(const std::string& m, int err = errno) {
    throw CmdError(m + ": " + std::strerror(err));
}

struct Global {
    std::string root;
    std::string log;
    std::string log_format = "text";
    bool systemd_cgroup = false;
    bool debug = false;
    std::string rootless = "auto";
};
Global g;

std::string now_rfc3339() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm {};
    ::gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char ns[16];
    std::snprintf(ns, sizeof ns, ".%09ldZ", ts.tv_nsec);
    return std::string(buf) + ns;
}

void log_line(const std::string& level, const std::string& msg) {
    if (g.log.empty()) return;
    Fd fd(::open(g.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
    if (!fd) return;
    const std::string line = g.log_format == "json"
                                 ? json_log_line(level, msg, now_rfc3339()) + "\n"
                                 : now_rfc3339() + " " + level + ": " + msg + "\n";
    (void)write_all(fd.get(), line);
}

void report_failure(const std::string& msg, bool already_on_stderr = false) {
    if (!already_on_stderr) std::fprintf(stderr, "burrow: %s\n", msg.c_str());
    log_line("error", msg);
}

void warn(const std::string& msg) {
    if (g.debug) std::fprintf(stderr, "burrow: %s\n", msg.c_str());
    log_line("warning", msg);
}

// Root of a user namespace that does not map the whole id range (podman's
// rootless mode runs us as uid 0 there): unprivileged for every purpose.
bool full_uid_map() {
    Fd fd(::open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    std::string text;
    if (read_fd_to_end(fd.get(), text, 65536) != 0) return false;
    unsigned long a = 0, b = 0, c = 0;
    return std::sscanf(text.c_str(), "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 &&
           c == 4294967295UL;
}

bool rootless() {
    if (g.rootless == "true") return true;
    if (g.rootless == "false") return false;
    return ::geteuid() != 0 || !full_uid_map();
}

std::string default_root() {
    if (rootless()) {
        const char* xdg = ::getenv("XDG_RUNTIME_DIR");
        if (xdg && *xdg == '/') return std::string(xdg) + "/burrow-oci";
    }
    return "/run/burrow-oci";
}

// [A-Za-z0-9_.+-]+, not "." nor "..": one path component, never a path.
void validate_id(const std::string& id) {
    if (id.empty()) die("container id must not be empty");
    if (id == "." || id == "..") die("invalid container id \"" + id + "\"");
    if (id.size() > 1024) die("invalid container id: longer than 1024 bytes");
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' ||
              c == '-'))
            die("invalid container id \"" + id + "\": only [A-Za-z0-9_.+-] are allowed");
}

// The root (created 0700 when missing, parents included): the caller's
// choice of path, then opened without following a final symlink.
// Compiled seccomp programs, kept between containers (policy/oci/
// seccomp_cache.hpp): in the state root, under a name no container id can
// take ('@' is not allowed in one).
std::string seccomp_cache_dir() {
    return (g.root.empty() ? default_root() : g.root) + "/@seccomp-cache";
}

Fd open_root(bool create) {
    const std::string root = g.root.empty() ? default_root() : g.root;
    if (root.empty() || root[0] != '/') die("--root " + root + ": must be an absolute path");
    if (create) {
        for (size_t i = 1; i <= root.size(); ++i)
            if (i == root.size() || root[i] == '/') {
                const std::string part = root.substr(0, i);
                if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
                    die_errno("cannot create state root " + part);
            }
    }
    Fd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return Fd();
        die_errno("state root " + root);
    }
    return fd;
}

std::string read_small_at(int dirfd, const char* name, const std::string& what) {
    Fd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) die_errno(what);
    struct stat s {};
    if (::fstat(fd.get(), &s) != 0) die_errno(what);
    if (!S_ISREG(s.st_mode)) die(what + ": not a regular file");
    std::string text;
    if (const int e = read_fd_to_end(fd.get(), text, 1 << 20)) die_errno(what, e);
    return text;
}

// Atomically: a temporary name in the same directory, then rename.
void write_atomic_at(int dirfd, const std::string& name, const std::string& text, mode_t mode,
                     const std::string& what) {
    const std::string tmp = "." + name + ".tmp";
    ::unlinkat(dirfd, tmp.c_str(), 0);
    Fd fd(::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) die_errno(what);
    if (const int e = write_all(fd.get(), text)) {
        ::unlinkat(dirfd, tmp.c_str(), 0);
        die_errno(what, e);
    }
    fd.reset();
    if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
        const int e = errno;
        ::unlinkat(dirfd, tmp.c_str(), 0);
        die_errno(what, e);
    }
}

// --pid-file: the caller's path; its directory is the caller's choice.
void write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return;
    const auto slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.empty()) die("--pid-file " + path + ": not a file name");
    Fd d(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!d) die_errno("--pid-file " + path);
    write_atomic_at(d.get(), base, std::to_string(pid), 0644, "--pid-file " + path);
}

struct Container {
    Fd dir;
    State st;
    std::string status;
};

Container load_container(const std::string& id) {
    validate_id(id);
    Fd root = open_root(false);
    if (!root) die("container \"" + id + "\" does not exist");
    Container c;
    c.dir.reset(::openat(root.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!c.dir) {
        if (errno == ENOENT) die("container \"" + id + "\" does not exist");
        if (errno == ELOOP || errno == ENOTDIR)
            die("container \"" + id + "\": state directory is not a directory (refused)");
        die_errno("container \"" + id + "\"");
    }
    c.st = parse_state_file(read_small_at(c.dir.get(), kStateFile, "state of \"" + id + "\""));
    if (c.st.id != id) die("container \"" + id + "\": state file names another container");
    c.status = status_of(c.st, c.dir.get());
    return c;
}

// Removes ROOT/ID and what is in it (files only: we create nothing else).
void remove_state_dir(const std::string& id) {
    Fd root = open_root(false);
    if (!root) return;
    Fd dir(::openat(root.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir) {
        DIR* d = ::fdopendir(::dup(dir.get()));
        if (d) {
            std::vector<std::string> names;
            while (const dirent* e = ::readdir(d))
                if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                    names.emplace_back(e->d_name);
            ::closedir(d);
            for (const auto& n : names)
                if (::unlinkat(dir.get(), n.c_str(), 0) != 0 && errno == EISDIR)
                    ::unlinkat(dir.get(), n.c_str(), AT_REMOVEDIR);
        }
    }
    if (::unlinkat(root.get(), id.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        die_errno("cannot remove the state of \"" + id + "\"");
}

int pidfd_open_verified(const State& st) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0));
    if (fd < 0) return -1;
    // After the pidfd exists the pid cannot be reused under it: check that
    // it is still the process we started.
    if (session::process_start_time(st.pid) != st.start_time) {
        ::close(fd);
        errno = ESRCH;
        return -1;
    }
    return fd;
}

// ---- hooks ----------------------------------------------------------------

// One hook: the state on its stdin, its own stdout/stderr, a timeout. On
// the host, or, with `inside`, joined to the container (its namespaces, the
// container's user and capabilities, hardened as an exec'd process) with
// the path resolved there (startContainer).
void run_hook(const Hook& h, const std::string& state, const char* which,
              const join::JoinSpec* inside = nullptr) {
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = h.env;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    // A socket, so that a hook that never reads its stdin gives EPIPE
    // (MSG_NOSIGNAL), not SIGPIPE.
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die_errno(std::string(which) + " hook " + h.path);
    Fd mine(sv[0]), theirs(sv[1]);
    const pid_t pid = ::fork();
    if (pid < 0) die_errno(std::string(which) + " hook " + h.path);
    if (pid == 0) {
        // Our end closed here too: a joined hook runs under processes of
        // ours that never exec, so close-on-exec alone would keep it open
        // and the hook would never see the end of its stdin.
        ::close(mine.get());
        ::shutdown(theirs.get(), SHUT_WR);
        if (::dup2(theirs.get(), 0) < 0) ::_exit(127);
        if (inside) {
            join::JoinSpec spec = *inside;
            spec.program = h.path;
            spec.argv = args;
            spec.env = h.env;
            ::_exit(join::run_joined(spec));
        }
        ::execve(h.path.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    theirs.reset();
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    (void)send_all(mine.get(), state); // a hook that does not read it is no error
    mine.reset();
    const int ms = h.timeout_s ? *h.timeout_s * 1000 : -1;
    if (pidfd && !launch::wait_pidfd(pidfd.get(), ms)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        die(std::string(which) + " hook " + h.path + ": timed out after " +
            std::to_string(*h.timeout_s) + " s");
    }
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) die_errno(std::string(which) + " hook " + h.path);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return;
    die(std::string(which) + " hook " + h.path + ": " +
        (WIFEXITED(ws) ? "exited with status " + std::to_string(WEXITSTATUS(ws))
                       : "killed by signal " + std::to_string(WTERMSIG(ws))));
}

void run_hooks(const std::vector<Hook>& hooks, const std::string& state, const char* which,
               const join::JoinSpec* inside = nullptr) {
    for (const auto& h : hooks) run_hook(h, state, which, inside);
}

// ---- cgroups ----------------------------------------------------------------

void write_file(const std::string& path, const std::string& value) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) die_errno("cgroup: " + path);
    if (const int e = write_all(fd.get(), value)) die_errno("cgroup: " + path + " = " + value, e);
}

bool exists(const std::string& p) {
    struct stat s {};
    return ::stat(p.c_str(), &s) == 0;
}

// mkdir -p below a cgroup mount; refuses "..".
void mkdir_below(const std::string& base, const std::string& rel) {
    std::string cur = base;
    size_t i = 0;
    while (i < rel.size()) {
        const size_t j = rel.find('/', i);
        const std::string part = rel.substr(i, j == std::string::npos ? std::string::npos : j - i);
        i = j == std::string::npos ? rel.size() : j + 1;
        if (part.empty()) continue;
        if (part == "." || part == "..") die("cgroupsPath: \"..\" and \".\" are not allowed");
        cur += "/" + part;
        if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) die_errno("cgroup: mkdir " + cur);
    }
}

// linux.cgroupsPath as written (runc's cgroupfs driver): the v2 tree when
// the unified hierarchy holds the controllers, else the v1 hierarchies.
// Rootless: not managed (the caller's delegation is not ours to assume).
void setup_cgroups(const Bundle& b, pid_t pid, State& st) {
    if (b.cgroups_path.empty()) return;
    if (st.rootless) {
        warn("cgroups: rootless: linux.cgroupsPath and resources are not applied");
        return;
    }
    std::string rel = b.cgroups_path;
    if (g.systemd_cgroup || rel.find(':') != std::string::npos) {
        warn("cgroups: systemd slices (" + rel + ") are not supported: not applied");
        return;
    }
    const Resources& r = b.resources;
    if (exists("/sys/fs/cgroup/cgroup.controllers")) {
        mkdir_below("/sys/fs/cgroup", rel);
        const std::string dir = "/sys/fs/cgroup/" + (rel[0] == '/' ? rel.substr(1) : rel);
        st.cgroup_dirs.push_back(dir);
        if (r.memory_limit)
            write_file(dir + "/memory.max",
                       *r.memory_limit < 0 ? "max" : std::to_string(*r.memory_limit));
        if (r.pids_limit)
            write_file(dir + "/pids.max",
                       *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit));
        if (r.cpu_quota || r.cpu_period)
            write_file(dir + "/cpu.max", (r.cpu_quota ? std::to_string(*r.cpu_quota) : "max") +
                                             " " + std::to_string(r.cpu_period.value_or(100000)));
        write_file(dir + "/cgroup.procs", std::to_string(pid));
        st.freezer = dir + "/cgroup.freeze";
        return;
    }
    for (const char* ctrl : {"pids", "memory", "cpu", "freezer"}) {
        const std::string base = std::string("/sys/fs/cgroup/") + ctrl;
        if (!exists(base + "/cgroup.procs")) continue;
        mkdir_below(base, rel);
        const std::string dir = base + "/" + (rel[0] == '/' ? rel.substr(1) : rel);
        st.cgroup_dirs.push_back(dir);
        const std::string c = ctrl;
        if (c == "pids" && r.pids_limit)
            write_file(dir + "/pids.max",
                       *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit));
        if (c == "memory" && r.memory_limit)
            write_file(dir + "/memory.limit_in_bytes", std::to_string(*r.memory_limit));
        if (c == "cpu") {
            if (r.cpu_period) write_file(dir + "/cpu.cfs_period_us", std::to_string(*r.cpu_period));
            if (r.cpu_quota) write_file(dir + "/cpu.cfs_quota_us", std::to_string(*r.cpu_quota));
            if (r.cpu_shares) write_file(dir + "/cpu.shares", std::to_string(*r.cpu_shares));
        }
        if (c == "freezer") st.freezer = dir + "/freezer.state";
        write_file(dir + "/cgroup.procs", std::to_string(pid));
    }
}

void remove_cgroups(const State& st) {
    for (const auto& d : st.cgroup_dirs)
        for (int i = 0; i < 50; ++i) {
            if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
            if (errno != EBUSY) {
                warn("cgroup: rmdir " + d + ": " + std::strerror(errno));
                break;
            }
            const struct timespec t { 0, 10 * 1000 * 1000 };
            ::nanosleep(&t, nullptr);
        }
}

std::vector<pid_t> cgroup_pids(const State& st) {
    std::vector<pid_t> pids;
    if (st.cgroup_dirs.empty()) return pids;
    Fd fd(::open((st.cgroup_dirs.front() + "/cgroup.procs").c_str(), O_RDONLY | O_CLOEXEC));
    std::string text;
    if (!fd || read_fd_to_end(fd.get(), text, 1 << 22) != 0) return pids;
    size_t i = 0;
    while (i < text.size()) {
        const size_t j = text.find('\n', i);
        const std::string line = text.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (!line.empty()) pids.push_back(static_cast<pid_t>(std::stol(line)));
        if (j == std::string::npos) break;
        i = j + 1;
    }
    return pids;
}

// ---- terminal ---------------------------------------------------------------

// --console-socket: connected here, used by the container's init, which
// sends the master of a pty of its own devpts over it (SCM_RIGHTS: what
// conmon and the containerd shim expect, as runc sends it).
Fd connect_console(const std::string& path) {
    Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) die_errno("--console-socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) die("--console-socket " + path + ": path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        die_errno("--console-socket " + path);
    return s;
}

// ---- create / start -----------------------------------------------------------

struct CreateOpts {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    int preserve_fds = 0;
    bool no_pivot = false;
    bool no_new_keyring = false;
};

std::string absolute(const std::string& p) {
    if (!p.empty() && p[0] == '/') return p;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) die_errno("getcwd");
    return std::string(cwd) + (p == "." ? "" : "/" + p);
}

// Undoes a create that failed half-way: the init killed and reaped, its
// cgroups and the state dir removed. Nothing is left behind.
struct CreateGuard {
    std::string id;
    bool state_dir = false;
    pid_t child = 0;
    const State* st = nullptr;
    bool committed = false;
    ~CreateGuard() {
        if (committed) return;
        if (child > 0) {
            ::kill(child, SIGKILL);
            while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        if (st) remove_cgroups(*st);
        if (state_dir) try {
                remove_state_dir(id);
            } catch (const std::exception&) {
            }
    }
};

// Returns the init's pid (our child, blocked on the exec fifo).
pid_t do_create(const CreateOpts& o) {
    validate_id(o.id);
    const bool rl = rootless();
    if (o.preserve_fds < 0) die("--preserve-fds must not be negative");
    const std::string bundle_dir = absolute(o.bundle);
    LoadOptions lo;
    lo.rootless = rl;
    lo.seccomp_cache_dir = seccomp_cache_dir();
    Bundle b = [&] {
        try {
            return load_bundle(bundle_dir, lo);
        } catch (const ConfigError& e) {
            die(e.what());
        }
    }();
    for (const auto& n : b.notes) warn(n);
    if (b.terminal && o.console_socket.empty())
        die("process.terminal is set: --console-socket is required");
    if (!b.terminal && !o.console_socket.empty())
        die("--console-socket given but process.terminal is false");

    Fd root = open_root(true);
    CreateGuard guard;
    guard.id = o.id;
    if (::mkdirat(root.get(), o.id.c_str(), 0700) != 0) {
        if (errno == EEXIST) die("container \"" + o.id + "\" already exists");
        die_errno("cannot create the state of \"" + o.id + "\"");
    }
    guard.state_dir = true;
    Fd dir(::openat(root.get(), o.id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) die_errno("state of \"" + o.id + "\"");
    if (::mkfifoat(dir.get(), kExecFifo, 0600) != 0) die_errno("exec fifo");
    // O_RDWR: never blocks, and the init's read waits for data, not for a
    // writer (with a reader-only fd a read sees EOF as soon as none exists).
    Fd fifo(::openat(dir.get(), kExecFifo, O_RDWR | O_NOFOLLOW | O_CLOEXEC));
    if (!fifo) die_errno("exec fifo");

    State st;
    st.oci_version = b.oci_version;
    st.id = o.id;
    st.bundle = bundle_dir;
    st.annotations = b.annotations;
    st.created = now_rfc3339();
    st.rootless = rl;

    Sandbox sb = b.sandbox;
    sb.proc.detach = true;
    sb.proc.die_with_parent = false;
    sb.status.block_fd = fifo.get();
    sb.diag.prog = "burrow";
    for (int i = 0; i < o.preserve_fds; ++i) sb.proc.keep_fds.push_back(3 + i);
    // If we die before the commit below (SIGKILLed during a hook), the
    // init sees the end of this socket and exits instead of waiting
    // forever. A socket: the commit byte is sent with MSG_NOSIGNAL (an init
    // that died gives EPIPE, not our death by SIGPIPE).
    int commit_pipe[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, commit_pipe) != 0)
        die_errno("create: socketpair");
    Fd commit_read(commit_pipe[0]), commit_write(commit_pipe[1]);
    sb.status.commit_fd = commit_read.get();
    sb.status.commit_write_fd = commit_write.get();

    // The hooks in the spec's order. prestart and createRuntime: here, in
    // the runtime's namespaces, once the container's exist (the child waits
    // before building its tree: pre_pivot.caller_first). createContainer:
    // "in the container namespace, before pivot_root", path resolved in the
    // runtime's: the runtime's child runs them between the finished tree
    // and its final pivot_root, chrooted to our root, with the container's
    // tree shown at root.path (runtime/pre_pivot.hpp).
    BeforeTree runtime_hooks;
    std::string hook_error;
    if (!b.hooks.prestart.empty() || !b.hooks.create_runtime.empty()) {
        sb.pre_pivot.caller_first = true;
        runtime_hooks = [&](pid_t pid) -> std::string {
            st.pid = pid;
            st.start_time = session::process_start_time(pid);
            const std::string state = state_json(st, "created");
            try {
                run_hooks(b.hooks.prestart, state, "prestart");
                run_hooks(b.hooks.create_runtime, state, "createRuntime");
            } catch (const CmdError& e) {
                hook_error = e.what();
            }
            return hook_error;
        };
    }
    if (!b.hooks.create_container.empty()) {
        const auto [before, after] = state_json_around_pid(st, "created");
        for (const Hook& h : b.hooks.create_container) {
            PrePivotProgram p;
            p.name = "createContainer hook " + h.path;
            p.path = h.path;
            p.argv = h.args;
            p.env = h.env;
            p.timeout_s = h.timeout_s.value_or(0);
            p.stdin_prefix = before;
            p.stdin_suffix = after;
            sb.pre_pivot.programs.push_back(std::move(p));
        }
        sb.pre_pivot.tree_at = b.root_path;
    }

    Fd console;
    if (b.terminal) {
        console = connect_console(o.console_socket);
        sb.proc.console_socket_fd = console.get();
        sb.proc.new_session = false; // the terminal's session instead
    }
    const RunResult r = run_sandbox_report(sb, runtime_hooks);
    console.reset();
    commit_read.reset();
    if (r.setup_failed || r.child_pid <= 0)
        throw CmdError(!hook_error.empty()
                           ? hook_error
                           : "container \"" + o.id + "\": setup failed" +
                                 (r.setup_stage.empty() ? "" : " (stage " + r.setup_stage + ")"),
                       true);
    guard.child = r.child_pid;
    st.pid = r.child_pid;
    st.start_time = session::process_start_time(st.pid);
    guard.st = &st;
    setup_cgroups(b, st.pid, st);
    write_atomic_at(dir.get(), kStateFile, state_file_json(st), 0600, "state of \"" + o.id + "\"");
    write_pid_file(o.pid_file, st.pid);
    if (const int e = send_all(commit_write.get(), "C"))
        die("container \"" + o.id + "\": its init is gone: " + std::strerror(e));
    guard.committed = true;
    return st.pid;
}

void do_start(const std::string& id) {
    Container c = load_container(id);
    if (c.status != "created")
        die("cannot start container \"" + id + "\": it is " + c.status + ", not created");
    // The hooks only: start (podman calls it for every container) does no
    // mount, namespace or seccomp work of config.json's.
    Hooks hooks;
    bool have_hooks = false;
    try {
        hooks = load_hooks(c.st.bundle);
        have_hooks = true;
    } catch (const std::exception& e) {
        warn("start: bundle " + c.st.bundle + ": " + e.what() + " (hooks not run)");
    }
    if (have_hooks && !hooks.start_container.empty()) {
        // The container process's ids and capabilities: the whole config.
        LoadOptions lo;
        lo.rootless = c.st.rootless;
        lo.seccomp_cache_dir = seccomp_cache_dir();
        const Bundle b = [&] {
            try {
                return load_bundle(c.st.bundle, lo);
            } catch (const ConfigError& e) {
                die(std::string("start: ") + e.what());
            }
        }();
        // In the container's namespaces, path resolved there (the spec),
        // with the container process's ids and capabilities, no more.
        Fd pidfd(pidfd_open_verified(c.st));
        if (!pidfd) die("cannot start container \"" + id + "\": its init is gone");
        join::JoinSpec inside;
        inside.pidfd = pidfd.get();
        inside.ns_flags = launch::namespaces_to_join(session::process_namespaces(c.st.pid));
        inside.cwd = "/";
        inside.set_ids = true;
        inside.uid = b.sandbox.ids.uid;
        inside.gid = b.sandbox.ids.gid;
        inside.cap_sets = b.sandbox.proc.cap_sets.value_or(CapSets{});
        inside.new_session = true;
        inside.prog = "burrow: startContainer hook";
        run_hooks(hooks.start_container, state_json(c.st, "created"), "startContainer", &inside);
    }
    Fd fifo(::openat(c.dir.get(), kExecFifo, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!fifo) {
        if (errno == ENXIO) die("cannot start container \"" + id + "\": its init is gone");
        die_errno("cannot start container \"" + id + "\": exec fifo");
    }
    struct stat s {};
    if (::fstat(fifo.get(), &s) != 0 || !S_ISFIFO(s.st_mode))
        die("cannot start container \"" + id + "\": exec fifo is not a fifo");
    const char go = '0';
    ssize_t n;
    do n = ::write(fifo.get(), &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) die_errno("cannot start container \"" + id + "\": exec fifo");
    if (::unlinkat(c.dir.get(), kExecFifo, 0) != 0) die_errno("exec fifo");
    if (have_hooks) try {
            run_hooks(hooks.poststart, state_json(c.st, "running"), "poststart");
        } catch (const CmdError& e) {
            // The spec: a poststart failure is logged, the container runs on.
            warn(e.what());
        }
}

// ---- kill / delete ------------------------------------------------------------

int parse_signal(std::string s) {
    if (s.empty()) die("empty signal");
    if (std::isdigit(static_cast<unsigned char>(s[0]))) {
        char* end = nullptr;
        const long v = std::strtol(s.c_str(), &end, 10);
        if (*end || v <= 0 || v >= NSIG) die("invalid signal \"" + s + "\"");
        return static_cast<int>(v);
    }
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    static const std::map<std::string, int> names{
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
        {"SYS", SIGSYS}};
    if (auto it = names.find(s); it != names.end()) return it->second;
    if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
        const bool min = s[3] == 'I';
        const std::string rest = s.substr(5);
        int off = 0;
        if (!rest.empty()) {
            char* end = nullptr;
            off = static_cast<int>(std::strtol(rest.c_str(), &end, 10));
            if (*end) die("invalid signal \"" + s + "\"");
        }
        const int sig = min ? SIGRTMIN + off : SIGRTMAX + off;
        if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
    }
    die("invalid signal \"" + s + "\"");
}

void do_kill(const std::string& id, const std::string& sigtext, bool all) {
    const int sig = parse_signal(sigtext);
    Container c = load_container(id);
    if (c.status == "stopped") die("container \"" + id + "\" is not running");
    Fd pidfd(pidfd_open_verified(c.st));
    if (!pidfd) die("container \"" + id + "\" is not running");
    if (all)
        for (pid_t p : cgroup_pids(c.st))
            if (p != c.st.pid) ::kill(p, sig);
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) != 0 && errno != ESRCH)
        die_errno("kill \"" + id + "\"");
}

void thaw(const State& st) {
    if (st.freezer.empty()) return;
    const bool v2 = st.freezer.size() > 6 && st.freezer.substr(st.freezer.size() - 6) == "freeze";
    try {
        write_file(st.freezer, v2 ? "0" : "THAWED");
    } catch (const std::exception&) {
    }
}

void do_delete(const std::string& id, bool force) {
    validate_id(id);
    // A create killed before it wrote its state leaves a directory without
    // state.json (no init was left: it died with create's guard, or saw the
    // end of the commit socket, or never started): --force removes it.
    if (force) {
        Fd root = open_root(false);
        Fd dir(
            root ? ::openat(root.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                 : -1);
        // No such container at all: nothing to do (runc and crun exit 0
        // too; podman calls delete --force after a create that failed).
        if (!dir && (!root || errno == ENOENT)) return;
        struct stat s {};
        if (dir && ::fstatat(dir.get(), kStateFile, &s, AT_SYMLINK_NOFOLLOW) != 0 &&
            errno == ENOENT) {
            dir.reset();
            remove_state_dir(id);
            return;
        }
    }
    Container c = load_container(id);
    if ((c.status == "running" || c.status == "paused") && !force)
        die("cannot delete container \"" + id + "\" that is not stopped: " + c.status);
    if (c.status != "stopped") {
        Fd pidfd(pidfd_open_verified(c.st));
        if (pidfd) {
            for (pid_t p : cgroup_pids(c.st)) ::kill(p, SIGKILL);
            ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
            thaw(c.st);
            if (!launch::wait_pidfd(pidfd.get(), 10000))
                die("container \"" + id + "\": still running 10 s after SIGKILL");
        }
    }
    remove_cgroups(c.st);
    try {
        run_hooks(load_hooks(c.st.bundle).poststop, state_json(c.st, "stopped"), "poststop");
    } catch (const std::exception& e) {
        // The spec: a poststop failure is logged, delete goes on.
        warn(std::string("poststop: ") + e.what());
    }
    c.dir.reset();
    remove_state_dir(id);
}

// ---- run (foreground) ------------------------------------------------------------

// Waits for our child, the container's init, forwarding the usual signals;
// returns its status (128+N for signal N).
int wait_foreground(pid_t pid) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    Fd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!sfd || !pidfd) die_errno("run: wait");
    for (;;) {
        pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die_errno("run: poll");
        }
        if (p[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (::read(sfd.get(), &si, sizeof si) == sizeof si)
                ::syscall(SYS_pidfd_send_signal, pidfd.get(), static_cast<int>(si.ssi_signo),
                          nullptr, 0);
        }
        if (p[0].revents & POLLIN) break;
    }
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) die_errno("run: waitpid");
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

// ---- exec ---------------------------------------------------------------------

struct ExecOpts {
    std::string id;
    std::string process;
    std::vector<std::string> args;
    bool detach = false;
    std::string pid_file;
    bool tty = false;
    std::string console_socket;
    std::string cwd;
    std::vector<std::string> env;
    std::string user;
    int preserve_fds = 0;
};

int do_exec(const ExecOpts& o) {
    Container c = load_container(o.id);
    if (c.status == "stopped") die("cannot exec in container \"" + o.id + "\": it is stopped");
    if (c.status == "paused") die("cannot exec in container \"" + o.id + "\": it is paused");
    Fd pidfd(pidfd_open_verified(c.st));
    if (!pidfd) die("cannot exec in container \"" + o.id + "\": it is stopped");
    LoadOptions lo;
    lo.rootless = c.st.rootless;
    lo.seccomp_cache_dir = seccomp_cache_dir();
    Bundle b = [&] {
        try {
            return load_bundle(c.st.bundle, lo);
        } catch (const ConfigError& e) {
            die(std::string("exec: ") + e.what());
        }
    }();
    Sandbox sb = b.sandbox;
    bool terminal = false;
    try {
        if (!o.process.empty()) {
            std::string text, why;
            if (read_regular_file(o.process, 4 << 20, text, why) != ReadFileError::none)
                die("--process " + o.process + ": " + why);
            apply_process(text, o.process, sb, terminal);
        } else {
            if (o.args.empty()) die("exec: no command given (ARGS or --process)");
            std::vector<std::string> env = sb.proc.env;
            for (const auto& e : o.env) env.push_back(e);
            // Without --user: the container's own user, as runc.
            const std::string user =
                o.user.empty() ? std::to_string(sb.ids.uid) + ":" + std::to_string(sb.ids.gid)
                               : o.user;
            apply_process(process_json(o.args, o.cwd.empty() ? sb.proc.chdir.value_or("/") : o.cwd,
                                       env, user, o.tty),
                          "exec", sb, terminal);
        }
    } catch (const ConfigError& e) {
        die(e.what());
    } catch (const std::runtime_error& e) {
        die(e.what());
    }
    // A terminal: the process opens a pty of the container's own devpts
    // once it has joined (runtime/console.hpp), sends its master over
    // --console-socket and takes the slave as its controlling terminal.
    Fd console;
    if (terminal) {
        if (o.console_socket.empty()) die("exec: a terminal needs --console-socket");
        console = connect_console(o.console_socket);
    }
    join::JoinSpec spec;
    spec.pidfd = pidfd.get();
    spec.ns_flags = launch::namespaces_to_join(session::process_namespaces(c.st.pid));
    spec.argv = sb.proc.argv;
    spec.env = sb.proc.env;
    spec.cwd = sb.proc.chdir.value_or("/");
    // process.user (or --user): the ids inside the container's user
    // namespace; supplementary groups only where setgroups is allowed.
    spec.set_ids = true;
    spec.uid = sb.ids.uid;
    spec.gid = sb.ids.gid;
    if (sb.proc.supplementary_gids) spec.groups = *sb.proc.supplementary_gids;
    // JoinSpec takes one program: the container's last (its own profile).
    if (!sb.seccomp_programs.empty()) spec.seccomp = sb.seccomp_programs.back();
    for (int i = 0; i < o.preserve_fds; ++i) spec.keep_fds.push_back(3 + i);
    // process.capabilities (or the container's), and its rlimits.
    spec.cap_sets = sb.proc.cap_sets.value_or(CapSets{});
    spec.rlimits = sb.limits.rlimits;
    spec.console_socket_fd = console.get();
    spec.new_session = !terminal; // with a terminal: the terminal's session
    if (!o.detach) return join::run_joined(spec);
    // --detach: a process of ours runs the join and ends with the command's
    // status; its pid goes to --pid-file, and when we exit it is reparented
    // to the caller's subreaper (conmon), which waits for it.
    const pid_t pid = ::fork();
    if (pid < 0) die_errno("exec: fork");
    if (pid == 0) ::_exit(join::run_joined(spec));
    write_pid_file(o.pid_file, pid);
    return 0;
}

// ---- ps / pause / resume -----------------------------------------------------------

std::vector<pid_t> container_pids(const Container& c) {
    std::vector<pid_t> pids = cgroup_pids(c.st);
    if (!pids.empty()) return pids;
    // No cgroup of ours: the processes of its pid namespace, if it has one.
    const auto init_ns = session::process_namespaces(c.st.pid);
    const auto own = session::process_namespaces(::getpid());
    const auto it = init_ns.find("pid");
    if (it == init_ns.end() || (own.count("pid") && own.at("pid") == it->second)) return {c.st.pid};
    DIR* d = ::opendir("/proc");
    if (!d) return {c.st.pid};
    while (const dirent* e = ::readdir(d)) {
        char* end = nullptr;
        const long v = std::strtol(e->d_name, &end, 10);
        if (*end || v <= 0) continue;
        const auto ns = session::process_namespaces(static_cast<pid_t>(v));
        if (auto p = ns.find("pid"); p != ns.end() && p->second == it->second)
            pids.push_back(static_cast<pid_t>(v));
    }
    ::closedir(d);
    return pids;
}

void do_ps(const std::string& id, const std::string& format) {
    Container c = load_container(id);
    if (c.status == "stopped") die("container \"" + id + "\" is not running");
    const auto pids = container_pids(c);
    if (format == "json") {
        std::string out = "[";
        for (size_t i = 0; i < pids.size(); ++i) out += (i ? "," : "") + std::to_string(pids[i]);
        std::printf("%s]\n", out.c_str());
        return;
    }
    std::printf("%-8s %s\n", "PID", "CMD");
    for (pid_t p : pids) {
        std::string comm;
        Fd fd(::open(("/proc/" + std::to_string(p) + "/comm").c_str(), O_RDONLY | O_CLOEXEC));
        if (fd) (void)read_fd_to_end(fd.get(), comm, 256);
        if (!comm.empty() && comm.back() == '\n') comm.pop_back();
        std::printf("%-8d %s\n", p, comm.c_str());
    }
}

void do_freeze(const std::string& id, bool pause) {
    Container c = load_container(id);
    if (pause && c.status != "running")
        die("cannot pause container \"" + id + "\": it is " + c.status);
    if (!pause && c.status != "paused")
        die("cannot resume container \"" + id + "\": it is " + c.status + ", not paused");
    if (c.st.freezer.empty())
        die(std::string(pause ? "pause" : "resume") + " \"" + id +
            "\": no cgroup freezer for this container (rootless, or no linux.cgroupsPath)");
    const bool v2 =
        c.st.freezer.size() > 6 && c.st.freezer.substr(c.st.freezer.size() - 6) == "freeze";
    write_file(c.st.freezer, v2 ? (pause ? "1" : "0") : (pause ? "FROZEN" : "THAWED"));
}

void do_spec(const std::string& bundle, bool rl) {
    const std::string dir = bundle.empty() ? "." : bundle;
    Fd d(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!d) die_errno("spec: " + dir);
    Fd fd(::openat(d.get(), "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   0644));
    if (!fd) {
        if (errno == EEXIST) die("spec: " + dir + "/config.json exists already");
        die_errno("spec: " + dir + "/config.json");
    }
    if (const int e = write_all(fd.get(), default_spec_json(rl)))
        die_errno("spec: " + dir + "/config.json", e);
}

} // namespace

int oci_main(int argc, char** argv, int first) {
    CLI::App app{"burrow oci: the OCI runtime command line (runc/crun compatible); see "
                 "burrow-oci(1)",
                 "burrow oci"};
    app.require_subcommand(1);
    app.add_option("--root", g.root,
                   "state directory (default /run/burrow-oci, rootless "
                   "$XDG_RUNTIME_DIR/burrow-oci)");
    app.add_option("--log", g.log, "append errors and warnings to this file");
    app.add_option("--log-format", g.log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--systemd-cgroup", g.systemd_cgroup,
                 "accepted; systemd slices are not supported (cgroupsPath not applied)");
    app.add_flag("--debug", g.debug, "print warnings on stderr too");
    app.add_option("--rootless", g.rootless, "true, false or auto (default)")
        ->expected(0, 1)
        ->default_str("auto");

    CreateOpts co;
    auto add_create_opts = [&co](CLI::App* s) {
        s->add_option("--bundle,-b", co.bundle, "bundle directory (default: the current one)");
        s->add_option("--pid-file", co.pid_file, "write the init's pid here");
        s->add_option("--console-socket", co.console_socket,
                      "unix socket receiving the terminal's master (process.terminal)");
        s->add_option("--preserve-fds", co.preserve_fds, "pass fds 3..3+N-1 to the container");
        s->add_flag("--no-pivot", co.no_pivot, "accepted, ignored (pivot_root is always used)");
        s->add_flag("--no-new-keyring", co.no_new_keyring, "accepted (no session keyring is made)");
        s->add_option("id", co.id, "container id")->required();
    };
    auto* create = app.add_subcommand("create", "create a container (its init waits for start)");
    add_create_opts(create);
    bool run_detach = false;
    auto* run = app.add_subcommand("run", "create and start a container");
    add_create_opts(run);
    run->add_flag("--detach,-d", run_detach, "return once started");
    std::string id;
    auto* start = app.add_subcommand("start", "start a created container");
    start->add_option("id", id, "container id")->required();
    bool force = false;
    auto* state = app.add_subcommand("state", "print the state of a container (JSON)");
    state->add_option("id", id, "container id")->required();
    std::string sig = "TERM";
    bool all = false;
    auto* kill = app.add_subcommand("kill", "send a signal to the container's init");
    kill->add_flag("--all,-a", all, "to every process of its cgroup");
    kill->add_option("id", id, "container id")->required();
    kill->add_option("signal", sig, "name (with or without SIG) or number; default TERM");
    auto* del = app.add_subcommand("delete", "delete a container");
    del->add_flag("--force,-f", force, "kill it first if it runs");
    del->add_option("id", id, "container id")->required();
    ExecOpts eo;
    auto* exec = app.add_subcommand("exec", "run a process in a running container");
    exec->add_option("--process,-p", eo.process, "process.json (the config's process object)");
    exec->add_flag("--detach,-d", eo.detach, "return at once; the pid goes to --pid-file");
    exec->add_option("--pid-file", eo.pid_file, "write the process's pid here");
    exec->add_flag("--tty,-t", eo.tty, "a terminal (its master to --console-socket)");
    exec->add_option("--console-socket", eo.console_socket, "with --tty");
    exec->add_option("--cwd", eo.cwd, "working directory inside");
    exec->add_option("--env,-e", eo.env, "NAME=VALUE, added to the container's environment");
    exec->add_option("--user,-u", eo.user, "UID[:GID]");
    exec->add_option("--preserve-fds", eo.preserve_fds, "pass fds 3..3+N-1");
    exec->add_option("id", eo.id, "container id")->required();
    exec->add_option("args", eo.args, "command and arguments");
    exec->positionals_at_end();
    std::string format = "table";
    auto* ps = app.add_subcommand("ps", "list the container's processes");
    ps->add_option("--format,-f", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    ps->add_option("id", id, "container id")->required();
    auto* pause = app.add_subcommand("pause", "freeze a running container (cgroup freezer)");
    pause->add_option("id", id, "container id")->required();
    auto* resume = app.add_subcommand("resume", "thaw a paused container");
    resume->add_option("id", id, "container id")->required();
    app.add_subcommand("features", "print the runtime's features (JSON)");
    std::string spec_bundle;
    bool spec_rootless = false;
    auto* spec = app.add_subcommand("spec", "write a default config.json");
    spec->add_option("--bundle,-b", spec_bundle, "where (default: the current directory)");
    spec->add_flag("--rootless", spec_rootless, "for a rootless container");

    std::vector<std::string> args;
    for (int i = argc - 1; i >= first; --i) args.emplace_back(argv[i]);
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        report_failure(e.what());
        return 1;
    }
    if (g.rootless.empty()) g.rootless = "true";
    try {
        if (create->parsed()) {
            do_create(co);
        } else if (run->parsed()) {
            const pid_t pid = do_create(co);
            do_start(co.id);
            if (run_detach) return 0;
            const int status = wait_foreground(pid);
            do_delete(co.id, true);
            return status;
        } else if (start->parsed()) {
            do_start(id);
        } else if (state->parsed()) {
            Container c = load_container(id);
            std::printf("%s\n", state_json(c.st, c.status).c_str());
        } else if (kill->parsed()) {
            do_kill(id, sig, all);
        } else if (del->parsed()) {
            do_delete(id, force);
        } else if (exec->parsed()) {
            return do_exec(eo);
        } else if (ps->parsed()) {
            do_ps(id, format);
        } else if (pause->parsed()) {
            do_freeze(id, true);
        } else if (resume->parsed()) {
            do_freeze(id, false);
        } else if (app.get_subcommand("features")->parsed()) {
            std::printf("%s\n", features_json().c_str());
        } else if (spec->parsed()) {
            do_spec(spec_bundle, spec_rootless);
        }
    } catch (const CmdError& e) {
        report_failure(e.what(), e.already_on_stderr);
        return 1;
    } catch (const std::exception& e) {
        report_failure(e.what());
        return 1;
    }
    return 0;
}

} // namespace burrow::oci
