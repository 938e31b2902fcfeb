// Entry point of the runtime: executes one resolved Sandbox.
#pragma once

#include <cstdint>
#include <optional>
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

// What happened, for callers that report more than an exit status (burrow
// run --status-file, launch modules). The runtime prints nothing of this.
struct RunResult {
    int status = 0;                // what the caller should exit with (as run_sandbox)
    bool setup_failed = false;     // burrow failed before the payload ran
    std::optional<int> exit_code;  // the payload exited with this code
    std::optional<int> signal;     // the payload died of this signal
    bool timed_out = false;        // Limits::timeout_ms expired
    pid_t child_pid = 0;           // first sandbox process, in the caller's pid namespace
    uint64_t wall_ms = 0;          // from clone to the end of the sandbox
    uint64_t peak_rss_kib = 0;     // largest RSS of any waited-for sandbox process
    // Human-readable facts, e.g. "landlock: ABI 4 (fs, net)" or
    // "cgroup memory.max: unavailable: no delegated cgroup".
    std::vector<std::string> enforced;
    std::vector<std::string> unavailable;
};

RunResult run_sandbox_report(const Sandbox& sb);

} // namespace burrow
