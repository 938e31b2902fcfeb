// Landlock, rlimits, the wall-clock timeout, cgroup limits and burrow's exit
// codes, observed for real: tests/integration/sandbox_driver builds the
// Sandbox and runs run_sandbox_report(); the payload reports what it sees
// and the host is checked afterwards. Runs as root and as burrowtest.
#define BOOST_TEST_MODULE runtime_limits
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <dirent.h>

#include "runtime/cgroup.hpp"
#include "runtime/landlock.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

using namespace btest;
using nlohmann::json;

namespace {

const std::string all_fs =
    "execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,"
    "make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev";

struct Run {
    Result res;
    json result; // the RunResult (null when the driver wrote none)
    int code() const { return res.code(); }
    bool has(const char* list, const std::string& needle) const {
        for (const auto& s : result[list])
            if (s.get<std::string>().find(needle) != std::string::npos) return true;
        return false;
    }
};

Run drive(const std::vector<std::string>& opts, const std::vector<std::string>& cmd,
          std::vector<FdSpec> fds = {}) {
    TempDir tmp;
    Command c;
    c.argv = {SANDBOX_DRIVER, "--result", tmp / "result.json"};
    c.argv.insert(c.argv.end(), opts.begin(), opts.end());
    c.argv.push_back("--");
    c.argv.insert(c.argv.end(), cmd.begin(), cmd.end());
    c.fds = std::move(fds);
    Run r;
    r.res = run(c);
    const std::string text = read_text(tmp / "result.json");
    if (!text.empty()) r.result = json::parse(text);
    BOOST_TEST_MESSAGE("driver: " << r.res.describe() << " result " << text);
    return r;
}

Run sh(const std::vector<std::string>& opts, const std::string& script) {
    return drive(opts, {"/bin/sh", "-c", script});
}

// burrow-* cgroups next to ours: must be none once a run is over.
std::vector<std::string> burrow_cgroups(const std::string& dir) {
    std::vector<std::string> found;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (std::string(e->d_name).rfind("burrow-", 0) == 0) found.push_back(e->d_name);
        ::closedir(d);
    }
    return found;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// The line of /proc/self/limits for `label` as "soft hard".
std::string limit_line(const std::string& limits, const std::string& label) {
    for (const auto& line : lines_with(limits, label)) {
        std::istringstream in(line.substr(label.size()));
        std::string soft, hard;
        in >> soft >> hard;
        return soft + " " + hard;
    }
    return "(missing)";
}

} // namespace

BOOST_AUTO_TEST_CASE(landlock_denies_writes_outside_the_allowed_tree) {
    TempDir dir;
    ::mkdir((dir / "allowed").c_str(), 0755);
    const Run r =
        sh({"--bind", dir.path(), dir.path(), "--ll-fs", all_fs, "--ll-allow", "/",
            "execute,read_file,read_dir", "--ll-allow", "/dev/null", "read_file,write_file",
            "--ll-allow", dir / "allowed", all_fs},
           "echo in > " + dir / "allowed/file" + "; echo out > " + dir / "file" + "; echo done");
    if (burrow::landlock::kernel_abi() == 0) {
        BOOST_TEST(r.has("unavailable", "landlock: not supported"));
        btest::skip("enforcement: no landlock in this kernel");
        return;
    }
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.res.out == "done\n");
    BOOST_TEST(read_text(dir / "allowed/file") == "in\n");
    BOOST_TEST(!exists(dir / "file"));
    BOOST_TEST(contains(r.res.err, "Permission denied"));
    BOOST_TEST(r.result["landlock_abi"].get<int>() >= 1);
    BOOST_TEST(r.has("enforced", "landlock: ABI"));
}

