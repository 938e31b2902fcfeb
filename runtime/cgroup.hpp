// cgroup v2 limits (memory.max, pids.max, cpu.max) for the whole sandbox.
//
// Only inside a subtree the caller was delegated (systemd Delegate=yes, a
// container's own cgroup namespace, or root): burrow creates one child
// cgroup next to nothing else, writes the limits, moves the sandbox's first
// process in before it runs anything, and removes the cgroup when the
// sandbox is over. Everything happens in the monitor, with the caller's
// own permissions; nothing here needs privilege.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::cgroup {

// "a b c" -> {a, b, c} (cgroup.controllers, cgroup.subtree_control).
std::vector<std::string> split_words(const std::string& text);

// The caller's cgroup v2 directory from /proc/self/cgroup ("0::/path") and
// the cgroup2 mount in /proc/self/mountinfo; an error text when there is no
// v2 hierarchy or it is not mounted where we can see it.
struct Location {
    std::string dir;      // absolute host path of the caller's cgroup
    bool is_root = false; // the hierarchy's root cgroup (host-wide settings)
    std::string error;    // why there is none
};
Location locate_own();
// The same from the texts of /proc/self/cgroup and /proc/self/mountinfo
// (pure, for tests).
Location locate_in(const std::string& proc_self_cgroup, const std::string& mountinfo);

// The sandbox's cgroup. Moving it in and removing it are the monitor's job.
class Scope {
  public:
    Scope() = default;
    Scope(Scope&&) noexcept = default;
    Scope& operator=(Scope&&) noexcept = default;
    ~Scope();
    bool active() const { return !path_.empty(); }
    const std::string& path() const { return path_; }
    // Writes pid to cgroup.procs. Throws SetupError with the path.
    void attach(pid_t pid) const;
    // memory.peak (kernel 5.19+) in KiB, 0 when unknown.
    uint64_t memory_peak_kib() const;
    // Kills what is left (cgroup.kill), waits for it to empty, removes it.
    void remove();

  private:
    friend Scope prepare(const Limits&, std::vector<std::string>&, std::vector<std::string>&);
    std::string path_;
};

// Creates the sandbox cgroup with every limit set in `limits`, recording
// each one as enforced or unavailable (with the reason). When any is
// unavailable and limits.cgroup_required, throws SetupError naming them,
// and nothing is left behind. Returns an inactive Scope when no cgroup
// limit was asked for or none could be applied.
Scope prepare(const Limits& limits, std::vector<std::string>& enforced,
              std::vector<std::string>& unavailable);

} // namespace burrow::cgroup
