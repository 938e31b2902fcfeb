#include "runtime/io.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/fd.hpp"

namespace burrow {

int write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return errno = EIO;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

int send_all(int sock, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::send(sock, s.data(), s.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return errno = EIO;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

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

namespace {

const char* file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    return "not a plain file";
}

} // namespace

ReadFileError read_regular_file(const std::string& path, std::size_t limit, std::string& out,
                                std::string& why) {
    out.clear();
    // O_PATH first: only a regular file is opened for reading. Opening is
    // not free of effects for everything a path can name (a device's open
    // runs its driver: /dev/watchdog arms the watchdog; a FIFO's would
    // block without O_NONBLOCK).
    Fd where(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!where) {
        why = std::strerror(errno);
        return ReadFileError::open;
    }
    struct stat st {};
    if (::fstat(where.get(), &st) != 0) {
        why = std::string("fstat: ") + std::strerror(errno);
        return ReadFileError::read;
    }
    if (!S_ISREG(st.st_mode)) {
        why = std::string(file_kind(st.st_mode)) + ", not a regular file";
        return ReadFileError::not_regular;
    }
    if (static_cast<unsigned long long>(st.st_size) > limit) {
        why = std::to_string(st.st_size) + " bytes";
        return ReadFileError::too_large;
    }
    // The same file, for reading: through /proc/self/fd (no second path
    // walk); without /proc, the path again, and it must still be that file.
    Fd fd(::open(("/proc/self/fd/" + std::to_string(where.get())).c_str(),
                 O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd && errno == ENOENT) {
        fd.reset(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
        struct stat again {};
        if (fd && (::fstat(fd.get(), &again) != 0 || again.st_dev != st.st_dev ||
                   again.st_ino != st.st_ino)) {
            why = "replaced while being opened";
            return ReadFileError::open;
        }
    }
    if (!fd) {
        why = std::strerror(errno);
        return ReadFileError::open;
    }
    // A regular file never blocks, but reads are plain blocking reads from
    // here on (a file on a slow network file system is still read whole).
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        why = std::string("fcntl: ") + std::strerror(errno);
        return ReadFileError::read;
    }
    // The size is checked again while reading: the file may grow.
    if (const int err = read_fd_to_end(fd.get(), out, limit); err != 0) {
        if (err == EFBIG) {
            why = "more than " + std::to_string(limit) + " bytes";
            return ReadFileError::too_large;
        }
        why = std::strerror(err);
        return ReadFileError::read;
    }
    return ReadFileError::none;
}

} // namespace burrow
