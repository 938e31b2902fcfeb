// Order mistakes: operations hidden by a later mount of the same path or an
// ancestor, for policies (with positions) and bwrap command lines.
#define BOOST_TEST_MODULE policy_lint
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "policy/bwrap/args.hpp"
#include "policy/bwrap/lint.hpp"
#include "policy/file/resolve.hpp"
#include "policy_test_support.hpp"

using namespace burrow;

namespace {

std::vector<LintFinding> lint_argv(std::vector<std::string> args) {
    HostFacts host;
    args.push_back("true");
    return lint_fs(parse_bwrap_args(args, host).sandbox.fs);
}

} // namespace

BOOST_AUTO_TEST_CASE(proc_before_bind_root_is_hidden) {
    const auto f = lint_argv({"--proc", "/proc", "--bind", "/", "/"});
    BOOST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0].hidden == 0u);
    BOOST_TEST(f[0].by == 1u);
    BOOST_TEST(f[0].message ==
               "--proc /proc is hidden by the later --bind / / (move it after that operation)");
}

BOOST_AUTO_TEST_CASE(correct_order_is_clean) {
    BOOST_TEST(
        lint_argv({"--bind", "/", "/", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/tmp/x"})
            .empty());
    // Siblings with a common prefix are not ancestors.
    BOOST_TEST(lint_argv({"--tmpfs", "/tmpx", "--tmpfs", "/tmp"}).empty());
    // remount-ro and chmod do not hide anything.
    BOOST_TEST(lint_argv({"--tmpfs", "/t", "--remount-ro", "/t"}).empty());
}

BOOST_AUTO_TEST_CASE(same_path_and_trailing_slashes) {
    const auto f = lint_argv({"--dir", "/tmp/a", "--tmpfs", "/tmp//", "--tmpfs", "/tmp"});
    BOOST_REQUIRE(f.size() == 2u);
    BOOST_TEST(f[0].by == 1u);
    BOOST_TEST(f[1].hidden == 1u);
    BOOST_TEST(f[1].by == 2u);
}

BOOST_AUTO_TEST_CASE(socket_under_tmp_masked_by_tmpfs) {
    policy_test::TempDir d;
    const std::string sock = (d.path / "agent.sock").string();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock.c_str());
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    const auto f = lint_argv({"--bind", sock, "/tmp/agent.sock", "--tmpfs", "/tmp"});
    ::close(fd);
    BOOST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0].message == "socket --bind " + sock +
                                   " /tmp/agent.sock is hidden by the later --tmpfs /tmp (move it "
                                   "after that operation)");
}

BOOST_AUTO_TEST_CASE(policy_findings_name_positions) {
    const auto p = policy_test::decode("[[fs]]\ntype = \"proc\"\ndest = \"/proc\"\n"
                                       "[[fs]]\ntype = \"ro-bind\"\nsrc = \"/\"\ndest = \"/\"\n",
                                       "order.toml");
    HostFacts host;
    const auto r = policy::resolve_policy(p, {"true"}, host);
    BOOST_REQUIRE(r.warnings.size() == 1u);
    BOOST_TEST(r.warnings[0] == "order.toml:1:1: --proc /proc is hidden by the later --ro-bind / / "
                                "(move it after that operation) (order.toml:4:1)");
}

BOOST_AUTO_TEST_CASE(unknown_seccomp_profile_points_at_the_key) {
    const auto p = policy_test::decode("\n[seccomp]\nprofile = \"nosuch\"\n", "sc.toml");
    HostFacts host;
    std::string err;
    try {
        policy::resolve_policy(p, {"true"}, host);
    } catch (const policy::PolicyError& e) {
        err = e.what();
    }
    BOOST_TEST(err == "sc.toml:3:11: seccomp.profile: unknown seccomp profile: nosuch");
}
