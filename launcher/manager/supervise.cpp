#include "launcher/manager/supervise.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/manager/store.hpp"
#include "launcher/session/registry.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

namespace burrow::manager {

int supervise_main(int argc, char** argv) {
    if (argc < 5) {
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
    std::vector<char*> args(argv + 4, argv + argc);
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return kExitFailure;
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        ::dup2(devnull.get(), 0);
        ::dup2(wr.get(), 1);
        ::dup2(wr.get(), 2);
        ::signal(SIGPIPE, SIG_DFL);
        ::execv(args[0], args.data());
        const int e = errno;
        write_all(2, "burrow: manager: cannot run ");
        write_all(2, args[0], std::strlen(args[0]));
        write_all(2, ": ");
        write_all(2, std::strerror(e));
        write_all(2, "\n");
        ::_exit(kExitFailure);
    }
    wr.reset();
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    try {
        write_launch_file(store->sandboxes_fd(), id, pid, session::process_start_time(pid));
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
    try {
        write_exit_file(store->sandboxes_fd(), id, status);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: manager: %s\n", e.what());
        return kExitFailure;
    }
    return 0;
}

} // namespace burrow::manager
