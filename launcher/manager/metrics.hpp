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

// Load, CPUs, memory, uptime.
nlohmann::json system_metrics();

} // namespace burrow::manager
