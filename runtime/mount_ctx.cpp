#include "runtime/mount_ctx.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mountinfo.hpp"
#include "runtime/path_resolve.hpp"

namespace burrow::mounts {

namespace {
constexpr const char* kMountinfo = "/oldroot/proc/self/mountinfo";

unsigned attrs_from_ms(unsigned long ms) {
    unsigned a = 0;
    if (ms & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
    if (ms & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
    if (ms & MS_NODEV) a |= MOUNT_ATTR_NODEV;
    if (ms & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
    return a;
}

// mount(2)'s data string from fsconfig-style pairs (fallback path only).
std::string join_options(const FsOptions& options) {
    std::string s;
    for (const auto& [k, v] : options) {
        if (!s.empty()) s += ',';
        s += k;
        // SELinux contexts may hold commas (s0:c1,c2): quote them, as bwrap.
        if (!v.empty()) s += '=' + (k == "context" ? '"' + v + '"' : v);
    }
    return s;
}
} // namespace

void fail_mount(const std::string& what, int err) {
    if (err == ENOSPC)
        fail(what + ": Limit exceeded (ENOSPC). (Hint: Check that /proc/sys/fs/mount-max is "
                    "sufficient, typically 100000)");
    fail_errno(what, err);
}

std::string MountCtx::fd_path(int fd) {
    return "/oldroot/proc/self/fd/" + std::to_string(fd);
}

std::string MountCtx::fd_name(int fd) {
    struct ErrnoKeeper {
        int saved = errno;
        ~ErrnoKeeper() { errno = saved; }
    } keep; // callers use it while composing messages about errno
    char buf[PATH_MAX];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
    if (n < 0) {
        // After the pivot the host /proc lives under /oldroot.
        link = fd_path(fd);
        n = ::readlink(link.c_str(), buf, sizeof buf);
    }
    if (n < 0) return "fd " + std::to_string(fd);
    return std::string(buf, static_cast<size_t>(n));
}

std::string MountCtx::newroot_path(const std::string& dest) {
    return "/newroot" + std::string(!dest.empty() && dest[0] == '/' ? "" : "/") + dest;
}

std::string bind_at(int source, int target_fd, unsigned flags) {
    const bool recursive = flags & bind_recursive;
    unsigned long add = MS_NOSUID | ((flags & bind_devices) ? 0 : MS_NODEV) |
                        ((flags & bind_readonly) ? MS_RDONLY : 0);
    const std::string mount_failed = "Unable to mount source on destination";
    Fd tree;
    if (mountapi::have_open_tree()) {
        tree = mountapi::clone_tree(source, "", true);
        if (!tree && errno != ENOSYS) return mount_failed;
    }
    if (tree) {
        // Preferred: set the flags on the detached copy, then attach it, so
        // the payload can never observe a writable or suid moment.
        bool flags_done = mountapi::set_attr(tree.get(), attrs_from_ms(add), recursive) == 0;
        if (!flags_done && errno != ENOSYS) {
            const int err = errno;
            std::string msg =
                "Unable to apply mount flags: remount \"" + MountCtx::fd_name(target_fd) + "\"";
            errno = err;
            return msg;
        }
        if (mountapi::attach(tree.get(), target_fd) != 0) return mount_failed;
        if (flags_done) return {};
    } else {
        if (::mount(MountCtx::fd_path(source).c_str(), MountCtx::fd_path(target_fd).c_str(),
                    nullptr, MS_SILENT | MS_BIND | (recursive ? MS_REC : 0), nullptr) != 0)
            return mount_failed;
    }
    // mount_setattr is missing: remount each mount by path via libmount.
    std::string target = MountCtx::fd_name(target_fd);
    std::string failing;
    if (mountinfo::add_flags(kMountinfo, target, add, recursive, &failing) != 0) {
        const int err = errno;
        std::string msg =
            failing == target
                ? "Unable to remount destination \"" + target + "\" with correct flags"
                : "Unable to apply mount flags: remount \"" + failing + "\"";
        errno = err;
        return msg;
    }
    return {};
}

int fs_at(const char* fstype, const char* source, unsigned long ms_flags, const FsOptions& options,
          int target_fd) {
    if (mountapi::have_fsopen()) {
        Fd mnt = mountapi::new_fs(fstype, source, options, attrs_from_ms(ms_flags));
        if (mnt) return mountapi::attach(mnt.get(), target_fd);
        if (errno != ENOSYS) return -1;
    }
    std::string data = join_options(options);
    return ::mount(source, MountCtx::fd_path(target_fd).c_str(), fstype, ms_flags,
                   data.empty() ? nullptr : data.c_str());
}

ParentDir make_parents_dest(MountCtx& ctx, const std::string& dest, mode_t parent_mode) {
    inroot::Parent p;
    if (!inroot::make_parents(ctx.root.get(), dest, parent_mode, p))
        fail_errno("Can't mkdir parents for " + dest);
    return ParentDir{std::move(p.dir), std::move(p.name)};
}

Fd ensure_dir_dest(MountCtx& ctx, const std::string& dest, mode_t mode, mode_t parent_mode) {
    ParentDir p = make_parents_dest(ctx, dest, parent_mode);
    // Usually the name is new: create it and open what we created (O_NOFOLLOW:
    // if a bound host directory swaps in a symlink meanwhile, fall through to
    // the in-root resolution below instead of following it).
    if (::mkdirat(p.dir.get(), p.name.c_str(), mode) == 0) {
        Fd fd(::openat(p.dir.get(), p.name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd) return fd;
    }
    const int mkdir_err = errno;
    // Existing directories (or symlinks to them, inside the root) are used
    // as they are. Some filesystems say EROFS rather than EEXIST, so look
    // before judging the mkdir error.
    Fd fd(inroot::open(ctx.root.get(), dest, O_PATH | O_DIRECTORY));
    if (fd) return fd;
    if (errno == ENOENT && mkdir_err != EEXIST) errno = mkdir_err;
    fail_errno("Can't mkdir " + dest);
}

Fd ensure_file_dest(MountCtx& ctx, const std::string& dest, mode_t mode, mode_t parent_mode) {
    ParentDir p = make_parents_dest(ctx, dest, parent_mode);
    Fd fd(::openat(p.dir.get(), p.name.c_str(),
                   O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode));
    if (fd) return fd;
    const int create_err = errno;
    fd = Fd(inroot::open(ctx.root.get(), dest, O_PATH));
    if (fd) {
        // Any non-directory will do as a mount point for a non-directory.
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) fail_errno("Can't create file at " + dest);
        if (!S_ISDIR(st.st_mode)) return fd;
        fail_errno("Can't create file at " + dest, EISDIR);
    }
    if (errno != ENOENT) fail_errno("Can't create file at " + dest);
    if (create_err != EEXIST) fail_errno("Can't create file at " + dest, create_err);
    // A dangling symlink: like creat(), create its target (inside the root).
    fd = Fd(inroot::open(ctx.root.get(), dest, O_CREAT | O_WRONLY | O_NONBLOCK | O_NOCTTY, mode));
    if (!fd) fail_errno("Can't create file at " + dest);
    return fd;
}

} // namespace burrow::mounts
