#include "runtime/join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/console.hpp"
#include "runtime/fd.hpp"
#include "runtime/hardening.hpp"

namespace burrow::join {

namespace {

// What failed in a forked process, sent to the caller over a close-on-exec
// pipe (EOF: the exec succeeded).
enum Step : int {
    st_none,
    st_parent,
    st_setns,
    st_fork,
    st_chdir,
    st_exec,
    st_ids,
    st_bounding,
    st_rlimit,
    st_terminal,
    st_harden = 100 // + harden::Step
};

const char* step_name(int s) {
    switch (s) {
    case st_parent:
        return "parent died";
    case st_setns:
        return "setns";
    case st_fork:
        return "fork";
    case st_chdir:
        return "chdir";
    case st_exec:
        return "exec";
    case st_ids:
        return "set the user and groups";
    case st_rlimit:
        return "setrlimit (process.rlimits)";
    case st_bounding:
        return "cut the bounding capability set";
    case st_terminal:
        return "terminal (/dev/pts/ptmx of the container, console socket, TIOCSCTTY)";
    }
    if (s > st_harden) return harden::step_name(s - st_harden);
    return "?";
}

struct Report {
    int step;
    int err;
};

volatile pid_t g_forward_to = 0;

// Forwards what another process sent us (SI_USER, SI_QUEUE, SI_TKILL) and
// the signals a terminal never generates; a terminal's SIGINT/SIGQUIT/SIGTSTP
// already reached the whole foreground process group.
void forward(int sig, siginfo_t* si, void*) {
    const int saved = errno;
    const bool from_tty =
        si != nullptr && si->si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT);
    if (g_forward_to > 0 && !from_tty) ::kill(g_forward_to, sig);
    errno = saved;
}

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

[[noreturn]] void die(int fd, int step, int err, int code) {
    Report r{step, err};
    (void)!::write(fd, &r, sizeof r);
    ::_exit(code);
}

int status_of(int ws) {
    if (WIFEXITED(ws)) return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
    return 125;
}

} // namespace

