#include "policy/seccomp/action.hpp"

#include <linux/seccomp.h>

#include <charconv>

namespace burrow::seccomp {

namespace {
// SECCOMP_RET_DATA carries the errno; the kernel caps it at MAX_ERRNO.
constexpr int max_errno = 4095;
} // namespace

std::optional<Action> parse_action(std::string_view text, bool* bad_errno) {
    if (bad_errno) *bad_errno = false;
    if (text == "allow") return allow_action;
    if (text == "log") return Action{ActionKind::log, 0};
    if (text == "trap") return Action{ActionKind::trap, 0};
    if (text == "kill-thread") return Action{ActionKind::kill_thread, 0};
    if (text == "kill-process" || text == "kill") return Action{ActionKind::kill_process, 0};
    constexpr std::string_view prefix = "errno:";
    if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
    const std::string_view arg = text.substr(prefix.size());
    if (auto named = errno_from_name(arg)) return errno_action(*named);
    int value = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), value);
    if (ec == std::errc{} && end == arg.data() + arg.size() && !arg.empty() && value >= 0 &&
        value <= max_errno)
        return errno_action(value);
    if (bad_errno) *bad_errno = true;
    return std::nullopt;
}

std::string to_string(const Action& a) {
    switch (a.kind) {
    case ActionKind::allow:
        return "allow";
    case ActionKind::log:
        return "log";
    case ActionKind::errno_ret:
        return "errno:" + errno_to_name(a.err);
    case ActionKind::trap:
        return "trap";
    case ActionKind::kill_thread:
        return "kill-thread";
    case ActionKind::kill_process:
        return "kill-process";
    }
    return "?";
}

uint32_t to_ret(const Action& a) {
    switch (a.kind) {
    case ActionKind::allow:
        return SECCOMP_RET_ALLOW;
    case ActionKind::log:
        return SECCOMP_RET_LOG;
    case ActionKind::errno_ret:
        return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(a.err) & SECCOMP_RET_DATA);
    case ActionKind::trap:
        return SECCOMP_RET_TRAP;
    case ActionKind::kill_thread:
        return SECCOMP_RET_KILL_THREAD;
    case ActionKind::kill_process:
        return SECCOMP_RET_KILL_PROCESS;
    }
    return SECCOMP_RET_KILL_PROCESS;
}

std::optional<Action> from_ret(uint32_t ret) {
    switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
        return allow_action;
    case SECCOMP_RET_LOG:
        return Action{ActionKind::log, 0};
    case SECCOMP_RET_ERRNO:
        return errno_action(static_cast<int>(ret & SECCOMP_RET_DATA));
    case SECCOMP_RET_TRAP:
        return Action{ActionKind::trap, 0};
    case SECCOMP_RET_KILL_THREAD:
        return Action{ActionKind::kill_thread, 0};
    case SECCOMP_RET_KILL_PROCESS:
        return Action{ActionKind::kill_process, 0};
    default:
        return std::nullopt;
    }
}

} // namespace burrow::seccomp