BOOST_AUTO_TEST_CASE(landlock_rule_paths_missing_files_and_trimmed_rights) {
    if (burrow::landlock::kernel_abi() == 0) {
        btest::skip("no landlock in this kernel");
        return;
    }
    // A missing path: one line naming it, 125, nothing ran.
    const Run missing =
        sh({"--ll-fs", "write_file", "--ll-allow", "/nonexistent/dir", "write_file"}, "echo ran");
    BOOST_TEST(missing.code() == 125);
    BOOST_TEST(missing.res.out == "");
    BOOST_TEST(missing.res.err ==
               "burrow: landlock: can't open /nonexistent/dir: No such file or directory\n");
    // Optional: skipped. Directory-only rights on a file (make_dir on
    // /dev/null) are dropped instead of failing the rule; relative paths
    // are taken from the new root, not the cwd.
    TempDir dir;
    const Run ok =
        sh({"--bind", dir.path(), dir.path(), "--ll-fs", "write_file,make_dir", "--ll-allow-try",
            "/nonexistent/dir", "write_file", "--ll-allow", "dev/null", "write_file,make_dir"},
           "echo x > /dev/null && echo ran; echo y > /dev/full; mkdir " + dir / "x");
    BOOST_TEST(ok.res.out == "ran\n");
    BOOST_TEST(contains(ok.res.err, "/dev/full: Permission denied"));
    BOOST_TEST(contains(ok.res.err,
                        "mkdir: cannot create directory '" + dir / "x" + "': Permission denied"));
    BOOST_TEST(!exists(dir / "x"));
}

BOOST_AUTO_TEST_CASE(landlock_handled_execute_without_a_rule_gives_126) {
    // execute handled, no rule granting it: exec of the payload is refused.
    const Run r = drive({"--ll-fs", "execute"}, {"/bin/true"});
    if (burrow::landlock::kernel_abi() == 0) return;
    BOOST_TEST(r.code() == 126);
    BOOST_TEST(r.result["exec_errno"].get<int>() == EACCES);
}

BOOST_AUTO_TEST_CASE(landlock_tcp_connect_to_a_forbidden_port) {
    // Nothing listens in the fresh network namespace: an allowed port is
    // refused by the network, a forbidden one by landlock.
    const std::vector<std::string> opts = {"--net",     "--ll-net", "connect_tcp",
                                           "--ll-port", "8081",     "connect_tcp"};
    const std::string script = "echo > /dev/tcp/127.0.0.1/8080; echo > /dev/tcp/127.0.0.1/8081";
    const int abi = burrow::landlock::kernel_abi();
    if (abi >= 4) {
        const Run r = drive(opts, {"/bin/bash", "-c", script});
        BOOST_TEST(r.has("enforced", "net=connect_tcp"));
        BOOST_TEST(lines_with(r.res.err, "/bin/bash: connect: Permission denied").size() == 1);
        BOOST_TEST(lines_with(r.res.err, "/bin/bash: connect: Connection refused").size() == 1);
    } else {
        BOOST_TEST_MESSAGE("landlock ABI " << abi << ": TCP rules unavailable, testing that path");
    }
    // The same on a kernel (or with a cap) below ABI 4: best effort runs
    // the payload unrestricted and says so; a requirement fails up front.
    std::vector<std::string> capped = opts;
    capped.insert(capped.end(), {"--ll-max-abi", "3"});
    const Run best = drive(capped, {"/bin/bash", "-c", script});
    BOOST_TEST(best.has("unavailable", "landlock connect_tcp: needs ABI 4"));
    BOOST_TEST(lines_with(best.res.err, "/bin/bash: connect: Connection refused").size() == 2);
    capped.insert(capped.end(), {"--ll-min-abi", "4"});
    const Run required = drive(capped, {"/bin/bash", "-c", "echo ran"});
    BOOST_TEST(required.code() == 125);
    BOOST_TEST(required.res.out == "");
    BOOST_TEST(contains(required.res.err, "burrow: landlock ABI 4 required, but only ABI 3"));
    BOOST_TEST(required.result["setup_failed"].get<bool>());
}

BOOST_AUTO_TEST_CASE(landlock_rights_above_the_abi_are_reported_unavailable) {
    const Run r = drive({"--ll-max-abi", "2", "--ll-fs", "read_file,truncate,ioctl_dev",
                         "--ll-allow", "/", "read_file"},
                        {"/bin/true"});
    if (burrow::landlock::kernel_abi() < 2) return;
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.result["landlock_abi"].get<int>() == 2);
    BOOST_TEST(r.has("enforced", "landlock: ABI 2 fs=read_file"));
    BOOST_TEST(r.has("unavailable", "landlock truncate: needs ABI 3, have 2"));
    BOOST_TEST(r.has("unavailable", "landlock ioctl_dev: needs ABI 5, have 2"));
}

