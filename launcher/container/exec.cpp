#include "launcher/container/exec.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/container/spec.hpp"
#include "policy/seccomp/precompiled.hpp"
#include "runtime/fd.hpp"
#include "runtime/hardening.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

extern char** environ;

namespace burrow::container {

namespace {

void say(const std::string& msg) {
    std::string line = "burrow: launch: " + msg + "\n";
    (void)!::write(2, line.data(), line.size());
}

std::string errstr(const std::string& what, int err = errno) {
    return what + ": " + std::strerror(err);
}

bool read_file(const char* path, std::string& out) {
    Fd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return false;
    if (const int err = read_fd_to_end(fd.get(), out, SIZE_MAX)) {
        errno = err;
        return false;
    }
    return true;
}

// mkdir -p as the current (already dropped) user; existing dirs are fine.
bool make_dirs(const std::string& path, mode_t mode) {
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/') continue;
        std::string part = path.substr(0, pos);
        if (::mkdir(part.c_str(), pos == path.size() ? mode : 0755) < 0 && errno != EEXIST) {
            say(errstr("cannot create " + part));
            return false;
        }
    }
    return true;
}

bool copy_file(const ExecSpec::Copy& c) {
    auto slash = c.to.rfind('/');
    if (slash != std::string::npos && slash > 0 && !make_dirs(c.to.substr(0, slash), 0755))
        return false;
    Fd in(::open(c.from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return say(errstr("cannot read " + c.from + " (copy to " + c.to + ")")), false;
    // O_EXCL|O_NOFOLLOW: the destination is on the fresh home; anything
    // already there (a symlink planted through a share) is not followed.
    Fd out(::open(c.to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, c.mode));
    if (!out) return say(errstr("cannot create " + c.to)), false;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return say(errstr("cannot read " + c.from)), false;
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(out.get(), buf + off, static_cast<size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return say(errstr("cannot write " + c.to)), false;
            off += w;
        }
    }
    return true;
}

void fix_ownership(const ExecSpec& s) {
    for (const auto& c : s.chowns) {
        struct stat top {
        }, st{};
        if (::stat(c.top.c_str(), &top) < 0 || ::lstat(c.path.c_str(), &st) < 0) continue;
        // Only directories still on the caller's tmpfs: a host directory
        // bound there is never chowned.
        if (!S_ISDIR(st.st_mode) || st.st_dev != top.st_dev || st.st_uid != 0) continue;
        if (::lchown(c.path.c_str(), s.uid, s.gid) < 0) say(errstr("cannot chown " + c.path));
    }
}

// No capabilities, whatever the uid: nspawn leaves uid 0 in the container
// a large set (CAP_SYS_ADMIN among them) in the host's user namespace, which
// could remount the host's /usr read-write. Bounding set emptied first,
// while CAP_SETPCAP is still there (before setresuid), so no exec gets any
// back; the rest is the hardening sequence's (runtime/hardening.hpp).
bool drop_bounding_set() {
    for (int cap = 0; cap <= 63; ++cap)
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return false;
    return true;
}

// The command's process: drop privileges, prepare the home, exec.
[[noreturn]] void run_child(const ExecSpec& s, const sigset_t& old_mask) {
    // The hardening sequence (runtime/hardening.hpp): not dumpable from the
    // start (inherited from the helper, set again here in case), so no
    // process of the container can trace or read us before exec.
    if (const int e = harden::not_dumpable()) {
        say(errstr("prctl(PR_SET_DUMPABLE)", e));
        ::_exit(kExitFailure);
    }
    if (!drop_bounding_set()) {
        say(errstr("cannot drop the capability bounding set"));
        ::_exit(kExitFailure);
    }
    if (::setgroups(0, nullptr) < 0 || ::setresgid(s.gid, s.gid, s.gid) < 0 ||
        ::setresuid(s.uid, s.uid, s.uid) < 0) {
        say(errstr("cannot switch to uid " + std::to_string(s.uid)));
        ::_exit(kExitFailure);
    }
    // The same `default` seccomp profile as the namespace backend (it refuses
    // TIOCSTI, so an interactive shell keeps its terminal and job control),
    // plus the tty guard; precompiled, so this is a table lookup. NO_NEW_PRIVS
    // and the filters before the capabilities go, then every fd but stdio.
    const auto filter = seccomp::compile_named_profile("default");
    const sock_fprog fprog{static_cast<unsigned short>(filter.size()),
                           const_cast<sock_filter*>(filter.data())};
    harden::Plan plan;
    plan.filters = std::span<const sock_fprog>(&fprog, 1);
    int err = 0;
    if (const harden::Step st = harden::lock(plan, &err); st != harden::ok) {
        say(errstr(harden::step_name(st), err));
        ::_exit(kExitFailure);
    }
    uid_t r, e, su;
    if (::getresuid(&r, &e, &su) < 0 || r != s.uid || e != s.uid || su != s.uid) {
        say("privilege drop did not take");
        ::_exit(kExitFailure);
    }
    ::umask(022);
    for (const auto& d : s.dirs)
        if (!make_dirs(d.path, d.mode)) ::_exit(kExitFailure);
    for (const auto& c : s.copies)
        if (!copy_file(c)) ::_exit(kExitFailure);
    if (!s.cwd.empty() && ::chdir(s.cwd.c_str()) < 0) {
        say(errstr("cannot change directory to " + s.cwd));
        ::_exit(kExitFailure);
    }
    std::vector<char*> argv, envp;
    for (const auto& a : s.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : s.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    // execvp searches the PATH of the environment the command gets.
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    err = errno;
    say(errstr(s.argv[0], err));
    ::_exit(err == ENOENT ? 127 : 126);
}

// The private network and --allow-net: the host side writes "ready" (or
// "fail") into `path` once the egress proxy steers the container's
// network; the command must not run before. The file is in the status dir, which nothing in the
// container but this helper writes before the command runs.
bool wait_for_network(const std::string& path) {
    for (int i = 0; i < 30 * 200; ++i) {
        Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (fd) {
            char buf[16] = {};
            const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
            if (n > 0 && std::string(buf).rfind("ready", 0) == 0) return true;
            if (n > 0 && std::string(buf).rfind("fail", 0) == 0) return false;
        }
        ::usleep(5000);
    }
    return false;
}

// --system: the helper is a unit of the container's init, which gave it
// /dev/null (or the journal) for stdio; burrow, outside, hands over its own
// stdin, stdout and stderr on this socket (SCM_RIGHTS) once it has checked
// that the peer is this helper. The command then has exactly the caller's
// descriptors, as nspawn's payload has with --console=pipe.
bool receive_stdio(const std::string& path) {
    Fd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (!s || path.size() >= sizeof sa.sun_path) return say(errstr("socket " + path)), false;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
        return say(errstr("cannot connect to " + path)), false;
    // burrow answers as soon as it sees the helper run (it polls every 5 ms);
    // the bound only keeps a helper whose burrow is gone from waiting forever.
    pollfd p{s.get(), POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, 30000)) < 0 && errno == EINTR) {
    }
    if (r <= 0) return say("no stdio from burrow within 30 s"), false;
    char byte;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char ctl[CMSG_SPACE(3 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof ctl;
    if (::recvmsg(s.get(), &msg, MSG_CMSG_CLOEXEC) != 1) return say(errstr("recvmsg")), false;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(3 * sizeof(int)) || (msg.msg_flags & MSG_CTRUNC))
        return say("stdio: no descriptors from burrow"), false;
    int fds[3];
    std::memcpy(fds, CMSG_DATA(c), sizeof fds);
    bool ok = true;
    for (int i = 0; i < 3; ++i) {
        // dup2 clears FD_CLOEXEC on 0-2; the received copies go.
        if (::dup2(fds[i], i) < 0) ok = false;
        if (fds[i] > 2) ::close(fds[i]);
    }
    if (!ok) say(errstr("dup2"));
    return ok;
}

// Booted (--system): the command has ended; every process it left (our
// children, as the subreaper of its tree) is killed and reaped before the
// unit ends. The unit's own cleanup cannot be relied on for that: on a host
// with cgroup v1 the container's systemd is never told that the unit's
// cgroup became empty and waits out its stop timeout (90 s).
void kill_leftovers() {
    const std::string list = "/proc/self/task/" + std::to_string(::getpid()) + "/children";
    for (int round = 0; round < 1000; ++round) { // about 5 s at most
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        std::string text;
        Fd fd(::open(list.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd || read_fd_to_end(fd.get(), text, 1 << 20) != 0 || text.empty()) return;
        size_t pos = 0;
        while (pos < text.size()) {
            const pid_t pid = static_cast<pid_t>(std::strtol(text.c_str() + pos, nullptr, 10));
            if (pid > 0) ::kill(pid, SIGKILL);
            pos = text.find(' ', pos);
            if (pos == std::string::npos) break;
            ++pos;
        }
        ::usleep(5000);
    }
}

void write_status(const std::string& path, int code) {
    if (path.empty()) return;
    // O_NONBLOCK: a FIFO the command left there must not hang the helper.
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                 0600));
    if (!fd) return say(errstr("cannot write " + path));
    std::string s = std::to_string(code) + "\n";
    if (::write(fd.get(), s.data(), s.size()) != static_cast<ssize_t>(s.size()))
        say(errstr("cannot write " + path));
}

} // namespace

