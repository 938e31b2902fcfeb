// --proc DEST. With a new pid namespace: a fresh procfs, so the payload sees
// its own pids. Without one: the host's /proc, bound (bwrap does the same).
//
// Nested in a container whose /proc has masked or read-only submounts
// (Docker, Podman, an outer bwrap --tmpfs /proc/sys), the kernel refuses a
// fresh procfs with EPERM (mount_too_revealing: it would uncover what the
// outer runtime hid). bubblewrap fails there (its issue 738). burrow falls
// back, in order: a procfs limited to process directories (subset=pid keeps
// the pid view right and reveals nothing the mask hides), then a recursive
// bind of the outer /proc with its masks (pids of the outer namespace).
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mount_ctx.hpp"
#include "runtime/path_resolve.hpp"

namespace burrow::mounts {

namespace {

std::string bind_host_proc(MountCtx& ctx, int at) {
    Fd tree(::openat(ctx.old_root.get(), "proc", O_PATH | O_CLOEXEC));
    if (!tree) return "Unable to mount source on destination";
    return bind_at(tree.get(), at, bind_recursive);
}

void mount_fresh_proc(MountCtx& ctx, const std::string& dest, int at) {
    constexpr unsigned long flags = MS_NOSUID | MS_NOEXEC | MS_NODEV;
    if (fs_at("proc", "proc", flags, {}, at) == 0) return;
    const int err = errno;
    if (err != EPERM && err != EACCES)
        fail_mount("Can't mount proc on " + MountCtx::newroot_path(dest), err);
    if (fs_at("proc", "proc", flags, {{"subset", "pid"}}, at) == 0) {
        report_warning(ctx.sb.diag, "the enclosing /proc is partly masked; mounted proc on " +
                                        dest + " with subset=pid (process directories only)");
        return;
    }
    if (bind_host_proc(ctx, at).empty()) {
        report_warning(ctx.sb.diag,
                       "Can't mount proc on " + MountCtx::newroot_path(dest) + ": " +
                           std::strerror(err) +
                           "; bound the enclosing /proc instead (it shows outer pids)");
        return;
    }
    fail_mount("Can't mount proc on " + MountCtx::newroot_path(dest), err);
}

} // namespace

void setup_proc(MountCtx& ctx, const FsOp& op, mode_t parent_mode) {
    const std::string& dest = op.dest;
    Fd at = ensure_dir_dest(ctx, dest, 0755, parent_mode);
    if (ctx.pid_ns) {
        mount_fresh_proc(ctx, dest, at.get());
    } else if (std::string step = bind_host_proc(ctx, at.get()); !step.empty()) {
        fail_errno("Can't bind mount /oldroot/proc on " + MountCtx::newroot_path(dest) + ": " +
                   step);
    }

    // Old interfaces that are dangerous when writable (sysrq-trigger can
    // reboot the machine). Normally the kernel already refuses writes; cover
    // whatever it would allow, as bwrap does.
    Fd proc(inroot::open(ctx.root.get(), dest, O_PATH | O_DIRECTORY));
    if (!proc) fail_errno("Can't open " + dest);
    static const char* const cover[] = {"sys", "sysrq-trigger", "irq", "bus"};
    for (const char* name : cover) {
        const std::string sub = MountCtx::newroot_path(dest) + "/" + name;
        if (::faccessat(proc.get(), name, W_OK, 0) != 0) {
            if (errno == EACCES || errno == ENOENT || errno == EROFS) continue;
            fail_errno("Can't access " + sub);
        }
        Fd target(::openat(proc.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        std::string step = target
                               ? bind_at(target.get(), target.get(), bind_readonly | bind_recursive)
                               : "Unable to mount source on destination";
        if (!step.empty()) fail_errno("Can't bind mount " + sub + " on " + sub + ": " + step);
    }
}

} // namespace burrow::mounts
