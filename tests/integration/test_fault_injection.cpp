// Fault injection and process-death cases (issue 8, item 4), with burrow
// built with BURROW_FAULT_INJECTION (the ci preset):
//  * burrow dies at every numbered setup step (runtime/setup_step.hpp), in
//    the monitor, the child, pid 1 and the payload: nothing is left on the
//    host (mounts, processes, the caller's fds), the caller sees a non-zero
//    status, and when a sandbox process died the monitor says which stage,
//    on stderr and on --json-status-fd;
//  * the payload killed by every fatal signal: 128+N comes through, with
//    "exit-signal" on the status fd;
//  * a payload that forks 1,000 children and exits: all reaped, none left.
// (A payload ignoring SIGTERM under a timeout: test_runtime_limits,
// timeout_kills_a_tree_that_ignores_the_grace_signal. The caller killed
// during a run: test_runtime_signals, die_with_parent_when_the_caller_is_killed.)
#define BOOST_TEST_MODULE fault_injection
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/setup_step.hpp"
#include "tests/support/bwrap_runner.hpp"

using namespace btest;
namespace step = burrow::setup_step;

namespace {

struct Subreaper {
    Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
};
Subreaper subreaper_on;

// Our children still alive after the run (orphans of a sandbox come to us),
// after up to `ms` for them to go; zombies are reaped.
std::vector<pid_t> children_left(int ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        std::vector<pid_t> left;
        DIR* d = ::opendir("/proc");
        while (dirent* e = d ? ::readdir(d) : nullptr) {
            const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
            if (pid <= 0) continue;
            std::string st = read_text("/proc/" + std::string(e->d_name) + "/stat");
            auto close = st.rfind(')');
            if (close == std::string::npos) continue;
            std::istringstream rest(st.substr(close + 2));
            char state;
            long ppid;
            rest >> state >> ppid;
            if (ppid == ::getpid()) left.push_back(pid);
        }
        if (d) ::closedir(d);
        if (left.empty() || std::chrono::steady_clock::now() > until) {
            for (pid_t p : left) ::kill(p, SIGKILL);
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            return left;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

size_t our_fds() {
    size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = d ? ::readdir(d) : nullptr)
        if (e->d_name[0] != '.') ++n;
    if (d) ::closedir(d);
    return n;
}

Result run_with_fault(const std::vector<std::string>& args, int step_no) {
    Command c;
    c.argv = {burrow_bin(), "bwrap"};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.push_back("BURROW_FAULT_STEP=" + std::to_string(step_no));
    c.env = env;
    c.fds.push_back(capture_fd(5));
    c.timeout = std::chrono::milliseconds(20000);
    return run(c);
}

// Steps that run in the monitor: when it dies the kernel reports 137 to the
// caller and nobody is left to explain.
bool monitor_step(step::Step s) {
    return static_cast<int>(s) <= static_cast<int>(step::Step::monitor_close_fds);
}

void walk_every_step(const std::vector<std::string>& args, bool has_pid1) {
    BOOST_REQUIRE_MESSAGE(step::fault_injection_built(),
                          "build with -DBURROW_FAULT_INJECTION=ON (the ci preset)");
    for (int n = 1; n <= step::count(); ++n) {
        const auto s = static_cast<step::Step>(n);
        const std::string name = step::name(s);
        if (s == step::Step::pid1_seccomp && !has_pid1) continue;
        BOOST_TEST_CONTEXT("step " << n << " " << name) {
            const std::string mounts = host_mount_table();
            const size_t fds = our_fds();
            Result r = run_with_fault(args, n);
            BOOST_TEST(!r.timed_out);
            BOOST_TEST(r.code() != 0, r.describe());
            const auto left = children_left(3000);
            BOOST_TEST(left.empty(), left.size() << " processes left behind");
            BOOST_TEST(host_mount_table() == mounts);
            BOOST_TEST(our_fds() == fds);
            if (monitor_step(s)) {
                BOOST_TEST((r.code() == 137 || r.code() == 1), r.describe());
                continue;
            }
            // A sandbox process died: the monitor names the stage.
            const std::string status = r.captured[5];
            if (s == step::Step::exec) {
                // The payload had reported exec as started: a payload killed
                // by SIGKILL, as far as anyone can tell.
                BOOST_TEST(r.code() == 137, r.describe());
                BOOST_TEST(contains(status, "\"exit-signal\": 9"), status);
                continue;
            }
            BOOST_TEST((r.code() == 137 || r.code() == 139), r.describe());
            // pid 1 may die after the payload's exec (its own last steps):
            // bwrap mode then says nothing, like bubblewrap.
            const bool pid1_after_exec = s == step::Step::pid1_seccomp && r.err.empty();
            if (!pid1_after_exec) {
                BOOST_TEST(contains(r.err, "setup killed by signal"), r.err);
                BOOST_TEST(contains(r.err, "(stage " + name + ")"), r.err);
            }
            // The start object, unless the child died before the monitor
            // could finish it (its id maps), then the setup-failed object.
            const auto lines = lines_with(status, "{");
            BOOST_REQUIRE(!lines.empty());
            BOOST_TEST(lines.size() <= 2u);
            auto doc = nlohmann::json::parse(lines.back());
            BOOST_TEST(doc.value("setup-failed", false));
            BOOST_TEST(doc.value("stage", std::string()) == name);
            BOOST_TEST(doc.value("signal", 0) > 0);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(death_at_every_step_with_a_pid_namespace) {
    walk_every_step({"--unshare-all", "--die-with-parent", "--json-status-fd", "5", "--ro-bind",
                     "/", "/", "--tmpfs", "/tmp", "--dir", "/tmp/a", "--proc", "/proc", "true"},
                    true);
}

BOOST_AUTO_TEST_CASE(death_at_every_step_without_one) {
    // No pid namespace: the child is the payload, nobody reaps for it.
    walk_every_step({"--json-status-fd", "5", "--ro-bind", "/", "/", "--tmpfs", "/tmp", "true"},
                    false);
}

// Regression: the child killed before it read "go" made the monitor's write
// of "go" raise SIGPIPE, which killed the monitor (status 141, no message,
// no status document) in about one run out of ten.
BOOST_AUTO_TEST_CASE(child_dead_before_go_does_not_kill_the_monitor) {
    const int child_start = static_cast<int>(step::Step::child_start);
    for (int i = 0; i < 40; ++i) {
        for (bool pidns : {false, true}) {
            std::vector<std::string> args = {
                "--json-status-fd", "5", "--ro-bind", "/", "/", "true"};
            if (pidns) args.insert(args.begin(), "--unshare-pid");
            Result r = run_with_fault(args, child_start);
            BOOST_TEST((r.code() == 137 || r.code() == 139), r.describe());
            BOOST_TEST(contains(r.err, "(stage child-start)"), r.err);
            BOOST_TEST(contains(r.captured[5], "\"setup-failed\": true"), r.captured[5]);
        }
    }
    BOOST_TEST(children_left(3000).empty());
}

// A setup failure (not a death) names its stage, errno and message.
BOOST_AUTO_TEST_CASE(setup_failure_stage_on_the_status_fd) {
    Command c;
    c.argv = {burrow_bin(), "bwrap", "--unshare-pid", "--json-status-fd",    "5",  "--ro-bind",
              "/",          "/",     "--ro-bind",     "/nonexistent-nsfuzz", "/x", "true"};
    c.fds.push_back(capture_fd(5));
    Result r = run(c);
    BOOST_TEST(r.code() == 1);
    const auto lines = lines_with(r.captured[5], "{");
    BOOST_REQUIRE(lines.size() == 2u);
    auto start = nlohmann::json::parse(lines[0]);
    BOOST_TEST(start["child-pid"].get<int>() > 0);
    BOOST_TEST(start.contains("pid-namespace"));
    auto doc = nlohmann::json::parse(lines[1]);
    BOOST_TEST(doc["setup-failed"].get<bool>());
    BOOST_TEST(doc["stage"].get<std::string>() == "open-sources");
    BOOST_TEST(doc["errno"].get<int>() == ENOENT);
    BOOST_TEST(contains(doc["message"].get<std::string>(), "/nonexistent-nsfuzz"));
    BOOST_TEST(!contains(r.captured[5], "exit-code"));

    // Before clone, in the monitor: no start object, the stage still named.
    c.argv = {burrow_bin(), "bwrap", "--json-status-fd", "5", "--hostname", "x", "true"};
    r = run(c);
    BOOST_TEST(r.code() == 1);
}

BOOST_AUTO_TEST_CASE(payload_killed_by_every_fatal_signal) {
    for (int sig : {SIGHUP,  SIGINT,  SIGQUIT,   SIGILL,  SIGTRAP, SIGABRT, SIGBUS,  SIGFPE,
                    SIGKILL, SIGUSR1, SIGSEGV,   SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT,
                    SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGSYS}) {
        for (bool pidns : {true, false}) {
            BOOST_TEST_CONTEXT("signal " << sig << (pidns ? " with" : " without") << " pid ns") {
                std::vector<std::string> args = {"--json-status-fd", "5"};
                if (pidns) args.push_back("--unshare-pid");
                args = cat(args, probe_bind());
                args = cat(args, {"/probe", "signal=" + std::to_string(sig)});
                Command c;
                c.fds.push_back(capture_fd(5));
                Result r = run_bwrap(burrow_front(), args, c);
                BOOST_TEST(r.code() == 128 + sig, r.describe());
                BOOST_TEST(contains(r.captured[5], "\"exit-code\": " + std::to_string(128 + sig) +
                                                       ", \"exit-signal\": " + std::to_string(sig)),
                           r.captured[5]);
                BOOST_TEST(children_left(2000).empty());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(payload_forking_1000_children_then_exiting) {
    // Children that outlive the payload (each sleeps a little): pid 1 reaps
    // every one, --die-with-parent ends what is left when burrow exits.
    const std::string script = "i=0; while [ $i -lt 1000 ]; do (sleep 0.2; exit 0) & "
                               "i=$((i+1)); done; exit 7";
    for (bool die_with_parent : {true, false}) {
        std::vector<std::string> args = {"--unshare-pid", "--ro-bind", "/", "/", "--proc", "/proc"};
        if (die_with_parent) args.push_back("--die-with-parent");
        args = cat(args, {"sh", "-c", script});
        Command c;
        c.timeout = std::chrono::milliseconds(60000);
        Result r = run_bwrap(burrow_front(), args, c);
        BOOST_TEST(r.code() == 7, r.describe());
        // Without --die-with-parent pid 1 stays until the last child is
        // reaped (bwrap's behaviour), then goes: nothing may be left, no
        // zombie either.
        const auto left = children_left(10000);
        BOOST_TEST(left.empty(), left.size() << " processes left");
    }
}
