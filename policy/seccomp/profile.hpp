// A seccomp profile as a person writes it: a default action plus an ordered
// list of rules. Semantics: for each system call the FIRST rule that names it
// (directly or through a group) and whose argument conditions all hold
// decides the action; a call no rule matches gets default_action. The
// compiler (seccomp_compile) turns this into one BPF program that behaves
// exactly so on every ABI of the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "policy/seccomp/action.hpp"

namespace burrow::seccomp {

enum class CmpOp { eq, ne, lt, le, gt, ge, masked_eq };

// Compares syscall argument `index` (0-5). masked_eq: (arg & mask) == value.
// Arguments are compared as the 64-bit values the kernel hands seccomp; on
// 32-bit ABIs they are zero-extended 32-bit values, so a condition that needs
// high bits set never matches there. Use mask 0xffffffff for arguments the
// kernel truncates to int (ioctl's request, personality's persona), or a
// caller could pass junk in the high half to dodge the rule.
struct ArgCondition {
    unsigned index = 0;
    CmpOp op = CmpOp::eq;
    uint64_t value = 0;
    uint64_t mask = ~uint64_t{0}; // masked_eq only
};

struct Rule {
    std::vector<std::string> syscalls; // names and "@group"s
    std::vector<ArgCondition> args;    // all must hold
    Action action;
    std::string origin; // where it was written ("file.toml:12", "builtin default")
};

struct Profile {
    std::string name;
    std::string description;
    Action default_action = allow_action;
    // What a call from an ABI the filter does not cover gets. Every ABI this
    // machine can run is covered, so this only fires for ABIs libseccomp does
    // not know; never "allow".
    Action bad_arch{ActionKind::kill_process, 0};
    std::vector<Rule> rules;
};

// A profile that cannot be loaded or compiled. what() is one line:
// "<where>: <problem>: <token>" (where = file:line, option or profile name).
struct ProfileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* to_string(CmpOp op);
// The inverse of to_string; nullopt for an unknown operator name.
std::optional<CmpOp> parse_cmp_op(std::string_view name);

} // namespace burrow::seccomp
