// bwrap's process model around the payload: the monitor outside (waits,
// forwards signals, reports the exit status), pid 1 inside (reaps, forwards,
// holds lock files and --sync-fd), parent-death handling, fd hygiene and the
// scrubbing of what /proc/PID/{cmdline,environ} would reveal.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <vector>

namespace burrow::seccomp_notify {
class DenialLog;
}

namespace burrow::supervisor {

// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 are forwarded to the
// payload (bubblewrap issue 369), except those the caller set to SIG_IGN
// (a background job's SIGINT stays ignored, as the payload inherits it).
struct Signals {
    sigset_t forwarded;
    sigset_t original_mask;
    // With a timeout: the signal by which the monitor asks pid 1 to send
    // the grace signal to every process of the namespace (0: none).
    int timeout_request = 0;
};
// Blocks the forwarded signals before clone, so one that arrives before
// the child exists waits in the signalfd instead of killing the monitor.
Signals block_forwarded_signals(bool with_timeout);
// The payload gets the caller's mask back, SIGCHLD unblocked (as bwrap).
void restore_mask_for_exec(const Signals& signals);

// Forwarded signals that reached the sandbox while it was being set up wait,
// blocked, in the process that becomes pid 1; fork() does not pass pending
// signals on, and pid 1 forwarding them races with the payload's exec. So
// they are taken (consumed) before the fork and raised again in the payload,
// where they are delivered as soon as its mask is restored, before exec.
std::vector<int> take_pending_forwarded(const Signals& signals);
void raise_again(const std::vector<int>& pending);

// Closes every fd >= 3 except those in keep (bwrap's close_extra_fds).
void close_fds_except(std::vector<int> keep);

// PR_SET_PDEATHSIG(SIGKILL), then the check that the parent did not die
// before the prctl: by its pid, or, when the parent is outside our pid
// namespace, by the hangup of a pipe only the parent holds the write end of.
void set_parent_death_signal();
void die_if_parent_gone(pid_t expected_parent);
void die_if_pipe_hung_up(int read_end);

// The argv and environment strings the kernel shows in /proc/PID/cmdline and
// /proc/PID/environ (bubblewrap issue 725): located once, scrubbed in every
// long-lived burrow process. argv[0] is kept so ps still names us.
struct ProcStrings {
    unsigned long arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
    bool valid = false;
};
ProcStrings locate_process_strings();
void scrub_process_strings(const ProcStrings& strings);

// The monitor: waits for the child (pidfd) or for pid 1's report of the
// payload's status (event_fd), forwards signals to the child, enforces the
// wall-clock timeout, and reads what the child said about its exec.
struct MonitorFds {
    int pidfd = -1;
    int event_fd = -1;
    int setup_finished_fd = -1;
    // Sandbox::seccomp_log: polled with the rest, answered in between.
    seccomp_notify::DenialLog* denial_log = nullptr;
};
// With a timeout, the monitor returns only once pid 1 is gone: on expiry
// after the grace signal (and SIGKILL), and when the payload ends in time,
// after killing whatever it left running in the pid namespace.
struct Deadline {
    uint64_t timeout_ms = 0;  // 0: none
    int signal = SIGTERM;     // grace signal, sent to every sandbox process
    uint64_t grace_ms = 0;    // then SIGKILL to pid 1 (the kernel kills the rest)
    struct timespec start {}; // CLOCK_MONOTONIC origin of the timeout
};
struct Outcome {
    int wait_status = 0; // the payload's (or the child's) raw wait status
    bool timed_out = false;
    bool exec_started = false; // the payload reached exec
    int exec_errno = 0;        // exec itself failed with this errno
    uint64_t peak_rss_kib = 0; // largest ru_maxrss of any reaped sandbox process
    // Our pid 1 ended before it reported the payload's status: wait_status
    // is pid 1's own, and the payload's is unknown.
    bool init_died = false;
};
Outcome monitor(const MonitorFds& fds, const Signals& signals, bool new_session,
                const Deadline& deadline);

// The payload's side of setup_finished_fd: 'E' when only seccomp and exec
// are left, then 'S' if seccomp failed, or 'F' and the errno if exec did.
void report_exec_starting(int fd);
void report_setup_failed_late(int fd);
void report_exec_failed(int fd, int err);

// pid 1: reaps every child, forwards signals to the payload, reports the
// payload's status through event_fd (if any) as soon as it ends, and
// returns it once no child is left.
// The signalfd is made first (init_signalfd) so that a seccomp program
// installed in between cannot stand in its way.
int init_signalfd(const Signals& signals);
// timeout_signal: what to send to every process (kill(-1)) when the monitor
// raises signals.timeout_request.
int run_init(int sigfd, pid_t payload, int event_fd, bool new_session, const Signals& signals,
             int timeout_signal);

// bash's convention: exit code, or 128+N for a death by signal N.
int exit_status(int wait_status);

} // namespace burrow::supervisor