BOOST_AUTO_TEST_CASE(landlock_on_the_json_status_fd_and_in_verbose_mode) {
    const Run with = drive({"--verbose", "--json-status-fd", "5", "--ll-fs", "make_dir",
                            "--ll-max-abi", "3", "--ll-net", "bind_tcp"},
                           {"/bin/true"}, {capture_fd(5)});
    const std::string doc = with.res.captured.at(5);
    BOOST_TEST_INFO(doc);
    BOOST_TEST(contains(doc, "\"landlock-abi\": 3"));
    BOOST_TEST(contains(doc, "\"landlock-fs\": [\"make_dir\"]"));
    BOOST_TEST(contains(doc, "\"landlock-unavailable\": [\"landlock bind_tcp: needs ABI 4"));
    BOOST_TEST(contains(with.res.err, "burrow: enforced: landlock: ABI 3 fs=make_dir"));
    BOOST_TEST(contains(with.res.err, "burrow: unavailable: landlock bind_tcp"));
    // Without landlock the documents are bwrap's, and nothing is printed.
    const Run without = drive({"--json-status-fd", "5"}, {"/bin/true"}, {capture_fd(5)});
    BOOST_TEST(!contains(without.res.captured.at(5), "landlock"));
    BOOST_TEST(contains(without.res.captured.at(5), "{ \"exit-code\": 0 }"));
    BOOST_TEST(without.res.err == "");
}

BOOST_AUTO_TEST_CASE(each_rlimit_is_observed_from_inside) {
    struct L {
        const char* name;
        const char* label;
        const char* soft;
        const char* hard;
    };
    const L limits[] = {
        {"nofile", "Max open files", "64", "65"},
        {"nproc", "Max processes", "4000", "4001"},
        {"as", "Max address space", "2000000000", "2000000001"},
        {"data", "Max data size", "1000000000", "1000000001"},
        {"stack", "Max stack size", "4194304", "4194305"},
        {"cpu", "Max cpu time", "30", "31"},
        {"fsize", "Max file size", "1048576", "1048577"},
        {"core", "Max core file size", "0", "0"},
        {"memlock", "Max locked memory", "65536", "65536"},
    };
    std::vector<std::string> opts;
    for (const auto& l : limits) opts.insert(opts.end(), {"--rlimit", l.name, l.soft, l.hard});
    const Run r = sh(opts, "cat /proc/self/limits");
    BOOST_REQUIRE(r.code() == 0);
    for (const auto& l : limits) {
        BOOST_TEST_INFO(l.name);
        BOOST_TEST(limit_line(r.res.out, l.label) == std::string(l.soft) + " " + l.hard);
        BOOST_TEST(
            r.has("enforced", std::string("rlimit ") + l.name + "=" + l.soft + ":" + l.hard));
    }
}

BOOST_AUTO_TEST_CASE(rlimits_take_effect) {
    // fsize: a write past it raises SIGXFSZ (status 128+25).
    TempDir dir;
    const Run big = sh({"--bind", dir.path(), dir.path(), "--rlimit", "fsize", "4096", "4096"},
                       "exec head -c 8192 /dev/zero > " + dir / "big");
    BOOST_TEST(big.code() == 128 + SIGXFSZ);
    BOOST_TEST(read_text(dir / "big").size() == 4096u);
    // nofile: bash cannot place a file on fd 70 past a limit of 64 (dash
    // would not even parse a two-digit fd), but can without the limit.
    const std::vector<std::string> script = {"/bin/bash", "-c", "exec 70</dev/null && echo opened"};
    const Run limited = drive({"--rlimit", "nofile", "64", "64"}, script);
    BOOST_TEST(limited.res.out == "");
    BOOST_TEST(limited.code() == 1);
    BOOST_TEST(contains(limited.res.err, "70: Bad file descriptor"));
    BOOST_TEST(drive({}, script).res.out == "opened\n");
}

