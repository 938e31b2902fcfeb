// --dev DEST: bwrap's minimal /dev. A tmpfs holding bind mounts of the
// host's harmless device nodes, a private devpts instance, /dev/shm, the
// stdio/fd/core symlinks and, when stdout is a terminal, /dev/console.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mount_ctx.hpp"
#include "runtime/path_resolve.hpp"

namespace burrow::mounts {

namespace {

void make_symlink(int dir, const char* target, const char* name, const std::string& what) {
    if (::symlinkat(target, dir, name) != 0) fail_errno("Can't create symlink " + what);
}

// Binds the host node `host_rel` (relative to the host root) on a new empty
// file `name` in dev, keeping it usable as a device (BIND_DEVICES).
void bind_node(MountCtx& ctx, int dev, const std::string& host_rel, const char* name,
               const std::string& dest) {
    Fd file(::openat(dev, name, O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0444));
    if (!file) fail_errno("Can't create file " + dest + "/" + name);
    Fd tree(::openat(ctx.old_root.get(), host_rel.c_str(), O_PATH | O_CLOEXEC));
    std::string step = tree ? bind_at(tree.get(), file.get(), bind_devices | bind_recursive)
                            : "Unable to mount source on destination";
    if (!step.empty())
        fail_errno("Can't bind mount /oldroot/" + host_rel + " on " + MountCtx::newroot_path(dest) +
                   "/" + name + ": " + step);
}

} // namespace

void setup_dev(MountCtx& ctx, const FsOp& op, mode_t parent_mode) {
    const std::string& dest = op.dest;
    Fd at = ensure_dir_dest(ctx, dest, 0755, parent_mode);
    FsOptions opts{{"mode", "0755"}};
    if (ctx.sb.proc.file_label) opts.emplace_back("context", *ctx.sb.proc.file_label);
    if (fs_at("tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, opts, at.get()) != 0)
        fail_mount("Can't mount tmpfs on " + MountCtx::newroot_path(dest));
    // Everything below is created in the fresh tmpfs through its own fd.
    Fd dev(inroot::open(ctx.root.get(), dest, O_PATH | O_DIRECTORY));
    if (!dev) fail_errno("Can't open " + dest);

    static const char* const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    for (const char* n : nodes) bind_node(ctx, dev.get(), std::string("dev/") + n, n, dest);

    static const char* const stdio[] = {"stdin", "stdout", "stderr"};
    for (int i = 0; i < 3; ++i) {
        std::string target = "/proc/self/fd/" + std::to_string(i);
        make_symlink(dev.get(), target.c_str(), stdio[i], dest + "/" + stdio[i]);
    }
    // Legacy, but nspawn and docker provide them too.
    make_symlink(dev.get(), "/proc/self/fd", "fd", dest + "/fd");
    make_symlink(dev.get(), "/proc/kcore", "core", dest + "/core");

    if (::mkdirat(dev.get(), "shm", 0755) != 0) fail_errno("Can't create " + dest + "/shm");
    if (::mkdirat(dev.get(), "pts", 0755) != 0) fail_errno("Can't create " + dest + "/devpts");
    Fd pts(::openat(dev.get(), "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!pts) fail_errno("Can't create " + dest + "/devpts");
    if (fs_at("devpts", "devpts", MS_NOSUID | MS_NOEXEC,
              {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "620"}}, pts.get()) != 0)
        fail_mount("Can't mount devpts on " + MountCtx::newroot_path(dest) + "/pts");
    if (::symlinkat("pts/ptmx", dev.get(), "ptmx") != 0)
        fail_errno("Can't make symlink at " + dest + "/ptmx");

    // A terminal on stdout is already writable by the payload; a console
    // node for it only makes ttyname() work inside.
    if (!ctx.host_tty.empty() && ctx.host_tty[0] == '/')
        bind_node(ctx, dev.get(), ctx.host_tty.substr(1), "console", dest);
}

} // namespace burrow::mounts
