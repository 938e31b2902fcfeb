// host_facts_from_process() against what the test process can see itself.
#define BOOST_TEST_MODULE bwrap_args_host
#include "tests/unit/bwrap_test_support.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

extern char** environ;

BOOST_AUTO_TEST_CASE(ids_and_environment) {
    ::setenv("BURROW_HOST_FACTS_PROBE", "x=y", 1);
    const auto h = burrow::host_facts_from_process();
    BOOST_TEST(h.uid == ::getuid());
    BOOST_TEST(h.gid == ::getgid());
    BOOST_TEST(!h.setuid);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    BOOST_TEST(h.env == env, boost::test_tools::per_element());
    BOOST_TEST(
        (std::find(h.env.begin(), h.env.end(), "BURROW_HOST_FACTS_PROBE=x=y") != h.env.end()));
}

BOOST_AUTO_TEST_CASE(namespaces_and_capabilities_match_proc) {
    const auto h = burrow::host_facts_from_process();
    struct stat st;
    BOOST_TEST(h.cgroupns_available == (::stat("/proc/self/ns/cgroup", &st) == 0));
    if (::stat("/proc/self/ns/user", &st) != 0) BOOST_TEST(!h.userns_available);
    std::ifstream max("/proc/sys/user/max_user_namespaces");
    long n = -1;
    if (max >> n && n == 0) BOOST_TEST(!h.userns_available);

    std::ifstream last("/proc/sys/kernel/cap_last_cap");
    unsigned l = 0;
    if (last >> l) BOOST_TEST(h.cap_last_cap == l);

    // CapEff/CapPrm in /proc/self/status are the same sets capget() reports.
    std::ifstream status("/proc/self/status");
    std::string line;
    uint64_t eff = 0, prm = 0;
    bool got_eff = false, got_prm = false;
    while (std::getline(status, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            eff = std::stoull(line.substr(7), nullptr, 16);
            got_eff = true;
        } else if (line.rfind("CapPrm:", 0) == 0) {
            prm = std::stoull(line.substr(7), nullptr, 16);
            got_prm = true;
        }
    }
    BOOST_TEST_REQUIRE(got_eff);
    BOOST_TEST_REQUIRE(got_prm);
    BOOST_TEST(h.effective_caps == eff);
    BOOST_TEST(h.permitted_caps == prm);
}

BOOST_AUTO_TEST_CASE(facts_drive_a_real_parse) {
    // The process's own facts give a parse that resolves without surprises.
    const auto h = burrow::host_facts_from_process();
    auto inv = burrow::parse_bwrap_args({"--unshare-user-try", "true"}, h);
    BOOST_TEST(inv.sandbox.ns.user == (h.uid != 0 || h.userns_available));
    BOOST_TEST(inv.sandbox.proc.env == h.env, boost::test_tools::per_element());
}