BOOST_AUTO_TEST_CASE(a_bad_rlimit_is_a_setup_failure_naming_it) {
    const Run r = sh({"--rlimit", "nofile", "100", "50"}, "echo ran");
    BOOST_TEST(r.code() == 125);
    BOOST_TEST(r.res.out == "");
    BOOST_TEST(r.res.err == "burrow: rlimit nofile=100:50: soft limit above hard limit\n");
    if (::getuid() != 0) {
        // Raising a hard limit needs CAP_SYS_RESOURCE in the initial namespace.
        const Run up =
            sh({"--rlimit", "core", "0", "unlimited", "--rlimit", "nofile", "10", "100000000"},
               "echo ran");
        BOOST_TEST(up.code() == 125);
        BOOST_TEST(up.res.out == "");
        BOOST_TEST(contains(up.res.err, "burrow: setrlimit nofile=10:100000000: "));
    }
}

BOOST_AUTO_TEST_CASE(timeout_kills_a_tree_that_ignores_the_grace_signal) {
    const std::string marker = "8" + std::to_string(::getpid()) + "1";
    const Run r = sh({"--leftovers", marker, "--timeout", "400", "--grace", "300"},
                     "trap '' TERM; (trap '' TERM; exec sleep " + marker + "1) & sleep " + marker +
                         "2; echo not-reached");
    BOOST_TEST(r.code() == 124);
    BOOST_TEST(r.res.out == "");
    BOOST_TEST(r.result["timed_out"].get<bool>());
    // Gone when run_sandbox returns, not eventually (counted by the driver
    // right then: the harness later kills the process group, which would
    // hide a survivor).
    BOOST_TEST(r.result["leftovers"].get<int>() == 0);
    BOOST_TEST(processes_with(marker).empty());
    const auto wall = r.result["wall_ms"].get<uint64_t>();
    BOOST_TEST(wall >= 700u);
    BOOST_TEST(wall < 3000u);
    for (pid_t p : processes_with(marker)) ::kill(p, SIGKILL);
}

BOOST_AUTO_TEST_CASE(timeout_grace_signal_reaches_every_process) {
    // Both the payload and its child end on the grace signal: no SIGKILL
    // needed, well before the (long) grace period is over.
    const Run r = sh({"--timeout", "300", "--grace", "20000"},
                     "(trap 'echo child-term; exit 0' TERM; while :; do sleep 0.05; done) & "
                     "trap 'echo payload-term; wait; exit 0' TERM; while :; do sleep 0.05; done");
    BOOST_TEST(r.code() == 124);
    BOOST_TEST(contains(r.res.out, "child-term\n"));
    BOOST_TEST(contains(r.res.out, "payload-term\n"));
    BOOST_TEST(r.result["wall_ms"].get<uint64_t>() < 5000u);
}

BOOST_AUTO_TEST_CASE(timeout_with_the_payload_as_pid_1) {
    const Run r = drive({"--verbose", "--timeout", "200", "--grace", "200", "--pid", "--as-pid-1"},
                        {"/bin/sleep", "30"});
    BOOST_TEST(r.code() == 124);
    BOOST_TEST(contains(r.res.err, "burrow: enforced: timeout 200 ms"));
    BOOST_TEST(contains(r.res.err, "burrow: timed out: sandbox killed after "));
    BOOST_TEST(r.result["wall_ms"].get<uint64_t>() < 3000u);
}

BOOST_AUTO_TEST_CASE(a_payload_that_ends_in_time_keeps_its_status) {
    // ... and what it started in the background does not outlive it.
    const std::string marker = "9" + std::to_string(::getpid()) + "7";
    const Run r =
        sh({"--leftovers", marker, "--timeout", "10000"}, "sleep " + marker + " & exit 3");
    BOOST_TEST(r.code() == 3);
    BOOST_TEST(!r.result["timed_out"].get<bool>());
    BOOST_TEST(r.result["exit_code"].get<int>() == 3);
    BOOST_TEST(r.result["wall_ms"].get<uint64_t>() < 5000u);
    BOOST_TEST(r.result["leftovers"].get<int>() == 0);
    for (pid_t p : processes_with(marker)) ::kill(p, SIGKILL);
}

