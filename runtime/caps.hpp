// Capabilities of the sandbox processes (libcap), following bwrap's
// drop_privs(): the payload keeps exactly Process::capabilities.
#pragma once

#include <cstdint>

namespace burrow::caps {

// Drops every capability not in keep from the bounding set, so that no exec
// inside can regain it. EPERM/EINVAL are ignored as bwrap does
// (NO_NEW_PRIVS already caps what exec can grant).
void limit_bounding_set(uint64_t keep);

// Effective, permitted and inheritable become exactly caps.
void set_exact(uint64_t caps);

// The effective set of the calling process.
uint64_t effective();

// Raises caps into the ambient set so that they survive exec as a non-root
// uid. Caps that cannot be raised are skipped like bwrap.
void raise_ambient(uint64_t caps);

// After a uid switch under PR_SET_KEEPCAPS: effective = permitted again.
void raise_effective();

// Clears every capability of the calling process (monitor and pid 1).
// A root caller under a seccomp policy that refuses capset keeps going.
void drop_all();

} // namespace burrow::caps
