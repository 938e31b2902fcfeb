#include "runtime/rlimits.hpp"

#include <sys/resource.h>

#include "runtime/error.hpp"

namespace burrow::rlimits {

namespace {

struct Entry {
    const char* name;
    int resource;
};

constexpr Entry table[] = {
    {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"as", RLIMIT_AS},
    {"data", RLIMIT_DATA},     {"stack", RLIMIT_STACK}, {"cpu", RLIMIT_CPU},
    {"fsize", RLIMIT_FSIZE},   {"core", RLIMIT_CORE},   {"memlock", RLIMIT_MEMLOCK},
};

std::string value(uint64_t v) {
    return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

} // namespace

std::optional<int> from_name(const std::string& n) {
    for (const auto& e : table)
        if (n == e.name) return e.resource;
    return std::nullopt;
}

std::string name(int resource) {
    for (const auto& e : table)
        if (resource == e.resource) return e.name;
    return "rlimit" + std::to_string(resource);
}

std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& e : table) out.emplace_back(e.name);
    return out;
}

std::string describe(const Rlimit& limit) {
    return name(limit.resource) + "=" + value(limit.soft) + ":" + value(limit.hard);
}

void apply(const std::vector<Rlimit>& limits) {
    for (const auto& l : limits) {
        if (l.soft > l.hard) fail("setrlimit " + describe(l) + ": soft limit above hard limit");
        const struct rlimit r { static_cast<rlim_t>(l.soft), static_cast<rlim_t>(l.hard) };
        if (::setrlimit(static_cast<__rlimit_resource>(l.resource), &r) != 0)
            fail_errno("setrlimit " + describe(l));
    }
}

} // namespace burrow::rlimits
