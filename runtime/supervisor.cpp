#include "runtime/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
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

Signals block_forwarded_signals(bool with_timeout) {
    Signals s;
    sigemptyset(&s.forwarded);
    for (int sig : forwardable) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaddset(&s.forwarded, sig);
    }
    sigset_t block = s.forwarded;
    if (with_timeout) {
        // A real-time signal nobody else sends: blocked before clone so pid 1
        // finds it in its signalfd however early the timeout expires.
        s.timeout_request = SIGRTMAX - 2;
        sigaddset(&block, s.timeout_request);
    }
    if (::sigprocmask(SIG_BLOCK, &block, &s.original_mask) != 0) fail_errno("sigprocmask");
    return s;
}

void restore_mask_for_exec(const Signals& signals) {
    sigset_t mask = signals.original_mask;
    sigdelset(&mask, SIGCHLD);
    if (::sigprocmask(SIG_SETMASK, &mask, nullptr) != 0) fail_errno("sigprocmask");
}

std::vector<int> take_pending_forwarded(const Signals& signals) {
    std::vector<int> taken;
    sigset_t pending;
    if (::sigpending(&pending) != 0) fail_errno("sigpending");
    for (int sig : forwardable) {
        if (!sigismember(&signals.forwarded, sig) || !sigismember(&pending, sig)) continue;
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        const struct timespec now {};
        if (::sigtimedwait(&one, nullptr, &now) == sig) taken.push_back(sig);
    }
    return taken;
}

void raise_again(const std::vector<int>& pending) {
    // Still blocked here: they stay pending until restore_mask_for_exec().
    for (int sig : pending)
        if (::raise(sig) != 0) fail_errno("raise");
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

namespace {

// waitid() with the rusage glibc's wrapper does not pass on.
int waitid_rusage(int pidfd, siginfo_t* si, struct rusage* ru) {
    return static_cast<int>(::syscall(SYS_waitid, P_PIDFD, pidfd, si, WEXITED, ru));
}

void arm(int timer, const struct timespec& at) {
    struct itimerspec its {};
    its.it_value = at;
    if (::timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, nullptr) != 0)
        fail_errno("timerfd_settime");
}

struct timespec plus_ms(const struct timespec& t, uint64_t ms) {
    struct timespec r = t;
    r.tv_sec += static_cast<time_t>(ms / 1000);
    r.tv_nsec += static_cast<long>(ms % 1000) * 1000000L;
    if (r.tv_nsec >= 1000000000L) {
        r.tv_sec += 1;
        r.tv_nsec -= 1000000000L;
    }
    return r;
}

// pid 1's report: raw wait status + 1 in the low 20 bits, the peak RSS
// (KiB) of everything it reaped above them.
constexpr unsigned event_status_bits = 20;

} // namespace

void report_exec_starting(int fd) {
    const char b = 'E';
    ssize_t r;
    do r = ::write(fd, &b, 1);
    while (r < 0 && errno == EINTR);
}

void report_setup_failed_late(int fd) {
    const char b = 'S';
    ssize_t r;
    do r = ::write(fd, &b, 1);
    while (r < 0 && errno == EINTR);
}

void report_exec_failed(int fd, int err) {
    char buf[1 + sizeof err];
    buf[0] = 'F';
    std::memcpy(buf + 1, &err, sizeof err);
    ssize_t r;
    do r = ::write(fd, buf, sizeof buf);
    while (r < 0 && errno == EINTR);
}

