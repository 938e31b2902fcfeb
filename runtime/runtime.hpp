// Entry point of the runtime: executes one resolved Sandbox.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow {

// Creates the namespaces, builds the file tree, drops privileges, installs
// seccomp, runs the payload and waits for it. Returns the status the caller
// should exit with: the payload's exit code, 128+N if it died of signal N, or
// 1 (bwrap's convention) when setup failed; the failure was already reported
// on stderr as "<prog>: <message>".
int run_sandbox(const Sandbox& sb);

// What happened to one sandbox, for callers that report more than an exit
// status (burrow run --status-file, launch modules). The runtime prints
// nothing of this (except with Diagnostics::verbose); the caller serialises.
//
//  status        what the caller should exit with, by Sandbox::exit_codes:
//                exec failed -> not_found (ENOENT) / cannot_execute (other
//                errno); timeout -> timeout; setup failed -> setup_failed;
//                else the payload's code, or 128+N for a death by signal N.
//  setup_failed  burrow failed before the payload ran (message on stderr).
//  exit_code / signal
//                how the payload ended (at most one set; neither when it
//                never ran). After a timeout: how the payload itself ended.
//  timed_out     Limits::timeout_ms expired and the sandbox was killed.
//  exec_errno    exec of the payload failed with this errno.
//  child_pid     first sandbox process, in the caller's pid namespace.
//  wall_ms       from just before clone until the sandbox was over.
//  peak_rss_kib  largest ru_maxrss of any reaped sandbox process (KiB), or
//                the cgroup's memory.peak when a cgroup was used and larger.
//  landlock_abi  ABI of the ruleset applied (0: none applied).
//  enforced / unavailable
//                one human-readable line per fact, e.g. "landlock: ABI 4
//                fs=execute,... net=connect_tcp (1 port rules)", "rlimit
//                nofile=64:64", "cgroup memory.max: controller memory not
//                available in /sys/fs/cgroup/... (cgroup v1, or not delegated)".
struct RunResult {
    int status = 0;
    bool setup_failed = false;
    std::optional<int> exit_code;
    std::optional<int> signal;
    bool timed_out = false;
    std::optional<int> exec_errno;
    pid_t child_pid = 0;
    uint64_t wall_ms = 0;
    uint64_t peak_rss_kib = 0;
    int landlock_abi = 0;
    // When setup_failed: the setup stage (runtime/setup_step.hpp) and errno
    // of the failure, or the signal that killed a sandbox process then.
    std::string setup_stage;
    int setup_errno = 0;
    int setup_signal = 0;
    std::vector<std::string> enforced;
    std::vector<std::string> unavailable;
    // Sandbox::egress: connections and DNS queries per destination as the
    // proxy saw them ("api.example.com:443", "10.1.2.3:5432", "dns
    // other.test"), in first-seen order, at most 256 (then "other").
    struct NetTally {
        std::string dest;
        uint64_t allowed = 0;
        uint64_t refused = 0;
    };
    std::vector<NetTally> net;
};

// With Sandbox::pre_pivot.caller_first: called in the caller's process with
// the child's pid once its namespaces exist, before its tree is built; an
// empty return lets the child go on, a message fails the setup with it.
using BeforeTree = std::function<std::string(pid_t child)>;

RunResult run_sandbox_report(const Sandbox& sb, const BeforeTree& before_tree = {});

} // namespace burrow
