// Named syscall groups ("@mount", "@debug", ...), in the spirit of systemd's
// SystemCallFilter= sets: the one table profiles, `burrow seccomp explain`
// and burrow-seccomp(7) all read. Members are syscall names or other groups.
// Names absent on some ABI (socketcall exists only on i386) are fine: the
// compiler resolves each name per ABI.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::seccomp {

struct SyscallGroup {
    std::string_view name; // with the leading '@'
    std::string_view description;
    std::span<const std::string_view> members;
};

std::span<const SyscallGroup> syscall_groups();
const SyscallGroup* find_group(std::string_view name);

// The syscall names of a group, nested groups expanded, sorted, no
// duplicates. Empty if the group does not exist.
std::vector<std::string> expand_group(std::string_view name);

} // namespace burrow::seccomp
