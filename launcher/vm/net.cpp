#include "launcher/vm/net.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sched.h>
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

namespace {

// Async-signal-safe: one byte, retried on EINTR (writes: runtime/io's
// write_all, which is too).
bool get_byte(int fd, char& c) {
    ssize_t n;
    do n = ::read(fd, &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
}

// The new user namespace maps the caller's ids to themselves. Root's passt
// opens its log (in root's private launch dir) and then makes itself
// nobody, as it does outside: nobody is mapped too.
void write_id_maps(pid_t pid) {
    const std::string base = "/proc/" + std::to_string(pid) + "/";
    const bool root = ::geteuid() == 0;
    auto map = [root](unsigned id) {
        return root ? std::string("0 0 1\n65534 65534 1\n")
                    : std::to_string(id) + " " + std::to_string(id) + " 1\n";
    };
    const std::pair<const char*, std::string> files[] = {
        {"setgroups", "deny"}, {"uid_map", map(::geteuid())}, {"gid_map", map(::getegid())}};
    for (const auto& [name, text] : files) {
        const std::string path = base + name;
        Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        const int err = !fd ? errno : write_all(fd.get(), text);
        if (err != 0) throw VmError("passt: " + path + ": " + std::strerror(err));
    }
}

} // namespace

GuestNet::GuestNet(const std::string& passt, const std::string& log, const Egress* egress)
    : log_(log) {
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
    // An allowlist: passt runs in a network namespace of its own that
    // burrow's egress proxy steers (runtime/egress/), so every connection
    // passt makes for the guest, and every DNS query it forwards, is held
    // to the allowlist there. `unshared` says the child has its namespaces,
    // `go` that the proxy is ready (EOF: give up, do not run passt).
    Fd unshared_read, unshared_write, go_read, go_write;
    if (egress) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            throw VmError(std::string("passt: pipe2: ") + std::strerror(errno));
        unshared_read.reset(p[0]), unshared_write.reset(p[1]);
        if (::pipe2(p, O_CLOEXEC) != 0)
            throw VmError(std::string("passt: pipe2: ") + std::strerror(errno));
        go_read.reset(p[0]), go_write.reset(p[1]);
    }
    // -F 3: the pre-connected socket, no listening socket in the file
    // system. No port forwards into the guest, IPv4 only (the guest
    // configures no IPv6). Its messages go to a log file: on the terminal
    // they would mix with the command's stderr (as root it always says it
    // changes to nobody, and without a syslog that each message is lost).
    std::vector<std::string> args = {
        passt,       "--foreground", "--quiet",       "--log-file", log,           "--fd",
        "3",         "--ipv4-only",  "--address",     "10.0.2.15",  "--netmask",   "24",
        "--gateway", "10.0.2.2",     "--dns-forward", "10.0.2.3",   "--no-map-gw", "--tcp-ports",
        "none",      "--udp-ports",  "none"};
    // Steered, its namespace has lo and the proxy's template tap only.
    if (egress) args.insert(args.end(), {"--interface", "burrow0"});
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
        if (egress) {
            // Only the parent's ends of the two pipes may stay open: EOF
            // on `go` must mean the parent gave up.
            ::close(unshared_read.get());
            ::close(go_write.get());
            char c = 0;
            if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0 ||
                write_all(unshared_write.get(), "u") != 0 || !get_byte(go_read.get(), c) ||
                c != 'g')
                _exit(kExitFailure);
        }
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
    if (!egress) return;
    // A constructor that throws runs no destructor: from here on `undo`
    // kills passt (not yet exec'd) and the proxy if anything fails.
    struct Undo {
        GuestNet& n;
        bool armed = true;
        ~Undo() {
            if (armed) n.kill();
        }
    } undo{*this};
    unshared_write.reset();
    go_read.reset();
    char c = 0;
    if (!get_byte(unshared_read.get(), c))
        throw VmError("passt: its network namespace could not be made (unshare)");
    write_id_maps(pid_);
    try {
        proxy_ = egress::launch(*egress, pid_, -1);
        proxy_.wait_ready();
    } catch (const std::exception& e) {
        throw VmError(e.what());
    }
    if (const int err = write_all(go_write.get(), "g"); err != 0)
        throw VmError(std::string("passt: cannot let it start: ") + std::strerror(err));
    undo.armed = false;
}

void GuestNet::kill() noexcept {
    if (pid_ > 0) {
        // Through the pidfd: the pid cannot have been reused, it is our
        // unreaped child.
        ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }
    proxy_.kill();
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
    kill();
}

} // namespace burrow::vm
