// The mount plan: builds the sandbox's file tree from Sandbox::fs and pivots
// into it. Runs inside the child, in the new mount namespace (and user
// namespace, if any) with full capabilities there.
#pragma once

#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow {

// Makes the old tree private, builds the new root on a tmpfs, applies every
// FsOp in order (destinations resolved inside the new root only), pivots
// into the new root and detaches the old one. On return "/" is the sandbox
// root and the cwd is "/". Throws SetupError on failure.
void build_mount_tree(const Sandbox& sb);

// After build_mount_tree: opens and locks every lock_file destination; the
// returned fds must be held by the process that lives as long as the sandbox.
std::vector<Fd> take_lock_files(const Sandbox& sb);

} // namespace burrow
