// burrow run with policies, for real: the built-in policies running real
// workloads (git under "agent", a gcc compile-and-test job under "ci"), the
// three network modes observed from inside, to-bwrap output run by Debian's
// bwrap giving the same observations as burrow run, --status-file, and bad
// input leaving nothing behind. Runs as root and as user burrowtest (.user).
#define BOOST_TEST_MODULE policy_run
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

using namespace btest;
namespace fs = std::filesystem;

namespace {

struct Scratch {
    fs::path path;
    Scratch() {
        char tmpl[] = "/tmp/burrow-policy-run.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~Scratch() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name, std::ios::binary) << text;
        return (path / name).string();
    }
    std::set<std::string> entries() const {
        std::set<std::string> out;
        for (const auto& e : fs::directory_iterator(path)) out.insert(e.path().filename());
        return out;
    }
};

Result burrow(std::vector<std::string> args) {
    Command c;
    c.argv = {btest::burrow_bin()};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.timeout = std::chrono::milliseconds(120000);
    return run(c);
}

Result sh_in(const std::string& policy, const std::vector<std::string>& sets,
             const std::string& script) {
    std::vector<std::string> args{"run", "--policy", policy};
    for (const auto& s : sets) {
        args.push_back("--set");
        args.push_back(s);
    }
    args.insert(args.end(), {"--", "sh", "-c", script});
    return burrow(args);
}

} // namespace

BOOST_AUTO_TEST_CASE(agent_git_init_and_commit_in_project) {
    Scratch proj;
    const Result r =
        sh_in("agent", {"project=" + proj.path.string()},
              "set -e; test \"$PWD\" = " + proj.path.string() +
                  "; git init -q .; echo hi > f; git add f;"
                  " git -c user.name=t -c user.email=t@example.org commit -qm one;"
                  " git log --format=%s; touch /usr/x 2>/dev/null && echo usr-writable;"
                  " ls -A \"$HOME\" | grep -v -e .gitconfig -e .ssh | wc -l");
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "one\n0\n", r.describe());
    // The commit is on the host, in the project directory.
    BOOST_TEST(fs::exists(proj.path / ".git" / "HEAD"));
    BOOST_TEST(fs::exists(proj.path / "f"));
}

BOOST_AUTO_TEST_CASE(ci_compile_and_test_job) {
    Scratch ws;
    ws.write("t.c",
             "#include <stdio.h>\nint add(int a, int b) { return a + b; }\n"
             "int main(void) { if (add(2, 2) != 4) return 1; puts(\"tests ok\"); return 0; }\n");
    const Result r =
        sh_in("ci", {"project=" + ws.path.string()},
              "set -e; gcc -O1 -o t t.c; ./t; touch /etc/x 2>/dev/null && echo etc-writable;"
              " grep -c . /proc/net/dev");
    BOOST_TEST(r.code() == 0, r.describe());
    // No network: only the header lines and lo.
    BOOST_TEST(r.out == "tests ok\n3\n", r.describe());
    BOOST_TEST(fs::exists(ws.path / "t"));
    // ci writes its JSON status into the workspace.
    std::ifstream f(ws.path / "burrow-status.json");
    BOOST_REQUIRE(f.good());
    BOOST_TEST(nlohmann::json::parse(f)["exit_code"].get<int>() == 0);
}

