// Exact capability sets (OCI process.capabilities): masks of 1 << CAP_*.
// Plain data shared by the description (Process::cap_sets), the hardening
// sequence that applies them and a joining process (burrow oci exec).
#pragma once

#include <cstdint>

namespace burrow {

struct CapSets {
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

} // namespace burrow