int run_joined(const JoinSpec& spec) {
    const char* prog = spec.prog.c_str();
    if (spec.argv.empty()) {
        std::fprintf(stderr, "%s: join: no command\n", prog);
        return 125;
    }
    // Everything the forked processes need, built before the first fork.
    std::vector<const char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    std::string path_var = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& e : spec.env) {
        envp.push_back(e.c_str());
        if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
    }
    envp.push_back(nullptr);
    std::vector<std::string> candidates;
    const std::string& program = spec.program.empty() ? spec.argv[0] : spec.program;
    if (program.find('/') != std::string::npos) {
        candidates.push_back(program);
    } else {
        std::size_t start = 0;
        while (start <= path_var.size()) {
            std::size_t end = path_var.find(':', start);
            if (end == std::string::npos) end = path_var.size();
            std::string c(path_var, start, end - start);
            if (c.empty()) c.push_back('.');
            c.push_back('/');
            c.append(program);
            candidates.push_back(std::move(c));
            start = end + 1;
        }
    }
    std::vector<const char*> cand;
    for (const auto& c : candidates) cand.push_back(c.c_str());
    const sock_fprog fprog{static_cast<unsigned short>(spec.seccomp.size()),
                           const_cast<sock_filter*>(spec.seccomp.data())};
    harden::Plan plan;
    plan.filters = std::span<const sock_fprog>(&fprog, spec.seccomp.empty() ? 0 : 1);
    plan.keep_fds = spec.keep_fds;
    plan.new_session = spec.new_session;
    const CapSets cap_sets = spec.cap_sets.value_or(CapSets{});
    const bool exact_caps = spec.cap_sets.has_value();
    if (exact_caps) plan.cap_sets = &cap_sets;
    const int console_fd = spec.console_socket_fd;
    const std::vector<Rlimit> rlimits = spec.rlimits;
    const char* cwd = spec.cwd.c_str();
    const bool set_ids = spec.set_ids;
    const uid_t uid = spec.uid;
    const gid_t gid = spec.gid;
    const std::vector<gid_t> groups(spec.groups.begin(), spec.groups.end());
    const int pidfd = spec.pidfd;
    const int flags = spec.ns_flags;

    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        std::fprintf(stderr, "%s: join: pipe2: %s\n", prog, std::strerror(errno));
        return 125;
    }
    Fd report_read(p[0]), report_write(p[1]);

    struct sigaction sa {
    }, old[sizeof kForwarded / sizeof kForwarded[0]];
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < std::size(kForwarded); ++i)
        ::sigaction(kForwarded[i], &sa, &old[i]);
    const pid_t caller = ::getpid();

    const pid_t helper = ::fork();
    if (helper < 0) {
        std::fprintf(stderr, "%s: join: fork: %s\n", prog, std::strerror(errno));
        for (std::size_t i = 0; i < std::size(kForwarded); ++i)
            ::sigaction(kForwarded[i], &old[i], nullptr);
        return 125;
    }
    if (helper == 0) {
        // ---- helper: async-signal-safe calls only from here ----
        const int w = report_write.get();
        ::close(report_read.get());
        g_forward_to = 0;
        // The hardening sequence (runtime/hardening.hpp), step 1: not
        // dumpable before setns, so that the payload below is born
        // unreadable and untraceable to everything in the sandbox.
        if (const int e = harden::not_dumpable())
            die(w, st_harden + static_cast<int>(harden::dumpable), e, 125);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != caller)
            die(w, st_parent, errno, 125);
        // EPERM from the kernel's access check on the target (it must be
        // dumpable to us): seen once in ~50 runs under heavy load on a
        // freshly started sandbox, never reproduced alone; a few retries,
        // each checked afresh by the kernel, before giving up.
        for (int attempt = 0;; ++attempt) {
            if (::setns(pidfd, flags) == 0) break;
            if (errno != EPERM || attempt == 4) die(w, st_setns, errno, 125);
            const struct timespec pause { 0, 20 * 1000 * 1000 };
            ::nanosleep(&pause, nullptr);
        }
        const pid_t helper_pid = ::getpid();
        const pid_t child = ::fork();
        if (child < 0) die(w, st_fork, errno, 125);
        if (child == 0) {
            // ---- payload: in every joined namespace ----
            g_forward_to = 0;
            if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die(w, st_parent, errno, 125);
            // Our parent is outside the pid namespace: getppid() reads 0.
            (void)helper_pid;
            // Steps 3-6: NO_NEW_PRIVS and seccomp (+ the tty guard) while
            // the capabilities are still held, then the capabilities,
            // inherited fds, the session. Still not dumpable (inherited).
            for (const Rlimit& l : rlimits) {
                const struct rlimit r { static_cast<rlim_t>(l.soft), static_cast<rlim_t>(l.hard) };
                if (::setrlimit(static_cast<__rlimit_resource>(l.resource), &r) != 0)
                    die(w, st_rlimit, errno, 125);
            }
            if (exact_caps) {
                // Needs CAP_SETPCAP, which the uid change below clears
                // from the effective set; KEEPCAPS keeps the permitted set
                // across it (and is cleared again by execve).
                if (const int e = harden::limit_bounding(cap_sets.bounding))
                    die(w, st_bounding, e, 125);
                if (set_ids && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
                    die(w, st_ids, errno, 125);
            }
            if (set_ids) {
                if (::setgroups(groups.size(), groups.data()) != 0 &&
                    !(groups.empty() && errno == EPERM))
                    die(w, st_ids, errno, 125);
                if (::setresgid(gid, gid, gid) != 0) die(w, st_ids, errno, 125);
                if (::setresuid(uid, uid, uid) != 0) die(w, st_ids, errno, 125);
            }
            if (console_fd >= 0) {
                console::Pty pty;
                if (const int e = console::open_pty(pty)) die(w, st_terminal, e, 125);
                if (const int e = console::take_terminal(console_fd, pty))
                    die(w, st_terminal, e, 125);
                ::close(console_fd);
            }
            int err = 0;
            if (const harden::Step st = harden::lock(plan, &err); st != harden::ok)
                die(w, st_harden + static_cast<int>(st), err, 125);
            if (::chdir(cwd) != 0) die(w, st_chdir, errno, 125);
            // Default dispositions for what we forward (handlers reset on
            // exec anyway; this closes the window before it).
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            for (int s : kForwarded) ::sigaction(s, &dfl, nullptr);
            err = ENOENT;
            for (const char* c : cand) {
                ::execve(c, const_cast<char* const*>(argv.data()),
                         const_cast<char* const*>(envp.data()));
                // As execvp: remember a more telling error than ENOENT.
                if (errno != ENOENT && errno != ENOTDIR) err = errno;
            }
            die(w, st_exec, err, err == ENOENT ? 127 : 126);
        }
        g_forward_to = child;
        ::close(w);
        int ws = 0;
        while (::waitpid(child, &ws, 0) < 0)
            if (errno != EINTR) ::_exit(125);
        ::_exit(status_of(ws));
    }
    g_forward_to = helper;
    report_write.reset();
    Report r{st_none, 0};
    ssize_t n;
    do n = ::read(report_read.get(), &r, sizeof r);
    while (n < 0 && errno == EINTR);
    int ws = 0;
    while (::waitpid(helper, &ws, 0) < 0)
        if (errno != EINTR) break;
    g_forward_to = 0;
    for (std::size_t i = 0; i < std::size(kForwarded); ++i)
        ::sigaction(kForwarded[i], &old[i], nullptr);
    if (n == static_cast<ssize_t>(sizeof r) && r.step != st_none) {
        if (r.step == st_exec)
            std::fprintf(stderr, "%s: %s: %s\n", prog, program.c_str(), std::strerror(r.err));
        else
            std::fprintf(stderr, "%s: join: %s: %s\n", prog, step_name(r.step),
                         std::strerror(r.err));
        if (r.step == st_exec) return r.err == ENOENT ? 127 : 126;
        return 125;
    }
    return status_of(ws);
}

} // namespace burrow::join
