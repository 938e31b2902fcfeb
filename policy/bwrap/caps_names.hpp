// Capability names as bwrap's --cap-add/--cap-drop accept them.
#pragma once

#include <optional>
#include <string>

namespace burrow {

// The capability number for a name such as "CAP_SYS_ADMIN" or "cap_chown"
// (case-insensitive) or a decimal number, exactly as libcap's cap_from_name()
// reads it, since that is what bwrap uses. "ALL" is not handled here.
// nullopt for an unknown name or a number outside 0..63.
std::optional<unsigned> capability_from_name(const std::string& name);

} // namespace burrow
