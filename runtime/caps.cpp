#include "runtime/caps.hpp"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "runtime/error.hpp"

namespace burrow::caps {

namespace {

struct CapFree {
    void operator()(cap_t c) const { cap_free(c); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

bool has(uint64_t mask, unsigned cap) {
    return cap < 64 && (mask >> cap) & 1;
}

// The permitted/effective/inheritable masks of the calling process: one
// capget(), where libcap would probe every capability number separately.
bool current(uint64_t& eff, uint64_t& perm, uint64_t& inh) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0) return false;
    eff = data[0].effective | (uint64_t{data[1].effective} << 32);
    perm = data[0].permitted | (uint64_t{data[1].permitted} << 32);
    inh = data[0].inheritable | (uint64_t{data[1].inheritable} << 32);
    return true;
}

void set_all_flags(uint64_t caps, bool tolerate_eperm) {
    CapPtr c(cap_init());
    if (!c) fail_errno("capset failed");
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (!has(caps, cap)) continue;
        cap_value_t v = static_cast<cap_value_t>(cap);
        for (cap_flag_t f : {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE})
            if (cap_set_flag(c.get(), f, 1, &v, CAP_SET) != 0) fail_errno("capset failed");
    }
    if (cap_set_proc(c.get()) != 0) {
        if (tolerate_eperm && errno == EPERM && ::getuid() == 0) return;
        fail_errno("capset failed");
    }
}

} // namespace

void limit_bounding_set(uint64_t keep) {
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (has(keep, cap)) continue;
        if (cap_drop_bound(static_cast<cap_value_t>(cap)) == 0) continue;
        if (errno == EINVAL) break; // past the kernel's last capability
        if (errno != EPERM)
            fail_errno("Dropping capability " + std::to_string(cap) + " from bounds");
    }
}

void set_exact(uint64_t caps) {
    set_all_flags(caps, false);
}

uint64_t effective() {
    uint64_t eff = 0, perm = 0, inh = 0;
    return current(eff, perm, inh) ? eff : 0;
}

void raise_ambient(uint64_t caps) {
    // Only a cap both permitted and inheritable can become ambient; asking
    // the kernel for the others (bwrap does, one prctl each) only fails.
    uint64_t eff = 0, perm = 0, inh = 0;
    if (current(eff, perm, inh)) caps &= perm & inh;
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (!has(caps, cap)) continue;
        if (cap_set_ambient(static_cast<cap_value_t>(cap), CAP_SET) != 0 && errno != EINVAL &&
            errno != EPERM)
            fail_errno("Adding ambient capability " + std::to_string(cap));
    }
}

void raise_effective() {
    uint64_t eff = 0, perm = 0, inh = 0;
    if (!current(eff, perm, inh)) fail_errno("capget failed");
    if (eff == perm) return;
    CapPtr c(cap_get_proc());
    if (!c) fail_errno("capget failed");
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (!has(perm, cap)) continue;
        cap_value_t v = static_cast<cap_value_t>(cap);
        if (cap_set_flag(c.get(), CAP_EFFECTIVE, 1, &v, CAP_SET) != 0) fail_errno("capset failed");
    }
    if (cap_set_proc(c.get()) != 0) fail_errno("capset failed");
}

void drop_all() {
    uint64_t eff = 0, perm = 0, inh = 0;
    if (current(eff, perm, inh) && eff == 0 && perm == 0 && inh == 0) return;
    set_all_flags(0, true);
}

} // namespace burrow::caps
