// The io helpers every part uses instead of its own loop: writing a whole
// buffer, reading a caller-supplied fd to its end with a cap (bwrap --args,
// --seccomp, ...), and reading user-named files (policies, `extends`
// targets, seccomp profiles).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace burrow {

// Writes all of data to fd, retrying EINTR and short writes. Returns 0, or
// the errno of the failure (EIO for a write that returned 0). Only write(2)
// and errno: async-signal-safe, usable between clone and exec.
int write_all(int fd, const void* data, std::size_t size);
inline int write_all(int fd, std::string_view s) {
    return write_all(fd, s.data(), s.size());
}

// The same on a stream socket with send(MSG_NOSIGNAL): a peer that is gone
// gives EPIPE, never SIGPIPE (a hook's stdin that the hook never reads).
int send_all(int sock, std::string_view s);

// Appends everything readable from fd until EOF to out, retrying EINTR.
// Returns 0, or the errno of the failure; EFBIG once more than limit bytes
// arrive, so an endless source (a pipe from /dev/zero) is refused instead of
// exhausting memory. The fd is left open.
int read_fd_to_end(int fd, std::string& out, std::size_t limit);

// Why read_regular_file refused a file.
enum class ReadFileError { none, open, not_regular, too_large, read };

// Reads the whole of path into out if it is a regular file of at most limit
// bytes. The file is opened without blocking (O_NONBLOCK: opening a FIFO
// waits for a writer otherwise, and `extends = "fifo"` hung burrow run
// forever) and checked with fstat on the opened object, so nothing else (a
// FIFO, a device, a socket, a directory) is ever read. A symlink in the path
// is followed: the path is the caller's own choice and burrow reads it with
// the caller's rights; only what it opens must be a regular file. On failure
// returns the kind and sets why ("No such file or directory", "a FIFO,
// not a regular file", ...); out is left unspecified.
ReadFileError read_regular_file(const std::string& path, std::size_t limit, std::string& out,
                                std::string& why);

} // namespace burrow
