// Landlock: unprivileged access control applied to the sandbox after its
// mount tree exists (paths are resolved inside the new root) and before
// seccomp. Raw syscalls: the distribution's <linux/landlock.h> may be older
// than the running kernel (Debian 12's stops at ABI 2), so the bits and
// structures burrow uses are spelled out here with the kernel's values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow::landlock {

// Filesystem rights (LANDLOCK_ACCESS_FS_*), with the ABI that introduced them.
namespace fs {
inline constexpr uint64_t execute = 1ULL << 0;
inline constexpr uint64_t write_file = 1ULL << 1;
inline constexpr uint64_t read_file = 1ULL << 2;
inline constexpr uint64_t read_dir = 1ULL << 3;
inline constexpr uint64_t remove_dir = 1ULL << 4;
inline constexpr uint64_t remove_file = 1ULL << 5;
inline constexpr uint64_t make_char = 1ULL << 6;
inline constexpr uint64_t make_dir = 1ULL << 7;
inline constexpr uint64_t make_reg = 1ULL << 8;
inline constexpr uint64_t make_sock = 1ULL << 9;
inline constexpr uint64_t make_fifo = 1ULL << 10;
inline constexpr uint64_t make_block = 1ULL << 11;
inline constexpr uint64_t make_sym = 1ULL << 12;
inline constexpr uint64_t refer = 1ULL << 13;     // ABI 2
inline constexpr uint64_t truncate = 1ULL << 14;  // ABI 3
inline constexpr uint64_t ioctl_dev = 1ULL << 15; // ABI 5
// Rights that make sense on a file (not only on a directory): a rule on a
// non-directory may carry only these (the kernel rejects others: EINVAL).
inline constexpr uint64_t file_rights = execute | write_file | read_file | truncate | ioctl_dev;
} // namespace fs

// TCP port rights (LANDLOCK_ACCESS_NET_*), ABI 4.
namespace net {
inline constexpr uint64_t bind_tcp = 1ULL << 0;
inline constexpr uint64_t connect_tcp = 1ULL << 1;
} // namespace net

// The highest ABI whose rights this file knows. A newer kernel is used at
// this level (its extra rights are simply not requested).
inline constexpr int known_abi = 7;

// Every right of each kind the given ABI understands (0 for ABI 0).
uint64_t fs_rights_for_abi(int abi);
uint64_t net_rights_for_abi(int abi);

// Right names as policies spell them ("read_file", "bind_tcp", ...), in bit
// order; unknown bits are named "bit<N>".
std::vector<std::string> fs_right_names(uint64_t mask);
std::vector<std::string> net_right_names(uint64_t mask);
// One name to its bit; 0 when unknown (for policy parsers).
uint64_t fs_right_from_name(const std::string& name);
uint64_t net_right_from_name(const std::string& name);

// The ruleset to create: the request trimmed to what the ABI offers. Pure,
// so the monitor decides (and fails, or reports) before anything is
// created; the child then only applies it.
struct Plan {
    bool apply = false; // false: landlock off, or nothing left to enforce
    int abi = 0;        // ABI used (kernel's, capped by Landlock::max_abi)
    int kernel_abi = 0; // what the kernel offers (0: no landlock)
    uint64_t handled_fs = 0, handled_net = 0;
    uint64_t dropped_fs = 0, dropped_net = 0; // asked for, not in this ABI
    std::string error;                        // set when min_abi is not met: setup must fail
};
Plan plan(const Landlock& request, int kernel_abi);

// Human-readable report lines of a plan (for RunResult, --verbose).
void describe(const Plan& p, const Landlock& request, std::vector<std::string>& enforced,
              std::vector<std::string>& unavailable);

// LANDLOCK_CREATE_RULESET_VERSION: the kernel's ABI, 0 when landlock is
// missing or disabled at boot.
int kernel_abi();

// In the sandbox, after pivot_root and with NO_NEW_PRIVS set: creates the
// ruleset, adds every rule (paths opened O_PATH inside the new root) and
// restricts the calling process and its future children. Throws SetupError
// naming the path or port that failed.
void apply(const Landlock& request, const Plan& p);

} // namespace burrow::landlock
