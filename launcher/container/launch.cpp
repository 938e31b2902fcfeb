// The container launch module: the project sandbox run by systemd-nspawn on
// an ephemeral root (launcher/container/root.hpp) whose system is the host's
// /usr and /etc read-only, the shares translated by
// launcher/container/args.cpp, and burrow itself as the payload-side helper
// (launcher/container/exec.cpp) that drops to the caller's uid/gid and
// carries the command's exit status back.
//
// Process tree while it runs:
//   burrow (this) -> systemd-nspawn -> (sd-stubinit), pid 1 inside
//                                         -> burrow __container-exec, root, pid 2
//                                              -> the command, as the caller
// Signals: SIGINT/SIGTERM/SIGHUP/SIGQUIT that burrow gets go straight to the
// helper (pidfd), which passes them on to the command; one that comes before
// the helper runs is sent to it once it does. A second SIGINT/SIGTERM kills
// the container (SIGKILL to its pid 1 and to nspawn).
//
// A SIGKILLed burrow: nspawn dies with it (PR_SET_PDEATHSIG), but nspawn's
// stub pid 1 and the command would not; the Reaper below (a child outside
// burrow's process group) sees burrow's end, kills the container by its
// UUID and removes the per-launch directory. If the reaper is SIGKILLed as
// well, the next container launch does both (container_root.hpp).
//
// --system DIR: the container boots DIR's init as pid 1 instead
// (launcher/container/args.cpp), and the helper runs as its unit
// burrow-command.service, a child of that init:
//   burrow (this) -> systemd-nspawn -> DIR/init, pid 1 inside
//                                        -> burrow __container-exec (the unit)
//                                             -> the command, as the caller
// The unit's stdio is /dev/null: burrow hands its own stdin/stdout/stderr to
// the helper over a socket in the status dir (serve_stdio), or, on a
// terminal, the unit has nspawn's console. When the helper ends, the unit
// makes init shut the container down and exit with the helper's status.
//
// Exit status: the command's (written by the helper into the status dir,
// 128+N for a signal), 128+N when nspawn itself was killed, 125 with one
// line when nspawn failed before the command ran.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/nix/closure.hpp"
#include "runtime/egress/egress.hpp"
#include "launcher/container/args.hpp"
#include "launcher/container/root.hpp"
#include "launcher/container/spec.hpp"
#include "launcher/container/launch.hpp"
#include "launcher/session/registry.hpp"
#include "runtime/fd.hpp"
#include "runtime/fd_passing.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

extern char** environ;

namespace burrow::launch {

namespace {

void say(const std::string& msg) {
    std::fprintf(stderr, "burrow: launch: %s\n", msg.c_str());
}

std::string errstr(const std::string& what, int err = errno) {
    return what + ": " + std::strerror(err);
}

// PATH lookup without a shell; "" when not found.
std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
    const char* path = std::getenv("PATH");
    std::string p =
        path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::stringstream ss(p);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (dir.empty()) continue;
        std::string c = dir + "/" + name;
        struct stat st {};
        if (::stat(c.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(c.c_str(), X_OK) == 0)
            return c;
    }
    return {};
}

// Machine registration needs a system bus that answers and systemd as init
// (machined and a scope); otherwise nspawn runs unregistered in our unit.
bool system_bus_usable() {
    if (::access("/run/systemd/system", F_OK) < 0) return false;
    Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return false;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, "/run/dbus/system_bus_socket");
    return ::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
}

std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> out;
    std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    pid_t c;
    while (f >> c) out.push_back(c);
    return out;
}

// A /proc file of ours (cmdline): capped all the same.
std::string read_small(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) return {};
    std::string out;
    (void)read_fd_to_end(fd.get(), out, 65536); // what was read, also on EFBIG
    if (out.size() > 65536) out.resize(65536);
    return out;
}

