// Host-side directories of the VM backend: the per-launch directory
// run_dir/vm-<burrow pid>-XXXXXX (meta share with copies and the manifest,
// kernel log, enter socket, concatenated initrd), its removal, and the
// removal of those a SIGKILLed burrow could not clean up itself.
#pragma once

#include <string>

namespace burrow::vm {

// mkdir -p with mode 0700 for what it creates.
void make_private_dirs(const std::string& path);
// A fresh run_dir/vm-<pid>-XXXXXX, mode 0700.
std::string make_launch_dir(const std::string& run_dir);
// Removes run_dir/vm-<pid>-* whose burrow is no longer running.
void remove_stale_launch_dirs(const std::string& run_dir);
// rm -r without following symlinks; best effort (errors ignored).
void remove_tree(const std::string& path);

} // namespace burrow::vm
