// enter and stop for the vm backend: the registry entry's pid is QEMU's, its
// control endpoint the unix socket QEMU serves for the guest's enter port
// (framing in launcher/vm/protocol.hpp).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include "launcher/vm/launch.hpp"
#include "launcher/vm/protocol.hpp"
#include "runtime/fd.hpp"
#include "runtime/exit_status.hpp"

namespace burrow::launch {
namespace {

using namespace burrow::vm;

uint64_t start_time(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), {});
    size_t pos = s.rfind(')');
    if (pos == std::string::npos) return 0;
    pos += 2;
    for (int field = 3; field < 22; ++field) {
        pos = s.find(' ', pos);
        if (pos == std::string::npos) return 0;
        ++pos;
    }
    return std::strtoull(s.c_str() + pos, nullptr, 10);
}

// A pidfd for pid only while it still is the recorded process.
Fd pidfd_if_same(pid_t pid, uint64_t started) {
    if (pid <= 0) return {};
    Fd fd(int(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd || (started && start_time(pid) != started)) return {};
    return fd;
}

bool write_all(int fd, const std::string& s) {
    for (size_t off = 0; off < s.size();) {
        ssize_t w = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += size_t(w);
    }
    return true;
}

std::string frame(char type, const std::string& payload) {
    uint32_t n = uint32_t(payload.size());
    std::string f = {type, char(n), char(n >> 8), char(n >> 16), char(n >> 24)};
    return f + payload;
}

// Local escape, as ssh's: in tty mode "~." right after a newline ends the
// session (every other key goes to the guest, ^C and ^D included), "~~"
// sends one "~". Input passes through feed(); what it returns goes out.
class Escape {
  public:
    explicit Escape(bool on) : on_(on) {}
    // Appends to `out` what to send; true when the user typed "~.".
    bool feed(const char* buf, size_t n, std::string& out) {
        for (size_t i = 0; i < n; ++i) {
            char c = buf[i];
            if (!on_) {
                out += c;
                continue;
            }
            if (tilde_) {
                tilde_ = false;
                if (c == '.') return true;
                if (c != '~') out += '~';
                out += c;
                line_start_ = c == '\r' || c == '\n';
                continue;
            }
            if (line_start_ && c == '~') {
                tilde_ = true;
                continue;
            }
            out += c;
            line_start_ = c == '\r' || c == '\n';
        }
        return false;
    }

  private:
    bool on_;
    bool line_start_ = true;
    bool tilde_ = false;
};

} // namespace

