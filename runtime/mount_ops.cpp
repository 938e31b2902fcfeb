// The filesystem operations of the mount plan, one function each, with
// bwrap 0.11.1's semantics and messages. Destinations are resolved below
// the new root only (mount_ctx.hpp, path_resolve.hpp).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mount_ctx.hpp"
#include "runtime/mountinfo.hpp"
#include "runtime/path_resolve.hpp"

namespace burrow::mounts {

// fchmodat2 (Linux 6.6) is newer than Debian 12's kernel headers; its number
// is the same on every architecture.
#ifdef SYS_fchmodat2
constexpr long kSysFchmodat2 = SYS_fchmodat2;
#else
constexpr long kSysFchmodat2 = 452;
#endif

namespace {

std::string octal(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%#o", mode);
    return buf;
}

// Defaults bwrap gives the ops that take --perms. bwrap allocates its ops
// zero-filled, so every other op (bind, symlink, proc, dev, mqueue, overlay)
// carries perms 0, and its missing parents are created 0700: match that.
int effective_perms(const FsOp& op) {
    if (op.perms) return static_cast<int>(*op.perms);
    switch (op.kind) {
    case FsOpKind::tmpfs:
    case FsOpKind::dir:
    case FsOpKind::bind_view:
        return 0755;
    case FsOpKind::file:
        return 0666;
    case FsOpKind::bind_data:
        return 0600;
    default:
        return 0;
    }
}

// bwrap: parents of something the group (others) may not read are created
// closed to the group (others) too, for least astonishment.
mode_t parent_mode_for(const FsOp& op) {
    mode_t m = 0755;
    int p = effective_perms(op);
    if (p >= 0 && (p & 0070) == 0) m &= ~0050U;
    if (p >= 0 && (p & 0007) == 0) m &= ~0005U;
    return m;
}

// Overlay layer paths escape what overlayfs splits on or unescapes: the
// separators ',' and ':', and the backslash itself (bwrap's
// strappend_escape_for_mount_options).
std::string escape_layer(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == ',' || c == ':' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// 0 or the errno of the failed read/write.
int copy_fd(int from, int to) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return w < 0 ? errno : ENOSPC;
            off += w;
        }
    }
}

void copy_fd_or_fail(int from, int to, const std::string& dest) {
    if (int err = copy_fd(from, to)) fail_errno("Can't write data to file " + dest, err);
}

// The mount now at dest (OCI ops). A dest that names the sandbox root
// itself resolves to /newroot, not to the directory the old root fd holds.
Fd open_mounted(MountCtx& ctx, const std::string& dest) {
    Fd fd(inroot::normalize(dest).empty() ? ::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC)
                                          : inroot::open(ctx.root.get(), dest, O_PATH));
    if (!fd) fail_errno("Can't open " + MountCtx::newroot_path(dest));
    return fd;
}

// OCI mount options bind_at and fs_at do not set themselves: noexec on a
// bind, and the propagation type.
void apply_oci_attrs(MountCtx& ctx, const FsOp& op, bool bind) {
    const unsigned extra = bind && (op.mount_flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
    if (extra == 0 && op.propagation == 0) return;
    Fd fd = open_mounted(ctx, op.dest);
    const bool rec = bind ? op.recursive : true;
    if (extra && mountapi::set_attr(fd.get(), extra, rec) != 0)
        fail_errno("Can't set noexec on " + MountCtx::newroot_path(op.dest));
    if (op.propagation) {
        const unsigned type = op.propagation & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE);
        if (mountapi::set_attr(fd.get(), 0, (op.propagation & MS_REC) != 0, type) != 0)
            fail_errno("Can't set the propagation of " + MountCtx::newroot_path(op.dest));
    }
}

