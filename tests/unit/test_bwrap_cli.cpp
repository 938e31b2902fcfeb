// The burrow binary in bwrap mode, for everything that ends before a sandbox
// is built: exact stdout, stderr and exit status of --help, --version, usage
// and parse errors, warnings and --level-prefix, as bwrap prints them.
#define BOOST_TEST_MODULE bwrap_cli
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "policy/bwrap/args.hpp"
#include "tests/support/run_command.hpp"

namespace {

struct Result {
    int status = -1;
    std::string out, err;
};

// Runs the burrow binary with the given argv[0] (so "bwrap" selects bwrap
// mode, as the installed symlink does); tests/support/run_command.
Result run(const std::string& argv0, const std::vector<std::string>& args) {
    btest::Command c;
    c.path = BURROW_BIN;
    c.argv = {argv0};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    const btest::Result res = btest::run(c);
    BOOST_REQUIRE_MESSAGE(WIFEXITED(res.wait_status), res.describe());
    return Result{WEXITSTATUS(res.wait_status), res.out, res.err};
}

} // namespace

BOOST_AUTO_TEST_CASE(version) {
    auto r = run("bwrap", {"--version"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "bubblewrap 0.11.1\n");
    BOOST_TEST(r.err == "");
    auto b = run("burrow", {"bwrap", "--unshare-pid", "--version"});
    BOOST_TEST(b.status == 0);
    BOOST_TEST(b.out == "bubblewrap 0.11.1\n");
}

BOOST_AUTO_TEST_CASE(help_on_stdout) {
    auto r = run("bwrap", {"--help"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == burrow::bwrap_usage_text("bwrap"));
    BOOST_TEST(r.err == "");
    auto b = run("burrow", {"bwrap", "--help"});
    BOOST_TEST(b.out == burrow::bwrap_usage_text("burrow bwrap"));
    auto path = run("/usr/local/bin/bwrap", {"--help"});
    BOOST_TEST(path.out.rfind("usage: /usr/local/bin/bwrap [OPTIONS...]", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(usage_on_stderr_without_a_command) {
    for (const auto& args : std::vector<std::vector<std::string>>{{}, {"--unshare-net"}}) {
        auto r = run("bwrap", args);
        BOOST_TEST(r.status == 1);
        BOOST_TEST(r.out == "");
        BOOST_TEST(r.err == burrow::bwrap_usage_text("bwrap"));
    }
}

BOOST_AUTO_TEST_CASE(errors_and_warnings) {
    auto r = run("bwrap", {"--bogus"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "bwrap: Unknown option --bogus\n");

    r = run("bwrap", {"--chdir", "/a", "--chdir", "/b", "--level-prefix", "--chdir", "/c", "--uid",
                      "x", "true"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: Only the last --chdir option will take effect\n"
                        "<4>bwrap: Only the last --chdir option will take effect\n"
                        "<3>bwrap: Invalid uid: x\n");

    // "burrow bwrap" still speaks as bwrap: scripts match "bwrap: ".
    r = run("burrow", {"bwrap", "--perms", "0700", "--bind", "/a", "/b", "true"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: --perms must be followed by an option that creates a file\n");
}

BOOST_AUTO_TEST_CASE(warnings_then_help) {
    auto r = run("bwrap", {"--sync-fd", "3", "--sync-fd", "4", "--help"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.err == "bwrap: Only the last --sync-fd option will take effect\n");
    BOOST_TEST(r.out == burrow::bwrap_usage_text("bwrap"));
}
