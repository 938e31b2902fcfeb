#include "launcher/manager/supervise.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "launcher/manager/screenshot.hpp"
#include "launcher/manager/store.hpp"
#include "launcher/session/registry.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

extern char** environ;

namespace burrow::manager {
namespace {

std::string random_bytes(std::size_t n) {
    std::string s(n, '\0');
    if (::getrandom(s.data(), n, 0) != static_cast<ssize_t>(n))
        throw std::runtime_error("getrandom failed");
    return s;
}

void write_private(int dirfd, const char* name, const std::string& data) {
    Fd fd(::openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw std::runtime_error(std::string(name) + ": " + std::strerror(errno));
    if (int e = write_all(fd.get(), data); e != 0)
        throw std::runtime_error(std::string(name) + ": " + std::strerror(e));
}

} // namespace

// An Xvfb for one sandbox: STATE/displays/ID/ holds its server-side cookie
// file, the client's XAUTHORITY (bound read-only into the sandbox by the
// launch) and the screen (Xvfb_screen0, XWD) the manager turns into PNGs.
// The X server dies with the supervisor (PR_SET_PDEATHSIG) and is stopped
// with the launch. -noreset: without it the server resets its screen each
// time its last client disconnects (a command that draws and exits would
// leave nothing to see).
struct Display {
    std::string number, client_auth, dir;
    pid_t pid = 0;
    int dirs_fd = -1;
    std::string id;

