// Pure helpers of the limits runtime: landlock ABI masks and plans, right
// names, the rlimit name table, cgroup word lists, JSON quoting of reports.
#define BOOST_TEST_MODULE limits_helpers
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include "runtime/cgroup.hpp"
#include "runtime/landlock.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/status.hpp"

using namespace burrow;
namespace ll = burrow::landlock;

BOOST_AUTO_TEST_CASE(fs_rights_grow_with_the_abi) {
    BOOST_TEST(ll::fs_rights_for_abi(0) == 0u);
    BOOST_TEST(ll::fs_rights_for_abi(1) == 0x1fffu);
    BOOST_TEST(ll::fs_rights_for_abi(2) == (0x1fffu | ll::fs::refer));
    BOOST_TEST(ll::fs_rights_for_abi(3) == (0x1fffu | ll::fs::refer | ll::fs::truncate));
    BOOST_TEST(ll::fs_rights_for_abi(4) == ll::fs_rights_for_abi(3));
    BOOST_TEST(ll::fs_rights_for_abi(5) == 0xffffu);
    BOOST_TEST(ll::fs_rights_for_abi(7) == 0xffffu);
    BOOST_TEST(ll::net_rights_for_abi(3) == 0u);
    BOOST_TEST(ll::net_rights_for_abi(4) == 3u);
}

BOOST_AUTO_TEST_CASE(plan_trims_to_the_abi_and_reports_the_rest) {
    Landlock req;
    req.enabled = true;
    req.handled_fs = ll::fs::read_file | ll::fs::truncate | ll::fs::ioctl_dev;
    req.handled_net = ll::net::connect_tcp;
    const ll::Plan p = ll::plan(req, 3);
    BOOST_TEST(p.error.empty());
    BOOST_TEST(p.apply);
    BOOST_TEST(p.abi == 3);
    BOOST_TEST(p.handled_fs == (ll::fs::read_file | ll::fs::truncate));
    BOOST_TEST(p.dropped_fs == ll::fs::ioctl_dev);
    BOOST_TEST(p.handled_net == 0u);
    BOOST_TEST(p.dropped_net == ll::net::connect_tcp);
    std::vector<std::string> enforced, unavailable;
    ll::describe(p, req, enforced, unavailable);
    BOOST_REQUIRE(enforced.size() == 1u);
    BOOST_TEST(enforced[0] == "landlock: ABI 3 fs=read_file,truncate");
    BOOST_REQUIRE(unavailable.size() == 2u);
    BOOST_TEST(unavailable[0] == "landlock ioctl_dev: needs ABI 5, have 3");
    BOOST_TEST(unavailable[1] == "landlock connect_tcp: needs ABI 4, have 3");
}

BOOST_AUTO_TEST_CASE(plan_caps_and_requirements) {
    Landlock req;
    req.enabled = true;
    req.handled_fs = ll::fs::write_file;
    BOOST_TEST(ll::plan(req, 7).abi == ll::known_abi);
    BOOST_TEST(ll::plan(req, 99).abi == ll::known_abi); // newer kernel: known rights only
    req.max_abi = 2;
    BOOST_TEST(ll::plan(req, 7).abi == 2);
    req.min_abi = 4;
    BOOST_TEST(ll::plan(req, 7).error == "landlock ABI 4 required, but only ABI 2 is available");
    req.max_abi = 0;
    BOOST_TEST(ll::plan(req, 7).error.empty());
    BOOST_TEST(
        ll::plan(req, 0).error ==
        "landlock ABI 4 required, but the kernel has no landlock (not built or not in lsm=)");
    // Best effort on a kernel without landlock: nothing applied, reported.
    req.min_abi = 0;
    const ll::Plan none = ll::plan(req, 0);
    BOOST_TEST(!none.apply);
    std::vector<std::string> enforced, unavailable;
    ll::describe(none, req, enforced, unavailable);
    BOOST_TEST(enforced.empty());
    BOOST_TEST(unavailable == std::vector<std::string>{"landlock: not supported by this kernel"});
    // Disabled: nothing at all.
    req.enabled = false;
    BOOST_TEST(!ll::plan(req, 7).apply);
}

