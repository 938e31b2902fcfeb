#include "runtime/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/seccomp_notify.hpp"
#include "runtime/status.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace burrow::supervisor {

namespace {

constexpr int forwardable[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// A signal the terminal raised (SI_KERNEL) went to the whole foreground
// process group, payload included, unless the payload sits in a session of
// its own (--new-session). Forwarding it again would deliver it twice.
bool should_forward(const signalfd_siginfo& si, bool new_session) {
    return new_session || si.ssi_code != SI_KERNEL;
}

[[noreturn]] void die_now() {
    ::kill(::getpid(), SIGKILL);
    ::_exit(1);
}

} // namespace

int exit_status(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

Signals block_forwarded_signals() {
    Signals s;
    sigemptyset(&s.forwarded);
    for (int sig : forwardable) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaddset(&s.forwarded, sig);
    }
    if (::sigprocmask(SIG_BLOCK, &s.forwarded, &s.original_mask) != 0) fail_errno("sigprocmask");
    return s;
}

void restore_mask_for_exec(const Signals& signals) {
    sigset_t mask = signals.original_mask;
    sigdelset(&mask, SIGCHLD);
    if (::sigprocmask(SIG_SETMASK, &mask, nullptr) != 0) fail_errno("sigprocmask");
}

void close_fds_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    auto close_span = [](unsigned lo, unsigned hi) {
        if (::close_range(lo, hi, 0) == 0 || errno != ENOSYS) return;
        // Kernels before 5.9: by hand, up to a sane bound.
        for (unsigned fd = lo; fd <= hi && fd < 65536; ++fd) ::close(static_cast<int>(fd));
    };
    for (int fd : keep) {
        if (fd < static_cast<int>(first)) continue;
        if (static_cast<unsigned>(fd) > first) close_span(first, static_cast<unsigned>(fd) - 1);
        first = static_cast<unsigned>(fd) + 1;
    }
    close_span(first, ~0U);
}

void set_parent_death_signal() {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail_errno("prctl");
}

void die_if_parent_gone(pid_t expected_parent) {
    if (::getppid() != expected_parent) die_now();
}

void die_if_pipe_hung_up(int read_end) {
    struct pollfd p {
        read_end, POLLIN, 0
    };
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) die_now();
}

ProcStrings locate_process_strings() {
    ProcStrings s;
    Fd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
    if (!fd) return s;
    char buf[2048];
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return s;
    buf[n] = '\0';
    // comm may hold spaces and parentheses: fields count from the last ')'.
    char* p = std::strrchr(buf, ')');
    if (!p) return s;
    unsigned long values[4];
    int field = 2;
    char* save = nullptr;
    for (char* tok = ::strtok_r(p + 1, " ", &save); tok; tok = ::strtok_r(nullptr, " ", &save)) {
        ++field;
        if (field >= 48 && field <= 51) values[field - 48] = std::strtoul(tok, nullptr, 10);
        if (field == 51) break;
    }
    if (field < 51) return s;
    s.arg_start = values[0];
    s.arg_end = values[1];
    s.env_start = values[2];
    s.env_end = values[3];
    // Only the layout the kernel builds at exec, and only if argv[0] is still
    // where glibc found it; anything else is left alone.
    s.valid = s.arg_start < s.arg_end && s.arg_end <= s.env_start && s.env_start <= s.env_end &&
              s.env_end - s.arg_start < (64UL << 20) &&
              reinterpret_cast<unsigned long>(program_invocation_name) == s.arg_start;
    return s;
}

void scrub_process_strings(const ProcStrings& s) {
    if (!s.valid) return;
    char* args = reinterpret_cast<char*>(s.arg_start);
    const size_t args_len = s.arg_end - s.arg_start;
    const size_t keep = ::strnlen(args, args_len);
    if (keep + 1 < args_len) std::memset(args + keep + 1, 0, args_len - keep - 1);
    std::memset(reinterpret_cast<char*>(s.env_start), 0, s.env_end - s.env_start);
}

