// Profiles to BPF: resolves names and groups, gives first-match rules their
// exact meaning as disjoint libseccomp rules, and compiles one program that
// covers every ABI the kernel runs on this machine (x86_64 + i386 + x32, or
// aarch64 + arm), each ABI's arguments treated at its width, with an explicit
// bad-architecture action and libseccomp's binary-tree syscall dispatch.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policy/seccomp/argsets.hpp"
#include "policy/seccomp/profile.hpp"

namespace burrow::seccomp {

struct Abi {
    const char* name;    // "x86_64", "i386", "x32"
    uint32_t scmp_arch;  // SCMP_ARCH_*
    uint32_t audit_arch; // AUDIT_ARCH_* as seen in seccomp_data.arch
    bool args32;         // arguments are 32 bits wide (as libseccomp treats them)
};

// The ABIs a process on this machine can use, native first.
std::span<const Abi> machine_abis();
const Abi* find_abi(std::string_view name);

// One syscall's decision: disjoint regions with their actions, in profile
// order; calls in no region get the profile's default action.
struct SyscallPlan {
    std::string name;
    struct Region {
        TermSet terms;
        Action action;
        std::string origin;
    };
    std::vector<Region> regions;
};

struct Plan {
    Action default_action;
    Action bad_arch;
    std::vector<SyscallPlan> syscalls; // sorted by name
};

// Throws ProfileError naming the rule's origin and the offending token.
Plan plan_profile(const Profile& profile);

using BpfProgram = std::vector<sock_filter>;
// optimize: libseccomp's SCMP_FLTATR_CTL_OPTIMIZE; 2 (binary-tree syscall
// dispatch) is what burrow installs, 1 (a linear list) is kept for the
// benchmark's comparison.
BpfProgram compile_plan(const Plan& plan, int optimize = 2);
inline BpfProgram compile_profile(const Profile& profile) {
    return compile_plan(plan_profile(profile));
}

// Syscall number on an ABI (with the x32 bit for x32), or -1 if the ABI has
// no such call.
int syscall_number(const Abi& abi, const std::string& name);
// True if some ABI of this machine has the call.
bool syscall_known(const std::string& name);
// Name of a syscall number on an ABI, or "" if unknown.
std::string syscall_name(const Abi& abi, int nr);

} // namespace burrow::seccomp
