// The last places where bwrap mode differed from bubblewrap (issue 14):
// a bwrap re-executed through /proc/self/exe, overlay upper/work dirs whose
// paths hold '\', ',' or ':', and pid 1 of the sandbox killed from outside.
// Through "burrow bwrap" and the bin/bwrap symlink; where Debian's bwrap
// (0.8.0: no overlays) can run the same command line, against it too.
#define BOOST_TEST_MODULE bwrap_differences
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/bwrap_runner.hpp"

using namespace btest;
using namespace std::chrono_literals;

namespace {

// Debian's bwrap, when it can make a sandbox here (as an unprivileged user it
// needs user namespaces); the differential half of a check is skipped
// otherwise, the burrow half never.
bool reference_runs() {
    static const bool ok = [] {
        if (::access(reference_bwrap().c_str(), X_OK) != 0) return false;
        return run_bwrap(reference_front(), {"--ro-bind", "/", "/", "true"}).code() == 0;
    }();
    return ok;
}

std::vector<Front> fronts_and_reference() {
    auto f = burrow_fronts();
    if (!reference_mode() && reference_runs()) f.push_back(reference_front());
    return f;
}

void expect_ok(const Result& r) {
    BOOST_TEST(r.code() == 0, r.describe());
}

void expect_line(const Result& r, const std::string& l) {
    BOOST_TEST(contains(r.out, l + "\n"), "missing line \"" << l << "\"\n" << r.describe());
}

Result burrow(const std::vector<std::string>& args) {
    Command c;
    c.argv = {burrow_bin()};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    return run(c);
}

// Field `n` (1-based, after the comm) of /proc/PID/stat: 3 is the state, 4
// the parent pid. "" when the process is gone.
std::string stat_field(pid_t pid, int n) {
    const std::string s = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = s.rfind(')');
    if (close == std::string::npos) return "";
    std::istringstream in(s.substr(close + 2));
    std::string f;
    for (int i = 3; i <= n && (in >> f); ++i) {
    }
    return f;
}

// The last NSpid of /proc/PID/status: the pid as its own namespace sees it.
std::string ns_pid(pid_t pid) {
    for (const auto& l :
         lines_with(read_text("/proc/" + std::to_string(pid) + "/status"), "NSpid:"))
        return l.substr(l.find_last_of(" \t") + 1);
    return "";
}

// Kills pid 1 of the sandbox whose payload is `sleep MARKER` with SIGKILL,
// from the host, once the payload runs and pid 1 waits for it (state S: its
// setup never sleeps, so it is in its reaping loop). False if that state is
// not reached in 20 s.
bool kill_pid1_of(const std::string& marker, std::string& why) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        for (pid_t p : processes_with(marker)) {
            if (read_text("/proc/" + std::to_string(p) + "/comm") != "sleep\n") continue;
            const pid_t pid1 = std::atoi(stat_field(p, 4).c_str());
            if (pid1 <= 1 || ns_pid(pid1) != "1") {
                why = "the payload's parent " + std::to_string(pid1) + " is no pid 1";
                return false;
            }
            if (stat_field(pid1, 3) != "S") break;
            if (::kill(pid1, SIGKILL) != 0) {
                why = "kill: " + std::string(std::strerror(errno));
                return false;
            }
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    why = "no sleeping pid 1 with a payload \"" + marker + "\"";
    return false;
}

std::string marker(int n) {
    return "3600." + std::to_string(::getpid()) + std::to_string(n);
}

} // namespace

// 1. A bwrap that re-executes itself through /proc/self/exe stays bwrap:
// argv[0] is "/proc/self/exe" there, and the first argument is a bwrap option.
BOOST_AUTO_TEST_CASE(reexec_through_proc_self_exe_stays_bwrap) {
    for (const auto& f : fronts_and_reference()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, {"--bind", "/", "/", "--", "/proc/self/exe", "--bind", "/", "/",
                                   "echo", "hello"});
            expect_ok(r);
            BOOST_TEST(r.out == "hello\n", r.describe());
            // Nested twice.
            r = run_bwrap(f, {"--bind", "/", "/", "--", "/proc/self/exe", "--bind", "/", "/", "--",
                              "/proc/self/exe", "--ro-bind", "/", "/", "--unshare-pid", "sh", "-c",
                              "echo hello from $$"});
            expect_ok(r);
            BOOST_TEST(r.out == "hello from 2\n", r.describe());
            // The nested bwrap reads bwrap's command line: its errors are bwrap's.
            r = run_bwrap(f, {"--bind", "/", "/", "/proc/self/exe", "--bind", "/", "/", "--frob"});
            BOOST_TEST(r.code() == 1, r.describe());
            BOOST_TEST(r.err == "bwrap: Unknown option --frob\n", r.describe());
        }
    }
}

