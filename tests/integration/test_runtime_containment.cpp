// Containment beyond bwrap, checked with the real burrow binary in bwrap
// mode:
//  - bubblewrap issue 725: after --clearenv/--unsetenv and --setenv, pid 1
//    (and the monitor) must not show the caller's environment or the
//    command line (which carries --setenv values) in /proc/PID/{environ,
//    cmdline};
//  - runc CVE-2019-5736 class: no writable handle to the burrow binary
//    through /proc/PID/exe of pid 1 or of the monitor, unprivileged, as root
//    with a user namespace, and as root without one once capabilities are
//    dropped. (Root that keeps CAP_SYS_PTRACE without a user namespace is
//    host root: out of reach by design, documented in burrow-bwrap(1).)
#define BOOST_TEST_MODULE runtime_containment
#include <boost/test/unit_test.hpp>

#include "tests/integration/runtime_test_support.hpp"
#include "tests/support/run_command.hpp"

using namespace rtest;

namespace {

// A root made of the host's system directories (enough for sh, tr and
// python3), so --proc mounts on an empty directory.
const std::vector<std::string> system_root = {"--ro-bind", "/usr",      "/usr",      "--ro-bind",
                                              "/lib",      "/lib",      "--ro-bind", "/lib64",
                                              "/lib64",    "--ro-bind", "/bin",      "/bin"};

std::vector<std::string> with_root(std::vector<std::string> rest) {
    std::vector<std::string> args = system_root;
    args.insert(args.end(), rest.begin(), rest.end());
    return args;
}

const char* secret_env = "BURROW_TEST_SECRET_ENV=hunter2-env";
const char* secret_arg = "tok-s3cr3t-arg";

// Runs the burrow binary (as "bwrap") with a chosen environment
// (tests/support/run_command).
Result run_bwrap(const std::vector<std::string>& args, const std::vector<std::string>& env,
                 const char* binary = BURROW_BIN) {
    btest::Command c;
    c.path = binary;
    c.argv = {"bwrap"};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.env = env;
    c.timeout = std::chrono::minutes(4); // a hang is CTest's to report
    const btest::Result res = btest::run(c);
    return Result{res.code(), res.out, res.err};
}

std::vector<std::string> caller_env() {
    return {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", secret_env};
}

// Prints what /proc/<target>/{environ,cmdline} reveal (NULs as spaces;
// unreadable files print nothing).
std::string reveal(const std::string& target) {
    return "for f in environ cmdline; do tr '\\0' ' ' < /proc/" + target + "/$f; echo; done";
}

const char* exe_probe = R"(
import os, sys
for target in sys.argv[1:]:
    for how in ("wronly", "path-reopen", "rdonly"):
        try:
            if how == "wronly":
                fd = os.open(target, os.O_WRONLY)
            elif how == "rdonly":
                fd = os.open(target, os.O_RDONLY)
            else:
                p = os.open(target, os.O_PATH)
                fd = os.open("/proc/self/fd/%d" % p, os.O_WRONLY)
            print(target, how, "OPENED")
        except OSError as e:
            print(target, how, "errno", e.errno)
)";

// Never a writable handle. Where a write could succeed at all (root caller,
// or a binary the caller can write), not even a read-only one: monitor and
// pid 1 are not dumpable there. An unprivileged caller's payload may read a
// binary it cannot write (bwrap's behaviour; keeps nsenter -t working).
void check_exe_probe(const std::string& out) {
    BOOST_TEST(out.find("wronly errno") != std::string::npos, out);
    BOOST_TEST(out.find("path-reopen errno") != std::string::npos, out);
    BOOST_TEST(out.find("wronly OPENED") == std::string::npos, out);
    BOOST_TEST(out.find("path-reopen OPENED") == std::string::npos, out);
    if (is_root() || ::access(BURROW_BIN, W_OK) == 0)
        BOOST_TEST(out.find("rdonly OPENED") == std::string::npos, out);
}

} // namespace

