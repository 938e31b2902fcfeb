// Children of the monitor that it tracks by pidfd (the network helper of
// user_net.hpp, the egress proxy of egress/egress.hpp): started with one,
// killed and reaped through it, so a recycled pid is never signalled.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "runtime/fd.hpp"

namespace burrow {

// fork()-like (SIGCHLD, same address space copied) with a pidfd in `pidfd`:
// 0 in the child, the pid in the parent, -1 (errno) on failure.
pid_t clone_with_pidfd(Fd& pidfd);

// SIGKILL through the pidfd (-1 with errno on failure).
int pidfd_kill(int pidfd);

// Waits for the child to end (EINTR retried); si describes how.
void pidfd_reap(int pidfd, siginfo_t& si);

} // namespace burrow
