// burrow as podman's OCI runtime (issue 18), against the real podman 4.3,
// as root and rootless, each command compared with the same command through
// runc and crun (crun through a wrapper: it refuses this host's hybrid
// cgroup layout, see crun_runtime()). The image is made offline: a root file system of
// busybox-static imported with `podman import`. Every podman here has a
// storage, run root and containers.conf of its own in a temp dir, removed
// (with `podman system reset`) at the end: nothing of the host's podman is
// touched and nothing is left behind.
#define BOOST_TEST_MODULE oci_podman
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/oci_test_support.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

using btest::contains;
using namespace std::chrono_literals;

namespace {

using ocitest::burrow_oci;
using ocitest::which;

struct Podman {
    btest::TempDir dir;
    std::string podman = which("podman");
    std::vector<std::string> env;
    std::string image = "localhost/burrow-test-bbox:1";
    bool ready = false;

    Podman() {
        if (podman.empty() || which("runc").empty()) return;
        if (::access(burrow_oci().c_str(), X_OK) != 0) return;
        ::mkdir((dir / "xdg").c_str(), 0700);
        ::mkdir((dir / "home").c_str(), 0700);
        // This machine's root may lack CAP_SYS_RESOURCE and have a hard
        // nofile limit below podman's default 1048576: runc and burrow
        // would both (rightly) fail to raise it.
        btest::write_file(dir / "containers.conf",
                          "[containers]\n"
                          "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n"
                          "[engine]\n"
                          "cgroup_manager = \"cgroupfs\"\n"
                          "events_logger = \"file\"\n");
        env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + (dir / "home"),
               "XDG_RUNTIME_DIR=" + (dir / "xdg"), "CONTAINERS_CONF=" + (dir / "containers.conf"),
               "TMPDIR=" + dir.path()};
        // The image: busybox-static and its applets.
        ocitest::make_busybox_image(dir / "rootfs", dir / "rootfs.tar",
                                    {"sh", "id", "cat", "echo", "sleep", "ls", "touch", "grep",
                                     "tty", "true", "false", "ps", "stat", "readlink", "hostname"});
        const auto i = run({"import", dir / "rootfs.tar", image});
        BOOST_REQUIRE_MESSAGE(i.code() == 0, i.describe());
        ready = true;
    }
    ~Podman() {
        if (!ready) return;
        // Containers, images and (rootless) the pause process of this
        // storage; files of subordinate uids need podman's own removal.
        run({"rm", "--all", "--force", "--time", "0"});
        run({"system", "reset", "--force"});
        std::ifstream pause(dir / "xdg/libpod/tmp/pause.pid");
        if (pid_t p = 0; pause >> p && p > 1) ::kill(p, SIGKILL);
    }

    btest::Result run(const std::vector<std::string>& args, const std::string& runtime = "",
                      const std::string& stdin_data = "") const {
        btest::Command c;
        c.argv = {podman,     "--root",    dir / "storage",    "--runroot", dir / "run",
                  "--tmpdir", dir / "tmp", "--storage-driver", "vfs"};
        if (!runtime.empty()) c.argv.insert(c.argv.end(), {"--runtime", runtime});
        c.argv.insert(c.argv.end(), args.begin(), args.end());
        c.env = env;
        c.stdin_data = stdin_data;
        c.timeout = 60s;
        return btest::run(c);
    }
};

// One podman (storage, image) for the whole binary, torn down by a global
// fixture: before exit, so also when a skip ends the binary with 77.
std::unique_ptr<Podman>& podman_instance() {
    static std::unique_ptr<Podman> p;
    return p;
}

Podman& podman() {
    auto& p = podman_instance();
    if (!p) p = std::make_unique<Podman>();
    return *p;
}

struct TearDown {
    ~TearDown() { podman_instance().reset(); }
};
BOOST_TEST_GLOBAL_FIXTURE(TearDown);

bool usable() {
    if (which("podman").empty() || which("runc").empty()) {
        btest::skip("podman or runc is not installed (scripts/install-deps.sh)");
        return false;
    }
    if (::access(burrow_oci().c_str(), X_OK) != 0) {
        btest::skip("no burrow-oci beside " + btest::burrow_bin());
        return false;
    }
    if (!podman().ready) {
        btest::skip("podman could not be set up here");
        return false;
    }
    return true;
}

// crun refuses this host's hybrid cgroups ("cgroups in hybrid mode not
// supported"). Run in a mount namespace of its own where an empty tmpfs
// hides the cgroup2 mount at /sys/fs/cgroup/unified, it sees a plain cgroup
// v1 host and works, as root and rootless (inside podman's user namespace
// the mount over a locked mount point is allowed). "" without crun.
std::string crun_runtime() {
    static const std::string path = [] {
        const std::string crun = which("crun");
        if (crun.empty()) return std::string();
        const std::string w = podman().dir / "crun-v1";
        btest::write_file(w, "#!/bin/sh\nexec /usr/bin/unshare -m /bin/sh -c 'mount -t tmpfs -o "
                             "size=4k none /sys/fs/cgroup/unified && exec \"$0\" \"$@\"' " +
                                 crun + " \"$@\"\n");
        ::chmod(w.c_str(), 0755);
        return w;
    }();
    return path;
}

