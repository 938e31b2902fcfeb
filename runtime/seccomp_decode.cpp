#include "runtime/seccomp_decode.hpp"

#include <linux/audit.h>
#include <sched.h>
#include <sys/socket.h>

#include <seccomp.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace burrow::seccomp_decode {

namespace {

constexpr uint32_t x32_bit = 0x40000000u;

struct Named {
    uint64_t value;
    const char* name;
};

// The requests a profile is likely to refuse, and a few common ones so a
// denial of those reads plainly too.
constexpr Named ioctl_requests[] = {
    {0x5412, "TIOCSTI"},        {0x541C, "TIOCLINUX"},   {0x5401, "TCGETS"},
    {0x5402, "TCSETS"},         {0x540E, "TIOCSCTTY"},   {0x5413, "TIOCGWINSZ"},
    {0x5414, "TIOCSWINSZ"},     {0x5410, "TIOCSPGRP"},   {0x540F, "TIOCGPGRP"},
    {0x541B, "FIONREAD"},       {0x5421, "FIONBIO"},     {0x5451, "FIOCLEX"},
    {0x5450, "FIONCLEX"},       {0x5422, "TIOCNOTTY"},   {0x80045430, "TIOCGPTN"},
    {0x40045431, "TIOCSPTLCK"}, {0x5441, "TIOCGPTPEER"},
};

constexpr Named families[] = {
    {AF_UNSPEC, "AF_UNSPEC"}, {AF_UNIX, "AF_UNIX"},           {AF_INET, "AF_INET"},
    {AF_INET6, "AF_INET6"},   {AF_NETLINK, "AF_NETLINK"},     {AF_PACKET, "AF_PACKET"},
    {AF_KEY, "AF_KEY"},       {AF_APPLETALK, "AF_APPLETALK"}, {AF_BLUETOOTH, "AF_BLUETOOTH"},
    {AF_CAN, "AF_CAN"},       {AF_VSOCK, "AF_VSOCK"},         {AF_ALG, "AF_ALG"},
    {AF_XDP, "AF_XDP"},       {AF_TIPC, "AF_TIPC"},           {AF_RDS, "AF_RDS"},
    {AF_X25, "AF_X25"},       {AF_AX25, "AF_AX25"},           {AF_IPX, "AF_IPX"},
};

constexpr Named socket_types[] = {
    {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_DGRAM, "SOCK_DGRAM"},         {SOCK_RAW, "SOCK_RAW"},
    {SOCK_RDM, "SOCK_RDM"},       {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_PACKET, "SOCK_PACKET"},
};

constexpr Named clone_flags[] = {
    {CLONE_VM, "CLONE_VM"},
    {CLONE_FS, "CLONE_FS"},
    {CLONE_FILES, "CLONE_FILES"},
    {CLONE_SIGHAND, "CLONE_SIGHAND"},
    {CLONE_PIDFD, "CLONE_PIDFD"},
    {CLONE_PTRACE, "CLONE_PTRACE"},
    {CLONE_VFORK, "CLONE_VFORK"},
    {CLONE_PARENT, "CLONE_PARENT"},
    {CLONE_THREAD, "CLONE_THREAD"},
    {CLONE_NEWNS, "CLONE_NEWNS"},
    {CLONE_SYSVSEM, "CLONE_SYSVSEM"},
    {CLONE_SETTLS, "CLONE_SETTLS"},
    {CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
    {CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
    {CLONE_UNTRACED, "CLONE_UNTRACED"},
    {CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
    {CLONE_NEWUTS, "CLONE_NEWUTS"},
    {CLONE_NEWIPC, "CLONE_NEWIPC"},
    {CLONE_NEWUSER, "CLONE_NEWUSER"},
    {CLONE_NEWPID, "CLONE_NEWPID"},
    {CLONE_NEWNET, "CLONE_NEWNET"},
    {CLONE_IO, "CLONE_IO"},
    {0x80, "CLONE_NEWTIME"},
};

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

template <std::size_t N> std::string one_of(const Named (&table)[N], uint64_t v) {
    for (const Named& n : table)
        if (n.value == v) return n.name;
    return hex(v);
}

// "CLONE_NEWUSER|CLONE_NEWNS|0x11" (low byte: clone's exit signal).
std::string flags(uint64_t v) {
    std::string out;
    for (const Named& n : clone_flags)
        if ((v & n.value) == n.value && n.value != 0) {
            if (!out.empty()) out += '|';
            out += n.name;
            v &= ~n.value;
        }
    if (v != 0 || out.empty()) {
        if (!out.empty()) out += '|';
        out += hex(v);
    }
    return out;
}

uint32_t scmp_arch_of(const seccomp_data& d) {
    // libseccomp's SCMP_ARCH_* values are the kernel's AUDIT_ARCH_* values,
    // except x32, which shares x86_64's audit arch and sets a bit in nr.
#ifdef SCMP_ARCH_X32
    if (d.arch == AUDIT_ARCH_X86_64 && (static_cast<uint32_t>(d.nr) & x32_bit) != 0)
        return SCMP_ARCH_X32;
#endif
    return d.arch;
}

} // namespace

std::string abi_name(const seccomp_data& d) {
    switch (d.arch) {
    case AUDIT_ARCH_X86_64:
        return (static_cast<uint32_t>(d.nr) & x32_bit) ? "x32" : "x86_64";
    case AUDIT_ARCH_I386:
        return "i386";
    case AUDIT_ARCH_AARCH64:
        return "aarch64";
    case AUDIT_ARCH_ARM:
        return "arm";
    default:
        return hex(d.arch);
    }
}

std::string syscall_name(const seccomp_data& d) {
    // Not on the path between clone and exec: the monitor calls this, so
    // libseccomp's allocation is fine.
    char* s = seccomp_syscall_resolve_num_arch(scmp_arch_of(d), d.nr);
    if (!s) return "syscall_" + std::to_string(d.nr);
    std::string out(s);
    std::free(s);
    return out;
}

std::string describe_call(const seccomp_data& d) {
    const std::string name = syscall_name(d);
    const auto* a = d.args;
    // 32-bit ABIs hand zero-extended values; the kernel reads ints as ints.
    auto low = [](uint64_t v) { return v & 0xffffffffULL; };
    std::string args;
    if (name == "ioctl") {
        args = "fd=" + std::to_string(static_cast<int>(a[0])) +
               ", request=" + one_of(ioctl_requests, low(a[1]));
    } else if (name == "socket" || name == "socketpair") {
        args = "family=" + one_of(families, low(a[0])) +
               ", type=" + one_of(socket_types, low(a[1]) & 0xf) +
               ", protocol=" + std::to_string(low(a[2]));
    } else if (name == "unshare") {
        args = "flags=" + flags(a[0]);
    } else if (name == "clone") {
        args = "flags=" + flags(a[0]);
    } else if (name == "setns") {
        args = "fd=" + std::to_string(static_cast<int>(a[0])) + ", nstype=" + flags(a[1]);
    } else if (name == "personality") {
        args = "persona=" + hex(low(a[0]));
    } else {
        for (int i = 0; i < 6; ++i) {
            if (i) args += ", ";
            args += hex(a[i]);
        }
    }
    return name + "(" + args + ")";
}

std::string errno_name(int err) {
    const char* n = strerrorname_np(err);
    return n ? std::string(n) : std::to_string(err);
}

} // namespace burrow::seccomp_decode
