#include "tests/support/seccomp_bpf.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>

namespace btest {

std::string bpf_denying(const std::vector<std::string>& syscalls, int err) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) throw std::runtime_error("seccomp_init failed");
    for (const auto& name : syscalls) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(static_cast<uint32_t>(err)), nr, 0) != 0) {
            seccomp_release(ctx);
            throw std::runtime_error("seccomp rule for " + name);
        }
    }
    int fd = memfd_create("bpf", MFD_CLOEXEC);
    int rc = fd < 0 ? -1 : seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (rc != 0) throw std::runtime_error("seccomp_export_bpf failed");
    std::string bpf;
    lseek(fd, 0, SEEK_SET);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) bpf.append(buf, static_cast<size_t>(n));
    close(fd);
    return bpf;
}

} // namespace btest
