// Reading a caller-supplied fd to its end (bwrap --args, --seccomp, ...).
#pragma once

#include <cstddef>
#include <string>

namespace burrow {

// Appends everything readable from fd until EOF to out, retrying EINTR.
// Returns 0, or the errno of the failure; EFBIG once more than limit bytes
// arrive, so an endless source (a pipe from /dev/zero) is refused instead of
// exhausting memory. The fd is left open.
int read_fd_to_end(int fd, std::string& out, std::size_t limit);

} // namespace burrow
