// The burrow binary in bwrap mode, for everything that ends before a sandbox
// is built: exact stdout, stderr and exit status of --help, --version, usage
// and parse errors, warnings and --level-prefix, as bwrap prints them.
#define BOOST_TEST_MODULE bwrap_cli
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "policy/bwrap/args.hpp"
#include "runtime/io.hpp"

namespace {

struct Result {
    int status = -1;
    std::string out, err;
};

// Runs the burrow binary with the given argv[0] (so "bwrap" selects bwrap
// mode, as the installed symlink does).
Result run(const std::string& argv0, const std::vector<std::string>& args) {
    int out[2], err[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    BOOST_REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    std::vector<std::string> all{argv0};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        ::execv(BURROW_BIN, argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    Result r;
    // Usage text and messages are far below the pipe buffer size, so reading
    // one pipe after the other cannot deadlock.
    BOOST_REQUIRE(burrow::read_fd_to_end(out[0], r.out, 1 << 20) == 0);
    BOOST_REQUIRE(burrow::read_fd_to_end(err[0], r.err, 1 << 20) == 0);
    ::close(out[0]);
    ::close(err[0]);
    int st = 0;
    BOOST_REQUIRE(::waitpid(pid, &st, 0) == pid);
    BOOST_REQUIRE(WIFEXITED(st));
    r.status = WEXITSTATUS(st);
    return r;
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