// ... while every command line of burrow's own keeps its meaning.
BOOST_AUTO_TEST_CASE(burrow_command_lines_keep_their_meaning) {
    auto r = burrow({"--help"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(contains(r.out, "Subcommands:"), r.describe());
    BOOST_TEST(!contains(r.out, "--unshare-all"), r.describe());
    r = burrow({"--version"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out.rfind("burrow ", 0) == 0u, r.describe());
    r = burrow({"launch", "--help"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(contains(r.out, "launch"), r.describe());
    r = burrow({"policy", "--help"});
    BOOST_TEST(r.code() == 0, r.describe());
    r = burrow({});
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(contains(r.err, "A subcommand is required"), r.describe());
    // Not a bwrap option: burrow's own error, not bwrap's "Unknown option".
    r = burrow({"--frob"});
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(!contains(r.err, "bwrap"), r.describe());
    // Under the name bwrap, --help and --version are bwrap's.
    r = run_bwrap(symlink_front(), {"--version"});
    BOOST_TEST(r.out == "bubblewrap 0.11.1\n", r.describe());
    r = run_bwrap(symlink_front(), {"--help"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(contains(r.out, "--unshare-all"), r.describe());
    // A bwrap option first: bwrap mode, whatever argv[0] is.
    r = burrow({"--ro-bind", "/", "/", "echo", "hi"});
    expect_ok(r);
    BOOST_TEST(r.out == "hi\n", r.describe());
}

// 2. Overlay layers, upper and work dirs whose paths hold '\', ',' and ':'
// (overlayfs unescapes upperdir and workdir too, even through fsconfig).
// Debian's bwrap 0.8.0 has no overlays: bubblewrap escapes all three the same
// way (strappend_escape_for_mount_options), which is what is checked here.
BOOST_AUTO_TEST_CASE(overlay_paths_with_backslash_comma_colon) {
    if (reference_mode()) return; // not in Debian's bwrap 0.8.0
    TempDir d;
    const std::string lower1 = d / "low\\er,1:a", lower2 = d / "l:o\\w,2";
    const std::string upper = d / "up\\per,:", work = d / "wo:rk\\,";
    for (const auto& dir : {lower1, lower2, upper, work})
        BOOST_TEST_REQUIRE(::mkdir(dir.c_str(), 0755) == 0, dir);
    write_file(lower1 + "/a", "from lower1");
    write_file(lower2 + "/b", "from lower2");
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            const auto base = cat(probe_bind(), {"--proc", "/proc"});
            auto r = run_bwrap(
                f, cat(base, {"--overlay-src", lower2, "--overlay-src", lower1, "--overlay", upper,
                              work, "/o", "/probe", "mkdir=/o/created", "cat=/o/a", "cat=/o/b"}));
            expect_ok(r);
            expect_line(r, "mkdir /o/created: OK");
            expect_line(r, "cat /o/a: from lower1");
            expect_line(r, "cat /o/b: from lower2");
            struct stat st;
            BOOST_TEST(::stat((upper + "/created").c_str(), &st) == 0);
            ::rmdir((upper + "/created").c_str());

            r = run_bwrap(
                f, cat(base, {"--overlay-src", lower2, "--overlay-src", lower1, "--tmp-overlay",
                              "/o", "/probe", "mkdir=/o/t", "cat=/o/a", "cat=/o/b"}));
            expect_ok(r);
            expect_line(r, "mkdir /o/t: OK");
            expect_line(r, "cat /o/a: from lower1");
            expect_line(r, "cat /o/b: from lower2");
            BOOST_TEST(::stat((lower1 + "/t").c_str(), &st) != 0);

            r = run_bwrap(f, cat(base, {"--overlay-src", lower2, "--overlay-src", lower1,
                                        "--ro-overlay", "/o", "/probe", "cat=/o/a", "cat=/o/b"}));
            expect_ok(r);
            expect_line(r, "cat /o/a: from lower1");
            expect_line(r, "cat /o/b: from lower2");
        }
    }
}

// 3. pid 1 of the sandbox killed from outside while the command runs:
// bubblewrap says nothing and exits 128+N, its json-status ending with the
// exit object.
BOOST_AUTO_TEST_CASE(pid1_killed_in_bwrap_mode_prints_nothing) {
    int n = 0;
    for (const auto& f : fronts_and_reference()) {
        BOOST_TEST_CONTEXT(f.name) {
            const std::string m = marker(++n);
            Command c = {};
            c.fds = {capture_fd(5)};
            c.argv = f.prefix;
            c.argv.insert(c.argv.end(), {"--unshare-pid", "--ro-bind", "/", "/", "--proc", "/proc",
                                         "--json-status-fd", "5", "sleep", m});
            Running running(c);
            std::string why;
            BOOST_TEST_REQUIRE(kill_pid1_of(m, why), why);
            Result r = running.finish();
            BOOST_TEST(r.code() == 137, r.describe());
            BOOST_TEST(r.err == "", r.describe());
            const auto docs = lines_with(r.captured[5], "{");
            BOOST_TEST_REQUIRE(docs.size() == 2u, r.captured[5]);
            const auto end = nlohmann::json::parse(docs[1], nullptr, false);
            BOOST_TEST(end.value("exit-code", 0) == 137, docs[1]);
            BOOST_TEST(!end.contains("setup-failed"), docs[1]);
            BOOST_TEST(wait_gone(m, 10s));
        }
    }
}

// burrow run keeps a message, and names no setup stage: the command was running.
BOOST_AUTO_TEST_CASE(pid1_killed_in_burrow_run_says_the_command_was_running) {
    const std::string m = marker(100);
    Command c = {};
    c.argv = {burrow_bin(), "run", "--policy", "minimal", "--", "sleep", m};
    Running running(c);
    std::string why;
    BOOST_TEST_REQUIRE(kill_pid1_of(m, why), why);
    const Result r = running.finish();
    BOOST_TEST(r.code() == 137, r.describe());
    BOOST_TEST(r.err == "burrow: pid 1 of the sandbox killed by signal 9 while the command was "
                        "running\n",
               r.describe());
    BOOST_TEST(wait_gone(m, 10s));
}
