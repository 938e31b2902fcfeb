// Order mistakes in a list of filesystem operations: an operation whose
// destination a later mount covers (the same path or an ancestor) has no
// visible effect. Examples: --proc /proc before --bind / / (bubblewrap issue
// 741), a socket bound under /tmp before a --tmpfs /tmp. Shared by
// `burrow policy check` and `burrow bwrap --lint`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow {

struct LintFinding {
    std::size_t hidden = 0; // index of the operation that has no effect
    std::size_t by = 0;     // index of the later mount that hides it
    std::string message;    // "--proc /proc is hidden by the later --bind / /"
};

std::vector<LintFinding> lint_fs(const std::vector<FsOp>& ops);

// How bwrap spells an operation ("--ro-bind /usr /usr").
std::string describe_fs_op(const FsOp& op);

} // namespace burrow
