// The container launch module with the real systemd-nspawn, through
// container_driver (a ProjectSandbox built from flags, launch_container()).
// As root: exit status (0/1/42, a signal as 128+N), streaming and stdin,
// exactly the allowlisted environment, the payload as the sandbox's uid/gid
// (burrowtest: "the caller" of a launch through sudo) with no_new_privs,
// project dir writable, ro binds read-only, the tmpfs home with nested
// binds writable by the user, copy-seeding that never reaches the host,
// nothing of the host outside the shares, --no-network, hostname, a hostile
// project path, SIGTERM/SIGINT forwarded, SIGKILL of burrow (the reaper),
// leftovers of a dead launch removed by the next, missing nspawn. As
// burrowtest (.user): the one-line "needs root" refusal, exit 125.
#define BOOST_TEST_MODULE container
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/run_command.hpp"

using namespace btest;
namespace utf = boost::unit_test;

namespace {

const char* kBase = "/run/burrow/container";
constexpr uid_t kUid = 1001; // burrowtest on CI (useradd); only a number here

bool root() {
    return ::geteuid() == 0;
}
bool nspawn_usable() {
    return root() && (::access("/usr/bin/systemd-nspawn", X_OK) == 0 ||
                      ::access("/bin/systemd-nspawn", X_OK) == 0);
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

Command driver(std::vector<std::string> args) {
    Command c;
    c.argv = {CONTAINER_DRIVER};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.timeout = std::chrono::milliseconds(60000);
    return c;
}

Result launch(std::vector<std::string> args, const std::string& in = "") {
    Command c = driver(std::move(args));
    c.stdin_data = in;
    return run(c);
}

Result sh(const std::string& script, std::vector<std::string> opts = {}) {
    opts.insert(opts.end(), {"--", "sh", "-c", script});
    return launch(opts);
}

// A directory the payload may write: owned by the uid it runs as (root
// without capabilities cannot write another user's directory).
struct Project {
    TempDir tmp;
    std::string dir;
    explicit Project(uid_t owner = 0, const std::string& name = "proj") : dir(tmp / name) {
        BOOST_REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
        BOOST_REQUIRE(::chown(dir.c_str(), owner, owner) == 0);
        ::chmod(tmp.path().c_str(), 0755);
    }
};

bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (::access(path.c_str(), F_OK) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// No process of this container left (marker: an argument only it has).
void check_gone(const std::string& marker) {
    BOOST_TEST(wait_gone(marker, std::chrono::milliseconds(5000)), "still running: " << marker);
}

struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(fd, 4) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Listener() { ::close(fd); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(as_root,
                      *utf::precondition([](utf::test_unit_id) { return nspawn_usable(); }))

BOOST_AUTO_TEST_CASE(exit_status_and_streams) {
    for (int code : {0, 1, 42}) {
        Result r = sh("exit " + std::to_string(code));
        BOOST_TEST(r.code() == code, r.describe());
    }
    Result s = sh("kill -TERM $$");
    BOOST_TEST(s.code() == 128 + SIGTERM, s.describe());
    Result k = sh("kill -KILL $$");
    BOOST_TEST(k.code() == 128 + SIGKILL, k.describe());
    Result io =
        launch({"--", "sh", "-c", "echo to-out; echo to-err >&2; tr a-z A-Z"}, "piped through\n");
    BOOST_TEST(io.code() == 0, io.describe());
    BOOST_TEST(io.out == "to-out\nPIPED THROUGH\n");
    BOOST_TEST(io.err == "to-err\n");
    Result nf = launch({"--", "/no/such/command"});
    BOOST_TEST(nf.code() == 127, nf.describe());
    BOOST_TEST(nf.err.find("burrow: launch: /no/such/command: No such file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(environment_is_exactly_the_allowlist) {
    Result r = launch({"--env", "TERM=dumb", "--env", "GH_TOKEN=t0k3n", "--", "/usr/bin/env"});
    BOOST_TEST(r.code() == 0, r.describe());
    // Nothing of nspawn's (container=, container_uuid=, NOTIFY_SOCKET=,
    // HOME=/root, PATH=...) nor of the test's environment.
    BOOST_TEST(r.out == "TERM=dumb\nGH_TOKEN=t0k3n\nBURROW_SANDBOX=1\nBURROW_BACKEND=container\n");
}

BOOST_AUTO_TEST_CASE(secrets_not_in_nspawn_argv) {
    Project p;
    Command c = driver({"--project", p.dir, "--env", "GH_TOKEN=s3cr3t-argv", "--", "sh", "-c",
                        "touch " + p.dir + "/up; sleep 5.4321"});
    Running run(c);
    BOOST_REQUIRE(wait_for_file(p.dir + "/up", std::chrono::milliseconds(20000)));
    for (pid_t pid : processes_with("--as-pid2"))
        BOOST_TEST(read_text("/proc/" + std::to_string(pid) + "/cmdline").find("s3cr3t") ==
                   std::string::npos);
    ::kill(run.pid(), SIGTERM);
    Result r = run.finish();
    BOOST_TEST(r.code() == 128 + SIGTERM, r.describe());
}

BOOST_AUTO_TEST_CASE(runs_as_the_sandbox_user) {
    Project p(kUid);
    Result r =
        sh("id -u; id -g; id -G; grep NoNewPrivs /proc/self/status; "
           "grep CapEff /proc/self/status; touch " +
               p.dir + "/made",
           {"--project", p.dir, "--uid", std::to_string(kUid), "--gid", std::to_string(kUid)});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "1001\n1001\n1001\nNoNewPrivs:\t1\nCapEff:\t0000000000000000\n");
    struct stat st {};
    BOOST_TEST(::stat((p.dir + "/made").c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == kUid);
}

BOOST_AUTO_TEST_CASE(root_caller_has_no_capabilities) {
    // uid 0 inside is the host's root (no user namespace): without
    // capabilities it cannot remount the host's /usr writable.
    Result r = sh("id -u; grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status; "
                  "if mount -o remount,rw /usr 2>/dev/null; then echo REMOUNTED; fi; "
                  "if touch /usr/burrow-container-test 2>/dev/null; then echo WROTE; fi",
                  {"--uid", "0", "--gid", "0"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "0\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                        "CapBnd:\t0000000000000000\n",
               r.describe());
    BOOST_TEST(::access("/usr/burrow-container-test", F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(home_shares_and_copy_seeding) {
    Project p(kUid);
    TempDir host;
    ::chmod(host.path().c_str(), 0755);
    ::mkdir((host / "ssh").c_str(), 0755);
    write_file(host / "ssh/id", "key\n");
    ::mkdir((host / "git").c_str(), 0755);
    write_file(host / "git/config", "[user]\n");
    write_file(host / "agent.json", "{\"seed\":1}\n", 0644);
    write_file(host / "outside", "host only\n");
    std::string u = std::to_string(kUid);
    Result r = sh(
        "set -e; cd /home/u; test -O . ; cat .ssh/id .config/git/config agent.json; "
        "if echo x > .ssh/id 2>/dev/null; then echo SSH-WRITABLE; fi; "
        "mkdir .config/mine; echo new > agent.json.tmp; mv agent.json.tmp agent.json; "
        "cat agent.json; test -d .local/share; "
        "if test -e " +
            host.path() +
            "/outside; then echo HOST-VISIBLE; fi; "
            "if ls /home/u/../../root/* 2>/dev/null; then echo ROOT-VISIBLE; fi; echo done",
        {"--project", p.dir, "--uid", u, "--gid", u, "--tmpfs", "/home/u:0700", "--ro-bind",
         host / "ssh" + ":/home/u/.ssh", "--ro-bind", host / "git" + ":/home/u/.config/git",
         "--copy", host / "agent.json" + ":/home/u/agent.json", "--dir", "/home/u/.local/share"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "key\n[user]\n{\"seed\":1}\nnew\ndone\n", r.describe());
    BOOST_TEST(read_text(host / "agent.json") == "{\"seed\":1}\n");
    BOOST_TEST(read_text(host / "ssh/id") == "key\n");
}

// The host's network is asked for by name (the default is the container's
// own: integration.launch_behaviour.container); --no-network has lo alone.
BOOST_AUTO_TEST_CASE(no_network_blocks_a_host_listener) {
    Listener l;
    std::string connect =
        "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(l.port) + " && echo connected";
    Result with = launch({"--host-network", "--", "bash", "-c", connect});
    BOOST_TEST(with.code() == 0, with.describe());
    BOOST_TEST(with.out == "connected\n");
    Result without = launch({"--no-network", "--", "bash", "-c", connect + "; ls /sys/class/net"});
    BOOST_TEST(without.out == "lo\n", without.describe());
}

BOOST_AUTO_TEST_CASE(hostname_and_hostile_project_path) {
    Project p(0, "a b'c\"$(touch INJECTED):d\\e\nf");
    Result r = launch({"--project", p.dir, "--hostname", "burrow-hostile", "--", "sh", "-c",
                       "hostname; pwd > out; echo ok > file"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "burrow-hostile\n");
    BOOST_TEST(read_text(p.dir + "/file") == "ok\n");
    BOOST_TEST(read_text(p.dir + "/out") == p.dir + "\n");
    BOOST_TEST(::access("INJECTED", F_OK) != 0);
    BOOST_TEST(::access((p.tmp / "INJECTED").c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(sigterm_and_sigint_forwarded_nothing_left) {
    auto before = instances();
    for (int sig : {SIGTERM, SIGINT}) {
        Project p;
        std::string marker = "7.65" + std::to_string(sig);
        Command c =
            driver({"--project", p.dir, "--", "sh", "-c",
                    "trap 'echo got $0; exit 7' " + std::string(sig == SIGTERM ? "TERM" : "INT") +
                        "; touch " + p.dir + "/up; while :; do sleep " + marker + " & wait; done"});
        Running run(c);
        BOOST_REQUIRE(wait_for_file(p.dir + "/up", std::chrono::milliseconds(20000)));
        ::kill(run.pid(), sig);
        Result r = run.finish();
        BOOST_TEST(r.code() == 7, r.describe());
        check_gone(marker);
        // An untrapped signal: the command dies of it, burrow says 128+N.
        Command c2 = driver({"--project", p.dir, "--", "sh", "-c",
                             "touch " + p.dir + "/up2; exec sleep " + marker});
        Running run2(c2);
        BOOST_REQUIRE(wait_for_file(p.dir + "/up2", std::chrono::milliseconds(20000)));
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the exec
        ::kill(run2.pid(), sig);
        Result r2 = run2.finish();
        BOOST_TEST(r2.code() == 128 + sig, r2.describe());
        check_gone(marker);
    }
    BOOST_TEST(instances() == before);
}

BOOST_AUTO_TEST_CASE(interactive_console_gets_ctrl_c) {
    // burrow on a terminal (a pty made here): --console=interactive, the
    // command has the console as its terminal, ^C typed reaches it as SIGINT.
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    BOOST_REQUIRE(master >= 0);
    BOOST_REQUIRE(::grantpt(master) == 0 && ::unlockpt(master) == 0);
    const std::string slave = ::ptsname(master);
    const std::string script =
        "test -t 0 && test -t 1 && echo tty-ok; echo ready; exec sleep 8.7654";
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setsid();
        int fd = ::open(slave.c_str(), O_RDWR);
        if (fd < 0 || ::ioctl(fd, TIOCSCTTY, 0) < 0) ::_exit(99);
        for (int i = 0; i < 3; ++i) ::dup2(fd, i);
        ::execl(CONTAINER_DRIVER, CONTAINER_DRIVER, "--", "sh", "-c", script.c_str(), nullptr);
        ::_exit(98);
    }
    std::string out;
    bool sent = false;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[512];
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) break; // EIO: every holder of the pty is gone
            out.append(buf, static_cast<size_t>(n));
        }
        if (!sent && out.find("ready") != std::string::npos) {
            BOOST_REQUIRE(::write(master, "\x03", 1) == 1);
            sent = true;
        }
        int st = 0;
        if (sent && ::waitpid(pid, &st, WNOHANG) == pid) {
            BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGINT), out);
            pid = -1;
            break;
        }
    }
    // The pty closes (EIO) as the launch ends: collect its status.
    for (int i = 0; pid > 0 && sent && i < 1000; ++i) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid) {
            BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGINT), out);
            pid = -1;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        BOOST_TEST(false, "no exit after ^C: " << out);
    }
    ::close(master);
    BOOST_TEST(out.find("tty-ok") != std::string::npos, out);
    check_gone("8.7654");
}

BOOST_AUTO_TEST_CASE(sigterm_during_startup) {
    // Whether the signal comes before nspawn, during its setup or once the
    // command runs: 143 and nothing left.
    auto before = instances();
    for (int delay_ms : {0, 5, 20, 50, 100}) {
        Running run(driver({"--", "sleep", "4.3210"}));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        ::kill(run.pid(), SIGTERM);
        Result r = run.finish();
        BOOST_TEST(r.code() == 128 + SIGTERM, "after " << delay_ms << " ms: " << r.describe());
        check_gone("4.3210");
    }
    BOOST_TEST(instances() == before);
}

BOOST_AUTO_TEST_CASE(sigkill_of_burrow_kills_the_container_and_cleans_up) {
    auto before = instances();
    Project p;
    std::string marker = "6.5432";
    Command c =
        driver({"--project", p.dir, "--", "sh", "-c", "touch " + p.dir + "/up; sleep " + marker});
    Running run(c);
    BOOST_REQUIRE(wait_for_file(p.dir + "/up", std::chrono::milliseconds(20000)));
    BOOST_TEST(instances().size() == before.size() + 1);
    ::kill(run.pid(), SIGKILL);
    Result r = run.finish();
    BOOST_TEST(r.code() == 128 + SIGKILL);
    check_gone(marker);
    // The reaper removes the per-launch directory right after.
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (instances() != before && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_TEST(instances() == before);
}

BOOST_AUTO_TEST_CASE(container_of_a_dead_launch_and_reaper_killed_by_the_next) {
    auto before = instances();
    Project p;
    std::string marker = "5.4321";
    Command c =
        driver({"--project", p.dir, "--", "sh", "-c", "touch " + p.dir + "/up; sleep " + marker});
    Running run(c);
    BOOST_REQUIRE(wait_for_file(p.dir + "/up", std::chrono::milliseconds(20000)));
    // The reaper (a fork of the launching process, same command line, its
    // own session) first, then burrow: nobody is left to clean up.
    for (pid_t pid : processes_with(CONTAINER_DRIVER))
        if (pid != run.pid()) ::kill(pid, SIGKILL);
    ::kill(run.pid(), SIGKILL);
    run.finish();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // nspawn died with burrow; its container did not.
    BOOST_TEST(!processes_with("sleep " + marker).empty());
    BOOST_TEST(instances().size() == before.size() + 1);
    Result r = launch({"--", "true"});
    BOOST_TEST(r.code() == 0, r.describe());
    check_gone(marker);
    BOOST_TEST(instances() == before);
}

BOOST_AUTO_TEST_CASE(leftover_of_a_dead_launch_removed_by_the_next) {
    // What a launch whose burrow and reaper were both SIGKILLed leaves: an
    // unlocked per-launch directory (made old: one without status/ may be
    // under construction).
    std::string dir = std::string(kBase) + "/burrow-deadbeef0000";
    ::mkdir("/run/burrow", 0700);
    ::mkdir(kBase, 0700);
    BOOST_REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
    ::mkdir((dir + "/status").c_str(), 0700);
    ::mkdir((dir + "/root").c_str(), 0755);
    ::mkdir((dir + "/root/usr").c_str(), 0755);
    write_file(dir + "/uuid", "00000000000000000000000000000000");
    write_file(dir + "/meta-spec", "secret");
    Result r = launch({"--", "true"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(::access(dir.c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(missing_nspawn_fails_cleanly) {
    auto before = instances();
    for (const char* n : {"/nonexistent/systemd-nspawn", "no-such-nspawn-binary"}) {
        Result r = launch({"--nspawn", n, "--", "true"});
        BOOST_TEST(r.code() == 125, r.describe());
        BOOST_TEST(r.err == "burrow: launch: systemd-nspawn not found (install the Debian "
                            "package systemd-container)\n");
    }
    BOOST_TEST(instances() == before);
}

BOOST_AUTO_TEST_CASE(bad_share_fails_cleanly) {
    auto before = instances();
    Result r = launch({"--bind", "relative:/x", "--", "true"});
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(r.err.find("burrow: launch: share user-bind (/x): paths must be absolute") == 0,
               r.err);
    // A missing source is nspawn's failure: one line from burrow, 125.
    Result m = launch({"--bind", "/nonexistent-src:/x", "--", "true"});
    BOOST_TEST(m.code() == 125, m.describe());
    BOOST_TEST(m.err.find("burrow: launch: systemd-nspawn failed") != std::string::npos, m.err);
    BOOST_TEST(instances() == before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(needs_root, *utf::precondition([](utf::test_unit_id) { return !root(); })) {
    Result r = launch({"--", "true"});
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(r.err == "burrow: launch: --backend container needs root (systemd-nspawn); run "
                        "burrow as root or pass --sudo\n");
    // The same through `burrow launch`, on a real project dir.
    TempDir t;
    Command c;
    c.argv = {burrow_bin(), "launch", "--backend", "container", t.path(), "--", "true"};
    Result l = run(c);
    BOOST_TEST(l.code() == 125, l.describe());
    BOOST_TEST(l.err == "burrow: launch: --backend container needs root (systemd-nspawn); run "
                        "burrow as root or pass --sudo\n");
    // --sudo: through sudo when installed (not run here: it would prompt),
    // else one line naming the package.
    if (::access("/usr/bin/sudo", X_OK) != 0) {
        Result s = launch({"--sudo", "--", "true"});
        BOOST_TEST(s.code() == 125, s.describe());
        BOOST_TEST(s.err == "burrow: launch: --sudo: sudo not found (install the Debian package "
                            "sudo)\n");
    }
}
