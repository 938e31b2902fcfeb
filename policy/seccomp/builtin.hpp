// The profiles burrow ships: default, strict, ci, none.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "policy/seccomp/profile.hpp"

namespace burrow::seccomp {

std::vector<std::string_view> builtin_profile_names();
std::optional<Profile> builtin_profile(std::string_view name);

} // namespace burrow::seccomp
