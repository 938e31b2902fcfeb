#include "runtime/oci_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"

namespace burrow::oci_setup {

namespace {

void join(int fd, int type, const char* name) {
    if (fd < 0) return;
    if (::setns(fd, type) != 0) fail_errno(std::string("Can't join the ") + name + " namespace");
}

void write_proc(const std::string& path, const std::string& value) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) fail_errno("Can't open " + path);
    ssize_t n;
    do n = ::write(fd.get(), value.data(), value.size());
    while (n < 0 && errno == EINTR);
    if (n < 0) fail_errno("Can't write " + value + " to " + path);
    if (static_cast<size_t>(n) != value.size()) fail("Short write of " + value + " to " + path);
}

bool has(uint64_t set, unsigned cap) {
    return (set >> cap) & 1;
}

} // namespace

void join_namespaces(const Namespaces& ns) {
    join(ns.join_net_fd, CLONE_NEWNET, "network");
    join(ns.join_ipc_fd, CLONE_NEWIPC, "ipc");
    join(ns.join_uts_fd, CLONE_NEWUTS, "uts");
    join(ns.join_cgroup_fd, CLONE_NEWCGROUP, "cgroup");
}

void before_mounts(const Sandbox& sb) {
    if (sb.proc.domainname &&
        ::setdomainname(sb.proc.domainname->data(), sb.proc.domainname->size()) != 0)
        fail_errno("Can't set the domainname");
    for (const auto& [key, value] : sb.proc.sysctl) {
        std::string path = "/proc/sys/";
        for (char c : key) path += c == '.' ? '/' : c;
        write_proc(path, value);
    }
    if (sb.proc.oom_score_adj)
        write_proc("/proc/self/oom_score_adj", std::to_string(*sb.proc.oom_score_adj));
}

void after_mounts(const Sandbox& sb) {
    if (sb.proc.supplementary_gids) {
        const auto& g = *sb.proc.supplementary_gids;
        std::vector<gid_t> gids(g.begin(), g.end());
        if (::setgroups(gids.size(), gids.data()) != 0) {
            // A user namespace with setgroups denied keeps the (unmapped)
            // groups it has; only an explicit list must be honoured.
            if (!(gids.empty() && errno == EPERM)) fail_errno("Can't set the supplementary groups");
        }
    }
    if (sb.proc.umask) ::umask(static_cast<mode_t>(*sb.proc.umask & 0777));
}

void set_capabilities(const Process::CapSets& s) {
    for (unsigned cap = 0; cap <= CAP_LAST_CAP; ++cap) {
        if (has(s.bounding, cap)) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            fail_errno("Can't drop capability " + std::to_string(cap) + " from the bounding set");
    }
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<uint32_t>(s.effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(s.permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(s.inheritable >> (32 * i));
    }
    if (::syscall(SYS_capset, &hdr, data) != 0) fail_errno("Can't set the capability sets");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        fail_errno("Can't clear the ambient capabilities");
    for (unsigned cap = 0; cap <= CAP_LAST_CAP; ++cap) {
        if (!has(s.ambient, cap)) continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            fail_errno("Can't raise ambient capability " + std::to_string(cap) +
                       " (it must be permitted and inheritable)");
    }
}

} // namespace burrow::oci_setup
