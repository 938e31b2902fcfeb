#include "runtime/seccomp_install.hpp"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"

namespace burrow {

void install_seccomp_programs(const std::vector<std::vector<sock_filter>>& programs) {
    for (const auto& program : programs) {
        sock_fprog prog{};
        prog.len = static_cast<unsigned short>(program.size());
        prog.filter = const_cast<sock_filter*>(program.data());
        // NO_NEW_PRIVS is already set, so no CAP_SYS_ADMIN is needed here.
        long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
        if (r != 0 && errno == ENOSYS) r = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
        if (r == 0) continue;
        if (errno == EINVAL)
            fail("Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) "
                 "reported EINVAL. (Hint: this requires a kernel configured with CONFIG_SECCOMP "
                 "and CONFIG_SECCOMP_FILTER.)");
        fail_errno("prctl(PR_SET_SECCOMP)");
    }
}

} // namespace burrow
