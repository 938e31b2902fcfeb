// Sessions of `burrow launch` (namespace backend unless BURROW_LAUNCH_BACKEND
// says otherwise): a running sandbox is joined by a second launch and by
// enter (same namespaces, recorded environment, cwd the project dir), listed
// by ps (and --json), stopped by stop (a second stop: 125); a registry entry
// left by a SIGKILLed launch is cleaned; a forged entry naming a host
// process is refused and that process left alone.
#define BOOST_TEST_MODULE launch_sessions
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/launch_test_support.hpp"
#include "tests/support/skip.hpp"

using namespace btest;
using ltest::Host;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

nlohmann::json ps_json(const Host& h) {
    Result r = h.run({"ps", "--json"});
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    return nlohmann::json::parse(r.out);
}

// Waits until ps lists the project; its entry.
nlohmann::json wait_listed(const Host& h) {
    for (int i = 0; i < 200; ++i) {
        for (const auto& e : ps_json(h))
            if (e.at("project") == h.project) return e;
        std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("the sandbox never appeared in burrow ps");
    return {};
}

// Waits (up to 30 s) until the payload has written a non-empty line to
// file: a sandbox is listed as soon as it is registered, which can come
// before its command ran its first line (the container backend registers
// when the helper is known; under ASan and a parallel ctest that lead is
// seconds long).
std::string wait_written(const std::string& file) {
    for (int i = 0; i < 600; ++i) {
        std::string text = read_text(file);
        if (!text.empty() && text.back() == '\n') return text;
        std::this_thread::sleep_for(50ms);
    }
    return read_text(file);
}

bool wait_unlisted(const Host& h) {
    for (int i = 0; i < 200; ++i) {
        bool found = false;
        for (const auto& e : ps_json(h)) found |= e.at("project") == h.project;
        if (!found) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

// The first sandbox: records its pid and mount namespaces in the project
// dir, then waits.
std::unique_ptr<Running> start_session(const Host& h, const std::vector<std::string>& opts = {}) {
    Command c = h.command(h.launch_args(
        opts, {"sh", "-c",
               "readlink /proc/self/ns/pid > ns-pid; readlink /proc/self/ns/mnt > ns-mnt; "
               "exec sleep 120"}));
    return std::make_unique<Running>(c);
}

} // namespace

BOOST_AUTO_TEST_CASE(join_enter_ps_stop) {
    Host h;
    auto first = start_session(h);
    const auto entry = wait_listed(h);
    BOOST_TEST(entry.at("backend") == ltest::backend());
    BOOST_TEST(entry.at("pid").get<int>() > 0);
    BOOST_TEST(entry.at("uptime_s").get<int>() >= 0);
    const std::string ns_pid = wait_written(h.project + "/ns-pid");
    const std::string ns_mnt = wait_written(h.project + "/ns-mnt");
    BOOST_TEST_REQUIRE(!ns_pid.empty());

    // A second launch joins: same namespaces, the first one's processes
    // visible, the recorded environment, cwd the project dir.
    Result j = h.launch({}, "readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; /bin/pwd -P; "
                            "echo $BURROW_SANDBOX; grep -l '^sleep$' /proc/[0-9]*/comm | wc -l; "
                            "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status");
    BOOST_TEST_REQUIRE(j.code() == 0, j.describe());
    BOOST_TEST(contains(j.out, ns_pid + ns_mnt + h.project + "\n1\n1\n"), j.out);
    BOOST_TEST(contains(j.out, "NoNewPrivs:\t1\n"), j.out);
    BOOST_TEST(contains(j.out, "Seccomp:\t2\n"), j.out);
    BOOST_TEST(contains(j.out, "CapEff:\t0000000000000000\n"), j.out);
    // A joined command's status is its own.
    BOOST_TEST(h.launch({}, "exit 7").code() == 7);

    // --new: a separate sandbox that does not see the first.
    Result n = h.launch({"--new"}, "readlink /proc/self/ns/pid");
    BOOST_TEST_REQUIRE(n.code() == 0, n.describe());
    BOOST_TEST(n.out != ns_pid);
    BOOST_TEST(n.err.empty(), n.err);

    // enter: the user's shell (SHELL=/bin/sh), stdin from us.
    Result e = h.run({"enter", h.project}, "readlink /proc/self/ns/pid; exit 3\n");
    BOOST_TEST(e.code() == 3, e.describe());
    BOOST_TEST(e.out == ns_pid, e.describe());

    // ps, human form: one line per sandbox, the project named.
    Result p = h.run({"ps"});
    BOOST_TEST(p.code() == 0);
    BOOST_TEST(contains(p.out, h.project), p.out);
    BOOST_TEST(contains(p.out, ltest::backend()), p.out);

    // stop: the sandbox ends, the launching burrow with it (SIGTERM).
    Result s = h.run({"stop", h.project});
    BOOST_TEST(s.code() == 0, s.describe());
    Result fr = first->finish();
    BOOST_TEST(fr.code() == 128 + SIGTERM, fr.describe());
    // The launching burrow removed its entry and run dir itself (before
    // any ps could clean them as stale).
    const std::string id = entry.at("project_id");
    BOOST_TEST(!fs::exists(h.registry() + "/" + id + ".json"));
    BOOST_TEST(!fs::exists(h.registry() + "/" + id));
    BOOST_TEST(wait_unlisted(h));

    Result s2 = h.run({"stop", h.project});
    BOOST_TEST(s2.code() == 125, s2.describe());
    BOOST_TEST(s2.err == "burrow: stop: no sandbox runs for " + h.project + "\n", s2.err);
    Result e2 = h.run({"enter", h.project}, "exit 0\n");
    BOOST_TEST(e2.code() == 125, e2.describe());
    BOOST_TEST(e2.err == "burrow: enter: no sandbox runs for " + h.project + "\n", e2.err);
}

BOOST_AUTO_TEST_CASE(stale_entry_after_sigkill_is_cleaned) {
    Host h;
    auto first = start_session(h);
    const auto entry = wait_listed(h);
    const std::string file =
        h.registry() + "/" + entry.at("project_id").get<std::string>() + ".json";
    BOOST_TEST_REQUIRE(fs::exists(file));
    // SIGKILL to burrow: the sandbox dies with it, the entry stays behind.
    ::kill(first->pid(), SIGKILL);
    Result fr = first->finish();
    BOOST_TEST(fr.code() == 128 + SIGKILL);
    const pid_t payload = entry.at("pid").get<pid_t>();
    for (int i = 0; i < 100 && ::kill(payload, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
    BOOST_TEST(::kill(payload, 0) != 0); // died with its parent
    BOOST_TEST(fs::exists(file));
    BOOST_TEST(ps_json(h).empty());
    BOOST_TEST(!fs::exists(file)); // ps removed it
    BOOST_TEST(!fs::exists(h.registry() + "/" + entry.at("project_id").get<std::string>()));
    // A new launch is a fresh sandbox, not a join of the dead one.
    BOOST_TEST(h.launch({}, "exit 5").code() == 5);
}

BOOST_AUTO_TEST_CASE(another_burrows_sandbox_is_left_alone) {
    // A registry property, the same on every backend: checked once.
    if (ltest::backend() != "namespace") return;
    // Two burrow executables of one user (an upgrade while sandboxes run,
    // a second build): one's `burrow ps` must not unregister the other's
    // sandboxes (it did: their launcher "is not burrow", so stale).
    Host h;
    btest::TempDir bin;
    const std::string other = bin / "burrow";
    fs::copy_file(btest::burrow_bin(), other);
    ::chmod(other.c_str(), 0755);
    Command c = h.command(h.launch_args({}, {"sh", "-c", "exec sleep 120"}));
    c.argv[0] = other;
    Running first(c);
    auto other_ps = [&] {
        Command p = h.command({"ps", "--json"});
        p.argv[0] = other;
        Result r = btest::run(p);
        BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
        return nlohmann::json::parse(r.out);
    };
    bool listed = false;
    for (int i = 0; i < 200 && !listed; ++i) {
        for (const auto& e : other_ps()) listed |= e.at("project") == h.project;
        if (!listed) std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST_REQUIRE(listed);
    // This burrow's ps (as root it cannot tell the other executable for
    // its own, so it does not show it; as a plain user the launcher's exe
    // is hidden and its name decides) ...
    ps_json(h);
    bool still = false;
    for (const auto& e : other_ps()) still |= e.at("project") == h.project;
    BOOST_TEST(still); // and its entry survived
    Command stop = h.command({"stop", h.project});
    stop.argv[0] = other;
    BOOST_TEST(btest::run(stop).code() == 0);
    first.finish();
}

BOOST_AUTO_TEST_CASE(forged_entry_is_refused) {
    Host h;
    // The id of the project, from a real (short) session.
    auto first = start_session(h);
    const auto entry = wait_listed(h);
    const std::string id = entry.at("project_id");
    BOOST_TEST(h.run({"stop", h.project}).code() == 0);
    first->finish();
    BOOST_TEST_REQUIRE(wait_unlisted(h));

    // A host process, with its true start time and namespaces: everything
    // checks out except that it is no sandbox.
    Command victim_cmd;
    victim_cmd.argv = {"/bin/sleep", "60"};
    Running victim(victim_cmd);
    const pid_t vp = victim.pid();
    std::this_thread::sleep_for(100ms);
    std::ifstream stat("/proc/" + std::to_string(vp) + "/stat");
    std::string statline;
    std::getline(stat, statline);
    std::istringstream fields(statline.substr(statline.rfind(')') + 2));
    std::string f;
    for (int i = 3; i <= 22; ++i) fields >> f;
    nlohmann::json ns;
    for (const char* n : {"mnt", "pid", "user", "net", "ipc", "uts"}) {
        struct stat st {};
        if (::stat(("/proc/" + std::to_string(vp) + "/ns/" + n).c_str(), &st) == 0)
            ns[n] = static_cast<uint64_t>(st.st_ino);
    }
    nlohmann::json forged = {{"project_id", id},
                             {"project_dir", h.project},
                             {"backend", "namespace"},
                             {"pid", vp},
                             {"start_time", std::stoull(f)},
                             {"ns", ns},
                             {"launcher_pid", vp},
                             {"started", 0},
                             {"env", nlohmann::json::array({{"PATH", "/bin"}})},
                             {"cwd", "/"},
                             {"uid", ::getuid()},
                             {"gid", ::getgid()},
                             {"control", ""}};
    const std::string file = h.registry() + "/" + id + ".json";
    std::ofstream(file) << forged.dump();
    ::chmod(file.c_str(), 0600);

    Result e = h.run({"enter", h.project}, "echo joined-host\n");
    BOOST_TEST(e.code() == 125, e.describe());
    BOOST_TEST(!contains(e.out, "joined-host"));
    BOOST_TEST(!fs::exists(file)); // removed as stale
    std::ofstream(file) << forged.dump();
    Result s = h.run({"stop", h.project});
    BOOST_TEST(s.code() == 125, s.describe());
    BOOST_TEST(::kill(vp, 0) == 0); // the host process was not signalled
    std::ofstream(file) << forged.dump();
    Result l = h.launch({}, "readlink /proc/self/ns/mnt");
    BOOST_TEST(l.code() == 0, l.describe()); // a fresh sandbox, not the host
    BOOST_TEST(l.out != read_text("/proc/self/ns/mnt"));
    ::kill(vp, SIGKILL);
    victim.finish();
}

BOOST_AUTO_TEST_CASE(tmux_session_is_attachable_from_the_host) {
    Host h;
    if (::access("/usr/bin/tmux", X_OK) != 0) {
        btest::skip("tmux not installed");
        return;
    }
    // No terminal: the session starts detached and lasts as long as it runs.
    Command c =
        h.command(h.launch_args({"--tmux"}, {"sh", "-c", "echo in-tmux > tmux-out; sleep 30"}));
    Running first(c);
    const auto entry = wait_listed(h);
    const std::string sock =
        h.registry() + "/" + entry.at("project_id").get<std::string>() + "/tmux/tmux.sock";
    for (int i = 0; i < 100 && !fs::exists(h.project + "/tmux-out"); ++i)
        std::this_thread::sleep_for(50ms);
    BOOST_TEST(read_text(h.project + "/tmux-out") == "in-tmux\n");
    Command ls;
    ls.argv = {"/usr/bin/tmux", "-S", sock, "list-sessions", "-F", "#{session_name}"};
    Result r = run(ls);
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "burrow\n", r.describe());
    BOOST_TEST(h.run({"stop", "--grace", "1", h.project}).code() == 0);
    first.finish();
    BOOST_TEST(!fs::exists(sock));
    BOOST_TEST(!fs::exists(h.registry() + "/" + entry.at("project_id").get<std::string>()));
}

BOOST_AUTO_TEST_CASE(sigterm_to_burrow_ends_everything) {
    Host h;
    auto first = start_session(h);
    const auto entry = wait_listed(h);
    const pid_t payload = entry.at("pid").get<pid_t>();
    ::kill(first->pid(), SIGTERM); // forwarded to the command
    Result fr = first->finish();
    BOOST_TEST(fr.code() == 128 + SIGTERM, fr.describe());
    BOOST_TEST(::kill(payload, 0) != 0);
    const std::string id = entry.at("project_id");
    BOOST_TEST(!fs::exists(h.registry() + "/" + id + ".json"));
    BOOST_TEST(!fs::exists(h.registry() + "/" + id));
}

BOOST_AUTO_TEST_CASE(bad_input) {
    {
        Host h;
        Result r = h.run({"launch", "--bogus", h.project});
        BOOST_TEST(r.code() == 125, r.describe());
        BOOST_TEST(r.err == "burrow: launch: The following argument was not expected: --bogus\n",
                   r.err);
    }
    Host h;
    for (const char* sub : {"enter", "stop"}) {
        Result r = h.run({sub, h.dir / "missing"});
        BOOST_TEST(r.code() == 125, r.describe());
        BOOST_TEST(r.err.rfind(std::string("burrow: ") + sub + ": ", 0) == 0u, r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    }
    Result r = h.run({"launch", "--backend", "bogus", h.project});
    BOOST_TEST(r.code() == 125, r.describe());
    r = h.run({"launch", "--policy", h.dir / "no-such-policy.toml", h.project, "--", "true"});
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(r.err.rfind("burrow: launch: --policy ", 0) == 0u, r.err);
    BOOST_TEST(!fs::exists(h.state_root())); // nothing created for a bad launch
    r = h.run({"launch", "--bind", h.dir / "missing", h.project, "--", "true"});
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(r.err.rfind("burrow: launch: --bind ", 0) == 0u, r.err);
}
