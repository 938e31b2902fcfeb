// The payload's environment as bwrap builds it: the caller's environment,
// edited by --clearenv/--setenv/--unsetenv in command-line order with glibc's
// setenv(3)/unsetenv(3) semantics (bwrap edits its own environ and execs).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace burrow {

class BwrapEnvironment {
  public:
    explicit BwrapEnvironment(const std::vector<std::string>& initial);

    // false where glibc fails with EINVAL: an empty name or one containing '='.
    [[nodiscard]] bool set(const std::string& name, const std::string& value);
    [[nodiscard]] bool unset(const std::string& name);
    void clear();

    // The final "NAME=VALUE" list, in environ order.
    std::vector<std::string> entries() const;

  private:
    void append(std::string entry);

    // Removed entries leave an empty slot so every edit stays O(1) amortised:
    // 10,000 --setenv options must not cost 10,000 list scans.
    std::vector<std::optional<std::string>> slots_;
    // Live slots per name, oldest first; setenv replaces the first like glibc.
    std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
};

} // namespace burrow
