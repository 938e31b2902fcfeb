#include "runtime/hardening.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace burrow::harden {

namespace {

constexpr unsigned kTiocsti = 0x5412;
constexpr unsigned kTioclinux = 0x541C;
// The low half of args[1] (the ioctl request; the kernel compares 32 bits).
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned kArg1Low = offsetof(seccomp_data, args) + 8;
#else
constexpr unsigned kArg1Low = offsetof(seccomp_data, args) + 12;
#endif

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))

#if defined(__x86_64__)
// x86-64 (ioctl 16, x32's 514 | __X32_SYSCALL_BIT) and i386 (ioctl 54): a
// 32-bit caller must not get past by int 0x80.
const sock_filter kGuard[] = {
    /* 0 */ LD(offsetof(seccomp_data, arch)),
    /* 1 */ JEQ(AUDIT_ARCH_X86_64, 0, 3),
    /* 2 */ LD(offsetof(seccomp_data, nr)),
    /* 3 */ JEQ(16, 4, 0),
    /* 4 */ JEQ(0x40000000U | 514, 3, 7),
    /* 5 */ JEQ(AUDIT_ARCH_I386, 0, 6),
    /* 6 */ LD(offsetof(seccomp_data, nr)),
    /* 7 */ JEQ(54, 0, 4),
    /* 8 */ LD(kArg1Low),
    /* 9 */ JEQ(kTiocsti, 1, 0),
    /* 10 */ JEQ(kTioclinux, 0, 1),
    /* 11 */ RET(SECCOMP_RET_ERRNO | EPERM),
    /* 12 */ RET(SECCOMP_RET_ALLOW),
};
#else
// Elsewhere: the native ABI's ioctl (other ABIs of the machine, if any, are
// refused by the default profile's architecture check).
const sock_filter kGuard[] = {
    LD(offsetof(seccomp_data, nr)),
    JEQ(__NR_ioctl, 0, 4),
    LD(kArg1Low),
    JEQ(kTiocsti, 1, 0),
    JEQ(kTioclinux, 0, 1),
    RET(SECCOMP_RET_ERRNO | EPERM),
    RET(SECCOMP_RET_ALLOW),
};
#endif
#undef LD
#undef JEQ
#undef RET

const sock_fprog kGuardProg{static_cast<unsigned short>(sizeof kGuard / sizeof kGuard[0]),
                            const_cast<sock_filter*>(kGuard)};

int cloexec_span(unsigned lo, unsigned hi) {
    if (lo > hi) return 0;
    if (::syscall(SYS_close_range, lo, hi, CLOSE_RANGE_CLOEXEC) == 0) return 0;
    if (errno != ENOSYS && errno != EINVAL) return errno;
    // Kernels before 5.11: one by one, up to the fd limit.
    struct rlimit rl {};
    unsigned top = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < top)
        top = static_cast<unsigned>(rl.rlim_cur);
    for (unsigned fd = lo; fd <= hi && fd < top; ++fd)
        (void)::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return 0;
}

} // namespace

const char* step_name(int step) {
    switch (step) {
    case dumpable:
        return "prctl(PR_SET_DUMPABLE)";
    case no_new_privs:
        return "prctl(PR_SET_NO_NEW_PRIVS)";
    case seccomp:
        return "installing the seccomp filter";
    case capabilities:
        return "dropping capabilities";
    case fds:
        return "closing inherited fds";
    case session:
        return "setsid";
    }
    return "?";
}

const sock_fprog& tty_guard() {
    return kGuardProg;
}

int not_dumpable() {
    return ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : errno;
}

int install(const sock_fprog& program) {
    long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
    if (r != 0 && errno == ENOSYS) r = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
    return r == 0 ? 0 : errno;
}

int drop_capabilities() {
    for (unsigned long cap = 0; cap < 64; ++cap)
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            if (errno == EINVAL) break;       // past the last capability
            if (errno != EPERM) return errno; // EPERM: no CAP_SETPCAP, nothing to drop
        }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return errno;
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    return ::syscall(SYS_capset, &hdr, data) == 0 ? 0 : errno;
}

int limit_bounding(uint64_t keep) {
    for (unsigned long cap = 0; cap < 64; ++cap) {
        if ((keep >> cap) & 1) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            if (errno == EINVAL) break; // past the last capability
            return errno;
        }
    }
    return 0;
}

int set_capability_sets(const CapSets& s, unsigned* failed_ambient) {
    *failed_ambient = 64;
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<uint32_t>(s.effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(s.permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(s.inheritable >> (32 * i));
    }
    if (::syscall(SYS_capset, &hdr, data) != 0) return errno;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return errno;
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (!((s.ambient >> cap) & 1)) continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
            *failed_ambient = cap;
            return errno;
        }
    }
    return 0;
}

int fds_for_exec(std::span<const int> keep) {
    // Kept fds first: one that is not open is the caller's mistake, said
    // before anything else changes.
    for (int fd : keep)
        if (fd > 2 && ::fcntl(fd, F_SETFD, 0) != 0) return errno;
    unsigned lo = 3;
    // Ascending walk over the kept fds without sorting (no allocation).
    for (;;) {
        int next = -1;
        for (int fd : keep)
            if (fd >= static_cast<int>(lo) && (next < 0 || fd < next)) next = fd;
        if (next < 0) return cloexec_span(lo, ~0U);
        if (static_cast<unsigned>(next) > lo)
            if (int e = cloexec_span(lo, static_cast<unsigned>(next) - 1)) return e;
        lo = static_cast<unsigned>(next) + 1;
    }
}

Step lock(const Plan& plan, int* err) {
    *err = 0;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        *err = errno;
        return no_new_privs;
    }
    for (const sock_fprog& f : plan.filters)
        if (f.len > 0 && (*err = install(f)) != 0) return seccomp;
    if (!plan.new_session && plan.tty_guard && (*err = install(tty_guard())) != 0) return seccomp;
    unsigned failed_ambient = 64;
    if (plan.cap_sets) {
        if ((*err = set_capability_sets(*plan.cap_sets, &failed_ambient)) != 0) return capabilities;
    } else if (plan.drop_capabilities && (*err = drop_capabilities()) != 0) {
        return capabilities;
    }
    if ((*err = fds_for_exec(plan.keep_fds)) != 0) return fds;
    if (plan.new_session && ::setsid() < 0) {
        *err = errno;
        return session;
    }
    return ok;
}

} // namespace burrow::harden
