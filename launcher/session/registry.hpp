// The registry of running project sandboxes (one per project): what
// `burrow launch` joins, `burrow enter`/`stop` act on and `burrow ps` lists.
//
// It lives in the launcher's run dir (ProjectSandbox::run_dir's parent,
// mode 0700, never shared into any sandbox), one JSON file per project,
// written by rename. An entry is trusted only while its process is the one
// recorded: same pid, same start time (/proc/PID/stat field 22) and the same
// namespace inodes; anything else is stale and removed, so a recycled pid is
// never mistaken for a sandbox.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/project/sandbox.hpp"

namespace burrow::session {

struct Entry {
    std::string project_id; // ProjectSandbox::project_id (the file name)
    std::string project_dir;
    std::string backend;                // "namespace", "container", "vm"
    pid_t pid = 0;                      // namespace/container: a process inside the sandbox whose
                                        // namespaces a join enters; vm: the qemu process
    uint64_t start_time = 0;            // of pid, clock ticks since boot
    std::map<std::string, uint64_t> ns; // "mnt", "pid", "user", "net", ... inodes of pid
    pid_t launcher_pid = 0;             // the burrow that launched it (gets SIGTERM on stop)
    uint64_t launcher_start_time = 0;   // of launcher_pid (add() fills it in when 0)
    int64_t started = 0;                // unix seconds
    std::vector<std::pair<std::string, std::string>> env; // replayed on join
    std::string cwd;                                      // inside
    uid_t uid = 0;                                        // ids inside (container: the caller's)
    gid_t gid = 0;
    std::string control; // backend-specific endpoint in run_dir (vm: console socket)
};

// The entry of a sandbox of ps whose registered process is pid (a process
// inside whose namespaces a join enters; vm: the qemu process), launched by
// launcher: pid's identity (start time, namespace inodes) is read now, the
// environment, cwd and ids come from ps. start_time is 0 when pid is gone.
Entry make_entry(const project::ProjectSandbox& ps, const char* backend, pid_t pid, pid_t launcher);

// Root of the registry for the calling user:
// ${XDG_RUNTIME_DIR:-/run/user/UID (if it exists)}/burrow, else
// ${XDG_STATE_HOME:-~/.local/state}/burrow/run. Created 0700. Decided at the
// first call and kept: call it before running a sandbox in process (the
// runtime scrubs the environment strings).
std::string registry_dir();

// Records e (replacing a stale entry). Fails (throws std::runtime_error)
// when a live entry for the project exists.
void add(const Entry& e);
// The live entry of a project, or nothing (a stale one is removed).
std::optional<Entry> find(const std::string& project_id);
// Every live entry (stale ones removed).
std::vector<Entry> list();
void remove(const std::string& project_id);
// The one identity check every use of an entry goes through (ps, enter,
// stop, a second launch): pid still is the recorded process (start time
// and namespace inodes match) and is ours (owner = our euid); the launcher
// is alive with its recorded start time, is ours, runs burrow (our own
// executable) and is an ancestor of pid. namespace/container: pid is in
// another mount namespace than ours (a host process is never a sandbox).
// vm: pid runs a qemu-system-* executable, is the launcher's child, and
// the enter socket (control) passes control_socket_ok(). Anything else is
// forged or stale: nothing is signalled or connected to.
bool alive(const Entry& e);
// vm: e.control lies at <registry>/<run dir of the project>/<launch dir>/
// <name>, each directory a real directory owned by us and closed to
// others, the last a unix socket owned by us; checked from the registry's
// dir fd without following symlinks. An empty control passes (no enter).
bool control_socket_ok(const Entry& e);
// A pidfd (O_CLOEXEC) of e.pid, opened before the identity check so that
// what was checked is what the fd refers to; -1 when e is not alive.
int open_verified_pidfd(const Entry& e);
// Start time (clock ticks since boot) of pid, 0 if it does not exist or
// is a zombie (over, not yet reaped).
uint64_t process_start_time(pid_t pid);
// Namespace inodes of pid: every entry of /proc/PID/ns that can be read.
std::map<std::string, uint64_t> process_namespaces(pid_t pid);
// Parent pid of pid (field 4 of /proc/PID/stat), 0 when unknown.
pid_t parent_pid(pid_t pid);

} // namespace burrow::session
