// Random command lines built from bwrap's vocabulary: the parser either
// returns a coherent invocation or refuses with a BwrapUsageError, never
// anything else (no other exception, no crash; run under ASan in the asan
// preset). Fixed seed, so a failure reproduces.
#define BOOST_TEST_MODULE bwrap_args_random
#include "tests/unit/bwrap_test_support.hpp"

#include <random>

using namespace bwrap_test;

namespace {

const std::vector<std::string> kOptions = {
    "--help", "--version", "--argv0", "--level-prefix", "--unshare-all", "--share-net",
    "--unshare-user", "--unshare-user-try", "--unshare-ipc", "--unshare-pid", "--unshare-net",
    "--unshare-uts", "--unshare-cgroup", "--unshare-cgroup-try", "--userns", "--userns2",
    "--disable-userns", "--assert-userns-disabled", "--pidns", "--uid", "--gid", "--hostname",
    "--chdir", "--clearenv", "--setenv", "--unsetenv", "--lock-file", "--sync-fd", "--bind",
    "--bind-try", "--dev-bind", "--dev-bind-try", "--ro-bind", "--ro-bind-try", "--bind-fd",
    "--ro-bind-fd", "--remount-ro", "--overlay-src", "--overlay", "--tmp-overlay", "--ro-overlay",
    "--exec-label", "--file-label", "--proc", "--dev", "--tmpfs", "--mqueue", "--dir", "--file",
    "--bind-data", "--ro-bind-data", "--symlink", "--chmod", "--block-fd", "--userns-block-fd",
    "--info-fd", "--json-status-fd", "--new-session", "--die-with-parent", "--as-pid-1",
    "--cap-add", "--cap-drop", "--perms", "--size", "--not-a-security-boundary", "--", "-",
    "--bogus", "",
    // These read their fd: only ever given an fd that cannot be open, so the
    // test never reads (or closes) the test runner's own stdio.
    "--args", "--seccomp", "--add-seccomp-fd"};

const std::vector<std::string> kValues = {"0",
                                          "3",
                                          "7",
                                          "-1",
                                          "x",
                                          "",
                                          "/",
                                          "/tmp",
                                          "a/b",
                                          "0755",
                                          "07777",
                                          "10000",
                                          "1048576",
                                          "0x10",
                                          "CAP_CHOWN",
                                          "ALL",
                                          "cap_sys_admin",
                                          "NOPE",
                                          "A",
                                          "A=B",
                                          "true",
                                          "99999999999999999999"};

bool reads_fd(const std::string& opt) {
    return opt == "--args" || opt == "--seccomp" || opt == "--add-seccomp-fd";
}

} // namespace

BOOST_AUTO_TEST_CASE(random_command_lines_never_misbehave) {
    std::mt19937 rng(20261128);
    std::uniform_int_distribution<size_t> pick_opt(0, kOptions.size() - 1);
    std::uniform_int_distribution<size_t> pick_val(0, kValues.size() - 1);
    std::uniform_int_distribution<int> len(0, 24), coin(0, 3);
    const HostFacts hosts[] = {user_host(), root_host()};
    size_t ran = 0, refused = 0;

    for (int iter = 0; iter < 20000; ++iter) {
        std::vector<std::string> args;
        const int n = len(rng);
        for (int i = 0; i < n; ++i) {
            const std::string& opt = kOptions[pick_opt(rng)];
            args.push_back(opt);
            if (reads_fd(opt)) {
                args.push_back(coin(rng) == 0 ? "junk" : "1000000");
                continue;
            }
            // A few values after each option; sometimes none, to hit the
            // "takes an argument" paths.
            const int values = coin(rng);
            for (int v = 0; v < values; ++v) args.push_back(kValues[pick_val(rng)]);
        }
        if (coin(rng) != 0) args.push_back("cmd");
        const HostFacts& host = hosts[iter % 2];
        try {
            auto inv = burrow::parse_bwrap_args(args, host);
            if (inv.action == BwrapInvocation::Action::run) {
                ++ran;
                BOOST_TEST_REQUIRE(!inv.sandbox.proc.argv.empty());
                for (const auto& op : inv.sandbox.fs) {
                    if (op.kind == burrow::FsOpKind::tmpfs || op.kind == burrow::FsOpKind::dir ||
                        op.kind == burrow::FsOpKind::file ||
                        op.kind == burrow::FsOpKind::bind_data ||
                        op.kind == burrow::FsOpKind::chmod) {
                        BOOST_TEST_REQUIRE(op.perms.has_value());
                        BOOST_TEST_REQUIRE(*op.perms <= 07777u);
                    }
                }
                if (host.uid != 0)
                    BOOST_TEST_REQUIRE((inv.sandbox.ns.user || inv.sandbox.ns.join_user_fd != -1));
            }
        } catch (const BwrapUsageError& e) {
            ++refused;
            BOOST_TEST_REQUIRE((e.show_usage || std::string(e.what()).size() > 0));
        }
        // Any other exception escapes and fails the test case.
    }
    // The generator must exercise both outcomes, or it tests nothing.
    BOOST_TEST(ran > 100u);
    BOOST_TEST(refused > 100u);
}