// A JSON policy and command-line binds (after the policy's operations).
BOOST_AUTO_TEST_CASE(json_policy_with_cli_binds) {
    Scratch d;
    fs::create_directory(d.path / "rw");
    fs::create_directory(d.path / "ro");
    d.write("ro/in", "data\n");
    const std::string pol = d.write(
        "p.json",
        "{ \"extends\": \"minimal\",\n  \"env\": { \"set\": { \"X\": \"from json\" } } }\n");
    const Result r = burrow(
        {"run", "--policy", pol, "--bind", (d.path / "rw").string(), "/rw", "--ro-bind",
         (d.path / "ro").string(), "/ro", "--", "sh", "-c",
         "echo \"$X\"; cat /ro/in; echo out > /rw/out; echo x > /ro/new 2>/dev/null || echo ro"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "from json\ndata\nro\n", r.describe());
    BOOST_TEST(fs::exists(d.path / "rw" / "out"));
    BOOST_TEST(!fs::exists(d.path / "ro" / "new"));
}

BOOST_AUTO_TEST_CASE(network_modes_observed) {
    const std::string lo = "ip -o link show lo | grep -c LOWER_UP || true";
    BOOST_TEST(sh_in("minimal", {"network=none"}, lo).out == "0\n");
    BOOST_TEST(sh_in("minimal", {"network=loopback"}, lo).out == "1\n");
    const Result none = sh_in("minimal", {"network=loopback"}, "grep -c . /proc/net/dev");
    const Result host = sh_in("minimal", {"network=host"}, "grep -c . /proc/net/dev");
    std::ifstream f("/proc/net/dev");
    int lines = 0;
    for (std::string l; std::getline(f, l);) ++lines;
    BOOST_TEST(none.out == "3\n");
    BOOST_TEST(host.out == std::to_string(lines) + "\n", host.describe());
}

// The same policy through burrow run and through Debian's bwrap running the
// to-bwrap output: the payload must see the same sandbox.
BOOST_AUTO_TEST_CASE(to_bwrap_output_runs_in_debian_bwrap_with_same_observations) {
    if (::access("/usr/bin/bwrap", X_OK) != 0) {
        btest::skip("/usr/bin/bwrap not installed");
        return;
    }
    Scratch d;
    const std::string pol = d.write(
        "p.toml",
        "extends = \"minimal\"\nnetwork = \"loopback\"\nhostname = \"policybox\"\n"
        "[[fs]]\ntype = \"dir\"\ndest = \"/data/sub\"\nmode = \"0750\"\n"
        "[[fs]]\ntype = \"file\"\ndest = \"/data/motd\"\ncontent = \"it's \\\"quoted\\\"\"\n"
        "[[fs]]\ntype = \"symlink\"\ntarget = \"/data/motd\"\ndest = \"/motd\"\n"
        "[env]\nset = { GREETING = \"a b 'c'\" }\nunset = [\"LANG\"]\n");
    const std::string observe =
        "hostname; id -u; id -g; cat /motd; echo; echo \"$GREETING\"; echo ${LANG-unset}; "
        "stat -c '%a %n' /data/sub /tmp; ls /; ip -o link show lo | grep -c LOWER_UP; pwd";
    const Result mine = burrow({"run", "--policy", pol, "--", "sh", "-c", observe});
    BOOST_TEST(mine.code() == 0, mine.describe());
    const Result shell = burrow({"policy", "to-bwrap", pol, "--shell"});
    BOOST_TEST(shell.code() == 0, shell.describe());
    Command c;
    c.argv = {"/bin/bash", "-c",   "bwrap() { /usr/bin/bwrap \"$@\"; }; " + shell.out, "x", "sh",
              "-c",        observe};
    const Result theirs = run(c);
    BOOST_TEST(theirs.code() == 0, theirs.describe());
    BOOST_TEST(theirs.out == mine.out);
    BOOST_TEST(mine.out.find("policybox\n") == 0u, mine.describe());
    // The NUL form parses back into the same arguments.
    const Result nul = burrow({"policy", "to-bwrap", pol, "--nul"});
    BOOST_TEST(nul.code() == 0);
    BOOST_TEST(nul.out.find(std::string("--hostname\0policybox\0", 21)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_file_json) {
    Scratch d;
    const std::string status = (d.path / "status.json").string();
    const Result r =
        burrow({"run", "--policy", "minimal", "--status-file", status, "--", "sh", "-c", "exit 3"});
    BOOST_TEST(r.code() == 3, r.describe());
    std::ifstream f(status);
    const auto j = nlohmann::json::parse(f);
    BOOST_TEST(j["exit_code"].get<int>() == 3);
    BOOST_TEST(j["timed_out"].get<bool>() == false);
    BOOST_TEST(j["setup_failed"].get<bool>() == false);
    for (const char* key : {"payload_exit_code", "signal", "exec_failed", "wall_ms", "peak_rss_kib",
                            "enforced", "unavailable"})
        BOOST_TEST(j.contains(key), key);
    BOOST_TEST((d.entries() == std::set<std::string>{"status.json"})); // no temp file left
}

// --json-status-fd and --info-fd behave as in bwrap mode.
BOOST_AUTO_TEST_CASE(json_status_fd_and_info_fd) {
    Command c;
    c.argv = {btest::burrow_bin(),
              "run",
              "--policy",
              "minimal",
              "--json-status-fd",
              "3",
              "--info-fd",
              "4",
              "--",
              "sh",
              "-c",
              "exit 5"};
    c.fds = {capture_fd(3), capture_fd(4)};
    const Result r = run(c);
    BOOST_TEST(r.code() == 5, r.describe());
    BOOST_TEST(r.captured.at(3).find("\"exit-code\": 5") != std::string::npos, r.captured.at(3));
    const auto info = nlohmann::json::parse(r.captured.at(4));
    BOOST_TEST(info["child-pid"].get<int>() > 0);
    BOOST_TEST(info.contains("net-namespace"));
}

BOOST_AUTO_TEST_CASE(status_file_reports_payload_and_wall_time) {
    // Pending on branch wt-limits (RunResult filled in by the runtime).
    Scratch d;
    const std::string status = (d.path / "s.json").string();
    burrow({"run", "--policy", "minimal", "--status-file", status, "--", "sh", "-c",
            "sleep 0.2; exit 4"});
    std::ifstream f(status);
    const auto j = nlohmann::json::parse(f);
    BOOST_TEST(j["payload_exit_code"].get<int>() == 4);
    BOOST_TEST(j["wall_ms"].get<int>() >= 200);
    BOOST_TEST(j["peak_rss_kib"].get<int>() > 0);
}

BOOST_AUTO_TEST_CASE(rlimits_observed_inside) {
    const Result r =
        sh_in("minimal", {"limits.nofile=[64, 128]", "limits.core=0", "limits.fsize=\"1M\""},
              "ulimit -Sn; ulimit -Hn; ulimit -c; ulimit -f");
    BOOST_TEST(r.out == "64\n128\n0\n2048\n", r.describe());
}

BOOST_AUTO_TEST_CASE(exit_codes_126_127) {
    BOOST_TEST(burrow({"run", "--policy", "minimal", "--", "/nonexistent-burrow"}).code() == 127);
    BOOST_TEST(burrow({"run", "--policy", "minimal", "--", "/etc"}).code() == 126);
}

BOOST_AUTO_TEST_CASE(timeout_kills_tree_ignoring_term) {
    const Result r = sh_in("minimal", {"limits.timeout=\"300ms\"", "limits.grace=\"200ms\""},
                           "trap '' TERM; (trap '' TERM; sleep 30) & sleep 30");
    BOOST_TEST(r.code() == 124, r.describe());
}

// The policy grants read
// and execute everywhere, write only under the workspace, and TCP connect
// only to one port.
BOOST_AUTO_TEST_CASE(landlock_denies_write_outside_tree_and_forbidden_connect) {
    Scratch ws;
    const std::string pol =
        ws.write("ll.toml", "extends = \"minimal\"\nnetwork = \"loopback\"\n"
                            "[[fs]]\ntype = \"bind\"\ndest = \"" +
                                ws.path.string() +
                                "\"\n"
                                "[landlock]\npaths = [{ path = \"/\", access = [\"ro\"] },"
                                " { path = \"" +
                                ws.path.string() +
                                "\", access = [\"rw\"] },"
                                " { path = \"/dev/null\", access = [\"write\"] }]\n"
                                "ports = [{ port = 8080, access = [\"connect\"] }]\n");
    const Result r =
        burrow({"run", "--policy", pol, "--", "bash", "-c",
                "echo ok > " + ws.path.string() +
                    "/in && echo in-ok;"
                    " echo no > /tmp/out 2>/dev/null || echo out-denied;"
                    " (exec 3<>/dev/tcp/127.0.0.1/9) 2>&1 | grep -q 'Permission denied'"
                    " && echo connect-denied"});
    // bash reports a refused connect on two lines (connect: and the path).
    BOOST_TEST(r.out == "in-ok\nout-denied\nconnect-denied\n", r.describe());
    BOOST_TEST(fs::exists(ws.path / "in"));
}

BOOST_AUTO_TEST_CASE(verbose_reports_landlock_once) {
    const Result r = burrow({"run", "--policy", "minimal", "--verbose", "--set",
                             "landlock.paths=[{path=\"/\", access=[\"ro\"]}]", "--", "true"});
    BOOST_TEST(r.code() == 0, r.describe());
    const auto first = r.err.find("enforced: landlock");
    BOOST_TEST(first != std::string::npos, r.describe());
    BOOST_TEST(r.err.find("enforced: landlock", first + 1) == std::string::npos, r.describe());
}

BOOST_AUTO_TEST_CASE(signal_death_is_128_plus_n) {
    BOOST_TEST(sh_in("minimal", {}, "kill -KILL $$").code() == 137);
}

// Bad input: one line naming the place and the reason, exit 125, the
// payload never started, nothing left in the scratch directory.
BOOST_AUTO_TEST_CASE(bad_input_exit_125_nothing_started) {
    Scratch d;
    const std::string marker = (d.path / "started").string();
    struct Case {
        std::string file, text, err;
    };
    const std::string dir = d.path.string();
    std::vector<Case> cases{
        {"bad.toml", "network = \"none\n", dir + "/bad.toml:1:"},
        {"bad.json", "{\"network\": }", dir + "/bad.json:1:13: unexpected character '}'\n"},
        {"cycle.toml", "extends = \"cycle.toml\"\n",
         dir + "/cycle.toml:1:11: extends: cycle: cycle.toml extends itself\n"},
        {"dots.toml", "[[fs]]\ntype = \"bind\"\nsrc = \"/tmp/../etc\"\ndest = \"/x\"\n",
         dir + "/dots.toml:3:7: fs.src: \"..\" is not allowed in a path: \"/tmp/../etc\"\n"},
        {"nul.toml", "[[fs]]\ntype = \"dir\"\ndest = \"/a\\u0000\"\n",
         dir + "/nul.toml:3:8: fs.dest: path contains a NUL byte\n"},
        {"big.toml", "# " + std::string(10u << 20, 'x') + "\n",
         dir + "/big.toml:1:1: policy is too large (more than 1 MiB)\n"},
        {"key.toml", "[process]\nchdri = \"/\"\n",
         dir + "/key.toml:2:9: unknown key \"process.chdri\" (did you mean \"chdir\"?)\n"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.file) {
            const std::string path = d.write(c.file, c.text);
            const std::string status = dir + "/status.json";
            const Result r =
                burrow({"run", "--policy", path, "--status-file", status, "--", "touch", marker});
            BOOST_TEST(r.code() == 125);
            BOOST_TEST(r.err.starts_with("burrow: " + c.err), r.err);
            BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
            BOOST_TEST(!fs::exists(marker));
            BOOST_TEST(!fs::exists(status));
            const Result check = burrow({"policy", "check", path});
            BOOST_TEST(check.code() == 125);
            BOOST_TEST(check.err == r.err);
            fs::remove(path);
            BOOST_TEST(d.entries().empty());
        }
    }
    const Result r = burrow(
        {"run", "--policy", "minimal", "--bind", "/tmp/../etc", "/x", "--", "touch", marker});
    BOOST_TEST(r.code() == 125);
    BOOST_TEST(r.err == "burrow: --bind /tmp/../etc /x: paths must be absolute, without \"..\"\n");
    BOOST_TEST(!fs::exists(marker));
}

BOOST_AUTO_TEST_CASE(policy_check_lint_and_bwrap_lint) {
    Scratch d;
    const std::string pol =
        d.write("order.toml", "[[fs]]\ntype = \"proc\"\ndest = \"/proc\"\n"
                              "[[fs]]\ntype = \"ro-bind\"\nsrc = \"/\"\ndest = \"/\"\n");
    const Result r = burrow({"policy", "check", pol});
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.err == "burrow: warning: " + pol +
                            ":1:1: --proc /proc is hidden by the later --ro-bind / / "
                            "(move it after that operation) (" +
                            pol + ":4:1)\n");
    const Result l =
        burrow({"bwrap", "--lint", "--proc", "/proc", "--bind", "/", "/", "--", "true"});
    BOOST_TEST(l.code() == 1);
    BOOST_TEST(l.err ==
               "burrow: warning: operation 1: --proc /proc is hidden by the later --bind / / "
               "(move it after that operation)\n");
    BOOST_TEST(burrow({"bwrap", "--lint", "--bind", "/", "/", "--proc", "/proc"}).code() == 0);
    for (const auto& name : {"minimal", "agent", "ci"}) {
        const Result c = burrow({"policy", "check", name, "--set", "project=/srv/p"});
        BOOST_TEST(c.code() == 0, c.describe());
        BOOST_TEST(c.err == "", name);
    }
}
