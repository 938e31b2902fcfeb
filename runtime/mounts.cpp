// The mount plan. Order of work (bwrap's, with the fixes noted):
//  1. "/" becomes a recursive slave: host mounts still propagate in, ours
//     never propagate out.
//  2. Every host source is opened up front, in the host's view, like bwrap's
//     realpath() pass: an O_PATH fd per bind source (open_tree without
//     cloning, so automounts trigger), realpath for overlay layers. The
//     recursive clone is taken from that fd when the op runs.
//  3. A staging tmpfs on /tmp holds newroot/ (the sandbox root) and oldroot/
//     (the host, after pivot_root), plus bind-data files and tmp-overlay
//     layers nobody inside can reach.
//  4. Each FsOp in order; destinations are resolved below /newroot only
//     (path_resolve.hpp), mounts are attached to fds, not path strings.
//  5. The host tree is detached and /newroot becomes "/".
#include "runtime/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mount_ctx.hpp"
#include "runtime/mountinfo.hpp"
#include "runtime/path_resolve.hpp"
#include "runtime/pre_pivot.hpp"
#include "runtime/setup_step.hpp"

namespace burrow {

using namespace mounts;

namespace {

std::string oldroot_realpath(const std::string& path) {
    char* r = ::realpath(path.c_str(), nullptr);
    if (!r) fail_errno("Can't find source path " + path);
    std::string out = std::string("/oldroot") + r;
    std::free(r);
    return out;
}

// The bind source, in the host's view; false when the op is to be skipped.
bool open_bind_source(const FsOp& op, Source& src) {
    if (op.kind == FsOpKind::bind_fd) {
        // The caller's fd belongs to the parent's mount namespace, which the
        // kernel will not clone from here; re-resolve the path it names and
        // make sure we got the same object (bwrap's race check, before
        // mounting rather than after).
        std::string link = "/proc/self/fd/" + std::to_string(op.fd);
        char buf[PATH_MAX];
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (n < 0) fail_errno("Can't find source path " + link);
        buf[n] = 0;
        src.tree = mountapi::open_path(buf);
        if (!src.tree) fail_errno("Can't find source path " + link);
        struct stat a, b;
        if (::fstat(op.fd, &a) != 0) fail_errno("Can't stat fd " + std::to_string(op.fd));
        if (::fstat(src.tree.get(), &b) != 0) fail_errno("Can't stat " + std::string(buf));
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) fail("Race condition binding dirfd");
        src.type = b.st_mode & S_IFMT;
        return true;
    }
    // A magic link such as /proc/self/fd/N or /dev/stdin leads to a mount
    // of the caller's namespace, which cannot be cloned here; bwrap binds
    // what its path names (realpath), so resolve those to a path first.
    std::string path = op.source;
    const size_t start = path.find_first_not_of('/');
    const std::string_view rel =
        start == std::string::npos ? std::string_view{} : std::string_view(path).substr(start);
    if (start > 0 && (rel.rfind("proc/", 0) == 0 || rel.rfind("dev/", 0) == 0)) {
        if (char* r = ::realpath(path.c_str(), nullptr)) {
            path = r;
            std::free(r);
        }
    }
    src.tree = mountapi::open_path(path.c_str());
    if (!src.tree) {
        if (op.optional && errno == ENOENT) return false;
        fail_errno("Can't find source path " + op.source);
    }
    struct stat st;
    if (::fstat(src.tree.get(), &st) != 0) fail_errno("Can't get type of source " + op.source);
    src.type = st.st_mode & S_IFMT;
    return true;
}

bool weakens_isolation_only(FsOpKind k) {
    // bind_view is not here: skipping it would expose what it covers.
    return k == FsOpKind::bind || k == FsOpKind::bind_fd || k == FsOpKind::remount_ro;
}

std::vector<Source> open_sources(const Sandbox& sb) {
    std::vector<Source> out(sb.fs.size());
    for (size_t i = 0; i < sb.fs.size(); ++i) {
        const FsOp& op = sb.fs[i];
        try {
            switch (op.kind) {
            case FsOpKind::bind:
            case FsOpKind::bind_fd:
                out[i].skip = !open_bind_source(op, out[i]);
                break;
            case FsOpKind::bind_view:
                open_view_sources(op, out[i]);
                break;
            case FsOpKind::mount:
            case FsOpKind::device: {
                // The host tree to bind when the kernel refuses the op
                // (rootless); absent is fine until it is needed.
                const std::string& host =
                    op.kind == FsOpKind::mount ? op.fallback_source : op.source;
                if (!host.empty()) out[i].tree = mountapi::open_path(host.c_str());
                break;
            }
            case FsOpKind::overlay:
                out[i].layers.push_back(oldroot_realpath(op.overlay_upper));
                out[i].layers.push_back(oldroot_realpath(op.overlay_work));
                [[fallthrough]];
            case FsOpKind::tmp_overlay:
            case FsOpKind::ro_overlay:
                for (const auto& s : op.overlay_sources)
                    out[i].layers.push_back(oldroot_realpath(s));
                break;
            default:
                break;
            }
        } catch (const SetupError& e) {
            if (!(sb.diag.not_a_security_boundary && weakens_isolation_only(op.kind))) throw;
            report_warning(sb.diag, e.what());
            out[i].skip = true;
        }
    }
    return out;
}

void check(int rc, const char* what) {
    if (rc != 0) fail_errno(what);
}

// Everything created during setup gets exactly the mode asked for.
struct UmaskGuard {
    mode_t old = ::umask(0);
    ~UmaskGuard() { ::umask(old); }
};

// One open fd per bind source exists at once; make room for large plans
// without changing what the payload inherits.
struct FdLimitGuard {
    struct rlimit old {};
    bool changed = false;
    explicit FdLimitGuard(size_t need) {
        if (::getrlimit(RLIMIT_NOFILE, &old) != 0) return;
        rlim_t want = static_cast<rlim_t>(need) + 256;
        if (old.rlim_cur == RLIM_INFINITY || old.rlim_cur >= want) return;
        struct rlimit raised = old;
        raised.rlim_cur = old.rlim_max == RLIM_INFINITY ? want : std::min(want, old.rlim_max);
        changed = ::setrlimit(RLIMIT_NOFILE, &raised) == 0;
    }
    ~FdLimitGuard() {
        if (changed) ::setrlimit(RLIMIT_NOFILE, &old);
    }
};

} // namespace

