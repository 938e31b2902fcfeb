// bind_view: a read-only directory showing exactly a list of host entries
// (used for a Nix store holding only a closure). Built for thousands of
// entries, so the per-entry work is kept to one clone and one attach:
//  - before the pivot, each distinct parent directory of the sources is
//    cloned once (recursively) and made read-only, nosuid, nodev as a whole;
//  - that clone is attached at a staging point outside the new root;
//  - each entry is cloned from the staging point, relative to its fd (no
//    path walk from "/"), and attached on a mount point created relative to
//    the view's fd. A clone inherits the read-only flag of its source mount,
//    so no per-entry remount is needed (measured: bench/nix_bench.cpp);
//  - the view's tmpfs is made read-only last.
// The staging mounts live in the staging tmpfs, which is detached with it.
//
// Measured alternatives (kernel 6.18, 2,000 entries, perf stat task-clock of
// the whole start, 25 runs): this scheme 31-35 ms; mount(2) MS_BIND by path
// instead of open_tree+move_mount 35-40 ms (and it would follow a symlink
// entry); the view built as a detached tmpfs (fsmount) and attached once
// 31-33 ms, no gain; ramfs instead of tmpfs, no gain. The rest is kernel
// work per mount: mkdirat ~22%, open_tree ~24%, move_mount ~14% (perf).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <map>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mount_ctx.hpp"
#include "runtime/mountinfo.hpp"
#include "runtime/path_resolve.hpp"

