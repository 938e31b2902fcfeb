// Resource limits (setrlimit) of the payload, set in its own process just
// before exec, so pid 1 and the monitor keep the caller's limits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow::rlimits {

// Policy names ("nofile", "nproc", "as", "data", "stack", "cpu", "fsize",
// "core", "memlock") to RLIMIT_* and back. name() gives "rlimit<N>" for a
// resource outside this table.
std::optional<int> from_name(const std::string& name);
std::string name(int resource);
// The names above, in table order (for messages listing what is valid).
std::vector<std::string> names();

// "nofile=64:128" ("unlimited" for RLIM_INFINITY), for reports.
std::string describe(const Rlimit& limit);

// setrlimit() for each, in order. Throws SetupError naming the limit, e.g.
// "setrlimit nofile=64:1048576: Operation not permitted".
void apply(const std::vector<Rlimit>& limits);

} // namespace burrow::rlimits
