// Resource figures the API shows: a sandbox's (its launch and every
// process below it, from /proc: what works without a delegated cgroup) and
// the machine's.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include <nlohmann/json.hpp>

namespace burrow::manager {

struct TreeUsage {
    double cpu_seconds = 0;    // user + system of the live processes
    uint64_t memory_bytes = 0; // resident set sizes summed
    unsigned pids = 0;
};

// The process tree rooted at root (0 pids when root is gone).
TreeUsage tree_usage(pid_t root);

// What an agent recorded in its JSONL transcripts (Claude Code's layout:
// AGENT_DIR/projects/<project path, every other character than [A-Za-z0-9]
// made "-">/*.jsonl): tokens in and out (cache reads and writes apart),
// tool calls, assistant turns. The directory is written by the sandbox, so
// it is read as hostile: no symlink anywhere below agent_dir
// (RESOLVE_NO_SYMLINKS), regular files of ours only, at most 200 files and
// 64 MiB in all, a malformed line skipped. Empty object when there is none.
nlohmann::json agent_usage(const std::string& agent_dir, const std::string& project_dir);

// Load, CPUs, memory, uptime.
nlohmann::json system_metrics();

} // namespace burrow::manager