int monitor(const MonitorFds& fds, const Signals& signals, bool new_session) {
    Fd sigfd;
    if (!sigisemptyset(&signals.forwarded)) {
        sigfd.reset(::signalfd(-1, &signals.forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigfd) fail_errno("Can't create signalfd");
    }
    struct pollfd pfds[4];
    nfds_t n = 0;
    pfds[n++] = {fds.pidfd, POLLIN, 0};
    if (fds.event_fd >= 0) pfds[n++] = {fds.event_fd, POLLIN, 0};
    if (sigfd) pfds[n++] = {sigfd.get(), POLLIN, 0};
    // Last, and its fd changes (socket, then listener, then none).
    const nfds_t log_slot = n;
    auto poll_count = [&] {
        if (!fds.denial_log || fds.denial_log->fd() < 0) return n;
        pfds[log_slot] = {fds.denial_log->fd(), POLLIN, 0};
        return n + 1;
    };

    // pid 1 writes the payload's status before it exits itself: always look
    // there first, or pid 1's own exit would hide the real status.
    auto payload_status = [&](int& code) {
        uint64_t val = 0;
        if (fds.event_fd < 0 || ::read(fds.event_fd, &val, sizeof val) != sizeof val) return false;
        code = static_cast<int>(val) - 1;
        return true;
    };
    auto finish = [&](int code) {
        if (fds.json_status_fd >= 0 && fds.setup_finished_fd >= 0) {
            // One byte: the payload was exec'd. None: setup failed. Two:
            // exec itself failed. Only an exec'd payload has an exit code.
            char data[2];
            ssize_t got;
            do got = ::read(fds.setup_finished_fd, data, sizeof data);
            while (got < 0 && errno == EINTR);
            if (got == 1)
                status::write_document(fds.json_status_fd, status::json_status_exit(code), false);
        }
        return code;
    };

    for (;;) {
        const nfds_t polled = poll_count();
        if (::poll(pfds, polled, -1) < 0) {
            if (errno == EINTR) continue;
            fail_errno("poll");
        }
        // First: a payload waiting for its answer cannot exit meanwhile.
        if (polled > n && pfds[log_slot].revents) fds.denial_log->on_ready(pfds[log_slot].revents);
        int code = 0;
        if (payload_status(code)) return finish(code);
        if (pfds[0].revents) {
            siginfo_t si{};
            if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fds.pidfd), &si,
                         WEXITED) != 0) {
                if (errno == EINTR) continue;
                fail_errno("waitid");
            }
            if (payload_status(code)) return finish(code);
            if (si.si_code == CLD_EXITED) return finish(si.si_status);
            return finish(128 + si.si_status);
        }
        if (sigfd) {
            signalfd_siginfo si{};
            while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
                if (!should_forward(si, new_session)) continue;
                // Through the pidfd: the pid cannot have been reused.
                ::syscall(SYS_pidfd_send_signal, fds.pidfd, static_cast<int>(si.ssi_signo), nullptr,
                          0);
            }
        }
    }
}

int init_signalfd(const Signals& signals) {
    sigset_t mask = signals.forwarded;
    sigaddset(&mask, SIGCHLD);
    // Every one of these was blocked before the fork, so nothing the payload
    // did (or suffered) before this point is lost.
    int fd = ::signalfd(-1, &mask, SFD_CLOEXEC);
    if (fd < 0) fail_errno("Can't create signalfd");
    return fd;
}

int run_init(int sigfd, pid_t payload, int event_fd, bool new_session) {
    int status = 1;
    bool payload_alive = true;
    for (;;) {
        signalfd_siginfo si{};
        ssize_t got = ::read(sigfd, &si, sizeof si);
        if (got != sizeof si) {
            if (got < 0 && errno == EINTR) continue;
            fail_errno("read signalfd");
        }
        if (si.ssi_signo != SIGCHLD) {
            if (payload_alive && should_forward(si, new_session))
                ::kill(payload, static_cast<int>(si.ssi_signo));
            continue;
        }
        // SIGCHLDs coalesce: reap everything that is ready.
        for (;;) {
            int ws = 0;
            pid_t died = ::waitpid(-1, &ws, WNOHANG);
            if (died == 0) break;
            if (died < 0) {
                if (errno == EINTR) continue;
                if (errno != ECHILD) fail_errno("init wait()");
                return status;
            }
            if (died == payload) {
                payload_alive = false;
                status = exit_status(ws);
                if (event_fd >= 0) {
                    uint64_t val = static_cast<uint64_t>(status) + 1;
                    // The monitor may be gone already; nothing to do then.
                    (void)!::write(event_fd, &val, sizeof val);
                }
            }
        }
    }
}

} // namespace burrow::supervisor
