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
#include "runtime/hardening.hpp"

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
    if (const int e = harden::limit_bounding(s.bounding))
        fail_errno("Can't cut the bounding capability set", e);
    unsigned cap = 64;
    if (const int e = harden::set_capability_sets(s, &cap)) {
        if (cap < 64)
            fail_errno("Can't raise ambient capability " + std::to_string(cap) +
                           " (it must be permitted and inheritable)",
                       e);
        fail_errno("Can't set the capability sets", e);
    }
}

} // namespace burrow::oci_setup
