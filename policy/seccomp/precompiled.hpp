// The built-in profiles' BPF programs, compiled at build time by
// burrow-seccomp-gen with the same compiler (seccomp_compile) and looked up
// at run time instead of running libseccomp at every start. Profile files
// (and cross builds) are still compiled at run time.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "policy/seccomp/compile.hpp"

namespace burrow::seccomp {

struct Precompiled {
    std::string_view profile;
    const sock_filter* insns;
    std::size_t len;
};

// Defined in the generated seccomp_precompiled_data.cpp.
std::span<const Precompiled> precompiled_table();

// The precompiled program of a built-in profile, if there is one.
std::optional<std::span<const sock_filter>> precompiled_program(std::string_view profile);

// What `--seccomp-profile NAME|FILE` installs: the precompiled program of a
// built-in, else load_profile() + compile_profile(). Throws ProfileError.
BpfProgram compile_named_profile(const std::string& name_or_path);

} // namespace burrow::seccomp
