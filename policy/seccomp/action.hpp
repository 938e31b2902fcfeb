// What a seccomp rule does with a matching system call, and how actions are
// written in profiles ("allow", "errno:EPERM", "errno:13", "kill-process",
// "kill-thread", "trap", "log").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace burrow::seccomp {

// Ordered from least to most restrictive, matching the kernel's precedence
// when several filters are stacked (kill-process beats everything).
enum class ActionKind : uint8_t { allow, log, errno_ret, trap, kill_thread, kill_process };

struct Action {
    ActionKind kind = ActionKind::allow;
    int err = 0; // errno_ret only

    friend bool operator==(const Action&, const Action&) = default;
};

inline constexpr Action allow_action{ActionKind::allow, 0};
inline Action errno_action(int e) {
    return Action{ActionKind::errno_ret, e};
}

// Parses one action token; nullopt if it is not an action. *bad_errno is set
// when the syntax was "errno:X" but X is no errno name or is out of range, so
// the caller can name X in its message.
std::optional<Action> parse_action(std::string_view text, bool* bad_errno = nullptr);
std::string to_string(const Action& a); // the same syntax parse_action reads

// The SECCOMP_RET_* value (libseccomp's SCMP_ACT_* encoding).
uint32_t to_ret(const Action& a);
// The inverse, for values read back from a BPF program; unknown values
// (trace, user-notif) come back as nullopt.
std::optional<Action> from_ret(uint32_t ret);

std::optional<int> errno_from_name(std::string_view name);
std::string errno_to_name(int value); // "EPERM", or the number if unnamed

} // namespace burrow::seccomp
