#include "runtime/child_pidfd.hpp"

#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace burrow {

pid_t clone_with_pidfd(Fd& pidfd) {
    int fd = -1;
    struct clone_args args {};
    args.flags = CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uintptr_t>(&fd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS)
        pid = ::syscall(SYS_clone, static_cast<unsigned long>(CLONE_PIDFD) | SIGCHLD, nullptr, &fd,
                        nullptr, 0);
    if (pid > 0) pidfd.reset(fd);
    return static_cast<pid_t>(pid);
}

int pidfd_kill(int pidfd) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0));
}

void pidfd_reap(int pidfd, siginfo_t& si) {
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED) != 0 &&
           errno == EINTR) {
    }
}

} // namespace burrow
