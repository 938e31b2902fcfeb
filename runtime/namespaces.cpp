#include "runtime/namespaces.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/io.hpp"

namespace burrow::ns {

namespace {

// 0 on success, -1 with errno like bwrap's write_file_at().
int write_file_at(int dirfd, const char* name, const std::string& text) {
    Fd fd(::openat(dirfd, name, O_WRONLY | O_CLOEXEC));
    if (!fd) return -1;
    return write_all(fd.get(), text) == 0 ? 0 : -1;
}

bool single(const std::vector<IdMapEntry>& map) {
    return map.size() == 1 && map[0].count == 1;
}

} // namespace

unsigned long long clone_flags(const Namespaces& ns) {
    unsigned long long flags = CLONE_NEWNS;
    if (ns.user) flags |= CLONE_NEWUSER;
    // With --pidns the monitor already sits in that pid namespace for its
    // children; a new one (--unshare-pid) then nests below it, as in bwrap.
    if (ns.pid) flags |= CLONE_NEWPID;
    if (ns.net) flags |= CLONE_NEWNET;
    if (ns.ipc) flags |= CLONE_NEWIPC;
    if (ns.uts) flags |= CLONE_NEWUTS;
    if (ns.cgroup) flags |= CLONE_NEWCGROUP;
    return flags;
}

pid_t clone_child(unsigned long long flags, Fd& pidfd) {
    int fd = -1;
    struct clone_args args {};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uintptr_t>(&fd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS) {
        // Kernels before 5.3: clone() returns the pidfd through parent_tid.
        pid = ::syscall(SYS_clone, static_cast<unsigned long>(args.flags) | SIGCHLD, nullptr, &fd,
                        nullptr, 0);
    }
    if (pid < 0) {
        const int err = errno;
        if (flags & CLONE_NEWUSER) {
            if (err == EINVAL)
                fail("Creating new namespace failed, likely because the kernel does not support "
                     "user namespaces.  bwrap must be installed setuid on such systems.");
            if (err == EPERM)
                fail("No permissions to create a new namespace, likely because the kernel does "
                     "not allow non-privileged user namespaces. On e.g. debian this can be "
                     "enabled with 'sysctl kernel.unprivileged_userns_clone=1'.");
        }
        if (err == ENOSPC)
            fail("Creating new namespace failed: nesting depth or "
                 "/proc/sys/user/max_*_namespaces exceeded (ENOSPC)");
        fail_errno("Creating new namespace failed", err);
    }
    if (pid > 0) pidfd.reset(fd);
    return static_cast<pid_t>(pid);
}

void join_user(int fd) {
    if (::setns(fd, CLONE_NEWUSER) == 0) return;
    if (errno == EINVAL)
        fail("Joining the specified user namespace failed, it might not be a descendant of the "
             "current user namespace.");
    fail_errno("Joining specified user namespace failed");
}

void join_user2(int fd) {
    if (::setns(fd, CLONE_NEWUSER) != 0) fail_errno("Setting userns2 failed");
}

void join_pid(int fd) {
    if (::setns(fd, CLONE_NEWPID) != 0) fail_errno("Setting pidns failed");
}

std::string map_text(const std::vector<IdMapEntry>& map) {
    std::string text;
    for (const auto& e : map) {
        text += std::to_string(e.inside);
        text += ' ';
        text += std::to_string(e.outside);
        text += ' ';
        text += std::to_string(e.count);
        text += '\n';
    }
    return text;
}

MapPlan plan_maps(const Sandbox& sb) {
    MapPlan plan;
    if (!sb.ns.user || sb.status.userns_block_fd >= 0) return plan;
    plan.uid_map = sb.ids.uid_map;
    plan.gid_map = sb.ids.gid_map;
    bool devpts = false;
    for (const auto& op : sb.fs) devpts = devpts || op.kind == FsOpKind::dev;
    if (devpts && single(plan.uid_map) && single(plan.gid_map)) {
        plan.uid_map[0].inside = 0;
        plan.gid_map[0].inside = 0;
        plan.nested = sb.ids.uid != 0 || sb.ids.gid != 0;
    }
    if (sb.ns.disable_userns) plan.nested = true;
    return plan;
}

void write_maps(int proc_dir, const std::vector<IdMapEntry>& uid_map,
                const std::vector<IdMapEntry>& gid_map, bool deny_setgroups) {
    if (!uid_map.empty() && write_file_at(proc_dir, "uid_map", map_text(uid_map)) != 0)
        fail_errno("setting up uid map");
    // A kernel without the setgroups file (< 3.19) has no way to deny it.
    if (deny_setgroups && write_file_at(proc_dir, "setgroups", "deny\n") != 0 && errno != ENOENT)
        fail_errno("error writing to setgroups");
    if (!gid_map.empty() && write_file_at(proc_dir, "gid_map", map_text(gid_map)) != 0)
        fail_errno("setting up gid map");
}

void finish_user_namespaces(const Sandbox& sb, const MapPlan& plan, int proc_fd) {
    if (plan.nested) {
        if (sb.ns.disable_userns) {
            // The limit lives in the sandbox's first user namespace; the
            // payload ends up in a nested one, where it has no say over it.
            Fd sysctl(::openat(proc_fd, "sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC));
            if (!sysctl) fail_errno("cannot open /proc/sys/user/max_user_namespaces");
            if (write_all(sysctl.get(), "1") != 0)
                fail_errno("sysctl user.max_user_namespaces = 1");
        }
        const uid_t outer_uid = ::getuid();
        const gid_t outer_gid = ::getgid();
        if (::unshare(CLONE_NEWUSER) != 0) fail_errno("unshare user ns");
        Fd self(::openat(proc_fd, "self", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!self) fail_errno("open /proc/self failed");
        write_maps(self.get(), {IdMapEntry{sb.ids.uid, outer_uid, 1}},
                   {IdMapEntry{sb.ids.gid, outer_gid, 1}}, false);
    }
    if (sb.ns.disable_userns || sb.ns.assert_userns_disabled) {
        if (::unshare(CLONE_NEWUSER) == 0)
            fail("creation of new user namespaces was not disabled as requested");
    }
}

void bring_up_loopback() {
    // One ioctl instead of bwrap's two rtnetlink requests: bringing "lo" up
    // makes the kernel assign 127.0.0.1/8 (and ::1) itself.
    Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) fail_errno("loopback: Failed to create socket");
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
    ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) fail_errno("loopback: Failed RTM_NEWLINK");
}

void set_hostname(const std::string& name) {
    if (::sethostname(name.data(), name.size()) != 0) fail_errno("Can't set hostname to " + name);
}

std::vector<std::pair<const char*, unsigned long long>> namespace_ids(int proc_dir,
                                                                      const Namespaces& ns) {
    // bwrap leaves the user namespace out: it is not final when it looks.
    const std::pair<const char*, bool> wanted[] = {
        {"ns/cgroup", ns.cgroup}, {"ns/ipc", ns.ipc}, {"ns/mnt", true},
        {"ns/net", ns.net},       {"ns/pid", ns.pid}, {"ns/uts", ns.uts},
    };
    std::vector<std::pair<const char*, unsigned long long>> ids;
    for (const auto& [path, created] : wanted) {
        if (!created) continue;
        struct stat st;
        if (::fstatat(proc_dir, path, &st, 0) != 0) continue;
        ids.emplace_back(path + 3, static_cast<unsigned long long>(st.st_ino));
    }
    return ids;
}

} // namespace burrow::ns
