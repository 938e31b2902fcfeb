#include "runtime/user_net.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/child_pidfd.hpp"
#include "runtime/error.hpp"

namespace burrow::user_net {

namespace {

// The helper's fds: 0 and 1 /dev/null, 2 a memfd (its messages, read back
// for the error line), 3 the readiness pipe, 4 slirp4netns' exit pipe.
constexpr int kReadyFd = 3;
constexpr int kExitFd = 4;
constexpr int kFirstFree = 5;
// A helper that neither configures the namespace nor dies within this long
// is taken for hung. Generous: a loaded machine must not fail a sandbox.
constexpr int kReadyTimeoutMs = 30000;

// An fd of the monitor's at kFirstFree or above, so that placing the
// helper's fds 0..4 in the child cannot overwrite a source not yet placed.
Fd high_copy(Fd fd) {
    if (fd.get() >= kFirstFree) return fd;
    Fd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, kFirstFree));
    if (!copy) fail_errno("network helper: fcntl(F_DUPFD_CLOEXEC)");
    return copy;
}

std::vector<std::string> helper_args(const UserNet& net, pid_t child,
                                     const std::vector<PortForward>& forward) {
    std::string tcp_ns = "none";
    for (std::size_t i = 0; i < forward.size(); ++i)
        tcp_ns = (i ? tcp_ns + "," : std::string()) + std::to_string(forward[i].port);
    const std::string pid = std::to_string(child);
    std::vector<std::string> a{net.helper};
    if (net.stack == NetStack::pasta) {
        a.insert(a.end(), {"--config-net", "--foreground", "--quiet", "--tcp-ports", "none",
                           "--udp-ports", "none", "--tcp-ns", tcp_ns, "--udp-ns", "none",
                           "--no-map-gw", "--pid", "/proc/self/fd/" + std::to_string(kReadyFd)});
        // As root pasta would become "nobody", which may not enter a
        // user namespace that root owns.
        if (::getuid() == 0) a.insert(a.end(), {"--runas", "0:0"});
        a.push_back(pid);
    } else {
        a.insert(a.end(),
                 {"--configure", "--disable-host-loopback", "--ready-fd", std::to_string(kReadyFd),
                  "--exit-fd", std::to_string(kExitFd), pid, "tap0"});
    }
    return a;
}

// The helper's last message worth a line: its own reason for failing
// (pasta also says it cannot reach syslog, which is noise here).
std::string last_message(int log_fd) {
    char buf[8192];
    const ssize_t n = ::pread(log_fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    std::string text(buf, static_cast<std::size_t>(n));
    std::string last;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line.find("to syslog") != std::string::npos) continue;
        last = line;
    }
    return last;
}

std::string describe_wait(const siginfo_t& si) {
    if (si.si_code == CLD_EXITED) return "exit status " + std::to_string(si.si_status);
    return "killed by signal " + std::to_string(si.si_status);
}

// Between clone and exec: async-signal-safe calls only. On failure the
// errno goes to err_fd (close-on-exec, so silence means exec worked).
[[noreturn]] void exec_helper(pid_t monitor, const char* path, char* const argv[], int devnull,
                              int log, int ready, int exit_read, int err_fd) {
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    int err = 0;
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) err = errno;
    // Dies with the monitor, whatever ends it (SIGKILL included).
    if (!err && ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) err = errno;
    if (!err && ::getppid() != monitor) ::_exit(127);
    if (!err && (::dup2(devnull, 0) < 0 || ::dup2(devnull, 1) < 0 || ::dup2(log, 2) < 0 ||
                 ::dup2(ready, kReadyFd) < 0 || (exit_read >= 0 && ::dup2(exit_read, kExitFd) < 0)))
        err = errno;
    if (exit_read < 0) ::close(kExitFd); // may be an fd the caller gave the monitor
    // Nothing else of the monitor's (the caller's fds included) reaches the
    // helper; close-on-exec rather than closed, so err_fd still works.
    if (!err && ::syscall(SYS_close_range, kFirstFree, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        struct rlimit rl {};
        const unsigned long top =
            ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? rl.rlim_cur : 65536;
        for (unsigned long fd = kFirstFree; fd < top; ++fd)
            ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    }
    if (!err) {
        char* const envp[] = {nullptr};
        ::execve(path, argv, envp);
        err = errno;
    }
    ssize_t w;
    do w = ::write(err_fd, &err, sizeof err);
    while (w < 0 && errno == EINTR);
    ::_exit(127);
}

int64_t ms_left(const struct timespec& start) {
    struct timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t spent =
        (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    return kReadyTimeoutMs - spent;
}

} // namespace