// The same `podman run --rm` through runc, crun and burrow: the same exit
// status and output (stderr is podman's own and may differ in wording).
struct Pair {
    btest::Result runc, crun, burrow;
    bool have_crun = false;
};

Pair both(const std::vector<std::string>& args) {
    Pair p;
    p.runc = podman().run(args, which("runc"));
    if (const std::string crun = crun_runtime(); !crun.empty()) {
        p.crun = podman().run(args, crun);
        p.have_crun = true;
    }
    p.burrow = podman().run(args, burrow_oci());
    return p;
}

#define SAME(pair)                                                                                 \
    do {                                                                                           \
        BOOST_TEST((pair).burrow.code() == (pair).runc.code(),                                     \
                   "burrow: " + (pair).burrow.describe() + "\nrunc: " + (pair).runc.describe());   \
        BOOST_TEST((pair).burrow.out == (pair).runc.out);                                          \
        if ((pair).have_crun) {                                                                    \
            BOOST_TEST((pair).burrow.code() == (pair).crun.code(),                                 \
                       "burrow: " + (pair).burrow.describe() +                                     \
                           "\ncrun: " + (pair).crun.describe());                                   \
            BOOST_TEST((pair).burrow.out == (pair).crun.out);                                      \
        }                                                                                          \
    } while (0)

std::vector<std::string> run_rm(std::initializer_list<std::string> opts,
                                std::initializer_list<std::string> cmd) {
    std::vector<std::string> a = {"run", "--rm", "--network", "none"};
    a.insert(a.end(), opts);
    a.push_back(podman().image);
    a.insert(a.end(), cmd);
    return a;
}

} // namespace

BOOST_AUTO_TEST_CASE(run_rm_exit_statuses_and_output) {
    if (!usable()) return;
    auto p = both(run_rm({}, {"sh", "-c", "id; echo out; echo err >&2; exit 3"}));
    SAME(p);
    BOOST_TEST(p.burrow.code() == 3);
    BOOST_TEST(contains(p.burrow.out, "uid=0(root) gid=0(root)"), p.burrow.describe());
    BOOST_TEST(contains(p.burrow.err, "err"));
    p = both(run_rm({}, {"true"}));
    SAME(p);
    BOOST_TEST(p.burrow.code() == 0);
    // Killed by a signal: 128+N, as podman reports it (a child of pid 1:
    // pid 1 itself ignores signals it has no handler for).
    p = both(run_rm({}, {"sh", "-c", "sh -c 'kill -KILL $$'; exit $?"}));
    SAME(p);
    BOOST_TEST(p.burrow.code() == 137);
    // A missing program: podman's 127.
    p = both(run_rm({}, {"/no/such/program"}));
    BOOST_TEST(p.burrow.code() == p.runc.code(), p.burrow.describe());
}

BOOST_AUTO_TEST_CASE(terminal) {
    if (!usable()) return;
    const auto p = both(run_rm({"-t"}, {"sh", "-c", "tty; stty size >/dev/null && echo has-size"}));
    BOOST_TEST(p.burrow.code() == 0, p.burrow.describe());
    BOOST_TEST(contains(p.burrow.out, "/dev/"), p.burrow.out);
    BOOST_TEST(!contains(p.burrow.out, "not a tty"), p.burrow.out);
    BOOST_TEST(contains(p.runc.out, "/dev/"), p.runc.out);
    if (p.have_crun) BOOST_TEST(p.crun.out == p.burrow.out, p.crun.describe());
}

BOOST_AUTO_TEST_CASE(hardening_options) {
    if (!usable()) return;
    // --read-only: the root is read-only, /tmp too unless asked.
    auto p = both(run_rm({"--read-only"}, {"sh", "-c", "touch /x 2>/dev/null; echo $?"}));
    SAME(p);
    BOOST_TEST(p.burrow.out == "1\n");
    // --cap-drop all: no capability in any set.
    p = both(run_rm({"--cap-drop", "all"}, {"grep", "^Cap[EPI]", "/proc/self/status"}));
    SAME(p);
    BOOST_TEST(contains(p.burrow.out, "CapEff:\t0000000000000000"), p.burrow.out);
    // podman's default seccomp profile is in force (mode 2, filter).
    p = both(run_rm({}, {"grep", "^Seccomp:", "/proc/self/status"}));
    SAME(p);
    BOOST_TEST(p.burrow.out == "Seccomp:\t2\n");
    // --security-opt seccomp=unconfined: none of podman's.
    // --network none: only lo.
    p = both(run_rm({}, {"ls", "/sys/class/net"}));
    SAME(p);
    BOOST_TEST(p.burrow.out == "lo\n");
}

