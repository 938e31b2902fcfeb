// The per-launch directory of the container backend, on the host:
//
//   /run/burrow/container/            0700 root, one entry per running launch
//     <name>/                         0700; flock()ed by its burrow while it runs
//       root/                         0755 the ephemeral root given to nspawn -D:
//                                     empty mount points for /usr and /etc (bound
//                                     read-only from the host) and the usr-merge
//                                     symlinks (bin -> usr/bin ...) as on the host
//       meta/                         bound read-only at /run/.burrow-container:
//                                     spec (0400, holds the environment), mount
//                                     points for burrow itself and copy sources
//       status/                       0700, bound read-write: the helper's exit status
//       uuid                          the container's UUID (nspawn --uuid); its pid 1 shows
//                                     container_uuid=<it> (with dashes under a booted
//                                     init) or BURROW_CONTAINER_UUID=<it>
//                                     in /proc/PID/environ
//
// Nothing in it outlives the launch: the destructor removes the tree (never
// crossing into another filesystem, so a mount that is somehow still there
// stops the removal instead of emptying a host directory). When burrow is
// SIGKILLed the flock goes with it, and the next launch removes every
// unlocked entry (clean_leftovers). <name> is also nspawn's machine name.
#pragma once

#include <string>

#include "runtime/fd.hpp"

namespace burrow::container {

inline constexpr const char* kBaseDir = "/run/burrow/container";

// SIGKILLs the pid 1 of the container with this UUID (which takes its whole
// pid namespace with it); returns how many processes were signalled.
int kill_container(const std::string& uuid);

// Removes entries of `base` whose burrow is gone (their lock is free), and
// the propagate directory nspawn leaves under /run/systemd/nspawn for them.
// Returns how many were removed. Errors are reported on stderr, not thrown.
int clean_leftovers(const std::string& base = kBaseDir);

class Instance {
  public:
    // Creates base (0700) if needed and a fresh, locked <name> inside it.
    explicit Instance(const std::string& base = kBaseDir);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    const std::string& name() const { return name_; }
    const std::string& uuid() const { return uuid_; }
    std::string dir() const { return base_ + "/" + name_; }
    std::string root() const { return dir() + "/root"; }
    std::string meta() const { return dir() + "/meta"; }
    std::string status() const { return dir() + "/status"; }

  private:
    std::string base_, name_, uuid_;
    Fd lock_;
};

// Writes `data` to path (created exclusively, mode, O_NOFOLLOW). Throws.
void write_new_file(const std::string& path, const std::string& data, unsigned mode);
// mkdir -p below `root` (which exists); components are created 0755. Throws.
void make_dirs_under(const std::string& root, const std::string& rel);
// rm -rf of dir_path that never leaves the filesystem of dir_path. Returns
// false (and says why on stderr) when something could not be removed.
bool remove_tree(const std::string& dir_path);

} // namespace burrow::container
