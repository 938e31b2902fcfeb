// SHA-256, for the initramfs cache key (content hash of the agent and the
// kernel modules that go into it). Small and self-contained: burrow links no
// crypto library and needs nothing but a collision-resistant name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace burrow::vm {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, size_t n);
    void update(std::string_view s) { update(s.data(), s.size()); }
    std::string hex(); // finishes; the object is spent afterwards

  private:
    void block(const uint8_t* p);
    uint32_t h_[8];
    uint8_t buf_[64];
    size_t used_ = 0;
    uint64_t total_ = 0;
};

} // namespace burrow::vm
