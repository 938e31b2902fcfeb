#include "policy/bwrap/caps_names.hpp"

#include <sys/capability.h>

namespace burrow {

std::optional<unsigned> capability_from_name(const std::string& name) {
    cap_value_t value = 0;
    if (cap_from_name(name.c_str(), &value) < 0) return std::nullopt;
    // The Sandbox mask is 64 bits wide; libcap never names anything beyond it.
    if (value < 0 || value > 63) return std::nullopt;
    return static_cast<unsigned>(value);
}

} // namespace burrow
