// See display.hpp.
#include "launcher/vm/display.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/exit_status.hpp"
#include "runtime/fd.hpp"

namespace burrow::vm {

namespace {

// QEMU's `-display help`: one backend name per line after a header; at most
// 64 KiB and 3 s, then the answer is "none".
std::string display_help(const std::string& qemu) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return {};
    Fd rd(p[0]), wr(p[1]);
    Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) return {};
    std::string q = qemu, d = "-display", h = "help";
    char* const av[] = {q.data(), d.data(), h.data(), nullptr};
    pid_t pid = ::fork();
    if (pid < 0) return {};
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(devnull.get(), 0), ::dup2(wr.get(), 1), ::dup2(devnull.get(), 2);
        ::execv(av[0], av);
        _exit(kExitNotFound);
    }
    wr.reset();
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        pollfd pf{rd.get(), POLLIN, 0};
        if (left <= 0 || ::poll(&pf, 1, int(left)) <= 0) break;
        char buf[4096];
        const ssize_t n = ::read(rd.get(), buf, sizeof buf);
        if (n <= 0 || out.size() > 65536) break;
        out.append(buf, size_t(n));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return out;
}

} // namespace

std::string window_display(const std::string& qemu, std::string& why) {
    if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) {
        why = "no DISPLAY or WAYLAND_DISPLAY";
        return {};
    }
    const std::string help = display_help(qemu);
    for (const char* ui : {"gtk", "sdl"}) {
        const std::string line = std::string("\n") + ui + "\n";
        if (help.find(line) != std::string::npos) return ui;
    }
    why = "this QEMU has no window display (gtk or sdl; on Debian: the package qemu-system-gui)";
    return {};
}

} // namespace burrow::vm
