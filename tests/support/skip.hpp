// Skipping from inside a Boost.Test binary. A test case that cannot run on
// this machine (a missing tool, a kernel feature, a fixture only root can
// build) calls btest::skip("why") and returns. The binary must then not
// report a pass: when no case failed it exits 77, CTest's SKIP_RETURN_CODE
// (tests/burrow_test.cmake), so CTest shows the test as skipped with the
// reasons in its output; a failure anywhere still fails it. (Returning early
// with only a message would count the case, and the test, as passed.)
#pragma once

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace btest {

namespace skip_detail {

inline int& skipped() {
    static int n = 0;
    return n;
}

// Runs after Boost.Test's main returned (its singletons outlive this
// handler: they were constructed before it was registered).
inline void exit_77_unless_failed() {
    namespace ut = boost::unit_test;
    if (!ut::results_collector.results(ut::framework::master_test_suite().p_id).passed()) return;
    std::cout.flush();
    std::fprintf(stderr, "%d test case(s) skipped: exit 77 (skipped), not 0 (passed)\n", skipped());
    std::fflush(nullptr);
    std::_Exit(77);
}

} // namespace skip_detail

inline void skip(const std::string& why) {
    const std::string& name = boost::unit_test::framework::current_test_case().p_name;
    std::fprintf(stderr, "skipped: %s: %s\n", name.c_str(), why.c_str());
    if (skip_detail::skipped()++ == 0) std::atexit(skip_detail::exit_77_unless_failed);
}

} // namespace btest
