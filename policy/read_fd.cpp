#include "policy/read_fd.hpp"

#include <unistd.h>

#include <cerrno>

namespace burrow {

int read_fd_to_end(int fd, std::string& out, std::size_t limit) {
    const std::size_t start = out.size();
    std::size_t chunk = 64 * 1024;
    for (;;) {
        const std::size_t have = out.size();
        out.resize(have + chunk);
        ssize_t n = ::read(fd, out.data() + have, chunk);
        if (n < 0) {
            const int err = errno;
            out.resize(have);
            if (err == EINTR) continue;
            return err;
        }
        out.resize(have + static_cast<std::size_t>(n));
        if (n == 0) return 0;
        if (out.size() - start > limit) return EFBIG;
        // Grow the read size with the data so a large payload costs few syscalls.
        if (chunk < 4 * 1024 * 1024) chunk *= 2;
    }
}

} // namespace burrow
