// Path resolution inside the new root. Every destination of the mount plan
// goes through here so that no symlink (planted by --symlink or found in a
// bound host directory) and no ".." can lead a mount or a created file out of
// the sandbox tree: absolute symlinks and ".." are interpreted with the new
// root as "/", exactly like a process chrooted there would see them. Ordinary
// in-root symlinks (/var/run -> ../run) keep working.
//
// openat2(RESOLVE_IN_ROOT) does the work where the kernel has it (5.6+);
// older kernels get an equivalent userspace walk (O_NOFOLLOW per component,
// symlinks expanded by hand, ".." popped from a stack of fds).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "runtime/fd.hpp"

namespace burrow::inroot {

// Opens `path` (a leading '/' is optional; "" is the root itself) below
// root_fd, following every symlink inside the root. Returns -1 with errno.
int open(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// The directory that will hold `path`'s last component, plus that component.
struct Parent {
    Fd dir;
    std::string name; // "." when path names the root itself
};

// Creates the missing parent directories of `path` with `mode`, one at a
// time and each relative to the fd of its resolved parent (bwrap's
// mkdir_with_parents, but in-root). Returns false with errno on failure.
bool make_parents(int root_fd, std::string_view path, mode_t mode, Parent& out);

// Use the userspace walk even where openat2 exists (tests of the fallback;
// the path fuzzer switches back and forth to compare the two).
void force_userspace_walk(bool on = true);

// Splits on '/', dropping empty and "." components.
std::string normalize(std::string_view path);

} // namespace burrow::inroot