int container_exec_main(int argc, char** argv) {
    // The helper is visible to the command (same pid namespace): not
    // dumpable, as is the command's process until its exec.
    (void)harden::not_dumpable();
    if (argc != 3) {
        say("__container-exec is internal to the container backend");
        return kExitFailure;
    }
    ExecSpec s;
    try {
        std::string data;
        if (!read_file(argv[2], data)) {
            say(errstr(std::string("cannot read ") + argv[2]));
            return kExitFailure;
        }
        s = decode_spec(data);
    } catch (const std::exception& e) {
        say(e.what());
        return kExitFailure;
    }
    auto finish = [&](int code) {
        write_status(s.status_path, code);
        return code;
    };
    if (!s.stdio_socket.empty() && !receive_stdio(s.stdio_socket)) return finish(kExitFailure);
    fix_ownership(s);
    if (!s.net_ready_path.empty() && !wait_for_network(s.net_ready_path)) {
        say("network: the egress allowlist is not in place; the command was not run");
        return finish(kExitFailure);
    }
    // nspawn's stub pid 1 made us a session leader without a controlling
    // terminal; on an interactive console take it, so that ^C reaches the
    // command as SIGINT and shells get job control.
    if (s.interactive) (void)::ioctl(0, TIOCSCTTY, 0);

    sigset_t mask, old;
    sigemptyset(&mask);
    for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
        sigaddset(&mask, sig);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    // Booted: what the command leaves running (daemons included) becomes
    // ours when its parent ends, and goes when the command does.
    if (s.booted) (void)::prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t child = ::fork();
    if (child < 0) {
        say(errstr("fork"));
        return finish(kExitFailure);
    }
    if (child == 0) run_child(s, old);
    bool term_from_init = false;
    for (;;) {
        siginfo_t si{};
        if (::sigwaitinfo(&mask, &si) < 0) {
            if (errno == EINTR) continue;
            say(errstr("sigwaitinfo"));
            ::kill(child, SIGKILL);
        }
        if (si.si_signo != SIGCHLD) {
            // A terminal's ^C/^\ already reached the command (same process
            // group on the console); anything else is passed on.
            bool from_tty =
                si.si_code == SI_KERNEL && (si.si_signo == SIGINT || si.si_signo == SIGQUIT);
            // nspawn's stub pid 1 follows its SIGTERM with a SIGHUP (for
            // shells); both pending in a command that has not started yet,
            // the lower number would win and it would die of SIGHUP.
            bool hup_after_term = si.si_signo == SIGHUP && si.si_pid == 1 && term_from_init;
            if (si.si_signo == SIGTERM && si.si_pid == 1) term_from_init = true;
            if (!from_tty && !hup_after_term) ::kill(child, si.si_signo);
            continue;
        }
        // The command, or (booted) an orphan of its that came to us.
        int st = 0, any = 0;
        bool ended = false;
        pid_t r;
        while ((r = ::waitpid(-1, &any, WNOHANG)) > 0)
            if (r == child) st = any, ended = true;
        if (r < 0 && errno != ECHILD && errno != EINTR) return finish(kExitFailure);
        if (!ended) continue;
        const int code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
        if (s.booted) kill_leftovers();
        return finish(code);
    }
}

} // namespace burrow::container