BOOST_AUTO_TEST_CASE(pid1_shows_neither_caller_env_nor_setenv_values) {
    for (bool as_root_caps : {false, true}) {
        if (as_root_caps && !is_root()) continue;
        // As root without a user namespace the payload keeps CAP_SYS_PTRACE
        // and can read pid 1's environ: the scrub itself is what hides it.
        std::vector<std::string> args = with_root(
            {"--unshare-pid", "--proc", "/proc", "--clearenv", "--setenv", "TOKEN", secret_arg});
        if (!as_root_caps && is_root()) args.push_back("--unshare-user");
        args.insert(args.end(), {"sh", "-c", reveal("1")});
        Result r = run_bwrap(args, caller_env());
        BOOST_TEST_INFO("root caps " << as_root_caps << " err " << r.err << " out " << r.out);
        BOOST_TEST(r.status == 0);
        BOOST_TEST(r.out.find("hunter2") == std::string::npos, r.out);
        BOOST_TEST(r.out.find(secret_arg) == std::string::npos, r.out);
        // ps still names pid 1.
        BOOST_TEST(r.out.find("bwrap") != std::string::npos, r.out);
    }
}

BOOST_AUTO_TEST_CASE(monitor_shows_neither_caller_env_nor_setenv_values) {
    // No pid namespace: the payload's parent is the monitor, visible in the
    // host /proc the sandbox shares.
    Result r = run_bwrap({"--ro-bind", "/", "/", "--clearenv", "--setenv", "TOKEN", secret_arg,
                          "sh", "-c", reveal("$PPID")},
                         caller_env());
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.find("hunter2") == std::string::npos, r.out);
    BOOST_TEST(r.out.find(secret_arg) == std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(the_check_can_fail_bwrap_leaks_its_command_line) {
    // Debian's bwrap shows the --setenv value in pid 1's cmdline: the probe
    // above does find secrets where they are exposed.
    std::vector<std::string> args = with_root({"--unshare-pid", "--proc", "/proc", "--setenv",
                                               "TOKEN", secret_arg, "sh", "-c", reveal("1")});
    Result r = run_bwrap(args, caller_env(), "/usr/bin/bwrap");
    BOOST_TEST(r.out.find(secret_arg) != std::string::npos, r.out << r.err);
}

BOOST_AUTO_TEST_CASE(no_writable_handle_to_burrow_through_proc_exe) {
    // (name, extra options): every variant must refuse all three opens of
    // pid 1's and the monitor's exe.
    std::vector<std::pair<std::string, std::vector<std::string>>> variants = {
        {"userns", {"--unshare-user"}}};
    if (is_root())
        variants.push_back({"root-no-userns-caps-dropped", {"--cap-drop", "ALL"}});
    else
        variants.push_back({"default", {}}); // unprivileged: implied user namespace
    for (const auto& [name, extra] : variants) {
        // pid 1 (pid namespace, fresh /proc)
        std::vector<std::string> args = with_root({"--unshare-pid", "--proc", "/proc"});
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {"/usr/bin/python3", "-c", exe_probe, "/proc/1/exe"});
        Result r = run_bwrap(args, caller_env());
        BOOST_TEST_INFO(name << " pid1 err " << r.err);
        BOOST_TEST(r.status == 0);
        check_exe_probe(r.out);

        // the monitor (shared pid namespace: it is the payload's parent)
        args = {"--ro-bind", "/", "/"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(),
                    {"sh", "-c",
                     std::string("exec /usr/bin/python3 -c '") + exe_probe + "' /proc/$PPID/exe"});
        r = run_bwrap(args, caller_env());
        BOOST_TEST_INFO(name << " monitor err " << r.err);
        BOOST_TEST(r.status == 0);
        check_exe_probe(r.out);
    }
}

BOOST_AUTO_TEST_CASE(the_exe_check_can_fail_bwrap_pid1_is_reachable) {
    // Debian's bwrap leaves pid 1 dumpable: its exe opens read-only.
    std::string cmd = std::string("/usr/bin/bwrap --ro-bind /usr /usr --ro-bind /lib /lib "
                                  "--ro-bind /lib64 /lib64 --unshare-pid --proc /proc ") +
                      (is_root() ? "--unshare-user " : "") + "/usr/bin/python3 -c '" + exe_probe +
                      "' /proc/1/exe";
    BOOST_TEST(host(cmd).find("rdonly OPENED") != std::string::npos);
}
