#include "runtime/seccomp_install.hpp"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"

namespace burrow {

long try_install_seccomp_program(std::span<const sock_filter> program, unsigned flags) {
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(program.size());
    prog.filter = const_cast<sock_filter*>(program.data());
    // NO_NEW_PRIVS is already set, so no CAP_SYS_ADMIN is needed here.
    long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (r < 0 && errno == ENOSYS && flags == 0)
        r = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
    return r;
}

void fail_seccomp_install(int err) {
    if (err == EINVAL)
        fail("Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) "
             "reported EINVAL. (Hint: this requires a kernel configured with CONFIG_SECCOMP "
             "and CONFIG_SECCOMP_FILTER.)");
    fail_errno("prctl(PR_SET_SECCOMP)", err);
}

void install_seccomp_programs(const std::vector<std::vector<sock_filter>>& programs) {
    for (const auto& program : programs)
        if (try_install_seccomp_program(program, 0) != 0) fail_seccomp_install(errno);
}

} // namespace burrow
