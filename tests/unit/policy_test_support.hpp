// Helpers for the policy unit tests: temporary policy files and the message
// a PolicyError carries.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "policy/file/policy.hpp"

namespace policy_test {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/burrow-policy-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        const auto p = path / name;
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
};

inline burrow::policy::Vars fixed_vars() {
    burrow::policy::Vars v;
    v.values = {{"cwd", "/work"}, {"project", "/work"}, {"home", "/home/u"},
                {"user", "u"},    {"uid", "1000"},      {"gid", "1000"}};
    return v;
}

// The error message decoding TEXT (as file NAME) gives, or "" if it decodes.
inline std::string error_of(const std::string& text, const std::string& name = "p.toml") {
    try {
        burrow::policy::decode_policy(burrow::policy::parse_document(text, name), fixed_vars());
    } catch (const burrow::policy::PolicyError& e) {
        return e.what();
    }
    return "";
}

inline burrow::policy::Policy decode(const std::string& text, const std::string& name = "p.toml") {
    return burrow::policy::decode_policy(burrow::policy::parse_document(text, name), fixed_vars());
}

} // namespace policy_test
