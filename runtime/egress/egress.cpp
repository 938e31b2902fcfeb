#include "runtime/egress/egress.hpp"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <sstream>
#include <string>

#include "runtime/caps.hpp"
#include "runtime/child_pidfd.hpp"
#include "runtime/egress/proxy.hpp"
#include "runtime/egress/steer.hpp"
#include "runtime/error.hpp"
#include "runtime/io.hpp"
#include "runtime/supervisor.hpp"

namespace burrow::egress {

namespace {

// The proxy parses hostile bytes (ClientHellos, HTTP heads, DNS messages).
// A hole there must not become more than the proxy already is: no exec, no
// new process, thread or namespace, no ptrace or other process's memory, no
// mount, no kernel keyring, BPF or module. A deny list (EPERM), because
// c-ares, Asio and the sanitizers need the ordinary rest; another ABI's
// system calls (int 0x80) kill it (libseccomp's default for a foreign
// architecture).
void confine() {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) fail("network: seccomp_init failed for the egress proxy");
    static const char* const denied[] = {"execve",
                                         "execveat",
                                         "fork",
                                         "vfork",
                                         "clone",
                                         "clone3",
                                         "ptrace",
                                         "process_vm_readv",
                                         "process_vm_writev",
                                         "pidfd_getfd",
                                         "setns",
                                         "unshare",
                                         "mount",
                                         "umount2",
                                         "pivot_root",
                                         "chroot",
                                         "move_mount",
                                         "open_tree",
                                         "fsopen",
                                         "fsmount",
                                         "bpf",
                                         "perf_event_open",
                                         "keyctl",
                                         "add_key",
                                         "request_key",
                                         "init_module",
                                         "finit_module",
                                         "delete_module",
                                         "kexec_load",
                                         "kexec_file_load",
                                         "userfaultfd",
                                         "io_uring_setup",
                                         "open_by_handle_at",
                                         "name_to_handle_at",
                                         "personality",
                                         "setuid",
                                         "setgid",
                                         "setreuid",
                                         "setregid",
                                         "setresuid",
                                         "setresgid",
                                         "setgroups",
                                         "capset"};
    int rc = 0;
    for (const char* name : denied) {
        const int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) continue; // not on this architecture
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0) break;
    }
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) fail_errno("network: cannot confine the egress proxy (seccomp)", -rc);
}

// Generous: a loaded machine must not fail a sandbox.
constexpr int kReadyTimeoutMs = 30000;
constexpr int kStopTimeoutMs = 3000;
constexpr std::size_t kReportLimit = 1 << 20;

void say(int fd, const std::string& line) {
    (void)write_all(fd, line);
}

// The setup child: in the sandbox's namespaces, make the listeners and the
// rules, hand the listeners over. Its reason for failing goes to `report`.
[[noreturn]] void setup_child(const Egress& egress, int user_ns, int net_ns, int sock, int report) {
    try {
        // A container without a user namespace of its own (nspawn as root)
        // is in ours already: setns() would refuse to enter it again.
        struct stat mine {
        }, theirs{};
        const bool same = ::stat("/proc/self/ns/user", &mine) == 0 &&
                          ::fstat(user_ns, &theirs) == 0 && mine.st_ino == theirs.st_ino &&
                          mine.st_dev == theirs.st_dev;
        if (!same && ::setns(user_ns, CLONE_NEWUSER) != 0)
            fail_errno("network: cannot enter the sandbox's user namespace");
        if (::setns(net_ns, CLONE_NEWNET) != 0)
            fail_errno("network: cannot enter the sandbox's network namespace");
        send_listeners(sock, steer(egress));
        ::_exit(0);
    } catch (const std::exception& e) {
        say(report, std::string("E") + e.what() + "\n");
    } catch (...) {
        say(report, "Enetwork: the egress proxy's setup failed\n");
    }
    ::_exit(1);
}

// The proxy process. Never returns into the monitor's code.
[[noreturn]] void proxy_main(pid_t monitor, pid_t sandbox, const Egress& egress, int user_ns,
                             int net_ns, int report, int stop, int log_fd, bool json) {
    try {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ign, nullptr); // a client gone mid-splice is an error return
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail_errno("network: prctl");
        if (::getppid() != monitor) ::_exit(1);
        supervisor::close_fds_except({user_ns, net_ns, report, stop, log_fd});

        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
            fail_errno("network: socketpair");
        Fd mine(sp[0]), theirs(sp[1]);
        Fd setup_pidfd;
        const pid_t pid = clone_with_pidfd(setup_pidfd);
        if (pid < 0) fail_errno("network: cannot start the egress proxy's setup");
        if (pid == 0) setup_child(egress, user_ns, net_ns, theirs.get(), report);
        theirs.reset();
        struct stat net_st {};
        const std::string netns = ::fstat(net_ns, &net_st) == 0
                                      ? "net:[" + std::to_string(net_st.st_ino) + "]"
                                      : std::string();
        ::close(user_ns);
        ::close(net_ns);
        siginfo_t si{};
        pidfd_reap(setup_pidfd.get(), si);
        if (si.si_code != CLD_EXITED || si.si_status != 0) {
            if (si.si_code != CLD_EXITED)
                say(report, "Enetwork: the egress proxy's setup was killed by signal " +
                                std::to_string(si.si_status) + "\n");
            ::_exit(1); // its reason is on `report` already
        }
        Listeners l = receive_listeners(mine.get());
        mine.reset();
        // Nothing privileged is left to do: the proxy connects out as the
        // caller, with no capability, and cannot regain one.
        caps::drop_all();
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail_errno("network: no_new_privs");
        if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail_errno("network: dumpable");
        confine();
        say(report, "R\n");

        ProxyConfig cfg;
        cfg.egress = &egress;
        cfg.log_fd = log_fd;
        cfg.json = json;
        cfg.stop_fd = stop;
        cfg.sandbox_pid = sandbox;
        cfg.sandbox_netns = netns;
        const auto tallies = serve(cfg, std::move(l));
        std::string out;
        for (const auto& t : tallies)
            out += "T " + std::to_string(t.allowed) + " " + std::to_string(t.refused) + " " +
                   t.dest + "\n";
        say(report, out);
        ::_exit(0);
    } catch (const std::exception& e) {
        say(report, std::string("E") + e.what() + "\n");
    } catch (...) {
        say(report, "Enetwork: the egress proxy failed\n");
    }
    ::_exit(1);
}

