// Namespaces: clone3 into new ones, setns into given ones, uid/gid maps, the
// nested user namespace bwrap uses (devpts, --disable-userns), the loopback
// interface, and the namespace ids reported on --info-fd.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::ns {

// CLONE_NEW* flags for what sb.ns asks to create (the mount namespace always).
unsigned long long clone_flags(const Namespaces& ns);

// clone3() with CLONE_PIDFD: returns 0 in the child, the child's pid in the
// parent (pidfd filled). On failure throws bwrap's "Creating new namespace
// failed..." messages.
pid_t clone_child(unsigned long long flags, Fd& pidfd);

// setns() into a namespace the caller passed as an fd (bwrap's messages).
void join_user(int fd);
void join_user2(int fd);
void join_pid(int fd);

// "inside outside count\n" lines.
std::string map_text(const std::vector<IdMapEntry>& map);

// The maps the first user namespace gets. bwrap maps the caller to root
// first when a devpts must be mounted (devpts refuses a namespace without
// root) and moves to the requested ids in a nested namespace afterwards.
struct MapPlan {
    std::vector<IdMapEntry> uid_map, gid_map;
    bool nested = false; // a second user namespace is created after the mounts
};
MapPlan plan_maps(const Sandbox& sb);

// Writes uid_map, setgroups ("deny", if asked) and gid_map of the process
// whose /proc directory is proc_dir (bwrap's order and messages).
void write_maps(int proc_dir, const std::vector<IdMapEntry>& uid_map,
                const std::vector<IdMapEntry>& gid_map, bool deny_setgroups);

// After the mounts: the nested user namespace (when planned or when
// --disable-userns needs one the payload cannot undo), and the check that
// no further user namespace can be created. proc_fd: the host /proc (O_PATH).
void finish_user_namespaces(const Sandbox& sb, const MapPlan& plan, int proc_fd);

// Brings up "lo" in a new network namespace (the kernel gives it 127.0.0.1/8
// and ::1 when it goes up).
void bring_up_loopback();

void set_hostname(const std::string& name);

// (name, inode) for each namespace bwrap reports, in bwrap's order; only
// the ones created (mnt always). Missing entries are skipped like bwrap.
std::vector<std::pair<const char*, unsigned long long>> namespace_ids(int proc_dir,
                                                                      const Namespaces& ns);

} // namespace burrow::ns
