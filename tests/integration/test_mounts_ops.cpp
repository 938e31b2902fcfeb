#define BOOST_TEST_MODULE test_mounts_ops
#include <boost/test/unit_test.hpp>

#include "tests/integration/mounts_test_support.hpp"

using namespace mtest;

BOOST_AUTO_TEST_CASE(smoke_root_is_tmpfs_0755_rw) {
    auto r = run(spec(with_base({})), "stat -c '%a %F' /; grep ' / / ' /proc/self/mountinfo || cat "
                                      "/proc/self/mountinfo; touch /x && echo writable");
    BOOST_TEST_MESSAGE(r.out << r.err);
    BOOST_TEST(r.status == 0);
}