int64_t ms_since(const timespec& t0) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
}

// Reads from fd until `done(got)` or EOF or the timeout. false: timed out.
template <class Done> bool read_until(int fd, std::string& got, int timeout_ms, Done done) {
    timespec t0{};
    ::clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!done(got)) {
        const int64_t left = timeout_ms - ms_since(t0);
        if (left <= 0) return false;
        pollfd pf{fd, POLLIN, 0};
        const int r = ::poll(&pf, 1, static_cast<int>(left));
        if (r < 0 && errno != EINTR) fail_errno("network: poll");
        if (r <= 0) continue;
        char buf[4096];
        ssize_t n;
        do n = ::read(fd, buf, sizeof buf);
        while (n < 0 && errno == EINTR);
        if (n <= 0) return true;
        if (got.size() < kReportLimit) got.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

Fd open_ns(pid_t child, const char* which) {
    const std::string path = "/proc/" + std::to_string(child) + "/ns/" + which;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) fail_errno("network: open " + path);
    return fd;
}

} // namespace

void Running::kill() noexcept {
    stop_.reset();
    report_.reset();
    if (pidfd_) {
        pidfd_kill(pidfd_.get());
        siginfo_t si{};
        pidfd_reap(pidfd_.get(), si);
        pidfd_.reset();
    }
}

std::vector<int> Running::fds() const {
    std::vector<int> out;
    for (const Fd* f : {&pidfd_, &report_, &stop_})
        if (*f) out.push_back(f->get());
    return out;
}

std::vector<RunResult::NetTally> Running::stop() {
    std::vector<RunResult::NetTally> out;
    if (!pidfd_) return out;
    stop_.reset(); // EOF on the proxy's stop pipe
    std::string got;
    try {
        (void)read_until(report_.get(), got, kStopTimeoutMs,
                         [](const std::string&) { return false; });
    } catch (const SetupError&) {
    }
    kill();
    std::istringstream in(got);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("T ", 0) != 0) continue;
        std::istringstream f(line.substr(2));
        RunResult::NetTally t;
        f >> t.allowed >> t.refused;
        f.get();
        std::getline(f, t.dest);
        out.push_back(t);
    }
    return out;
}

Running launch(const Egress& egress, pid_t child, int json_status_fd) {
    Fd user_ns = open_ns(child, "user"), net_ns = open_ns(child, "net");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("network: pipe2");
    Fd report_read(p[0]), report_write(p[1]);
    if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("network: pipe2");
    Fd stop_read(p[0]), stop_write(p[1]);
    const int log_fd = json_status_fd >= 0 ? json_status_fd : STDERR_FILENO;

    const pid_t monitor = ::getpid();
    Running r;
    const pid_t pid = clone_with_pidfd(r.pidfd_);
    if (pid < 0) fail_errno("network: cannot start the egress proxy");
    if (pid == 0)
        proxy_main(monitor, child, egress, user_ns.get(), net_ns.get(), report_write.get(),
                   stop_read.get(), log_fd, json_status_fd >= 0);
    // From here on `r` kills and reaps the proxy if anything fails.
    report_write.reset();
    stop_read.reset();
    r.report_ = std::move(report_read);
    r.stop_ = std::move(stop_write);
    return r;
}

void Running::wait_ready() {
    std::string got;
    const bool in_time = read_until(report_.get(), got, kReadyTimeoutMs, [](const std::string& g) {
        return g.find('\n') != std::string::npos;
    });
    if (got.rfind("R\n", 0) == 0) return;
    kill();
    if (!got.empty() && got[0] == 'E') {
        std::string line = got.substr(1, got.find('\n') - 1);
        fail(line);
    }
    fail(in_time ? "network: the egress proxy ended before its listeners were ready"
                 : "network: the egress proxy was not ready within " +
                       std::to_string(kReadyTimeoutMs / 1000) + " s");
}

} // namespace burrow::egress