BOOST_AUTO_TEST_CASE(exit_codes_of_burrow_subcommands) {
    TempDir dir;
    write_file(dir / "not-executable", "#!/bin/sh\necho hi\n", 0644);
    const Run missing = drive({}, {"/nonexistent/command"});
    BOOST_TEST(missing.code() == 127);
    BOOST_TEST(missing.result["exec_errno"].get<int>() == ENOENT);
    BOOST_TEST(missing.res.err ==
               "burrow: execvp /nonexistent/command: No such file or directory\n");
    const Run not_in_path = drive({}, {"no-such-command-anywhere"});
    BOOST_TEST(not_in_path.code() == 127);
    const Run noexec = drive({}, {dir / "not-executable"});
    BOOST_TEST(noexec.code() == 126);
    BOOST_TEST(noexec.result["exec_errno"].get<int>() == EACCES);
    const Run a_dir = drive({}, {dir.path()});
    BOOST_TEST(a_dir.code() == 126);
    for (bool pid_ns : {false, true}) {
        std::vector<std::string> opts;
        if (pid_ns) opts.push_back("--pid");
        BOOST_TEST_INFO("pid_ns " << pid_ns);
        const Run sig = sh(opts, "kill -USR1 $$");
        BOOST_TEST(sig.code() == 128 + SIGUSR1);
        BOOST_TEST(sig.result["signal"].get<int>() == SIGUSR1);
        BOOST_TEST(sig.result["exit_code"].is_null());
        const Run code = sh(opts, "exit 42");
        BOOST_TEST(code.code() == 42);
        BOOST_TEST(code.result["exit_code"].get<int>() == 42);
    }
    const Run setup = sh({"--bind", "/nonexistent/source", "/mnt"}, "echo ran");
    BOOST_TEST(setup.code() == 125);
    BOOST_TEST(setup.res.out == "");
    BOOST_TEST(setup.result["setup_failed"].get<bool>());
    // bwrap mode keeps bwrap's 1 for all of these.
    BOOST_TEST(drive({"--bwrap-codes"}, {"/nonexistent/command"}).code() == 1);
    BOOST_TEST(drive({"--bwrap-codes"}, {dir / "not-executable"}).code() == 1);
}

BOOST_AUTO_TEST_CASE(exit_status_survives_a_seccomp_filter_that_refuses_write) {
    // The "exec starts" report goes out before seccomp, so a filter that
    // denies write() cannot turn the payload's own status into a setup
    // failure; a filter the kernel refuses is one (125, nothing ran).
    for (bool pid_ns : {false, true}) {
        std::vector<std::string> opts = {"--seccomp-deny-write"};
        if (pid_ns) opts.push_back("--pid");
        BOOST_TEST_INFO("pid_ns " << pid_ns);
        const Run r = drive(opts, {"/bin/sh", "-c", "echo lost; exit 3"});
        BOOST_TEST(r.code() == 3);
        BOOST_TEST(r.res.out == "");
        BOOST_TEST(!r.result["setup_failed"].get<bool>());
    }
    const Run bad = drive({"--seccomp-invalid", "--json-status-fd", "5"},
                          {"/bin/sh", "-c", "echo ran"}, {capture_fd(5)});
    BOOST_TEST(bad.code() == 125);
    BOOST_TEST(bad.res.out == "");
    BOOST_TEST(bad.result["setup_failed"].get<bool>());
    BOOST_TEST(!contains(bad.res.captured.at(5), "exit-code"));
}