namespace burrow::mounts {

namespace {

constexpr const char* kMountinfo = "/oldroot/proc/self/mountinfo";
constexpr unsigned kViewAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

std::string view_what(const FsOp& op) {
    return "Can't make view on " + MountCtx::newroot_path(op.dest);
}

// The staging point of one group: /view-N-G in the staging tmpfs, with the
// group's read-only clone attached; returns its directory fd.
Fd stage_group(MountCtx& ctx, const FsOp& op, Source::ViewGroup& g, int n) {
    const std::string stage = "/view-" + std::to_string(ctx.view_idx) + "-" + std::to_string(n);
    if (::mkdir(stage.c_str(), 0700) != 0) fail_errno(view_what(op) + ": mkdir " + stage);
    if (mountapi::have_open_tree()) {
        Fd at(::open(stage.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!at) fail_errno(view_what(op) + ": open " + stage);
        if (mountapi::attach(g.tree.get(), at.get()) != 0)
            fail_mount(view_what(op) + ": attach " + g.parent);
    } else {
        if (::mount(MountCtx::fd_path(g.tree.get()).c_str(), stage.c_str(), nullptr,
                    MS_SILENT | MS_BIND | MS_REC, nullptr) != 0)
            fail_mount(view_what(op) + ": bind " + g.parent);
        std::string failing;
        if (mountinfo::add_flags(kMountinfo, stage, MS_RDONLY | MS_NOSUID | MS_NODEV, true,
                                 &failing) != 0)
            fail_errno(view_what(op) + ": remount read-only \"" + failing + "\"");
    }
    g.tree.reset();
    Fd dir(::open(stage.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) fail_errno(view_what(op) + ": open " + stage);
    return dir;
}

// Clones `name` below stage_fd onto the same name below view_fd; 0 or -1
// with errno. AT_SYMLINK_NOFOLLOW: a symlink entry is never followed to
// somewhere else (its clone cannot go on a directory: ENOTDIR).
int clone_entry(int stage_fd, int view_fd, const std::string& name) {
    if (mountapi::have_open_tree()) {
        Fd tree(static_cast<int>(
            ::syscall(SYS_open_tree, stage_fd, name.c_str(),
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW)));
        if (!tree) return -1;
        return mountapi::attach_at(tree.get(), view_fd, name.c_str());
    }
    // mount(2) follows a symlink source, so the caller checked the type first.
    const std::string from = MountCtx::fd_path(stage_fd) + "/" + name;
    const std::string to = MountCtx::fd_path(view_fd) + "/" + name;
    return ::mount(from.c_str(), to.c_str(), nullptr, MS_SILENT | MS_BIND | MS_REC, nullptr);
}

// One entry: `name` below stage_fd shown at `name` below view_fd. Store
// entries are nearly all directories, so that is tried first without a
// stat (measured: the fstatat was 12% of a 2,000-entry view); anything else
// is looked at and redone.
void add_entry(const FsOp& op, const Source::ViewGroup& g, int stage_fd, int view_fd,
               const std::string& name) {
    const std::string host = g.parent + (g.parent == "/" ? "" : "/") + name;
    const std::string what = view_what(op) + ": " + host;
    if (mountapi::have_open_tree()) {
        if (::mkdirat(view_fd, name.c_str(), 0755) != 0) fail_errno(what + ": mkdir");
        if (clone_entry(stage_fd, view_fd, name) == 0) return;
        const int err = errno;
        if (::unlinkat(view_fd, name.c_str(), AT_REMOVEDIR) != 0) fail_errno(what + ": rmdir");
        errno = err;
    }
    struct stat st;
    if (::fstatat(stage_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno(what);
    if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = ::readlinkat(stage_fd, name.c_str(), buf, sizeof buf);
        if (n < 0) fail_errno(what + ": readlink");
        if (::symlinkat(std::string(buf, static_cast<size_t>(n)).c_str(), view_fd, name.c_str()) !=
            0)
            fail_errno(what + ": symlink");
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(view_fd, name.c_str(), 0755) != 0) fail_errno(what + ": mkdir");
    } else {
        Fd f(::openat(view_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                      0444));
        if (!f) fail_errno(what + ": create mount point");
    }
    if (clone_entry(stage_fd, view_fd, name) != 0) fail_mount(what + ": bind");
}

} // namespace

void open_view_sources(const FsOp& op, Source& src) {
    std::map<std::string, size_t> by_parent;
    for (const auto& s : op.view_sources) {
        const size_t slash = s.rfind('/');
        if (s.empty() || s[0] != '/' || slash == s.size() - 1)
            fail("Can't make view on " + op.dest + ": not an absolute path to an entry: " + s);
        const std::string parent = slash == 0 ? "/" : s.substr(0, slash);
        const std::string name = s.substr(slash + 1);
        if (name == "." || name == "..")
            fail("Can't make view on " + op.dest + ": not an absolute path to an entry: " + s);
        auto [it, fresh] = by_parent.emplace(parent, src.view.size());
        if (fresh) {
            Source::ViewGroup g;
            g.parent = parent;
            // Cloned in the host's view, before the pivot; flags are set on
            // the detached copy, so the entries are never writable anywhere.
            if (mountapi::have_open_tree()) {
                g.tree = mountapi::clone_tree(AT_FDCWD, parent.c_str());
                if (!g.tree && errno != ENOSYS) fail_errno("Can't find source path " + parent);
                if (g.tree && mountapi::set_attr(g.tree.get(), kViewAttrs, true) != 0) {
                    if (errno != ENOSYS) fail_errno("Can't make " + parent + " read-only");
                    g.tree.reset(); // no mount_setattr: take the mount(2) path
                    mountapi::force_legacy();
                }
            }
            if (!g.tree) g.tree = mountapi::open_path(parent.c_str());
            if (!g.tree) fail_errno("Can't find source path " + parent);
            src.view.push_back(std::move(g));
        }
        src.view[it->second].names.push_back(name);
    }
}

void setup_bind_view(MountCtx& ctx, const FsOp& op, Source& src, mode_t parent_mode) {
    Fd at = ensure_dir_dest(ctx, op.dest, 0755, parent_mode);
    const unsigned mode = op.perms ? *op.perms : 0755;
    char mode_str[16];
    std::snprintf(mode_str, sizeof mode_str, "%#o", mode);
    if (fs_at("tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, {{"mode", mode_str}}, at.get()) != 0)
        fail_mount("Can't mount tmpfs on " + MountCtx::newroot_path(op.dest));
    // The root of the tmpfs just attached (the fd above is the directory under it).
    Fd view(inroot::open(ctx.root.get(), op.dest, O_PATH | O_DIRECTORY));
    if (!view) fail_errno(view_what(op) + ": open");
    for (size_t n = 0; n < src.view.size(); ++n) {
        auto& g = src.view[n];
        Fd stage = stage_group(ctx, op, g, static_cast<int>(n));
        for (const auto& name : g.names) add_entry(op, g, stage.get(), view.get(), name);
    }
    ++ctx.view_idx;
    if (mountapi::set_attr(view.get(), kViewAttrs, false) == 0) return;
    if (errno != ENOSYS) fail_errno(view_what(op) + ": remount read-only");
    std::string failing;
    if (mountinfo::add_flags(kMountinfo, MountCtx::fd_name(view.get()),
                             MS_RDONLY | MS_NOSUID | MS_NODEV, false, &failing) != 0)
        fail_errno(view_what(op) + ": remount read-only");
}

} // namespace burrow::mounts
