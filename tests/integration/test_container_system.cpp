// The container backend booting a system's own init (--system DIR): Debian's
// systemd, installed here, as the init of a system directory made by the
// test (DIR/init -> /lib/systemd/systemd, a minimal DIR/etc with a plain
// service of a test "extra module" enabled for multi-user.target).
// Two boots, as root: through container_driver (the command's output and
// exit status, pid 1 is systemd, the test unit runs, no capabilities,
// exactly the allowlisted environment, SIGTERM to burrow reaches the
// command) and through `burrow launch` (ps, enter, stop); nothing is left
// afterwards (no nspawn, no per-launch directory, no mount). A third where
// Nix is installed: a NixOS-shaped toplevel (empty /etc, its closure). As
// anyone: bad --system input is one line, 125, nothing made.
#define BOOST_TEST_MODULE container_system
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/launch_test_support.hpp"
#include "tests/support/run_command.hpp"

using namespace btest;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

const char* kBase = "/run/burrow/container";
constexpr uid_t kUid = 1001; // burrowtest on CI; only a number here

bool bootable() {
    return ::geteuid() == 0 && ::access("/usr/bin/systemd-nspawn", X_OK) == 0 &&
           ::access("/lib/systemd/systemd", X_OK) == 0;
}

std::set<std::string> instances() {
    std::set<std::string> out;
    if (DIR* d = ::opendir(kBase)) {
        while (auto* e = ::readdir(d))
            if (e->d_name[0] != '.') out.insert(e->d_name);
        ::closedir(d);
    }
    return out;
}

// DIR shaped like a system: init, a minimal etc, and the test unit.
struct System {
    TempDir tmp;
    std::string dir = tmp / "system";
    System() {
        ::chmod(tmp.path().c_str(), 0755);
        fs::create_directories(dir + "/etc/systemd/system/multi-user.target.wants");
        fs::create_symlink("/lib/systemd/systemd", dir + "/init");
        for (const char* f : {"passwd", "group", "os-release", "nsswitch.conf", "hosts"})
            if (::access((std::string("/etc/") + f).c_str(), R_OK) == 0)
                fs::copy_file(fs::canonical(std::string("/etc/") + f), dir + "/etc/" + f);
        // Empty: systemd makes a transient one from the container's UUID.
        write_file(dir + "/etc/machine-id", "", 0444);
        write_file(dir + "/etc/systemd/system/burrow-test-hello.service",
                   "[Unit]\nDescription=a unit of the test's extra module\n"
                   "[Service]\nExecStart=/bin/sleep infinity\n"
                   "[Install]\nWantedBy=multi-user.target\n",
                   0644);
        fs::create_symlink("../burrow-test-hello.service",
                           dir + "/etc/systemd/system/multi-user.target.wants/"
                                 "burrow-test-hello.service");
    }
};

Command driver(std::vector<std::string> args) {
    Command c;
    c.argv = {CONTAINER_DRIVER};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.timeout = std::chrono::milliseconds(90000);
    return c;
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (::access(path.c_str(), F_OK) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// Nothing of a boot left: no process with the command's marker, no nspawn
// (its argv names the system dir) nor the container's systemd, no
// per-launch directory, no mount of either on the host.
void check_nothing_left(const std::string& marker, const std::string& system_dir,
                        const std::set<std::string>& before) {
    for (const std::string& m : {marker, system_dir, std::string("/run/.burrow-system/init")})
        BOOST_TEST(wait_gone(m, std::chrono::milliseconds(5000)), "still running: " << m);
    BOOST_TEST(instances() == before);
    const std::string mounts = host_mount_table();
    BOOST_TEST(!contains(mounts, kBase), mounts);
    BOOST_TEST(!contains(mounts, system_dir), mounts);
}

} // namespace

BOOST_AUTO_TEST_SUITE(as_root, *utf::precondition([](utf::test_unit_id) { return bootable(); }))

BOOST_AUTO_TEST_CASE(boots_systemd_runs_the_command_sigterm_status) {
    System sys;
    TempDir proj;
    ::chmod(proj.path().c_str(), 0777);
    const auto before = instances();
    // The test unit starts in parallel with the command: polled, bounded.
    const std::string script =
        "cat /proc/1/comm; id -u; "
        "i=0; while [ \"$(systemctl is-active burrow-test-hello.service)\" != active ] && "
        "[ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
        "systemctl is-active burrow-test-hello.service; "
        "grep -E '^(Cap(Eff|Prm|Bnd)|NoNewPrivs):' /proc/self/status; "
        "tr '\\0' '\\n' < /proc/$$/environ; "
        "trap 'echo got-term; exit 3' TERM; touch " +
        proj.path() + "/up; while :; do sleep 9.8765 & wait; done";
    Running run(driver({"--project", proj.path(), "--uid", std::to_string(kUid), "--gid",
                        std::to_string(kUid), "--env", "TERM=dumb", "--env", "GH_TOKEN=t0k3n",
                        "--system", sys.dir, "--", "sh", "-c", script}));
    BOOST_REQUIRE(wait_for_file(proj.path() + "/up", std::chrono::milliseconds(30000)));
    ::kill(run.pid(), SIGTERM);
    Result r = run.finish();
    BOOST_TEST(r.code() == 3, r.describe());
    BOOST_TEST(r.out == "systemd\n1001\nactive\n"
                        "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                        "CapBnd:\t0000000000000000\nNoNewPrivs:\t1\n"
                        // Exactly the allowlist: nothing of systemd's.
                        "TERM=dumb\nGH_TOKEN=t0k3n\nBURROW_SANDBOX=1\nBURROW_BACKEND=container\n"
                        "got-term\n",
               r.describe());
    check_nothing_left("9.8765", sys.dir, before);
}

BOOST_AUTO_TEST_CASE(ps_enter_stop_through_burrow_launch) {
    System sys;
    ltest::Host h;
    const auto before = instances();
    Command c = h.command({"launch", "--backend", "container", "--system", sys.dir, h.project, "--",
                           "sh", "-c",
                           "trap 'echo stopped; exit 0' TERM; touch " + h.project +
                               "/up; while :; do sleep 8.7654 & wait; done"});
    Running first(c);
    BOOST_REQUIRE(wait_for_file(h.project + "/up", std::chrono::milliseconds(30000)));
    Result p = h.run({"ps"});
    BOOST_TEST(p.code() == 0, p.describe());
    BOOST_TEST(contains(p.out, h.project), p.out);
    BOOST_TEST(contains(p.out, "container"), p.out);
    Result e = h.run({"enter", h.project}, "cat /proc/1/comm; exit 4\n");
    BOOST_TEST(e.code() == 4, e.describe());
    BOOST_TEST(e.out == "systemd\n", e.describe());
    Result s = h.run({"stop", h.project});
    BOOST_TEST(s.code() == 0, s.describe());
    Result r = first.finish();
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "stopped\n", r.describe());
    check_nothing_left("8.7654", sys.dir, before);
}

