// Signals: forwarding from the outer process to the payload (bubblewrap
// issue 369), signals that arrive while the sandbox is still being set up,
// and --die-with-parent when the caller is killed.
#define BOOST_TEST_MODULE runtime_signals
#include <boost/test/unit_test.hpp>

#include <dirent.h>

#include "tests/integration/runtime_test_support.hpp"

using namespace rtest;

namespace {

// pids of live processes whose command line contains marker.
std::vector<pid_t> find_processes(const std::string& marker) {
    std::vector<pid_t> found;
    DIR* d = ::opendir("/proc");
    if (!d) return found;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline");
        std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        for (auto& c : cmd)
            if (c == '\0') c = ' ';
        if (cmd.find(marker) != std::string::npos && process_alive(static_cast<pid_t>(pid)))
            found.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(d);
    return found;
}

bool wait_until_gone(const std::string& marker, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (find_processes(marker).empty()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return find_processes(marker).empty();
}

// "ready" is printed before the shell execs sleep, so the sleep may not exist
// yet when the caller sees "ready": poll for it instead of checking once.
bool wait_until_present(const std::string& marker, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (!find_processes(marker).empty()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !find_processes(marker).empty();
}

// Kills the forked caller on every exit path: a failed REQUIRE must not leave
// it paused with ctest's stderr open (ctest would then wait 300 s for EOF).
struct KillOnExit {
    pid_t pid;
    ~KillOnExit() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(forwarded_signals_reach_the_payload) {
    const std::pair<int, const char*> signals[] = {{SIGINT, "INT"},   {SIGTERM, "TERM"},
                                                   {SIGHUP, "HUP"},   {SIGQUIT, "QUIT"},
                                                   {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}};
    for (bool pid_ns : {true, false}) {
        for (const auto& [sig, name] : signals) {
            const std::string script = std::string("trap 'echo got-") + name + "; exit 0' " + name +
                                       "; echo ready; while :; do sleep 0.05; done";
            Sandbox sb = base(script, pid_ns);
            sb.ns.pid = pid_ns;
            Running r = start(sb);
            std::string out = r.read_until("ready\n");
            BOOST_REQUIRE_EQUAL(out, "ready\n");
            ::kill(r.pid, sig);
            Result res = r.wait();
            BOOST_TEST_INFO("signal " << name << " pid_ns " << pid_ns << " err " << res.err);
            BOOST_TEST(res.out == std::string("got-") + name + "\n");
            BOOST_TEST(res.status == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(forwarded_signal_kills_a_payload_without_handler) {
    Sandbox sb = base("echo ready; exec sleep 30", true);
    sb.ns.pid = true;
    Running r = start(sb);
    BOOST_REQUIRE_EQUAL(r.read_until("ready\n"), "ready\n");
    ::kill(r.pid, SIGTERM);
    Result res = r.wait();
    BOOST_TEST(res.status == 128 + SIGTERM);
}

BOOST_AUTO_TEST_CASE(signal_during_setup_is_not_lost) {
    // The payload is held before exec by --block-fd; SIGTERM reaches the
    // monitor meanwhile (after it reported the child on --info-fd). It must
    // still end the payload once it runs: status 143, nothing printed.
    for (bool pid_ns : {true, false}) {
        int info[2], block[2];
        BOOST_REQUIRE(::pipe2(info, O_CLOEXEC) == 0);
        BOOST_REQUIRE(::pipe2(block, O_CLOEXEC) == 0);
        Sandbox sb = base("echo started", pid_ns);
        sb.ns.pid = pid_ns;
        sb.status.info_fd = 20;
        sb.status.block_fd = 21;
        Running r = start(sb, [&] {
            ::dup2(info[1], 20);
            ::dup2(block[0], 21);
        });
        ::close(info[1]);
        ::close(block[0]);
        std::string doc = slurp(info[0]); // EOF once the monitor closed it
        ::close(info[0]);
        BOOST_TEST(doc.find("child-pid") != std::string::npos);
        ::kill(r.pid, SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        (void)!::write(block[1], "x", 1);
        ::close(block[1]);
        Result res = r.wait();
        BOOST_TEST_INFO("pid_ns " << pid_ns << " err " << res.err);
        BOOST_TEST(res.status == 128 + SIGTERM);
        BOOST_TEST(res.out == "");
    }
}

BOOST_AUTO_TEST_CASE(ignored_signals_stay_ignored) {
    // A caller that ignores SIGUSR1 passes that on (the payload inherits
    // SIG_IGN) and the monitor does not forward it either.
    Sandbox sb = base("echo ready; sleep 0.5; echo done");
    Running r = start(sb, [] { ::signal(SIGUSR1, SIG_IGN); });
    BOOST_REQUIRE_EQUAL(r.read_until("ready\n"), "ready\n");
    ::kill(r.pid, SIGUSR1);
    Result res = r.wait();
    BOOST_TEST(res.status == 0);
    BOOST_TEST(res.out == "done\n");
}

BOOST_AUTO_TEST_CASE(die_with_parent_when_the_caller_is_killed) {
    for (int variant = 0; variant < 3; ++variant) {
        const bool die = variant != 2;
        const bool pid_ns = variant == 1;
        const std::string marker = "31" + std::to_string(::getpid()) + std::to_string(variant);
        Sandbox sb = base("echo ready; exec sleep " + marker, pid_ns);
        sb.ns.pid = pid_ns;
        sb.proc.die_with_parent = die;
        int out[2];
        BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        // The caller: starts the sandbox, then waits to be killed.
        pid_t caller = ::fork();
        if (caller == 0) {
            ::dup2(out[1], 1);
            Running r = start(sb);
            std::string got = r.read_until("ready\n");
            (void)!::write(1, got.data(), got.size());
            ::pause();
            ::_exit(0);
        }
        KillOnExit guard{caller};
        ::close(out[1]);
        Running reader{-1, out[0], -1};
        BOOST_REQUIRE_EQUAL(reader.read_until("ready\n"), "ready\n");
        BOOST_REQUIRE(wait_until_present("sleep " + marker, 5000));
        ::kill(caller, SIGKILL);
        ::waitpid(caller, nullptr, 0);
        guard.pid = -1;
        ::close(out[0]);
        BOOST_TEST_INFO("variant " << variant);
        if (die) {
            BOOST_TEST(wait_until_gone("sleep " + marker, 5000));
            // On failure, do not leave a sleep holding ctest's stderr open.
            for (pid_t p : find_processes("sleep " + marker)) ::kill(p, SIGKILL);
        } else {
            // Without --die-with-parent the sandbox outlives its caller.
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            auto left = find_processes("sleep " + marker);
            BOOST_TEST(!left.empty());
            for (pid_t p : left) ::kill(p, SIGKILL);
        }
    }
}
