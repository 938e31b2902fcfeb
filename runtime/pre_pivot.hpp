// Sandbox::pre_pivot: programs run by the child between the finished tree
// and the final pivot_root (see PrePivotProgram in sandbox.hpp). A step of
// build_mount_tree (runtime/mounts.cpp); fails the setup with one message
// naming the program when one cannot run, fails, or outlives its timeout.
#pragma once

#include <string>

#include "runtime/sandbox.hpp"

namespace burrow::pre_pivot {

// old_root: where the caller's root is (the staging root's "oldroot");
// new_root: the finished tree. Does nothing without programs.
void run(const PrePivot& pp, const std::string& old_root, const std::string& new_root);

} // namespace burrow::pre_pivot
