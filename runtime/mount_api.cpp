#include "runtime/mount_api.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace burrow::mountapi {

namespace {
// -1 unknown, 0 missing, 1 present. Single threaded, so plain ints suffice.
int g_open_tree = -1;
int g_setattr = -1;
int g_fsopen = -1;

// Records ENOSYS so later calls go straight to the fallback.
bool note(int& flag, long rc) {
    if (rc < 0 && errno == ENOSYS) {
        flag = 0;
        return false;
    }
    if (rc >= 0) flag = 1;
    return true;
}
} // namespace

void force_legacy() {
    g_open_tree = g_setattr = g_fsopen = 0;
}

bool have_open_tree() {
    return g_open_tree != 0;
}
bool have_fsopen() {
    return g_fsopen != 0;
}

Fd clone_tree(int dirfd, const char* path, bool empty_path) {
    if (g_open_tree == 0) {
        errno = ENOSYS;
        return Fd{};
    }
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
    if (empty_path) flags |= AT_EMPTY_PATH;
    long rc = ::syscall(SYS_open_tree, dirfd, path, flags);
    note(g_open_tree, rc);
    return Fd(static_cast<int>(rc));
}

bool probe_mount_setattr() {
    if (g_setattr == -1) {
        struct mount_attr attr {};
        // fd -1: EBADF when the syscall exists, ENOSYS when it does not.
        long rc = ::syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, &attr, sizeof attr);
        g_setattr = (rc < 0 && errno == ENOSYS) ? 0 : 1;
    }
    return g_setattr == 1;
}

Fd open_path(const char* path) {
    if (g_open_tree != 0) {
        long rc = ::syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLOEXEC);
        if (note(g_open_tree, rc)) return Fd(static_cast<int>(rc));
    }
    return Fd(::open(path, O_PATH | O_CLOEXEC));
}

int set_attr(int fd, unsigned attr_set, bool recursive, unsigned propagation) {
    if (g_setattr == 0) {
        errno = ENOSYS;
        return -1;
    }
    struct mount_attr attr {};
    attr.attr_set = attr_set;
    attr.propagation = propagation;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    long rc = ::syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof attr);
    note(g_setattr, rc);
    return rc < 0 ? -1 : 0;
}

int attach(int tree_fd, int target_fd) {
    long rc = ::syscall(SYS_move_mount, tree_fd, "", target_fd, "",
                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    note(g_open_tree, rc);
    return rc < 0 ? -1 : 0;
}

int attach_at(int tree_fd, int dirfd, const char* name) {
    long rc = ::syscall(SYS_move_mount, tree_fd, "", dirfd, name, MOVE_MOUNT_F_EMPTY_PATH);
    note(g_open_tree, rc);
    return rc < 0 ? -1 : 0;
}

Fd new_fs(const char* fstype, const char* source,
          const std::vector<std::pair<std::string, std::string>>& options, unsigned attrs) {
    if (g_fsopen == 0) {
        errno = ENOSYS;
        return Fd{};
    }
    long rc = ::syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
    if (!note(g_fsopen, rc)) return Fd{};
    Fd fs(static_cast<int>(rc));
    if (!fs) return Fd{};
    if (source && ::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "source", source, 0) < 0)
        return Fd{};
    for (const auto& [key, value] : options) {
        rc = value.empty()
                 ? ::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                 : ::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, key.c_str(),
                             value.c_str(), 0);
        if (rc < 0) return Fd{};
    }
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return Fd{};
    rc = ::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, attrs);
    return Fd(static_cast<int>(rc));
}

int openat2(int dirfd, const char* path, int flags, mode_t mode, unsigned long long resolve) {
    struct open_how how {};
    how.flags = static_cast<unsigned long long>(flags);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve;
    long rc;
    do {
        // EAGAIN: a concurrent rename or mount raced a ".." step; the kernel
        // asks us to retry rather than risk resolving outside the root.
        rc = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    } while (rc < 0 && (errno == EAGAIN || errno == EINTR));
    return static_cast<int>(rc);
}

} // namespace burrow::mountapi