BOOST_AUTO_TEST_CASE(run_result_reports_peak_rss_and_wall_time) {
    // A 30 MB shell variable: the shell's RSS passes 30 MB. Through pid 1's
    // report (--pid) and through the monitor's own wait (no pid namespace).
    for (bool pid_ns : {false, true}) {
        std::vector<std::string> opts;
        if (pid_ns) opts.push_back("--pid");
        BOOST_TEST_INFO("pid_ns " << pid_ns);
        const Run r =
            sh(opts, "x=$(head -c 30000000 /dev/zero | tr '\\0' a); echo ${#x}; sleep 0.2");
        BOOST_TEST(r.code() == 0);
        BOOST_TEST(r.res.out == "30000000\n");
        BOOST_TEST(r.result["peak_rss_kib"].get<uint64_t>() > 29000u);
        BOOST_TEST(r.result["peak_rss_kib"].get<uint64_t>() < 1000000u);
        BOOST_TEST(r.result["wall_ms"].get<uint64_t>() >= 200u);
        BOOST_TEST(r.result["child_pid"].get<int>() > 0);
    }
}

BOOST_AUTO_TEST_CASE(cgroup_v2_location_of_the_caller) {
    // Where a v2 hierarchy exists, burrow finds our cgroup's directory in it.
    const std::string self = read_text("/proc/self/cgroup");
    const auto loc = burrow::cgroup::locate_own();
    if (lines_with(self, "0::").empty()) {
        BOOST_TEST(loc.error == "no cgroup v2 hierarchy (cgroup v1 only)");
        return;
    }
    BOOST_TEST_MESSAGE("own cgroup v2 directory: " << loc.dir << loc.error);
    BOOST_TEST(loc.error == "");
    BOOST_TEST(exists(loc.dir + "/cgroup.controllers"));
    BOOST_TEST(exists(loc.dir + "/cgroup.procs"));
}

BOOST_AUTO_TEST_CASE(cgroup_limits_unavailable_or_required) {
    TempDir dir;
    const std::string cg_dir = burrow::cgroup::locate_own().dir;
    // Best effort: the payload runs; what could not be applied is listed.
    const Run best = sh({"--bind", dir.path(), dir.path(), "--memory-max", "268435456",
                         "--pids-max", "64", "--cpu-max", "50000 100000"},
                        "echo ran > " + dir / "ran");
    BOOST_TEST(best.code() == 0);
    BOOST_TEST(exists(dir / "ran"));
    for (const char* file : {"memory.max", "pids.max", "cpu.max"}) {
        BOOST_TEST_INFO(file);
        BOOST_TEST((best.has("enforced", std::string("cgroup ") + file + "=") !=
                    best.has("unavailable", std::string("cgroup ") + file + ": ")));
    }
    if (!best.result["unavailable"].empty()) {
        // Required: nothing starts, one clear line, exit 125.
        const Run req = sh({"--bind", dir.path(), dir.path(), "--memory-max", "268435456",
                            "--pids-max", "64", "--cpu-max", "50000 100000", "--cgroup-required"},
                           "echo ran > " + dir / "ran-required");
        BOOST_TEST(req.code() == 125);
        BOOST_TEST(!exists(dir / "ran-required"));
        BOOST_TEST(req.res.out == "");
        BOOST_TEST(
            lines_with(req.res.err, "burrow: required cgroup limits unavailable: cgroup ").size() ==
            1);
        BOOST_TEST(req.result["setup_failed"].get<bool>());
        BOOST_TEST(req.result["unavailable"] == best.result["unavailable"]);
    }
    if (!cg_dir.empty()) BOOST_TEST(burrow_cgroups(cg_dir).empty());
}

BOOST_AUTO_TEST_CASE(cgroup_pids_max_is_enforced_when_delegated) {
    const Run probe = sh({"--pids-max", "8"}, "true");
    if (!probe.has("enforced", "cgroup pids.max=8")) {
        btest::skip("no usable cgroup v2 pids controller here: " +
                    probe.result["unavailable"].dump());
        return;
    }
    const Run r = sh({"--pids-max", "8", "--cgroup-required"},
                     "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done 2>/dev/null; "
                     "echo started");
    BOOST_TEST((contains(r.res.err, "fork") || contains(r.res.err, "Resource")));
    // Removed afterwards: no burrow-* cgroup left next to ours.
    const std::string path = probe.result["enforced"][0].get<std::string>();
    const auto open = path.find('(');
    BOOST_TEST(!exists(path.substr(open + 1, path.size() - open - 2)));
}