    Display(const Store& store, const std::string& sandbox) : id(sandbox) {
        if (::mkdirat(store.displays_fd(), id.c_str(), 0700) != 0 && errno != EEXIST)
            throw std::runtime_error(std::string("mkdir: ") + std::strerror(errno));
        dirs_fd = store.displays_fd();
        dir = store.dir() + "/displays/" + id;
        Fd d(::openat(dirs_fd, id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) throw std::runtime_error(dir + ": " + std::strerror(errno));
        const std::string cookie = random_bytes(16);
        write_private(d.get(), "server-auth", xauth_entry("0", cookie));
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        Fd rd(p[0]), wr(p[1]);
        Fd out(::openat(d.get(), "xvfb.log", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                        0600));
        const std::string fdarg = "3";
        const std::string auth = dir + "/server-auth";
        std::vector<std::string> a = {"Xvfb",      "-displayfd", fdarg,      "-auth",  auth,
                                      "-nolisten", "tcp",        "-noreset", "-fbdir", dir,
                                      "-screen",   "0",          kScreen};
        std::vector<char*> av;
        for (auto& x : a) av.push_back(x.data());
        av.push_back(nullptr);
        const pid_t parent = ::getpid();
        pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            // Async-signal-safe only from here to exec.
            ::prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
            if (::getppid() != parent) ::_exit(1);
            ::dup2(wr.get(), 3);
            const int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            if (out) {
                ::dup2(out.get(), 1);
                ::dup2(out.get(), 2);
            }
            ::setsid();
            ::execvp("Xvfb", av.data());
            ::_exit(127);
        }
        wr.reset();
        // "N\n" once it accepts connections; up to 10 s.
        std::string got;
        struct pollfd pf = {rd.get(), POLLIN, 0};
        while (got.find('\n') == std::string::npos && ::poll(&pf, 1, 10000) > 0) {
            char buf[16];
            const ssize_t n = ::read(rd.get(), buf, sizeof buf);
            if (n <= 0) break;
            got.append(buf, static_cast<size_t>(n));
        }
        if (got.empty() || got.find('\n') == std::string::npos) {
            stop();
            throw std::runtime_error("Xvfb did not start (is it installed? see " + dir +
                                     "/xvfb.log)");
        }
        number = got.substr(0, got.find('\n'));
        write_private(d.get(), "Xauthority", xauth_entry(number, cookie));
        client_auth = dir + "/Xauthority";
    }
    void stop() {
        if (pid <= 0) return;
        ::kill(pid, SIGTERM);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        pid = 0;
    }
    ~Display() {
        stop();
        Fd d(::openat(dirs_fd, id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (d)
            for (const char* f : {"server-auth", "Xauthority", "xvfb.log", "Xvfb_screen0"})
                ::unlinkat(d.get(), f, 0);
        ::unlinkat(dirs_fd, id.c_str(), AT_REMOVEDIR);
    }
};

int supervise_main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "burrow: %s: internal use only\n", kSuperviseVerb);
        return kExitFailure;
    }
    const std::string id = argv[3];
    if (!valid_id(id)) {
        std::fprintf(stderr, "burrow: %s: bad id\n", kSuperviseVerb);
        return kExitFailure;
    }
    // Its own session: a terminal's or the manager's process group signals
    // never reach it, and it stays when the manager goes.
    ::setsid();
    ::signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<Store> store;
    try {
        store = std::make_unique<Store>(argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: manager: %s\n", e.what());
        return kExitFailure;
    }
    Fd log(::openat(store->logs_fd(), (id + ".log").c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!log) {
        std::fprintf(stderr, "burrow: manager: %s: %s\n", store->log_path(id).c_str(),
                     std::strerror(errno));
        return kExitFailure;
    }
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return kExitFailure;
    Fd rd(p[0]), wr(p[1]);
    Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) return kExitFailure;
    // Everything the child needs, prepared before fork.
    const bool display = std::strcmp(argv[4], "display") == 0;
    // "vm-display": the VM shows its own screen (QEMU's VNC socket and QMP);
    // without the manager's DISPLAY, so that QEMU never opens a window on
    // the manager's host screen.
    const bool vm_display = std::strcmp(argv[4], "vm-display") == 0;
    std::unique_ptr<Display> xvfb;
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
    if (vm_display)
        std::erase_if(env_s, [](const std::string& v) {
            return v.rfind("DISPLAY=", 0) == 0 || v.rfind("WAYLAND_DISPLAY=", 0) == 0;
        });
    if (display) {
        try {
            xvfb = std::make_unique<Display>(*store, id);
        } catch (const std::exception& e) {
            const std::string m = std::string("burrow: manager: display: ") + e.what() + "\n";
            write_all(log.get(), m);
            write_exit_file(store->sandboxes_fd(), id, kExitFailure << 8);
            return kExitFailure;
        }
        std::erase_if(env_s, [](const std::string& v) {
            return v.rfind("DISPLAY=", 0) == 0 || v.rfind("XAUTHORITY=", 0) == 0 ||
                   v.rfind("WAYLAND_DISPLAY=", 0) == 0;
        });
        env_s.push_back("DISPLAY=:" + xvfb->number);
        env_s.push_back("XAUTHORITY=" + xvfb->client_auth);
    }
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> args(argv + 5, argv + argc);
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return kExitFailure;
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        ::dup2(devnull.get(), 0);
        ::dup2(wr.get(), 1);
        ::dup2(wr.get(), 2);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(args[0], args.data(), envp.data());
        // strerror() is not async-signal-safe: the number, then the name
        // of the usual ones.
        const int e = errno;
        char num[16];
        size_t k = sizeof num;
        unsigned v = static_cast<unsigned>(e);
        do num[--k] = static_cast<char>('0' + v % 10);
        while ((v /= 10) != 0 && k > 0);
        write_all(2, "burrow: manager: cannot run ");
        write_all(2, args[0], std::strlen(args[0]));
        write_all(2, ": errno ");
        write_all(2, num + k, sizeof num - k);
        write_all(2, e == ENOENT   ? " (No such file or directory)\n"
                     : e == EACCES ? " (Permission denied)\n"
                                   : "\n");
        ::_exit(kExitFailure);
    }
    wr.reset();
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    try {
        write_launch_file(store->sandboxes_fd(), id, pid, session::process_start_time(pid),
                          ::getpid(), session::process_start_time(::getpid()));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: manager: %s\n", e.what());
    }
    // Copy the output until the launch is over and its output is drained
    // (a process of the payload that keeps the pipe open past the launch
    // cannot keep the record from being written: the pidfd ends the loop).
    std::size_t written = 0;
    bool capped = false, exited = false;
    char buf[65536];
    for (;;) {
        struct pollfd fds[2] = {{rd.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        const int n = ::poll(fds, pidfd ? 2 : 1, exited ? 0 : -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (fds[1].revents & POLLIN) exited = true;
        if (n == 0 && exited) break; // drained after the end
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            const ssize_t r = ::read(rd.get(), buf, sizeof buf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                if (!exited && !pidfd) break;
                if (!exited) {
                    // EOF: every writer is gone; the launch ends next.
                    rd.reset();
                    struct pollfd f = {pidfd.get(), POLLIN, 0};
                    while (::poll(&f, 1, -1) < 0 && errno == EINTR) {
                    }
                }
                break;
            }
            if (written < kLogCap) {
                const std::size_t take = std::min<std::size_t>(r, kLogCap - written);
                write_all(log.get(), buf, take);
                written += take;
            } else if (!capped) {
                capped = true;
                write_all(log.get(), "\n[burrow manager: the log reached its cap of 64 MiB; "
                                     "the rest of the output is discarded]\n");
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    xvfb.reset(); // the display goes with the sandbox
    // Deleted through the API while it ran: its record is gone, so are its
    // other files (no orphan left for a later manager to trip over).
    if (::faccessat(store->sandboxes_fd(), (id + ".json").c_str(), F_OK, AT_SYMLINK_NOFOLLOW) !=
        0) {
        ::unlinkat(store->sandboxes_fd(), (id + ".launch").c_str(), 0);
        return 0;
    }
    try {
        write_exit_file(store->sandboxes_fd(), id, status);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: manager: %s\n", e.what());
        return kExitFailure;
    }
    return 0;
}

} // namespace burrow::manager