// A NixOS-shaped toplevel in the Nix store (built here with the real Nix,
// offline, no nixpkgs): DIR/activate marks it, so /etc is an empty writable
// tmpfs that its activation fills (as NixOS's stage 2 does), /nix/store
// holds its closure only, and its init (a script that activates, then execs
// Debian's systemd) is started by its store path.
BOOST_AUTO_TEST_CASE(nixos_toplevel_activates_an_empty_etc,
                     *utf::precondition([](utf::test_unit_id) {
                         return ::access("/usr/bin/nix-build", X_OK) == 0;
                     })) {
    TempDir t;
    write_file(t / "fake-nixos.nix", R"(derivation {
  name = "burrow-test-fake-nixos-system";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" ''
    set -e
    /bin/mkdir -p $out/etc/systemd/system/multi-user.target.wants
    for f in passwd group nsswitch.conf; do /bin/cp -L /etc/$f $out/etc/; done
    /bin/cp -L /etc/os-release $out/etc/os-release
    printf '[Service]
ExecStart=/bin/sleep infinity
' > $out/etc/systemd/system/burrow-test-hello.service
    /bin/ln -s ../burrow-test-hello.service $out/etc/systemd/system/multi-user.target.wants/
    printf '#!/bin/sh
/bin/cp -a %s/etc/. /etc/
: > /etc/machine-id
echo activated > /etc/activated
' $out > $out/activate
    printf '#!/bin/sh
%s/activate
exec /lib/systemd/systemd "$@"
' $out > $out/init
    /bin/chmod 555 $out/init $out/activate
    echo test > $out/nixos-version
  '' ];
})");
    Command b;
    b.argv = {"/usr/bin/nix-build",
              "--option",
              "sandbox",
              "false",
              "--option",
              "substituters",
              "",
              "--option",
              "build-users-group",
              "",
              "--no-out-link",
              t / "fake-nixos.nix"};
    b.timeout = std::chrono::milliseconds(60000);
    Result built = run(b);
    BOOST_TEST_REQUIRE(built.code() == 0, built.describe());
    const std::string top = built.out.substr(0, built.out.find('\n'));
    BOOST_TEST_REQUIRE(top.rfind("/nix/store/", 0) == 0, built.describe());
    const auto before = instances();
    Result r = run(
        driver({"--uid", std::to_string(kUid), "--gid", std::to_string(kUid), "--system", top, "--",
                "sh", "-c",
                "cat /proc/1/comm /etc/activated; ls /nix/store; "
                "i=0; while [ \"$(systemctl is-active burrow-test-hello.service)\" != active ] && "
                "[ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
                "systemctl is-active burrow-test-hello.service; exit 7"}));
    BOOST_TEST(r.code() == 7, r.describe());
    BOOST_TEST(r.out == "systemd\nactivated\n" + top.substr(11) + "\nactive\n", r.describe());
    check_nothing_left("/run/.burrow-system/init", top, before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(bad_system_dir_one_line_nothing_made) {
    // Checked before anything else (before the root check too).
    TempDir t;
    const std::string file = t / "file", noinit = t / "noinit", noexec = t / "noexec";
    write_file(file, "x", 0644);
    fs::create_directories(noinit);
    fs::create_directories(noexec);
    write_file(noexec + "/init", "#!/bin/sh\n", 0644);
    const std::string missing = t / "missing";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {missing, "No such file or directory"},
        {file, "not a directory"},
        {noinit, "no init (" + noinit + "/init: No such file or directory)"},
        {noexec, noexec + "/init is not an executable file"},
    };
    const auto before = instances();
    for (const auto& [dir, why] : cases) {
        Result r = run(driver({"--system", dir, "--", "true"}));
        BOOST_TEST(r.code() == 125, r.describe());
        BOOST_TEST(r.err == "burrow: launch: --system " + dir + ": " + why + "\n", r.describe());
        BOOST_TEST(r.out.empty());
    }
    BOOST_TEST(instances() == before);
}
