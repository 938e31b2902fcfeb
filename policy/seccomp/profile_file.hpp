// Profiles from files (a small TOML table until the policy-file format lands)
// and the lookup that turns "NAME|FILE" into a Profile.
//
//   base = "default"                # optional: this file's rules come first,
//                                   # then the base profile's
//   default_action = "errno:EPERM"  # required unless base is given
//   bad_arch_action = "kill-process"
//   [[rule]]
//   syscalls = ["@mount", "ptrace"]
//   action = "errno:EPERM"
//   args = [{ index = 1, op = "masked_eq", mask = 0xffffffff, value = 0x5412 }]
//
// op is one of eq ne lt le gt ge masked_eq; numbers may be TOML integers or
// strings ("0xffffffffffffffff") for values past 2^63.
#pragma once

#include <string>
#include <string_view>

#include "policy/seccomp/profile.hpp"

namespace burrow::seccomp {

// Throws ProfileError "<file>:<line>: <problem>: <token>".
Profile parse_profile_toml(std::string_view text, const std::string& file_name);
Profile load_profile_file(const std::string& path);

// A built-in name, or a path (anything with a '/' or ending in ".toml").
// Throws ProfileError "unknown seccomp profile: NAME" otherwise.
Profile load_profile(const std::string& name_or_path);

} // namespace burrow::seccomp
