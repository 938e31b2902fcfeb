#include "policy/bwrap/env.hpp"

namespace burrow {

namespace {
bool valid_name(const std::string& name) {
    return !name.empty() && name.find('=') == std::string::npos;
}
} // namespace

BwrapEnvironment::BwrapEnvironment(const std::vector<std::string>& initial) {
    slots_.reserve(initial.size());
    for (const auto& entry : initial) append(entry);
}

void BwrapEnvironment::append(std::string entry) {
    const std::size_t eq = entry.find('=');
    // glibc only ever matches "NAME=..." entries; a stray entry without '='
    // is carried along untouched, as execve would.
    if (eq != std::string::npos) by_name_[entry.substr(0, eq)].push_back(slots_.size());
    slots_.emplace_back(std::move(entry));
}

bool BwrapEnvironment::set(const std::string& name, const std::string& value) {
    if (!valid_name(name)) return false;
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.empty()) {
        slots_[it->second.front()] = name + "=" + value;
        return true;
    }
    append(name + "=" + value);
    return true;
}

bool BwrapEnvironment::unset(const std::string& name) {
    if (!valid_name(name)) return false;
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return true;
    for (std::size_t slot : it->second) slots_[slot].reset();
    by_name_.erase(it);
    return true;
}

void BwrapEnvironment::clear() {
    slots_.clear();
    by_name_.clear();
}

std::vector<std::string> BwrapEnvironment::entries() const {
    std::vector<std::string> out;
    out.reserve(slots_.size());
    for (const auto& slot : slots_)
        if (slot) out.push_back(*slot);
    return out;
}

} // namespace burrow