void build_mount_tree(const Sandbox& sb) {
    UmaskGuard umask_guard;
    FdLimitGuard fd_guard(sb.fs.size());
    MountCtx ctx(sb);
    ctx.pid_ns = sb.ns.pid || sb.ns.join_pid_fd >= 0;
    if (::isatty(STDOUT_FILENO)) {
        if (const char* t = ::ttyname(STDOUT_FILENO)) ctx.host_tty = t;
    }

    setup_step::enter(setup_step::Step::mount_private);
    // Slave, not private: mounts the host makes later (removable media,
    // automounts) still show up in bound trees; nothing flows back out.
    if (::mount(nullptr, "/", nullptr, MS_SILENT | MS_SLAVE | MS_REC, nullptr) != 0)
        fail_mount("Failed to make / slave");
    ctx.old_root = Fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!ctx.old_root) fail_errno("Can't open /");

    // Without mount_setattr, per-mount flags come from libmount's reading of
    // mountinfo; load it while the host's library directories are in reach.
    if (!mountapi::probe_mount_setattr()) mountinfo::preload();

    setup_step::enter(setup_step::Step::open_sources);
    std::vector<Source> sources = open_sources(sb);

    setup_step::enter(setup_step::Step::staging_tmpfs);
    check(::mount("tmpfs", "/tmp", "tmpfs", MS_NODEV | MS_NOSUID, nullptr),
          "Failed to mount tmpfs");
    check(::chdir("/tmp"), "chdir base_path");
    check(::mkdir("newroot", 0755), "Creating newroot failed");
    check(::mount("newroot", "newroot", nullptr, MS_SILENT | MS_BIND | MS_REC, nullptr),
          "setting up newroot bind");
    check(::mkdir("oldroot", 0755), "Creating oldroot failed");
    check(static_cast<int>(::syscall(SYS_pivot_root, ".", "oldroot")), "pivot_root");
    check(::chdir("/"), "chdir / (base path)");
    ctx.root = Fd(::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!ctx.root) fail_errno("Can't open /newroot");

    for (size_t i = 0; i < sb.fs.size(); ++i) {
        const FsOp& op = sb.fs[i];
        if (sources[i].skip) continue;
        setup_step::enter(setup_step::Step::fs_op);
        try {
            apply_op(ctx, op, sources[i]);
        } catch (const SetupError& e) {
            if (!(sb.diag.not_a_security_boundary && weakens_isolation_only(op.kind))) throw;
            report_warning(sb.diag, e.what());
        }
        // An op may have mounted over the sandbox root itself (--ro-bind / /,
        // --tmpfs /): the old fd still names the covered directory, so take
        // the root again or every later op would land underneath, unseen.
        ctx.root = Fd(::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!ctx.root) fail_errno("Can't open /newroot");
    }
    sources.clear();
    ctx.root.reset();
    ctx.old_root.reset();

    setup_step::enter(setup_step::Step::pre_pivot);
    pre_pivot::run(sb.pre_pivot, "/oldroot", "/newroot");

    setup_step::enter(setup_step::Step::pivot_root);
    // Unmount events must not travel to the host.
    check(::mount("oldroot", "oldroot", nullptr, MS_SILENT | MS_REC | MS_PRIVATE, nullptr),
          "Failed to make old root rprivate");
    check(::umount2("oldroot", MNT_DETACH), "unmount old root");
    // Second pivot: /newroot becomes "/", the staging tmpfs goes away.
    Fd base(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!base) fail_errno("can't open /");
    check(::chdir("/newroot"), "chdir /newroot");
    check(static_cast<int>(::syscall(SYS_pivot_root, ".", ".")), "pivot_root(/newroot)");
    check(::fchdir(base.get()), "fchdir to oldroot");
    check(::umount2(".", MNT_DETACH), "umount old root");
    check(::chdir("/"), "chdir /");
}

std::vector<Fd> take_lock_files(const Sandbox& sb) {
    std::vector<Fd> locks;
    Fd root;
    for (const auto& op : sb.fs) {
        if (op.kind != FsOpKind::lock_file) continue;
        if (!root) {
            root = Fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!root) fail_errno("Can't open /");
        }
        Fd fd(inroot::open(root.get(), op.dest, O_RDONLY));
        if (!fd) fail_errno("Unable to open lock file " + op.dest);
        struct flock l {};
        l.l_type = F_RDLCK;
        l.l_whence = SEEK_SET;
        if (::fcntl(fd.get(), F_SETLK, &l) < 0) fail_errno("Unable to lock file " + op.dest);
        locks.push_back(std::move(fd));
    }
    return locks;
}

} // namespace burrow
