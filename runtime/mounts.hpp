// The mount plan: builds the sandbox's file tree from Sandbox::fs and pivots
// into it. Runs inside the child, in the new mount namespace (and user
// namespace, if any) with full capabilities there.
#pragma once

#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow {

// Makes the old tree a recursive slave (bwrap: host mounts still propagate
// in, nothing propagates out), builds the new root on a tmpfs, applies every
// FsOp in order (destinations resolved inside the new root only), pivots
// into the new root and detaches the old one. On return "/" is the sandbox
// root and the cwd is "/". Throws SetupError on failure; with
// Diagnostics::not_a_security_boundary, failures of bind/bind_fd/remount_ro
// ops are reported as warnings and the op is skipped.
//
// What the caller (run_sandbox) must know:
//  - Needs CAP_SYS_ADMIN over the new mount namespace and the host's /proc
//    at /proc (fallback paths and --bind-fd use /proc/self/fd), and an
//    existing /tmp to stage the new root on (as bwrap).
//  - --proc mounts a fresh procfs when Namespaces::pid or join_pid_fd is
//    set, so call it from inside the new pid namespace; otherwise the host
//    /proc is bound.
//  - The fds of --file, --bind-data and --bind-fd ops are closed after use
//    (bwrap does the same: the payload does not inherit them).
//  - The umask is 0 during setup (exact modes) and restored on return; the
//    RLIMIT_NOFILE soft limit may be raised during setup and is restored.
//  - isatty(1) decides /dev/console (bwrap uses stdout, not stdin).
void build_mount_tree(const Sandbox& sb);

// After build_mount_tree: opens (inside the new root) and read-locks every
// lock_file destination; the returned fds must be held by the process that
// lives as long as the sandbox (bwrap: pid 1). Errors: "Unable to open lock
// file %s", "Unable to lock file %s".
std::vector<Fd> take_lock_files(const Sandbox& sb);

} // namespace burrow