void do_bind(MountCtx& ctx, const FsOp& op, Source& src, mode_t pm) {
    Fd at = src.type == S_IFDIR ? ensure_dir_dest(ctx, op.dest, 0755, pm)
                                : ensure_file_dest(ctx, op.dest, 0444, pm);
    unsigned flags = bind_recursive | (op.readonly ? bind_readonly : 0) |
                     (op.allow_dev && op.kind == FsOpKind::bind ? bind_devices : 0);
    if (op.exact_flags)
        flags = (op.recursive ? bind_recursive : 0) |
                (op.mount_flags & MS_RDONLY ? bind_readonly : 0) |
                (op.mount_flags & MS_NODEV ? 0 : bind_devices);
    if (std::string step = bind_at(src.tree.get(), at.get(), flags); !step.empty()) {
        std::string from =
            op.kind == FsOpKind::bind ? "/oldroot" + op.source : "fd " + std::to_string(op.fd);
        fail_errno("Can't bind mount " + from + " on " + MountCtx::newroot_path(op.dest) + ": " +
                   step);
    }
    if (op.kind == FsOpKind::bind_fd) ::close(op.fd); // bwrap does not pass it on
    if (op.exact_flags) apply_oci_attrs(ctx, op, true);
}

FsOptions split_data(const std::string& data) {
    FsOptions out;
    size_t start = 0;
    while (start <= data.size()) {
        size_t end = data.find(',', start);
        if (end == std::string::npos) end = data.size();
        std::string item = data.substr(start, end - start);
        if (!item.empty()) {
            const size_t eq = item.find('=');
            if (eq == std::string::npos)
                out.emplace_back(item, "");
            else
                out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        }
        start = end + 1;
    }
    return out;
}

// OCI "mounts" entries that are not binds.
void do_mount(MountCtx& ctx, const FsOp& op, Source& src, mode_t pm) {
    Fd at = ensure_dir_dest(ctx, op.dest, 0755, pm);
    const std::string what = "Can't mount " + op.fstype + " on " + MountCtx::newroot_path(op.dest);
    FsOptions opts = split_data(op.data);
    int rc = fs_at(op.fstype.c_str(), op.source.c_str(), op.mount_flags, opts, at.get());
    if (rc != 0 && errno == EINVAL && op.fstype == "devpts") {
        // gid=5 (tty) is not mapped in a user namespace that maps one id
        // only: the kernel refuses the option. crun mounts without it then.
        const auto gid =
            std::find_if(opts.begin(), opts.end(), [](const auto& o) { return o.first == "gid"; });
        if (gid != opts.end()) {
            opts.erase(gid);
            rc = fs_at(op.fstype.c_str(), op.source.c_str(), op.mount_flags, opts, at.get());
        }
    }
    if (rc != 0) {
        // Rootless: sysfs and cgroup need privilege over namespaces the
        // payload may not own. runc and crun bind the host's tree instead.
        if (!(errno == EPERM && src.tree)) fail_mount(what);
        std::string step =
            bind_at(src.tree.get(), at.get(),
                    bind_recursive | (op.mount_flags & MS_RDONLY ? bind_readonly : 0));
        if (!step.empty()) fail_errno(what + ": " + step);
    }
    apply_oci_attrs(ctx, op, false);
}

