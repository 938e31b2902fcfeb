// burrow as containerd's runtime binary (issue 18): Debian's containerd 1.6
// with its runc shim (io.containerd.runc.v2), driven by ctr, with the
// runtime binary set to burrow-oci (`ctr run --runc-binary`, what
// containerd's config.toml says with BinaryName), each run beside the same
// run through runc. Root only: containerd is a root daemon here. The
// daemon is private (its own config, root, state and socket in a temp
// dir); the image is busybox-static, imported into a private podman storage
// and saved as an OCI archive for `ctr images import`.
#define BOOST_TEST_MODULE oci_containerd
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/oci_test_support.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

using btest::contains;
using namespace std::chrono_literals;

namespace {

using ocitest::burrow_oci;
using ocitest::which;

btest::Result run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 60s) {
    btest::Command c;
    c.argv = std::move(argv);
    c.timeout = timeout;
    c.env = std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    return btest::run(c);
}

struct Containerd {
    btest::TempDir dir;
    std::string sock = dir / "containerd.sock";
    std::unique_ptr<btest::Running> daemon;
    std::string image = "localhost/burrow-test-bbox:1";
    bool ready = false;
    std::string why;

    Containerd() {
        ocitest::make_busybox_image(dir / "rootfs", dir / "rootfs.tar",
                                    {"sh", "id", "echo", "sleep", "cat", "true"});
        btest::Result r;
        const std::vector<std::string> pm = {
            which("podman"),    "--root", dir / "pstorage", "--runroot", dir / "prun",
            "--storage-driver", "vfs"};
        auto cmd = pm;
        cmd.insert(cmd.end(), {"import", dir / "rootfs.tar", image});
        r = run(cmd);
        BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
        cmd = pm;
        cmd.insert(cmd.end(), {"save", "--format", "oci-archive", "-o", dir / "image.tar", image});
        r = run(cmd);
        BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
        cmd = pm;
        cmd.insert(cmd.end(), {"system", "reset", "--force"});
        run(cmd);
        btest::write_file(dir / "config.toml", "version = 2\n"
                                               "root = \"" +
                                                   (dir / "root") +
                                                   "\"\n"
                                                   "state = \"" +
                                                   (dir / "state") +
                                                   "\"\n"
                                                   "[grpc]\n  address = \"" +
                                                   sock +
                                                   "\"\n"
                                                   "[ttrpc]\n  address = \"" +
                                                   (dir / "ttrpc.sock") +
                                                   "\"\n"
                                                   "[debug]\n  address = \"\"\n"
                                                   "[metrics]\n  address = \"\"\n");
        btest::Command d;
        d.argv = {which("containerd"), "--config", dir / "config.toml"};
        d.env = std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
        d.timeout = 600s;
        daemon = std::make_unique<btest::Running>(d);
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (ctr({"version"}).code() == 0) break;
            std::this_thread::sleep_for(50ms);
        }
        r = ctr(
            {"images", "import", "--base-name", "localhost/burrow-test-bbox", dir / "image.tar"});
        BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
        ready = true;
    }
    ~Containerd() {
        if (!daemon) return;
        // Tasks and containers of this daemon, then the daemon.
        for (const char* id : {"c-runc", "c-burrow", "bg"}) {
            ctr({"tasks", "kill", "--signal", "SIGKILL", id});
            ctr({"tasks", "delete", "--force", id});
            ctr({"containers", "delete", id});
        }
        ::kill(daemon->pid(), SIGTERM);
        daemon->finish();
        // The shims' mounts of the image's snapshots are gone with their tasks.
        run({"/bin/umount", "-R", dir / "root"});
    }
    btest::Result ctr(std::vector<std::string> args) const {
        args.insert(args.begin(), {which("ctr"), "--address", sock});
        return run(args);
    }
};

std::unique_ptr<Containerd>& instance() {
    static std::unique_ptr<Containerd> c;
    return c;
}
Containerd& containerd() {
    if (!instance()) instance() = std::make_unique<Containerd>();
    return *instance();
}
struct TearDown {
    ~TearDown() { instance().reset(); }
};
BOOST_TEST_GLOBAL_FIXTURE(TearDown);

bool usable() {
    if (!btest::is_root()) {
        btest::skip("containerd is a root daemon here");
        return false;
    }
    for (const char* t : {"containerd", "ctr", "containerd-shim-runc-v2", "runc", "podman"})
        if (which(t).empty()) {
            btest::skip(std::string(t) + " is not installed (scripts/install-deps.sh)");
            return false;
        }
    if (::access(burrow_oci().c_str(), X_OK) != 0) {
        btest::skip("no burrow-oci beside " + btest::burrow_bin());
        return false;
    }
    return containerd().ready;
}

} // namespace

BOOST_AUTO_TEST_CASE(ctr_run_through_the_runc_shim) {
    if (!usable()) return;
    Containerd& c = containerd();
    for (const auto& [id, binary] :
         {std::pair{"c-runc", which("runc")}, {"c-burrow", burrow_oci()}}) {
        const auto r = c.ctr({"run", "--rm", "--runc-binary", binary, c.image, id, "sh", "-c",
                              "id; echo out; exit 5"});
        BOOST_TEST(r.code() == 5, id << ": " << r.describe());
        BOOST_TEST(contains(r.out, "uid=0(root) gid=0(root)"), id << ": " << r.out);
        BOOST_TEST(contains(r.out, "out\n"), id << ": " << r.out);
    }
}

BOOST_AUTO_TEST_CASE(detached_task_exec_kill_delete) {
    if (!usable()) return;
    Containerd& c = containerd();
    auto r = c.ctr({"run", "-d", "--runc-binary", burrow_oci(), c.image, "bg", "sleep", "100"});
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    r = c.ctr({"tasks", "ls"});
    BOOST_TEST(contains(r.out, "RUNNING"), r.describe());
    r = c.ctr({"tasks", "exec", "--exec-id", "e1", "bg", "sh", "-c", "echo in-exec; exit 4"});
    BOOST_TEST(r.code() == 4, r.describe());
    BOOST_TEST(r.out == "in-exec\n");
    r = c.ctr({"tasks", "kill", "--signal", "SIGKILL", "bg"});
    BOOST_TEST(r.code() == 0, r.describe());
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!contains(c.ctr({"tasks", "ls"}).out, "STOPPED") &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    BOOST_TEST(contains(c.ctr({"tasks", "ls"}).out, "STOPPED"));
    r = c.ctr({"tasks", "delete", "bg"});
    BOOST_TEST(r.code() == 0, r.describe());
    r = c.ctr({"containers", "delete", "bg"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(btest::processes_with("sleep 100").empty());
}
