// Running bwrap command lines in tests: through "burrow bwrap", through the
// build's bin/bwrap symlink (argv[0] == "bwrap"), or through Debian's
// reference bwrap. The probe is always reachable at /probe when a test binds
// it there with probe_bind().
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"

namespace btest {

struct Front {
    std::string name;
    std::vector<std::string> prefix; // argv before the bwrap options
};

inline Front burrow_front() {
    return {"burrow bwrap", {burrow_bin(), "bwrap"}};
}
inline Front symlink_front() {
    return {"bin/bwrap", {bwrap_link()}};
}
inline Front reference_front() {
    return {"debian bwrap", {reference_bwrap()}};
}
// The two ways of invoking burrow's bwrap mode; every integration check runs
// through both. BTEST_REFERENCE=1 runs the checks against Debian's bwrap
// instead, to validate the tests themselves.
inline bool reference_mode() {
    const char* ref = std::getenv("BTEST_REFERENCE");
    return ref && std::string(ref) == "1";
}
inline std::vector<Front> burrow_fronts() {
    if (reference_mode()) return {reference_front()};
    return {burrow_front(), symlink_front()};
}

inline std::vector<std::string> probe_bind() {
    return {"--ro-bind", probe_bin(), "/probe"};
}

// front + args, everything else as in `extra`.
inline Result run_bwrap(const Front& f, const std::vector<std::string>& args, Command extra = {}) {
    extra.argv = f.prefix;
    extra.argv.insert(extra.argv.end(), args.begin(), args.end());
    return run(extra);
}

// Concatenates argument lists.
inline std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace btest
