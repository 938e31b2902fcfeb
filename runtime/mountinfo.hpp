// The mount(2) fallback for kernels without mount_setattr (< 5.12): a bind
// mount does not take new per-mount flags, so read-only/nosuid/nodev must be
// applied with MS_REMOUNT|MS_BIND to the mount and, for recursive binds, to
// every submount below it. The mount table is read with libmount.
#pragma once

#include <string>

namespace burrow::mountinfo {

// Loads libmount now (it is dlopen()ed, and the library path may not be
// reachable once the process root has moved). Returns false if unavailable.
bool preload();

// Adds `add_flags` (MS_RDONLY, MS_NOSUID, MS_NODEV...) to the mount at
// `target` (a path as the current process sees it, e.g. "/newroot/usr") and,
// when recursive, to every visible mount below it, keeping each mount's
// existing flags (locked flags cannot be dropped inside a user namespace).
// `mountinfo_path` is this process's mountinfo file. Returns 0 or -1 with
// errno; *failing names the mount point that failed.
int add_flags(const std::string& mountinfo_path, const std::string& target, unsigned long add_flags,
              bool recursive, std::string* failing);

} // namespace burrow::mountinfo
