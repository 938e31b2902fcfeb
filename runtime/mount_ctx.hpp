// Shared state and primitives of the mount plan (mounts.cpp, dev_setup.cpp,
// proc_setup.cpp). Internal to runtime/: nothing outside includes this.
//
// During setup the process root is the staging tmpfs ("base", as in bwrap):
//   /newroot  the sandbox root (root_fd below)
//   /oldroot  the host tree (sources were opened before the pivot)
// so mount options that must name paths (overlay layers) read exactly like
// bwrap's ("lowerdir=/oldroot/...").
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::mounts {

using FsOptions = std::vector<std::pair<std::string, std::string>>;

struct MountCtx {
    const Sandbox& sb;
    Fd root;              // O_PATH of /newroot: every destination is resolved below it
    Fd old_root;          // O_PATH of the host "/", opened before the pivot
    bool pid_ns = false;  // proc gets a fresh instance (else the host's is bound)
    std::string host_tty; // ttyname(1) when stdout is a tty: /dev/console
    int tmp_overlay_idx = 0;
    int view_idx = 0; // staging mounts of bind_view sources

    explicit MountCtx(const Sandbox& s) : sb(s) {}

    // "/oldroot/proc/self/fd/N": names fd's object for mount(2) fallbacks
    // without resolving any path the sandbox could influence.
    static std::string fd_path(int fd);
    // What the fd refers to as this process sees it (readlink of fd_path).
    static std::string fd_name(int fd);
    // bwrap's "/newroot<dest>" spelling for messages.
    static std::string newroot_path(const std::string& dest);
};

// Where bwrap would mount with BIND_READONLY / BIND_DEVICES.
constexpr unsigned bind_readonly = 1, bind_devices = 2, bind_recursive = 4;

// fail_errno() for a failed mount: bwrap's wording for ENOSPC ("limit
// exceeded", not a full disk).
[[noreturn]] void fail_mount(const std::string& what, int err = errno);

// Bind-mounts `source` (an O_PATH fd of the source, opened in this mount
// namespace) onto target_fd: a clone of its tree when open_tree exists,
// mount(2) on the fds' magic links otherwise. nosuid is always added,
// nodev unless bind_devices, ro with bind_readonly, to every submount when
// bind_recursive. Returns "" on success, else bwrap 0.11's description of
// the failed step (errno set), e.g. "Unable to mount source on destination".
std::string bind_at(int source, int target_fd, unsigned flags);

// A fresh filesystem attached on target_fd; ms_flags are MS_NOSUID etc.
// Returns 0 or -1 with errno.
int fs_at(const char* fstype, const char* source, unsigned long ms_flags, const FsOptions& options,
          int target_fd);

// bwrap's ensure_dir()/ensure_file() on a destination, after creating its
// parents; return an fd of what to mount on. Throw SetupError with bwrap's
// messages ("Can't mkdir %s", "Can't create file at %s").
Fd ensure_dir_dest(MountCtx& ctx, const std::string& dest, mode_t mode, mode_t parent_mode);
Fd ensure_file_dest(MountCtx& ctx, const std::string& dest, mode_t mode, mode_t parent_mode);
// Just the parents (bwrap's mkdir_with_parents(dest, create_last=false)).
struct ParentDir {
    Fd dir;
    std::string name;
};
ParentDir make_parents_dest(MountCtx& ctx, const std::string& dest, mode_t parent_mode);

// A bind or overlay op's host side, opened before the pivot (mounts.cpp).
struct Source {
    Fd tree;         // O_PATH fd of a bind source, in the host's view
    mode_t type = 0; // S_IFDIR, S_IFREG... of the source
    bool skip = false;
    std::vector<std::string> layers; // overlays: "/oldroot<realpath>" of each
    // bind_view: one read-only recursive clone (or, on old kernels, an O_PATH
    // fd) per distinct parent directory of the sources, and the entries
    // taken from it.
    struct ViewGroup {
        std::string parent; // host path, for messages
        Fd tree;
        std::vector<std::string> names;
    };
    std::vector<ViewGroup> view;
};

// bind_view (bind_view.cpp): the host side before the pivot, then the view.
void open_view_sources(const FsOp& op, Source& src);
void setup_bind_view(MountCtx& ctx, const FsOp& op, Source& src, mode_t parent_mode);

// Applies one FsOp (mount_ops.cpp); throws SetupError.
void apply_op(MountCtx& ctx, const FsOp& op, Source& src);

// Per-op setup living in their own files.
void setup_dev(MountCtx& ctx, const FsOp& op, mode_t parent_mode);
void setup_proc(MountCtx& ctx, const FsOp& op, mode_t parent_mode);

} // namespace burrow::mounts
