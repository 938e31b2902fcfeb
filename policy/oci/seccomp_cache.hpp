// Compiled linux.seccomp programs kept between containers. podman gives
// every container the same profile, and compiling it with libseccomp is
// more than half of `burrow oci create` (about 11 of 19 ms for podman's
// default profile on three ABIs). The cache lives in the runtime's state
// root, which only the runtime's user can write.
//
// An entry holds its whole key: the seccomp object as JSON, libseccomp's
// version and API level, and the identity of the burrow executable (device,
// inode, size, mtime), compared byte for byte on every hit, so a different
// profile, library, kernel API level or burrow never gets another's
// program (the file name is only a 64-bit hash of the key). Entries are
// read with O_NOFOLLOW from a directory that must be ours and not
// accessible to others; anything unexpected is a miss, never an error.
#pragma once

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

namespace burrow::oci::seccomp_cache {

// The key for a seccomp object (its JSON text as nlohmann dumps it).
std::string key_for(const std::string& seccomp_json);

// The program stored under key in dir, or nothing.
std::optional<std::vector<sock_filter>> load(const std::string& dir, const std::string& key);

// Stores it (dir made 0700 if missing; past 64 entries it is emptied
// first); best effort, silent on failure.
void store(const std::string& dir, const std::string& key, const std::vector<sock_filter>& prog);

} // namespace burrow::oci::seccomp_cache
