#include "runtime/console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/fd_passing.hpp"

namespace burrow::console {

namespace {

// "/dev/pts/" + n, without snprintf (not async-signal-safe).
void pts_name(char (&out)[32], unsigned n) {
    const char prefix[] = "/dev/pts/";
    unsigned i = 0;
    for (; prefix[i]; ++i) out[i] = prefix[i];
    char digits[12];
    unsigned d = 0;
    do digits[d++] = static_cast<char>('0' + n % 10);
    while ((n /= 10) != 0);
    while (d > 0) out[i++] = digits[--d];
    out[i] = '\0';
}

int fail(Pty& p) {
    const int e = errno;
    if (p.master >= 0) ::close(p.master);
    if (p.slave >= 0) ::close(p.slave);
    p.master = p.slave = -1;
    return e;
}

} // namespace

int open_pty(Pty& p) {
    p.master = ::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
    if (p.master < 0) p.master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.master < 0) return fail(p);
    int unlock = 0;
    unsigned int n = 0;
    if (::ioctl(p.master, TIOCSPTLCK, &unlock) != 0 || ::ioctl(p.master, TIOCGPTN, &n) != 0)
        return fail(p);
    pts_name(p.name, n);
    p.slave = ::ioctl(p.master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.slave < 0) p.slave = ::open(p.name, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
    if (p.slave < 0) return fail(p);
    return 0;
}

int take_terminal(int sock, Pty& p) {
    std::size_t len = 0;
    while (p.name[len]) ++len;
    if (send_fds(sock, &p.master, 1, p.name, len) < 0) return fail(p);
    ::close(p.master);
    p.master = -1;
    if (::setsid() == -1 || ::ioctl(p.slave, TIOCSCTTY, 0) != 0) return fail(p);
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(p.slave, fd) < 0) return fail(p);
    if (p.slave > 2) ::close(p.slave);
    p.slave = -1;
    return 0;
}

} // namespace burrow::console