BOOST_AUTO_TEST_CASE(right_names_round_trip) {
    for (unsigned bit = 0; bit < 16; ++bit) {
        const auto names = ll::fs_right_names(1ULL << bit);
        BOOST_REQUIRE(names.size() == 1u);
        BOOST_TEST(ll::fs_right_from_name(names[0]) == (1ULL << bit));
    }
    BOOST_TEST(ll::fs_right_names(1ULL << 20) == std::vector<std::string>{"bit20"});
    BOOST_TEST(ll::fs_right_from_name("bogus") == 0u);
    BOOST_TEST(ll::net_right_from_name("connect_tcp") == ll::net::connect_tcp);
    BOOST_TEST(ll::net_right_names(3) == (std::vector<std::string>{"bind_tcp", "connect_tcp"}));
}

BOOST_AUTO_TEST_CASE(rlimit_name_table) {
    const std::pair<const char*, int> expected[] = {
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"as", RLIMIT_AS},
        {"data", RLIMIT_DATA},     {"stack", RLIMIT_STACK}, {"cpu", RLIMIT_CPU},
        {"fsize", RLIMIT_FSIZE},   {"core", RLIMIT_CORE},   {"memlock", RLIMIT_MEMLOCK},
    };
    BOOST_TEST(rlimits::names().size() == std::size(expected));
    for (const auto& [name, res] : expected) {
        BOOST_TEST_INFO(name);
        BOOST_TEST(rlimits::from_name(name).value_or(-1) == res);
        BOOST_TEST(rlimits::name(res) == name);
    }
    BOOST_TEST(!rlimits::from_name("rss").has_value());
    BOOST_TEST(rlimits::name(RLIMIT_RSS) == "rlimit" + std::to_string(RLIMIT_RSS));
    BOOST_TEST(rlimits::describe({RLIMIT_NOFILE, 64, RLIM_INFINITY}) == "nofile=64:unlimited");
}

BOOST_AUTO_TEST_CASE(cgroup_words_and_json_quoting) {
    BOOST_TEST(cgroup::split_words("cpu io  memory\tpids\n") ==
               (std::vector<std::string>{"cpu", "io", "memory", "pids"}));
    BOOST_TEST(cgroup::split_words("\n").empty());
    BOOST_TEST(status::json_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\u000a\"");
    BOOST_TEST(status::json_string_array({}) == "[]");
    BOOST_TEST(status::json_string_array({"x", "y"}) == "[\"x\", \"y\"]");
}

BOOST_AUTO_TEST_CASE(cgroup_directory_from_proc_files) {
    const std::string v1_only = "4:memory:/a\n1:cpu:/\n";
    const std::string hybrid = "4:memory:/x\n0::/user.slice/app.scope\n";
    const std::string mounts = "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                               "35 25 0:30 / /sys/fs/cgroup/uni\\040fied rw - cgroup2 cgroup2 rw\n";
    BOOST_TEST(cgroup::locate_in(v1_only, mounts).error ==
               "no cgroup v2 hierarchy (cgroup v1 only)");
    const auto loc = cgroup::locate_in(hybrid, mounts);
    BOOST_TEST(loc.error == "");
    BOOST_TEST(loc.dir == "/sys/fs/cgroup/uni fied/user.slice/app.scope");
    BOOST_TEST(!loc.is_root);
    const auto root = cgroup::locate_in("0::/\n", mounts);
    BOOST_TEST(root.dir == "/sys/fs/cgroup/uni fied");
    BOOST_TEST(root.is_root);
    // A mount of a subtree (cgroup namespace, container): paths below it.
    const std::string sub = "40 1 0:30 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    BOOST_TEST(cgroup::locate_in(hybrid, sub).dir == "/sys/fs/cgroup/app.scope");
    BOOST_TEST(cgroup::locate_in("0::/other\n", sub).error ==
               "the cgroup v2 hierarchy is not mounted (no cgroup2 in /proc/self/mountinfo)");
    BOOST_TEST(cgroup::locate_in(hybrid, "").error != "");
}
