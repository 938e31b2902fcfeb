// The resolved policy printed back (`burrow policy show`): JSON or TOML that
// parses to the same Policy (show → parse → same). Defaults are written out
// so the output says everything the policy means.
#pragma once

#include <string>

#include "policy/file/policy.hpp"

namespace burrow::policy {

std::string policy_to_json(const Policy& p);
std::string policy_to_toml(const Policy& p);

} // namespace burrow::policy