int enter_vm(const session::Entry& e, const std::vector<std::string>& argv) {
    Fd qemu = pidfd_if_same(e.pid, e.start_time);
    if (!qemu) {
        std::fprintf(stderr, "burrow: enter: the VM of %s is not running\n", e.project_dir.c_str());
        return kExitFailure;
    }
    Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (e.control.size() >= sizeof sa.sun_path) {
        std::fprintf(stderr, "burrow: enter: %s: socket path too long\n", e.control.c_str());
        return kExitFailure;
    }
    std::memcpy(sa.sun_path, e.control.c_str(), e.control.size());
    if (!s || ::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
        std::fprintf(stderr, "burrow: enter: %s: %s\n", e.control.c_str(), std::strerror(errno));
        return kExitFailure;
    }
    bool tty = ::isatty(0) && ::isatty(1);
    std::string hdr(1, tty ? 't' : 'p');
    for (const auto& a : argv) hdr += a + '\0';
    // A ping right behind the header: the guest's answer proves its enter
    // server is alive (QEMU accepts the connection even when it is not).
    std::string out = frame('h', hdr) + frame('p', {});
    termios saved{};
    bool raw = false;
    if (tty && ::tcgetattr(0, &saved) == 0) {
        termios t = saved;
        ::cfmakeraw(&t);
        raw = ::tcsetattr(0, TCSANOW, &t) == 0;
        winsize ws{};
        if (::ioctl(1, TIOCGWINSZ, &ws) == 0) {
            std::string w = {char(ws.ws_row), char(ws.ws_row >> 8), char(ws.ws_col),
                             char(ws.ws_col >> 8)};
            out += frame('w', w);
        }
    }
    void (*old_pipe)(int) = ::signal(SIGPIPE, SIG_IGN);
    int status = -1;
    bool in_open = true;
    std::string rx, why;
    Escape esc(tty);
    using Clock = std::chrono::steady_clock;
    // The guest answers a ping at once; silence for kSilence after one was
    // sent means it stopped answering (generous for TCG on a loaded host).
    constexpr auto kPingEvery = std::chrono::seconds(5);
    constexpr auto kSilence = std::chrono::seconds(kEnterSilenceS);
    Clock::time_point last_rx = Clock::now(), ping_sent = Clock::now();
    bool ping_out = true;
    if (!write_all(s.get(), out)) in_open = false;
    while (status < 0 && why.empty()) {
        pollfd p[3] = {
            {in_open ? 0 : -1, POLLIN, 0}, {s.get(), POLLIN, 0}, {qemu.get(), POLLIN, 0}};
        if (::poll(p, 3, 1000) < 0) {
            if (errno == EINTR) continue;
            why = std::string("poll: ") + std::strerror(errno);
            break;
        }
        auto now = Clock::now();
        if (ping_out && now - ping_sent >= kSilence) {
            why = "the VM stopped answering (no reply in " + std::to_string(kEnterSilenceS) + " s)";
            break;
        }
        if (!ping_out && now - last_rx >= kPingEvery) {
            write_all(s.get(), frame('p', {}));
            ping_out = true;
            ping_sent = now;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t n = ::read(0, buf, sizeof buf);
            if (n > 0) {
                std::string send;
                if (esc.feed(buf, size_t(n), send)) {
                    why = "left the session (~.)";
                    break;
                }
                if (!send.empty()) write_all(s.get(), frame('i', send));
            } else if (n == 0 || errno != EINTR) {
                in_open = false;
                write_all(s.get(), frame('e', {}));
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[8192];
            ssize_t n = ::read(s.get(), buf, sizeof buf);
            if (n <= 0) break;
            last_rx = now;
            ping_out = false;
            rx.append(buf, size_t(n));
            // Frames are parsed from `pos` on and the consumed prefix dropped
            // once per read: linear in what the guest sends. A length over
            // kMaxFrame is refused before anything is buffered for it.
            size_t pos = 0;
            while (rx.size() - pos >= kFrameHeader) {
                const char* h = rx.data() + pos;
                uint32_t len = uint32_t(uint8_t(h[1])) | uint32_t(uint8_t(h[2])) << 8 |
                               uint32_t(uint8_t(h[3])) << 16 | uint32_t(uint8_t(h[4])) << 24;
                if (len > kMaxFrame) {
                    why = "the guest sent a frame of " + std::to_string(len) + " bytes (limit " +
                          std::to_string(kMaxFrame) + ")";
                    break;
                }
                if (rx.size() - pos < kFrameHeader + len) break;
                if (h[0] == 'o') {
                    for (size_t off = kFrameHeader; off < kFrameHeader + len;) {
                        ssize_t w = ::write(1, h + off, kFrameHeader + len - off);
                        if (w <= 0) break;
                        off += size_t(w);
                    }
                } else if (h[0] == 'x' && len == 4) {
                    status = uint8_t(h[5]);
                }
                pos += kFrameHeader + len;
            }
            rx.erase(0, pos);
        }
        if (p[2].revents & POLLIN) break; // QEMU is gone
    }
    if (raw) ::tcsetattr(0, TCSANOW, &saved);
    ::signal(SIGPIPE, old_pipe);
    if (!why.empty()) {
        std::fprintf(stderr, "%sburrow: enter: %s\n", raw ? "\r\n" : "", why.c_str());
        return kExitFailure;
    }
    if (status < 0) {
        std::fprintf(stderr, "burrow: enter: the VM's console closed before the command ended\n");
        return kExitFailure;
    }
    return status;
}

int stop_vm(const session::Entry& e) {
    Fd qemu = pidfd_if_same(e.pid, e.start_time);
    if (!qemu) {
        std::fprintf(stderr, "burrow: stop: the VM of %s is not running\n", e.project_dir.c_str());
        return kExitFailure;
    }
    auto wait_gone = [&](int ms) {
        pollfd p{qemu.get(), POLLIN, 0};
        return ::poll(&p, 1, ms) > 0;
    };
    // The launching burrow forwards SIGTERM to the command (exit 143),
    // waits for the guest to power off and removes its launch directory.
    Fd launcher = pidfd_if_same(e.launcher_pid, 0);
    if (launcher && ::syscall(SYS_pidfd_send_signal, launcher.get(), SIGTERM, nullptr, 0) == 0 &&
        wait_gone(10000))
        return 0;
    ::syscall(SYS_pidfd_send_signal, qemu.get(), SIGTERM, nullptr, 0);
    if (wait_gone(5000)) return 0;
    ::syscall(SYS_pidfd_send_signal, qemu.get(), SIGKILL, nullptr, 0);
    wait_gone(5000);
    return 0;
}

} // namespace burrow::launch
