// Thin wrappers over the new mount API (open_tree, move_mount, mount_setattr,
// fsopen/fsconfig/fsmount) and openat2, each with the mount(2) fallback the
// mount plan needs on kernels that lack them. Every call reports ENOSYS once
// and the rest of the process then takes the fallback directly, so an old
// kernel pays one failed syscall, not one per operation.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "runtime/fd.hpp"

namespace burrow::mountapi {

// Which parts of the kernel API are usable; probed lazily, cached per process.
bool have_open_tree(); // open_tree + move_mount (5.2)
bool have_fsopen();    // fsopen/fsconfig/fsmount (5.2)

// Asks the kernel (one harmless call) whether mount_setattr exists, so the
// fallback's needs can be met before setup starts.
bool probe_mount_setattr();

// open_tree(OPEN_TREE_CLONE|AT_RECURSIVE) of a host path: a detached copy of
// the whole tree at `path` (symlinks followed, automounts triggered, like a
// recursive bind mount's source). Returns an invalid Fd with errno set.
Fd clone_tree(int dirfd, const char* path, bool empty_path = false);

// open_tree() without cloning: an O_PATH fd of `path` (symlinks followed,
// automounts triggered, which a plain O_PATH open does not do). Falls back
// to open(O_PATH) on kernels without open_tree.
Fd open_path(const char* path);

// mount_setattr(AT_RECURSIVE?) adding MOUNT_ATTR_* bits; 0 or -1 with errno.
int set_attr(int fd, unsigned attr_set, bool recursive, unsigned propagation = 0);

// move_mount of a detached tree onto the object `target_fd` refers to.
int attach(int tree_fd, int target_fd);

// move_mount of a detached tree onto `name` below the directory fd `dirfd`
// (no absolute path is resolved); 0 or -1 with errno.
int attach_at(int tree_fd, int dirfd, const char* name);

// A new filesystem instance (fsopen, fsconfig per option, fsmount). Options
// are (key, value) pairs; an empty value sets a flag. attrs: MOUNT_ATTR_*.
// On failure returns an invalid Fd with errno set.
Fd new_fs(const char* fstype, const char* source,
          const std::vector<std::pair<std::string, std::string>>& options, unsigned attrs);

// Behave as on a kernel without the new mount API (tests of the fallbacks).
void force_legacy();

// openat2 with RESOLVE_* flags; -1 with errno (ENOSYS on old kernels).
int openat2(int dirfd, const char* path, int flags, mode_t mode, unsigned long long resolve);

} // namespace burrow::mountapi
