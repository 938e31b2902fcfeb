// The precompiled built-in programs (burrow-seccomp-gen, at build time) are
// byte for byte what libseccomp produces here at run time, every built-in
// has one, and only exact built-in names find them.
#define BOOST_TEST_MODULE seccomp_precompiled
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

#include "policy/seccomp/builtin.hpp"
#include "policy/seccomp/precompiled.hpp"
#include "policy/seccomp/profile.hpp"

using namespace burrow::seccomp;

namespace {

bool same_bytes(std::span<const sock_filter> a, std::span<const sock_filter> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(identical_to_runtime_compilation) {
    BOOST_TEST(precompiled_table().size() == builtin_profile_names().size());
    for (std::string_view name : builtin_profile_names()) {
        BOOST_TEST_CONTEXT(name) {
            const auto pre = precompiled_program(name);
            BOOST_TEST_REQUIRE(pre.has_value());
            const BpfProgram now = compile_profile(*builtin_profile(name));
            BOOST_TEST(pre->size() == now.size());
            BOOST_TEST(same_bytes(*pre, now));
            const BpfProgram named = compile_named_profile(std::string(name));
            BOOST_TEST(same_bytes(named, now));
        }
    }
}

BOOST_AUTO_TEST_CASE(only_exact_builtin_names) {
    BOOST_TEST(!precompiled_program("Default").has_value());
    BOOST_TEST(!precompiled_program("default ").has_value());
    BOOST_TEST(!precompiled_program("./default").has_value());
    BOOST_TEST(!precompiled_program("").has_value());
    BOOST_CHECK_THROW(compile_named_profile("no-such-profile"), ProfileError);
    BOOST_CHECK_THROW(compile_named_profile("/nonexistent/p.toml"), ProfileError);
}