void do_device(MountCtx& ctx, const FsOp& op, Source& src, mode_t pm) {
    ParentDir p = make_parents_dest(ctx, op.dest, pm);
    const mode_t mode = static_cast<mode_t>(op.perms.value_or(S_IFCHR | 0666));
    if (::mknodat(p.dir.get(), p.name.c_str(), mode, static_cast<dev_t>(op.rdev)) == 0) {
        if ((op.owner_uid || op.owner_gid) &&
            ::fchownat(p.dir.get(), p.name.c_str(), op.owner_uid ? *op.owner_uid : -1U,
                       op.owner_gid ? *op.owner_gid : -1U, AT_SYMLINK_NOFOLLOW) != 0)
            fail_errno("Can't chown device " + op.dest);
        return;
    }
    if (errno == EEXIST) {
        // The image has it already (a /dev that is not a fresh tmpfs): fine
        // if it is that very device, as runc accepts it.
        struct stat st;
        if (::fstatat(p.dir.get(), p.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            (st.st_mode & S_IFMT) == (mode & S_IFMT) &&
            (S_ISFIFO(mode) || st.st_rdev == static_cast<dev_t>(op.rdev)))
            return;
        fail("Can't create device " + op.dest + ": something else exists there");
    }
    // Without CAP_MKNOD over the filesystem (rootless): the host's node.
    if (errno != EPERM || !src.tree) fail_errno("Can't create device " + op.dest);
    Fd file(::openat(p.dir.get(), p.name.c_str(),
                     O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0444));
    if (!file) fail_errno("Can't create file " + op.dest);
    if (std::string step = bind_at(src.tree.get(), file.get(), bind_devices); !step.empty())
        fail_errno("Can't bind mount " + op.source + " on " + MountCtx::newroot_path(op.dest) +
                   ": " + step);
}

void do_mask(MountCtx& ctx, const FsOp& op) {
    Fd fd(inroot::open(ctx.root.get(), op.dest, O_PATH));
    if (!fd) {
        if (errno == ENOENT) return; // nothing to hide
        fail_errno("Can't mask " + op.dest);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail_errno("Can't mask " + op.dest);
    if (S_ISDIR(st.st_mode)) {
        if (fs_at("tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, {{"size", "0"}},
                  fd.get()) != 0)
            fail_mount("Can't mask " + MountCtx::newroot_path(op.dest));
        return;
    }
    Fd null(::openat(ctx.old_root.get(), "dev/null", O_PATH | O_CLOEXEC));
    if (!null) fail_errno("Can't open /oldroot/dev/null");
    if (std::string step = bind_at(null.get(), fd.get(), bind_readonly | bind_devices);
        !step.empty())
        fail_errno("Can't mask " + MountCtx::newroot_path(op.dest) + ": " + step);
}

void do_readonly_path(MountCtx& ctx, const FsOp& op) {
    Fd fd(inroot::open(ctx.root.get(), op.dest, O_PATH));
    if (!fd) {
        if (errno == ENOENT) return;
        fail_errno("Can't make " + op.dest + " read-only");
    }
    if (std::string step =
            bind_at(fd.get(), fd.get(), bind_readonly | bind_recursive | bind_devices);
        !step.empty())
        fail_errno("Can't make " + MountCtx::newroot_path(op.dest) + " read-only: " + step);
}

void do_remount_ro(MountCtx& ctx, const FsOp& op) {
    const std::string what = "Can't remount readonly on " + MountCtx::newroot_path(op.dest);
    Fd fd(inroot::open(ctx.root.get(), op.dest, O_PATH));
    if (!fd) fail_errno(what + ": realpath(destination)");
    // Only a mount point can be remounted; mount_setattr on anything else
    // would silently change the mount that contains it.
    struct statx stx {};
    if (::statx(fd.get(), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
        (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
        !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
        fail(what + ": Unable to find \"" + MountCtx::fd_name(fd.get()) + "\" in mount table");
    if (mountapi::set_attr(fd.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                           false) == 0)
        return;
    const int err = errno;
    const std::string target = MountCtx::fd_name(fd.get());
    const std::string remount_failed =
        what + ": Unable to remount destination \"" + target + "\" with correct flags";
    if (err != ENOSYS) fail_errno(remount_failed, err);
    std::string failing;
    if (mountinfo::add_flags("/oldroot/proc/self/mountinfo", target,
                             MS_RDONLY | MS_NOSUID | MS_NODEV, false, &failing) != 0) {
        if (errno == EINVAL && failing == target)
            fail(what + ": Unable to find \"" + target + "\" in mount table");
        fail_errno(remount_failed);
    }
}

void do_tmpfs(MountCtx& ctx, const FsOp& op, mode_t pm) {
    Fd at = ensure_dir_dest(ctx, op.dest, 0755, pm);
    FsOptions opts{{"mode", octal(static_cast<uint32_t>(effective_perms(op)))}};
    if (op.size && *op.size) opts.emplace_back("size", std::to_string(*op.size));
    // bwrap's label_mount(): tmpfs content gets the --file-label context.
    if (ctx.sb.proc.file_label) opts.emplace_back("context", *ctx.sb.proc.file_label);
    if (fs_at("tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, opts, at.get()) != 0)
        fail_mount("Can't mount tmpfs on " + MountCtx::newroot_path(op.dest));
}

void do_dir(MountCtx& ctx, const FsOp& op, mode_t pm) {
    ParentDir p = make_parents_dest(ctx, op.dest, pm);
    const mode_t mode = static_cast<mode_t>(effective_perms(op));
    if (::mkdirat(p.dir.get(), p.name.c_str(), mode) == 0) return;
    if (errno != EEXIST) fail_errno("Can't mkdir " + op.dest);
    // Existing: fine if it is (or leads, inside the root, to) a directory.
    Fd fd(inroot::open(ctx.root.get(), op.dest, O_PATH | O_DIRECTORY));
    if (!fd && errno == ENOTDIR) fail_errno("Can't mkdir " + op.dest);
}

void do_file(MountCtx& ctx, const FsOp& op, mode_t pm) {
    make_parents_dest(ctx, op.dest, pm);
    Fd fd(inroot::open(ctx.root.get(), op.dest, O_CREAT | O_WRONLY | O_TRUNC | O_NOCTTY,
                       static_cast<mode_t>(effective_perms(op))));
    if (!fd) fail_errno("Can't create file " + op.dest);
    copy_fd_or_fail(op.fd, fd.get(), op.dest);
    ::close(op.fd);
}

void do_bind_data(MountCtx& ctx, const FsOp& op, mode_t pm) {
    // The data lives in the staging tmpfs, outside the new root; only the
    // bind mount of it is visible inside.
    char tmpl[] = "/bindfileXXXXXX";
    Fd data(::mkostemp(tmpl, O_CLOEXEC));
    if (!data) fail_errno("Can't create tmpfile for " + op.dest);
    const uint32_t perms = static_cast<uint32_t>(effective_perms(op));
    if (::fchmod(data.get(), perms) != 0)
        fail_errno("Can't set mode " + octal(perms) + " on file to be used for " + op.dest);
    copy_fd_or_fail(op.fd, data.get(), op.dest);
    ::close(op.fd);
    Fd at = ensure_file_dest(ctx, op.dest, 0444, pm);
    std::string step =
        bind_at(data.get(), at.get(), bind_recursive | (op.readonly ? bind_readonly : 0));
    const int err = errno;
    ::unlink(tmpl);
    errno = err;
    if (!step.empty())
        fail_errno(std::string("Can't bind mount ") + tmpl + " on " +
                   MountCtx::newroot_path(op.dest) + ": " + step);
}

void do_symlink(MountCtx& ctx, const FsOp& op, mode_t pm) {
    ParentDir p = make_parents_dest(ctx, op.dest, pm);
    if (::symlinkat(op.source.c_str(), p.dir.get(), p.name.c_str()) == 0) return;
    if (errno != EEXIST) fail_errno("Can't make symlink at " + op.dest);
    // bwrap 0.11: asking again for a symlink that is already there is fine.
    char buf[PATH_MAX];
    ssize_t n = ::readlinkat(p.dir.get(), p.name.c_str(), buf, sizeof buf);
    if (n < 0) {
        if (errno == EINVAL)
            fail("Can't make symlink at " + op.dest + ": destination exists and is not a symlink");
        fail_errno("Can't make symlink at " + op.dest +
                   ": destination exists, and cannot read symlink target");
    }
    std::string existing(buf, static_cast<size_t>(n));
    if (existing != op.source)
        fail("Can't make symlink at " + op.dest + ": existing destination is " + existing);
}

void do_chmod(MountCtx& ctx, const FsOp& op) {
    const uint32_t perms = static_cast<uint32_t>(effective_perms(op));
    const std::string what = "Can't chmod " + octal(perms) + " " + op.dest;
    Fd fd(inroot::open(ctx.root.get(), op.dest, O_PATH));
    if (!fd) fail_errno(what);
    if (::syscall(kSysFchmodat2, fd.get(), "", perms, AT_EMPTY_PATH) == 0) return;
    if (errno != ENOSYS && errno != EINVAL) fail_errno(what);
    // The magic link names exactly the object resolved above.
    if (::chmod(MountCtx::fd_path(fd.get()).c_str(), perms) != 0) fail_errno(what);
}

void do_overlay(MountCtx& ctx, const FsOp& op, Source& src, mode_t pm) {
    Fd at = ensure_dir_dest(ctx, op.dest, 0755, pm);
    FsOptions opts;
    std::string shown; // bwrap's option string, for messages
    size_t first_lower = 0;
    if (op.kind == FsOpKind::overlay) {
        // Escaped even through fsconfig(2), which splits nothing: overlayfs
        // unescapes upperdir and workdir itself, so an unescaped backslash
        // in the path would vanish and the mount fail with ENOENT.
        const std::string upper = escape_layer(src.layers[0]);
        const std::string work = escape_layer(src.layers[1]);
        opts = {{"upperdir", upper}, {"workdir", work}};
        shown = "upperdir=" + upper + ",workdir=" + work + ",";
        first_lower = 2;
    } else if (op.kind == FsOpKind::tmp_overlay) {
        const int n = ctx.tmp_overlay_idx++;
        std::string upper = "/tmp-overlay-upper-" + std::to_string(n);
        std::string work = "/tmp-overlay-work-" + std::to_string(n);
        if (::mkdir(upper.c_str(), 0755) != 0) fail_errno("Creating --tmp-overlay upperdir failed");
        if (::mkdir(work.c_str(), 0755) != 0) fail_errno("Creating --tmp-overlay workdir failed");
        opts = {{"upperdir", upper}, {"workdir", work}};
        shown = "upperdir=" + upper + ",workdir=" + work + ",";
    }
    // --overlay-src lists layers bottom first; lowerdir wants the top first.
    std::string lower;
    for (size_t i = src.layers.size(); i > first_lower; --i) {
        if (!lower.empty()) lower += ':';
        lower += escape_layer(src.layers[i - 1]);
    }
    opts.emplace_back("lowerdir", lower);
    opts.emplace_back("userxattr", "");
    shown += "lowerdir=" + lower + ",userxattr";
    if (fs_at("overlay", "overlay", 0, opts, at.get()) != 0) {
        const std::string what = "Can't make overlay mount on " + MountCtx::newroot_path(op.dest) +
                                 " with options " + shown;
        if (errno == ELOOP) fail(what + ": Overlay directories may not overlap");
        fail_mount(what);
    }
}

void apply(MountCtx& ctx, const FsOp& op, Source& src) {
    const mode_t pm = parent_mode_for(op);
    switch (op.kind) {
    case FsOpKind::bind:
    case FsOpKind::bind_fd:
        return do_bind(ctx, op, src, pm);
    case FsOpKind::remount_ro:
        return do_remount_ro(ctx, op);
    case FsOpKind::proc:
        return setup_proc(ctx, op, pm);
    case FsOpKind::dev:
        return setup_dev(ctx, op, pm);
    case FsOpKind::mqueue: {
        Fd at = ensure_dir_dest(ctx, op.dest, 0755, pm);
        if (fs_at("mqueue", "mqueue", 0, {}, at.get()) != 0)
            fail_mount("Can't mount mqueue on " + MountCtx::newroot_path(op.dest));
        return;
    }
    case FsOpKind::tmpfs:
        return do_tmpfs(ctx, op, pm);
    case FsOpKind::dir:
        return do_dir(ctx, op, pm);
    case FsOpKind::file:
        return do_file(ctx, op, pm);
    case FsOpKind::bind_data:
        return do_bind_data(ctx, op, pm);
    case FsOpKind::symlink:
        return do_symlink(ctx, op, pm);
    case FsOpKind::chmod:
        return do_chmod(ctx, op);
    case FsOpKind::overlay:
    case FsOpKind::tmp_overlay:
    case FsOpKind::ro_overlay:
        return do_overlay(ctx, op, src, pm);
    case FsOpKind::bind_view:
        return setup_bind_view(ctx, op, src, pm);
    case FsOpKind::lock_file:
        return; // taken later, by take_lock_files()
    case FsOpKind::mount:
        return do_mount(ctx, op, src, pm);
    case FsOpKind::device:
        return do_device(ctx, op, src, pm);
    case FsOpKind::mask:
        return do_mask(ctx, op);
    case FsOpKind::readonly_path:
        return do_readonly_path(ctx, op);
    }
}

} // namespace

void apply_op(MountCtx& ctx, const FsOp& op, Source& src) {
    apply(ctx, op, src);
}

} // namespace burrow::mounts