const char* stack_name(NetStack s) {
    return s == NetStack::pasta ? "pasta" : s == NetStack::slirp4netns ? "slirp4netns" : "none";
}

void Helper::stop() noexcept {
    if (pidfd_) {
        pidfd_kill(pidfd_.get());
        siginfo_t si{};
        pidfd_reap(pidfd_.get(), si);
        pidfd_.reset();
    }
    exit_fd_.reset();
}

std::vector<int> Helper::fds() const {
    std::vector<int> out;
    if (pidfd_) out.push_back(pidfd_.get());
    if (exit_fd_) out.push_back(exit_fd_.get());
    return out;
}

Helper start(const UserNet& net, pid_t child, const std::vector<PortForward>& forward) {
    const std::string name = stack_name(net.stack);
    const std::string who = "network: " + name + " (" + net.helper + ")";
    if (net.helper.empty() || net.helper[0] != '/')
        fail(who + ": the helper's path must be absolute");

    Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) fail_errno("network: open /dev/null");
    Fd log(::memfd_create("burrow-net-helper-log", MFD_CLOEXEC));
    if (!log) fail_errno("network: memfd_create");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("network: pipe2");
    Fd ready_read(p[0]), ready_write(p[1]);
    Fd exit_read, exit_write;
    if (net.stack == NetStack::slirp4netns) {
        if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("network: pipe2");
        exit_read.reset(p[0]);
        exit_write.reset(p[1]);
        exit_read = high_copy(std::move(exit_read));
    }
    if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("network: pipe2");
    Fd err_read(p[0]), err_write(p[1]);
    devnull = high_copy(std::move(devnull));
    log = high_copy(std::move(log));
    ready_write = high_copy(std::move(ready_write));
    err_write = high_copy(std::move(err_write));

    const std::vector<std::string> args = helper_args(net, child, forward);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    const pid_t monitor = ::getpid();
    Helper h;
    const pid_t pid = clone_with_pidfd(h.pidfd_);
    if (pid < 0) fail_errno(who + ": cannot start it");
    if (pid == 0)
        exec_helper(monitor, net.helper.c_str(), argv.data(), devnull.get(), log.get(),
                    ready_write.get(), exit_read.get(), err_write.get());
    // From here on `h` kills and reaps the helper if anything fails.
    ready_write.reset();
    exit_read.reset();
    err_write.reset();
    h.exit_fd_ = std::move(exit_write);

    int exec_err = 0;
    ssize_t n;
    do n = ::read(err_read.get(), &exec_err, sizeof exec_err);
    while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof exec_err)) {
        h.stop();
        fail_errno(who + ": cannot execute it", exec_err);
    }

    // Configured: pasta's PID line (ends in '\n'), slirp4netns' "1".
    struct timespec start {};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    std::string got;
    for (;;) {
        if (net.stack == NetStack::pasta ? got.find('\n') != std::string::npos : !got.empty())
            return h;
        const int64_t left = ms_left(start);
        if (left <= 0) {
            h.stop();
            fail(who + ": did not configure the sandbox's network within " +
                 std::to_string(kReadyTimeoutMs / 1000) + " s");
        }
        struct pollfd pf {
            ready_read.get(), POLLIN, 0
        };
        const int r = ::poll(&pf, 1, static_cast<int>(left));
        if (r < 0 && errno != EINTR) fail_errno(who + ": poll");
        if (r <= 0) continue;
        char buf[64];
        do n = ::read(ready_read.get(), buf, sizeof buf);
        while (n < 0 && errno == EINTR);
        if (n < 0) fail_errno(who + ": reading its readiness");
        if (n == 0) break; // it closed the pipe without saying "configured"
        got.append(buf, static_cast<std::size_t>(n));
    }
    // Failed: say why in its own words, with how it ended.
    siginfo_t si{};
    if (h.pidfd_) {
        struct pollfd pf {
            h.pidfd_.get(), POLLIN, 0
        };
        // It closed the pipe: it is exiting. Do not wait for ever if not.
        if (::poll(&pf, 1, 2000) == 1) pidfd_reap(h.pidfd_.get(), si);
        if (si.si_pid != 0) h.pidfd_.reset();
    }
    h.stop();
    const std::string reason = last_message(log.get());
    std::string how = si.si_pid != 0 ? describe_wait(si) : "it stopped talking";
    fail(who + ": failed to configure the sandbox's network: " +
         (reason.empty() ? how : reason + " (" + how + ")"));
}

} // namespace burrow::user_net
