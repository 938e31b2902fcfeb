// nsfuzz: the host side of a case: the scratch tree, snapshots of what a
// case must leave unchanged, and the processes it must not leave behind.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace nsfuzz {

// Creates the fixed scratch tree (src/ read-only sources, rw/ read-write
// sources, cases/ for generated profile files) in a new directory.
std::string make_scratch();
void remove_tree(const std::string& path);

// Every entry below `root`: "type mode uid gid size mtime" by relative path.
using Snapshot = std::map<std::string, std::string>;
Snapshot snapshot(const std::string& root);
// Differences, except directory times below one of `rw_dirs` (relative
// paths the case bound read-write: the payload may write there).
std::vector<std::string> snapshot_diff(const Snapshot& before, const Snapshot& after,
                                       const std::vector<std::string>& rw_dirs);

std::string mount_table();
std::vector<std::string> mount_diff(const std::string& before, const std::string& after);

// Processes left behind: our children (we are a child subreaper, so the
// orphans of a case land here) and processes named `marker`; zombies among
// our children are reaped first. Waits up to `wait_ms` for them to go.
std::vector<std::string> leftover_processes(const std::string& marker, int wait_ms);

// statfs type of a path, as the probe prints it ("tmpfs" or "0xef53").
std::string fs_name(const std::string& path);

std::string ns_inode(const std::string& name);

} // namespace nsfuzz
