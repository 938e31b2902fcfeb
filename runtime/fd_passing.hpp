// Passing file descriptors over a unix socket (SCM_RIGHTS): the console
// master to an OCI --console-socket, the seccomp listener to the monitor,
// a container command's stdio to its helper. One implementation, with no
// allocation, so that it is safe between fork/clone and exec.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace burrow {

constexpr std::size_t kMaxPassedFds = 8;

// Sends `len` bytes of `data` (at least one: a stream socket carries
// ancillary data only with a byte) and `nfds` descriptors (at most
// kMaxPassedFds) in one sendmsg(), MSG_NOSIGNAL, retried on EINTR.
// Returns the bytes sent, or -1 with errno set (EINVAL for bad counts).
ssize_t send_fds(int sock, const int* fds, std::size_t nfds, const void* data, std::size_t len);

} // namespace burrow