BOOST_AUTO_TEST_CASE(volumes) {
    if (!usable()) return;
    btest::TempDir vol;
    ::chmod(vol.path().c_str(), 0777);
    btest::write_file(vol / "in", "from-host\n");
    const std::string v = vol.path() + ":/mnt";
    auto r = podman().run(run_rm({"-v", v}, {"sh", "-c", "cat /mnt/in; echo made > /mnt/out"}),
                          burrow_oci());
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "from-host\n");
    BOOST_TEST(btest::read_text(vol / "out") == "made\n");
    r = podman().run(run_rm({"-v", v + ":ro"}, {"sh", "-c", "echo x > /mnt/out2"}), burrow_oci());
    BOOST_TEST(r.code() != 0, r.describe());
    BOOST_TEST(::access((vol / "out2").c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(detached_exec_stop_kill_ps_logs_rm) {
    if (!usable()) return;
    Podman& pm = podman();
    const std::string rt = burrow_oci();
    auto r = pm.run({"run", "-d", "--network", "none", "--name", "bg", pm.image, "sh", "-c",
                     "echo started; trap 'echo got-term; exit 7' TERM; while :; do sleep 0.1; "
                     "done"},
                    rt);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    r = pm.run({"exec", "bg", "sh", "-c", "echo in-exec; exit 4"}, rt);
    BOOST_TEST(r.code() == 4, r.describe());
    BOOST_TEST(r.out == "in-exec\n");
    r = pm.run({"exec", "bg", "id", "-u"}, rt);
    BOOST_TEST(r.out == "0\n", r.describe());
    // --user: the exec'd process runs as that user (never silently as root).
    r = pm.run({"exec", "--user", "1000:1001", "bg", "sh", "-c", "id -u; id -g"}, rt);
    BOOST_TEST(r.out == "1000\n1001\n", r.describe());
    // exec -t: a pty of the container's devpts (the process can name it),
    // its controlling terminal (field 7 of /proc/self/stat).
    r = pm.run({"exec", "-t", "bg", "sh", "-c",
                "tty; read p c s pp g sid t rest </proc/self/stat; [ \"$t\" != 0 ] && echo ctty"},
               rt);
    BOOST_TEST(r.out == "/dev/pts/0\r\nctty\r\n", r.describe());
    r = pm.run({"ps", "--filter", "name=bg", "--format", "{{.Names}} {{.Status}}"}, rt);
    BOOST_TEST(r.out.rfind("bg Up", 0) == 0, r.describe());
    r = pm.run({"top", "bg", "args"}, rt);
    BOOST_TEST((contains(r.out, "sleep") || contains(r.out, "sh -c")), r.describe());
    r = pm.run({"stop", "--time", "5", "bg"}, rt);
    BOOST_TEST(r.code() == 0, r.describe());
    r = pm.run({"inspect", "--format", "{{.State.ExitCode}}", "bg"}, rt);
    BOOST_TEST(r.out == "7\n", r.describe());
    r = pm.run({"logs", "bg"}, rt);
    BOOST_TEST(r.out == "started\ngot-term\n", r.describe());
    // exec into a stopped container: refused.
    r = pm.run({"exec", "bg", "true"}, rt);
    BOOST_TEST(r.code() != 0, r.describe());
    r = pm.run({"rm", "bg"}, rt);
    BOOST_TEST(r.code() == 0, r.describe());
    // kill, then rm -f of a running one.
    r = pm.run({"run", "-d", "--network", "none", "--name", "bg2", pm.image, "sleep", "100"}, rt);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    r = pm.run({"kill", "--signal", "KILL", "bg2"}, rt);
    BOOST_TEST(r.code() == 0, r.describe());
    r = pm.run({"wait", "bg2"}, rt);
    BOOST_TEST(r.out == "137\n", r.describe());
    r = pm.run({"run", "-d", "--network", "none", "--name", "bg3", pm.image, "sleep", "100"}, rt);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    r = pm.run({"rm", "-f", "--time", "0", "bg2", "bg3"}, rt);
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(btest::processes_with("sleep 100").empty());
}

BOOST_AUTO_TEST_CASE(rootless_keep_id) {
    if (!usable()) return;
    if (btest::is_root()) return btest::skip("--userns keep-id is rootless podman's");
    const auto p = both(run_rm({"--userns", "keep-id"}, {"id", "-u"}));
    SAME(p);
    BOOST_TEST(p.burrow.out == std::to_string(::getuid()) + "\n");
}

BOOST_AUTO_TEST_CASE(pids_limit_where_cgroups_allow) {
    if (!usable()) return;
    if (!btest::is_root()) return btest::skip("rootless podman on cgroup v1 has no cgroups");
    // The pids controller counts the container's tasks: the shell cannot
    // start an eighth process, and busybox's sh gives up (status 2).
    const auto p =
        both(run_rm({"--pids-limit", "5"},
                    {"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo all-started"}));
    SAME(p);
    BOOST_TEST(p.burrow.code() != 0, p.burrow.describe());
    BOOST_TEST(!contains(p.burrow.out, "all-started"));
    BOOST_TEST(contains(p.burrow.err, "fork"), p.burrow.describe());
    // And without the limit it does.
    const auto free = podman().run(
        run_rm({}, {"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; echo all-started"}),
        burrow_oci());
    BOOST_TEST(free.out == "all-started\n", free.describe());
}
