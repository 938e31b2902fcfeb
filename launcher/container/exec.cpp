#include "launcher/container/exec.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
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
        int st = 0;
        pid_t r = ::waitpid(child, &st, WNOHANG);
        if (r < 0 && errno != EINTR) return finish(kExitFailure);
        if (r != child) continue;
        if (WIFEXITED(st)) return finish(WEXITSTATUS(st));
        if (WIFSIGNALED(st)) return finish(128 + WTERMSIG(st));
    }
}

} // namespace burrow::container