Outcome monitor(const MonitorFds& fds, const Signals& signals, bool new_session,
                const Deadline& deadline) {
    Outcome out;
    Fd sigfd;
    if (!sigisemptyset(&signals.forwarded)) {
        sigfd.reset(::signalfd(-1, &signals.forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigfd) fail_errno("Can't create signalfd");
    }
    Fd timer;
    if (deadline.timeout_ms > 0) {
        timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
        if (!timer) fail_errno("timerfd_create");
        arm(timer.get(), plus_ms(deadline.start, deadline.timeout_ms));
    }
    struct pollfd pfds[5];
    nfds_t n = 0;
    pfds[n++] = {fds.pidfd, POLLIN, 0};
    if (fds.event_fd >= 0) pfds[n++] = {fds.event_fd, POLLIN, 0};
    const nfds_t timer_i = n;
    if (timer) pfds[n++] = {timer.get(), POLLIN, 0};
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
    bool have_payload_status = false;
    auto payload_status = [&] {
        uint64_t val = 0;
        if (fds.event_fd < 0 || ::read(fds.event_fd, &val, sizeof val) != sizeof val) return false;
        out.wait_status = static_cast<int>((val & ((1U << event_status_bits) - 1)) - 1);
        out.peak_rss_kib = std::max<uint64_t>(out.peak_rss_kib, val >> event_status_bits);
        have_payload_status = true;
        return true;
    };
    auto finish = [&] {
        if (fds.setup_finished_fd >= 0) {
            // Nothing: setup failed. 'E': the payload was exec'd. 'E', 'S':
            // seccomp failed. 'E', 'F' and an errno: exec itself failed.
            char data[16];
            ssize_t got;
            do got = ::read(fds.setup_finished_fd, data, sizeof data);
            while (got < 0 && errno == EINTR);
            out.exec_started = got >= 1 && data[0] == 'E' && !(got >= 2 && data[1] == 'S');
            if (got == 2 + static_cast<ssize_t>(sizeof(int)) && data[1] == 'F') {
                std::memcpy(&out.exec_errno, data + 2, sizeof(int));
                out.exec_started = false;
            }
        }
        return out;
    };

    int stage = 0; // timeout: 0 running, 1 grace signal sent, 2 SIGKILL sent
    for (;;) {
        const nfds_t polled = poll_count();
        if (::poll(pfds, polled, -1) < 0) {
            if (errno == EINTR) continue;
            fail_errno("poll");
        }
        // First: a payload waiting for its answer cannot exit meanwhile.
        if (polled > n && pfds[log_slot].revents) fds.denial_log->on_ready(pfds[log_slot].revents);
        // After a timeout (or with a timeout set at all) the payload's end
        // is not enough: the monitor waits for pid 1, whose exit means the
        // whole namespace is gone. With a timeout, what the payload left
        // behind is killed, or it would outlive the limit unbounded.
        if (payload_status() && !out.timed_out) {
            if (deadline.timeout_ms == 0) return finish();
            if (::syscall(SYS_pidfd_send_signal, fds.pidfd, SIGKILL, nullptr, 0) != 0 &&
                errno != ESRCH)
                fail_errno("can't kill what the payload left in the sandbox");
        }
        if (pfds[0].revents) {
            siginfo_t si{};
            struct rusage ru {};
            if (waitid_rusage(fds.pidfd, &si, &ru) != 0) {
                if (errno == EINTR) continue;
                fail_errno("waitid");
            }
            out.peak_rss_kib =
                std::max<uint64_t>(out.peak_rss_kib, static_cast<uint64_t>(ru.ru_maxrss));
            if (payload_status() || have_payload_status) return finish();
            out.init_died = fds.event_fd >= 0;
            out.wait_status =
                si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : (si.si_status & 0x7f);
            return finish();
        }
        if (timer && pfds[timer_i].revents) {
            uint64_t ticks;
            if (::read(timer.get(), &ticks, sizeof ticks) != sizeof ticks) continue;
            out.timed_out = true;
            ++stage;
            auto send = [&](int sig) {
                // ESRCH: pid 1 is already gone, its exit is on the pidfd.
                return ::syscall(SYS_pidfd_send_signal, fds.pidfd, sig, nullptr, 0) == 0 ||
                       errno == ESRCH;
            };
            // pid 1 of our own passes the grace signal to every process
            // (kill(-1)); a payload that is pid 1 itself gets it directly.
            const int grace_sig = fds.event_fd >= 0 && signals.timeout_request
                                      ? signals.timeout_request
                                      : deadline.signal;
            if (stage == 1 && deadline.grace_ms > 0 && send(grace_sig)) {
                struct timespec now {};
                ::clock_gettime(CLOCK_MONOTONIC, &now);
                arm(timer.get(), plus_ms(now, deadline.grace_ms));
            } else {
                // Killing pid 1 of the namespace kills every process in it.
                stage = 2;
                if (!send(SIGKILL)) fail_errno("can't kill the sandbox after its timeout");
            }
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
    if (signals.timeout_request) sigaddset(&mask, signals.timeout_request);
    // Every one of these was blocked before the fork, so nothing the payload
    // did (or suffered) before this point is lost.
    int fd = ::signalfd(-1, &mask, SFD_CLOEXEC);
    if (fd < 0) fail_errno("Can't create signalfd");
    return fd;
}

int run_init(int sigfd, pid_t payload, int event_fd, bool new_session, const Signals& signals,
             int timeout_signal) {
    int status = 1;
    bool payload_alive = true;
    uint64_t peak_rss_kib = 0;
    for (;;) {
        signalfd_siginfo si{};
        ssize_t got = ::read(sigfd, &si, sizeof si);
        if (got != sizeof si) {
            if (got < 0 && errno == EINTR) continue;
            fail_errno("read signalfd");
        }
        if (signals.timeout_request && static_cast<int>(si.ssi_signo) == signals.timeout_request) {
            // Only the monitor, outside our pid namespace (seen as pid 0),
            // may ask: every process of the namespace but us gets the grace
            // signal.
            if (si.ssi_pid == 0) ::kill(-1, timeout_signal);
            continue;
        }
        if (si.ssi_signo != SIGCHLD) {
            if (payload_alive && should_forward(si, new_session))
                ::kill(payload, static_cast<int>(si.ssi_signo));
            continue;
        }
        // SIGCHLDs coalesce: reap everything that is ready.
        for (;;) {
            int ws = 0;
            struct rusage ru {};
            pid_t died = ::wait4(-1, &ws, WNOHANG, &ru);
            if (died == 0) break;
            if (died < 0) {
                if (errno == EINTR) continue;
                if (errno != ECHILD) fail_errno("init wait()");
                return status;
            }
            peak_rss_kib = std::max<uint64_t>(peak_rss_kib, static_cast<uint64_t>(ru.ru_maxrss));
            if (died == payload) {
                payload_alive = false;
                status = exit_status(ws);
                if (event_fd >= 0) {
                    const uint64_t val =
                        (static_cast<uint64_t>(ws) + 1) | (peak_rss_kib << event_status_bits);
                    // The monitor may be gone already; nothing to do then.
                    (void)!::write(event_fd, &val, sizeof val);
                }
            }
        }
    }
}

} // namespace burrow::supervisor
