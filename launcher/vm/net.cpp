#include "launcher/vm/net.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/vm/child.hpp"
#include "launcher/vm/kernel.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

namespace burrow::vm {

GuestNet::GuestNet(const std::string& passt, const std::string& log) : log_(log) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        throw VmError(std::string("passt: socketpair: ") + std::strerror(errno));
    qemu_end_.reset(sv[0]);
    Fd passt_end(sv[1]);
    // Moved above the fds the child sets up, so dup2 to 3 cannot clobber it.
    Fd high(::fcntl(passt_end.get(), F_DUPFD_CLOEXEC, 64));
    if (!high) throw VmError(std::string("passt: fcntl F_DUPFD: ") + std::strerror(errno));
    Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) throw VmError(std::string("/dev/null: ") + std::strerror(errno));
    // -F 3: the pre-connected socket, no listening socket in the file
    // system. No port forwards into the guest, IPv4 only (the guest
    // configures no IPv6). Its messages go to a log file: on the terminal
    // they would mix with the command's stderr (as root it always says it
    // changes to nobody, and without a syslog that each message is lost).
    const std::vector<std::string> args = {
        passt,       "--foreground", "--quiet",       "--log-file", log,           "--fd",
        "3",         "--ipv4-only",  "--address",     "10.0.2.15",  "--netmask",   "24",
        "--gateway", "10.0.2.2",     "--dns-forward", "10.0.2.3",   "--no-map-gw", "--tcp-ports",
        "none",      "--udp-ports",  "none"};
    std::vector<char*> av;
    for (const auto& s : args) av.push_back(const_cast<char*>(s.c_str()));
    av.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw VmError(std::string("passt: fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        // Only async-signal-safe calls from here to exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) _exit(kExitFailure);
        ::setpgid(0, 0); // a Ctrl-C on the terminal is burrow's to handle
        if (::dup2(high.get(), 3) < 0 || ::dup2(devnull.get(), 0) < 0 ||
            ::dup2(devnull.get(), 1) < 0 || ::dup2(devnull.get(), 2) < 0)
            _exit(kExitFailure);
        exec_child(av.data());
    }
    pidfd_.reset(int(::syscall(SYS_pidfd_open, pid_, 0)));
    if (!pidfd_) {
        const int err = errno;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        throw VmError(std::string("passt: pidfd_open: ") + std::strerror(err));
    }
}

std::string GuestNet::ended() {
    if (pid_ <= 0) return "";
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return "";
    pid_ = -1; // reaped: nothing for the destructor to kill
    // Once QEMU has closed its end of a connection that carried frames,
    // passt exits 0: that is the normal end, not a failure.
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return "";
    std::string why = WIFEXITED(st) ? "passt exited with status " + std::to_string(WEXITSTATUS(st))
                                    : "passt was killed by signal " + std::to_string(WTERMSIG(st));
    std::string text, err;
    if (read_regular_file(log_, 64 * 1024, text, err) == ReadFileError::none) {
        while (!text.empty() && text.back() == '\n') text.pop_back();
        if (const auto nl = text.rfind('\n'); nl != std::string::npos) text.erase(0, nl + 1);
        if (!text.empty()) why += ": " + text;
    }
    return why;
}

GuestNet::~GuestNet() {
    if (pid_ <= 0) return;
    // Through the pidfd: the pid cannot have been reused, it is our
    // unreaped child.
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
}

} // namespace burrow::vm
