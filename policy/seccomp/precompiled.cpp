#include "policy/seccomp/precompiled.hpp"

#include "policy/seccomp/profile_file.hpp"

namespace burrow::seccomp {

std::optional<std::span<const sock_filter>> precompiled_program(std::string_view profile) {
    for (const Precompiled& p : precompiled_table())
        if (p.profile == profile) return std::span<const sock_filter>(p.insns, p.len);
    return std::nullopt;
}

BpfProgram compile_named_profile(const std::string& name_or_path) {
    // load_profile() also looks at built-in names first, so a file called
    // "default" in the cwd never meant the file: same precedence here.
    if (auto p = precompiled_program(name_or_path)) return BpfProgram(p->begin(), p->end());
    return compile_profile(load_profile(name_or_path));
}

} // namespace burrow::seccomp