// The helper's exit status from the status dir, which the container can
// write (its root may have put a symlink to /dev/zero or a FIFO there):
// opened from the dir fd without following a symlink or blocking, a
// regular file owned by root (the helper writes it as root), at most 16
// bytes read. "" when it is anything else.
std::string read_status(const std::string& status_dir) {
    Fd dir(::open(status_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return {};
    Fd fd(::openat(dir.get(), "status", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) return {};
    char buf[16];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfd_signal(int fd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
}

// The container's pid 1 (stub init) and the helper, once the helper runs:
// only then are the container's mounts complete, so a join sees them.
struct Payload {
    pid_t leader = 0, helper = 0;
    Fd leader_fd, helper_fd;
};

bool find_payload(pid_t nspawn, Payload& p) {
    for (pid_t leader : children_of(nspawn)) {
        for (pid_t h : children_of(leader)) {
            std::string cmd = read_small("/proc/" + std::to_string(h) + "/cmdline");
            if (cmd.find(std::string(container::kMetaInside) + "/burrow") != 0) continue;
            Fd lfd(pidfd_open(leader)), hfd(pidfd_open(h));
            if (!lfd || !hfd) continue;
            // Still the same processes after opening their pidfds.
            if (children_of(nspawn).empty() || children_of(leader).empty()) continue;
            p.leader = leader;
            p.helper = h;
            p.leader_fd = std::move(lfd);
            p.helper_fd = std::move(hfd);
            return true;
        }
    }
    return false;
}

// The private network (the proxy in open mode) and --allow-net: nspawn gave
// the container a network namespace with lo only (--private-network);
// burrow's egress proxy (runtime/egress/, args.hpp container_egress) enters
// it through the container's pid 1, installs its steering and serves it
// from the host's network namespace. Then "ready" in the status dir lets
// the helper run the command; on failure "fail" (the helper exits 125
// without running it) and one line here.
void start_network(const project::ProjectSandbox& ps, pid_t leader, const std::string& status_dir,
                   egress::Running& proxy) {
    const std::string flag = status_dir + "/net";
    try {
        const Egress eg =
            container::container_egress(ps, nullptr); // the proxy (a fork) has its copy
        proxy = egress::launch(eg, leader, -1);
        proxy.wait_ready();
        container::write_new_file(flag, "ready\n", 0644);
    } catch (const std::exception& e) {
        say(e.what());
        proxy.kill();
        try {
            container::write_new_file(flag, "fail\n", 0644);
        } catch (const std::exception&) {
        }
    }
}

// --system: burrow's stdin, stdout and stderr for the helper, which asks
// on the listening socket `listen_fd` once its unit runs. Only the helper
// found as the container's payload gets them (the peer's pid, seen from
// here): anything else in the container that connects is turned away.
// Returns true once they were handed over.
bool serve_stdio(int listen_fd, pid_t helper) {
    for (;;) {
        Fd c(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!c) return false; // EAGAIN: not yet
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(c.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid != helper)
            continue;
        const char byte = 0;
        const int fds[3] = {0, 1, 2};
        if (send_fds(c.get(), fds, 3, &byte, 1) != 1) {
            // EPIPE/ECONNRESET: the helper is gone already (a signal that
            // came before it ran); its status says the rest.
            if (errno != EPIPE && errno != ECONNRESET)
                say(errstr("--system: cannot hand the terminal to the command"));
            continue;
        }
        return true;
    }
}

// Not root: one line, or the whole command line again through sudo.
int not_root(const project::ProjectSandbox& ps, const ContainerOptions& o) {
    if (!o.sudo) {
        say("--backend container needs root (systemd-nspawn); run burrow as root or pass --sudo");
        return kExitFailure;
    }
    std::string sudo = find_program("sudo");
    if (sudo.empty()) {
        say("--sudo: sudo not found (install the Debian package sudo)");
        return kExitFailure;
    }
    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return say(errstr("cannot resolve /proc/self/exe")), kExitFailure;
    std::string cmdline = read_small("/proc/self/cmdline");
    std::vector<std::string> args;
    for (size_t pos = 0; pos < cmdline.size();) {
        size_t nul = cmdline.find('\0', pos);
        if (nul == std::string::npos) nul = cmdline.size();
        args.emplace_back(cmdline, pos, nul - pos);
        pos = nul + 1;
    }
    // The variables the launch reads again as root: the forwarded ones and
    // where the caller's home, state and runtime dirs are. sudo adds
    // SUDO_UID/SUDO_GID/SUDO_USER, which name the caller to the builder.
    std::string keep = "HOME,USER,LOGNAME,SHELL,XDG_RUNTIME_DIR,XDG_STATE_HOME,XDG_CONFIG_HOME";
    for (const auto& [k, v] : ps.env)
        if (!k.empty() && k.find_first_not_of(
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
                              std::string::npos)
            keep += "," + k;
    // Tells the launch run as root that SUDO_UID/SUDO_GID name the caller
    // (the project-sandbox builder must then build for them).
    keep += ",BURROW_LAUNCH_VIA_SUDO";
    ::setenv("BURROW_LAUNCH_VIA_SUDO", "1", 1);
    std::vector<std::string> argv = {sudo, "--preserve-env=" + keep, "--",
                                     std::string(exe, static_cast<size_t>(n))};
    for (size_t i = 1; i < args.size(); ++i) argv.push_back(args[i]);
    std::vector<char*> av;
    for (auto& s : argv) av.push_back(s.data());
    av.push_back(nullptr);
    ::execve(sudo.c_str(), av.data(), environ);
    say(errstr("cannot execute " + sudo));
    return kExitFailure;
}

class SessionRecord {
  public:
    explicit SessionRecord(const project::ProjectSandbox& ps) : ps_(ps) {}
    ~SessionRecord() {
        try {
            if (added_) session::remove(ps_.project_id);
        } catch (const std::exception& e) {
            say(std::string("session registry: ") + e.what());
        }
        // The run dir holds nothing once the sandbox is over. Another
        // launch (or the host-side tmux of --tmux) may still use the dir
        // (rmdir only).
        if (ps_.run_dir.empty()) return;
        ::rmdir(ps_.run_dir.c_str());
    }
    void add(const project::ProjectSandbox& ps, const Payload& p) {
        // The helper (pid 2 inside): in every namespace of the container,
        // set up completely, and alive exactly as long as the command; a
        // stop's SIGTERM to it reaches the command (the stub pid 1 ignores
        // SIGTERM). Join and stop act on it as root.
        const session::Entry e = session::make_entry(ps, "container", p.helper, ::getpid());
        try {
            session::add(e);
            added_ = true;
        } catch (const std::exception& ex) {
            // --new next to a running sandbox of the project: it runs, but
            // enter/stop keep addressing the first one (asked for, so said
            // only when --new was not given), as on the namespace backend.
            if (!ps.new_session)
                say(std::string("not registered as the project's session: ") + ex.what());
        }
    }

  private:
    const project::ProjectSandbox& ps_;
    bool added_ = false;
};

// A process that outlives a SIGKILLed burrow just long enough to kill its
// container and remove the per-launch directory. nspawn itself dies with
// burrow (PR_SET_PDEATHSIG) but its stub pid 1 and the command do not. It
// waits for EOF on a pipe: after done() burrow closes it with a byte written
// first, a dead burrow without one.
class Reaper {
  public:
    explicit Reaper(const container::Instance& inst) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) throw std::runtime_error(errstr("pipe2"));
        Fd rd(p[0]);
        wr_ = Fd(p[1]);
        const std::string dir = inst.dir(), uuid = inst.uuid(), name = inst.name();
        pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error(errstr("fork"));
        if (pid > 0) {
            pid_ = pid;
            return;
        }
        // The reaper: own session (no terminal signals), no stdio (a caller
        // reading burrow's output must not wait for it), the instance lock
        // inherited (shared with burrow: the directory stays locked).
        wr_.reset();
        ::setsid();
        int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
        char c;
        ssize_t n;
        while ((n = ::read(rd.get(), &c, 1)) < 0 && errno == EINTR) {
        }
        if (n == 1) ::_exit(0);
        for (int i = 0; i < 100 && container::kill_container(uuid) > 0; ++i) ::usleep(20000);
        container::remove_tree(dir);
        ::rmdir(("/run/systemd/nspawn/propagate/" + name).c_str());
        ::_exit(0);
    }
    ~Reaper() {
        done();
        if (pid_ > 0)
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
    }
    void done() {
        if (!wr_) return;
        (void)!::write(wr_.get(), "x", 1);
        wr_.reset();
    }

  private:
    Fd wr_;
    pid_t pid_ = -1;
};

// --system DIR, checked before anything is made: a SystemError's text is
// the reason in "burrow: launch: --system DIR: <reason>".
struct SystemError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

container::SystemInput check_system(const project::ProjectSandbox& ps, const std::string& dir) {
    container::SystemInput sys;
    struct stat st {};
    if (::stat(dir.c_str(), &st) < 0) throw SystemError(std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw SystemError("not a directory");
    char* real = ::realpath(dir.c_str(), nullptr);
    if (!real) throw SystemError(std::strerror(errno));
    sys.dir = real;
    std::free(real);
    const std::string init = sys.dir + "/init";
    if (::stat(init.c_str(), &st) < 0)
        throw SystemError(std::string("no init (") + init + ": " + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
        throw SystemError(init + " is not an executable file");
    // A NixOS toplevel: its stage 2 activates /etc from DIR/etc itself.
    sys.nixos = ::access((sys.dir + "/activate").c_str(), F_OK) == 0;
    sys.has_etc = ::stat((sys.dir + "/etc").c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (sys.nixos) {
        nix::ClosureRequest req;
        sys.store_dir = nix::effective_store_dir(req);
        bool whole_store = false;
        for (const auto& sh : ps.shares)
            whole_store |= sh.dest == sys.store_dir && sh.source == sys.store_dir;
        if (!whole_store) {
            req.roots = {sys.dir};
            try {
                for (const auto& p : nix::compute_closure(req)) sys.store_paths.push_back(p.path);
            } catch (const nix::NixError& e) {
                throw SystemError(e.what());
            }
        }
    }
    return sys;
}

int run(const project::ProjectSandbox& ps, const std::string& nspawn, const sigset_t& old_mask,
        const sigset_t& mask, const std::optional<container::SystemInput>& system) {
    container::clean_leftovers();
    container::Instance inst;

    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) throw std::runtime_error(errstr("cannot resolve /proc/self/exe"));

    container::PlanInput in;
    in.nspawn = nspawn;
    in.machine = inst.name();
    in.uuid = inst.uuid();
    in.root = inst.root();
    in.meta = inst.meta();
    in.status = inst.status();
    in.exe = std::string(exe, static_cast<size_t>(n));
    in.interactive = ::isatty(0) == 1;
    in.register_machine = system_bus_usable();
    in.system = system;
    container::Plan plan = container::plan_container(ps, in);

    for (const auto& [name, target] : plan.root_symlinks)
        if (::symlink(target.c_str(), (inst.root() + "/" + name).c_str()) < 0)
            throw std::runtime_error(errstr("cannot create " + inst.root() + "/" + name));
    for (const auto& d : plan.root_dirs) container::make_dirs_under(inst.root(), d);
    for (const auto& d : plan.meta_dirs) container::make_dirs_under(inst.meta(), d);
    for (const auto& f : plan.meta_files)
        container::write_new_file(inst.meta() + "/" + f, "", 0644);
    for (const auto& [name, text] : plan.meta_texts)
        container::write_new_file(inst.meta() + "/" + name, text, 0644);
    // --system off a terminal: where the helper gets burrow's stdio from.
    Fd stdio_listen;
    if (!plan.spec.stdio_socket.empty()) {
        const std::string path = inst.status() + "/stdio";
        stdio_listen = Fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        if (!stdio_listen || path.size() >= sizeof sa.sun_path)
            throw std::runtime_error(errstr("socket " + path));
        std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
        if (::bind(stdio_listen.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
            ::listen(stdio_listen.get(), 4) < 0)
            throw std::runtime_error(errstr("cannot listen on " + path));
    }
    // The spec holds the environment (tokens): root only, and its dir is
    // below a 0700 one on the host.
    container::write_new_file(inst.meta() + "/spec", container::encode_spec(plan.spec), 0400);

    std::vector<char*> argv;
    for (auto& s : plan.argv) argv.push_back(s.data());
    argv.push_back(nullptr);
    // nspawn's own environment: nothing of the caller's (the payload's comes
    // from the spec). On a /run that is not a tmpfs nspawn reports an error
    // on every exit about the propagate directory it may not rm -rf
    // (burrow removes it); BURROW_NSPAWN_LOG_LEVEL overrides the level.
    std::vector<std::string> envs = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    const char* lvl = std::getenv("BURROW_NSPAWN_LOG_LEVEL");
    envs.push_back(std::string("SYSTEMD_LOG_LEVEL=") + (lvl ? lvl : "crit"));
    // Marks nspawn and its stub pid 1 (container_root.hpp: kill_container).
    envs.push_back("BURROW_CONTAINER_UUID=" + inst.uuid());
    if (const char* t = std::getenv("TERM")) envs.push_back(std::string("TERM=") + t);
    std::vector<char*> envp;
    for (auto& s : envs) envp.push_back(s.data());
    envp.push_back(nullptr);

    Reaper reaper(inst);
    const bool own_group = !in.interactive;
    const pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child < 0) throw std::runtime_error(errstr("fork"));
    if (child == 0) {
        // Async-signal-safe only from here to execve.
        if (own_group) ::setpgid(0, 0); // ^C of a terminal reaches burrow alone
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(kExitFailure);
        ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        ::execve(argv[0], argv.data(), envp.data());
        const char m[] = "burrow: launch: cannot execute systemd-nspawn\n";
        (void)!::write(2, m, sizeof m - 1);
        ::_exit(kExitFailure);
    }

    // Whatever ends this function, nspawn and the container are gone before
    // the per-launch directory is removed.
    struct Child {
        pid_t pid;
        const std::string& uuid;
        bool reaped = false;
        ~Child() {
            if (reaped) return;
            ::kill(pid, SIGKILL);
            container::kill_container(uuid);
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    } guard{child, inst.uuid()};
    SessionRecord record(ps);
    egress::Running net_proxy; // private network / --allow-net: ends with the container
    Payload payload;
    bool found = false;
    int signals = 0, first_signal = 0;
    std::vector<int> pending; // signals that came before the helper ran
    int st = 0;
    for (;;) {
        siginfo_t si{};
        int sig;
        if (!found || stdio_listen) {
            // Until the helper runs (and, --system, has its stdio): poll
            // for it every 5 ms.
            timespec ts{0, 5 * 1000 * 1000};
            sig = ::sigtimedwait(&mask, &si, &ts);
        } else {
            sig = ::sigwaitinfo(&mask, &si);
        }
        const int wait_errno = errno;
        if (!found && find_payload(child, payload)) {
            found = true;
            record.add(ps, payload);
            if (ps.network == project::Network::private_stack ||
                ps.network == project::Network::allowlist)
                start_network(ps, payload.leader, inst.status(), net_proxy);
            for (int p : pending) pidfd_signal(payload.helper_fd.get(), p);
            pending.clear();
        }
        if (found && stdio_listen && serve_stdio(stdio_listen.get(), payload.helper))
            stdio_listen.reset();
        if (sig < 0) {
            if (wait_errno != EAGAIN && wait_errno != EINTR)
                throw std::runtime_error(errstr("sigwaitinfo", wait_errno));
        } else if (sig != SIGCHLD) {
            // On an interactive console the terminal's ^C went to the
            // container's pty, not here; a kernel-sent SIGINT here came from
            // our own terminal while nspawn shares our process group.
            if (!own_group && si.si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT))
                continue;
            if (++signals == 1) first_signal = sig;
            if (signals > 1 && sig != SIGQUIT) {
                if (found)
                    pidfd_signal(payload.leader_fd.get(), SIGKILL);
                else
                    container::kill_container(inst.uuid()); // pid 1 not known yet
                ::kill(child, SIGKILL);
            } else if (found) {
                pidfd_signal(payload.helper_fd.get(), sig);
            } else {
                // Not nspawn's halt (SIGRTMIN+3 to its pid 1): sent while
                // pid 1 is still nspawn's own child code, nspawn 252 loses
                // it and the command runs to its end. The helper gets the
                // signal as soon as it runs.
                pending.push_back(sig);
            }
        }
        pid_t r = ::waitpid(child, &st, WNOHANG);
        if (r == child) {
            guard.reaped = true;
            break;
        }
        if (r < 0 && errno != EINTR) throw std::runtime_error(errstr("waitpid"));
    }

    (void)net_proxy.stop();
    reaper.done();
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    int nspawn_code = WEXITSTATUS(st);
    std::string status = read_status(inst.status());
    if (!status.empty() && status.size() <= 4 &&
        status.find_first_not_of("0123456789\n") == std::string::npos &&
        std::atoi(status.c_str()) <= 255)
        return std::atoi(status.c_str());
    // Stopped by a signal before the command ran (or before it could
    // report): as if the command had died of it.
    if (first_signal) return 128 + first_signal;
    say("systemd-nspawn failed (exit " + std::to_string(nspawn_code) +
        "); BURROW_NSPAWN_LOG_LEVEL=info shows why");
    return kExitFailure;
}

} // namespace

int launch_container(const project::ProjectSandbox& ps, const ContainerOptions& o) {
    std::string nspawn = find_program(o.nspawn);
    if (nspawn.empty()) {
        say("systemd-nspawn not found (install the Debian package systemd-container)");
        return kExitFailure;
    }
    std::optional<container::SystemInput> system;
    if (!o.system.empty()) {
        try {
            system = check_system(ps, o.system);
        } catch (const std::exception& e) {
            say("--system " + o.system + ": " + e.what());
            return kExitFailure;
        }
    }
    if (::geteuid() != 0) return not_root(ps, o);

    // Termination signals wait until nspawn runs, then go to the container;
    // every exit path below removes the per-launch directory.
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    int rc;
    try {
        rc = run(ps, nspawn, old, mask, system);
    } catch (const std::exception& e) {
        say(e.what());
        rc = kExitFailure;
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return rc;
}

} // namespace burrow::launch
