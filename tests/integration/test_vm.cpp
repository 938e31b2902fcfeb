// The vm launch module end to end: real QEMU (TCG here: KVM guests do not
// run on this host), the Debian kernel from /boot, burrow's own initramfs,
// driven through tests/integration/vm_driver (a hand-built ProjectSandbox,
// until the launch CLI lands). Each boot takes seconds, so every case checks
// several things per boot. CTest label "vm".
#define BOOST_TEST_MODULE vm
#include <arpa/inet.h>
#include <dirent.h>
#include <glob.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/support/run_command.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kDriver = VM_DRIVER;

std::string kernel() {
    glob_t g;
    std::string found;
    if (glob("/boot/vmlinuz-*", 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) {
            std::string k = g.gl_pathv[i];
            if (access(("/lib/modules/" + k.substr(14)).c_str(), R_OK) == 0) found = k;
        }
        globfree(&g);
    }
    BOOST_REQUIRE_MESSAGE(!found.empty(),
                          "no /boot/vmlinuz-* with its /lib/modules (package linux-image-amd64)");
    return found;
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> r;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                r.push_back(e->d_name);
        closedir(d);
    }
    return r;
}

bool exists(const std::string& p) {
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
}

struct Fixture {
    btest::TempDir tmp;
    std::string project = tmp / "project dir $(touch x) 'q',c";
    std::string run = tmp / "run";
    std::vector<std::string> env;
    Fixture() {
        BOOST_REQUIRE(mkdir(project.c_str(), 0755) == 0);
        env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + tmp.path(),
               "XDG_CACHE_HOME=" + tmp / "cache", "XDG_STATE_HOME=" + tmp / "state",
               "BURROW_VM_TIMING=1"};
    }
    btest::Command cmd(std::vector<std::string> opts, std::vector<std::string> command,
                       std::string stdin_data = {}) {
        btest::Command c;
        c.argv = {kDriver, "--kernel", kernel(), "--accel", "auto", "--run-dir", run};
        c.argv.insert(c.argv.end(), opts.begin(), opts.end());
        c.argv.push_back(project);
        c.argv.push_back("--");
        c.argv.insert(c.argv.end(), command.begin(), command.end());
        c.env = env;
        c.stdin_data = std::move(stdin_data);
        c.timeout = 180s;
        return c;
    }
    // Nothing of a launch is left: no launch dir (meta share with copies,
    // kernel log, sockets) and no QEMU serving this run dir.
    void check_clean() {
        BOOST_TEST(entries(run).empty(), "left in the run dir: " << entries(run).size());
        BOOST_TEST(btest::processes_with("path=" + run).empty());
        // Nor passt (its log file is in the launch dir).
        BOOST_TEST(btest::processes_with(run + "/").empty());
    }
};

// A TCP listener on the host's 127.0.0.1 (QEMU's slirp mapped the guest's
// 10.0.2.2 to it; passt must not), or on another address of the host.
// Connections complete from the backlog, no accept needed.
struct Listener {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port = 0;
    explicit Listener(in_addr_t addr = htonl(INADDR_LOOPBACK)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = addr;
        socklen_t len = sizeof a;
        BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(listen(fd, 8) == 0);
        BOOST_REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~Listener() { close(fd); }
};

// The first IPv4 address of an interface that is up and not loopback: a
// destination outside the guest that is still this machine.
std::optional<in_addr_t> host_address() {
    ifaddrs* all = nullptr;
    if (getifaddrs(&all) != 0) return std::nullopt;
    std::optional<in_addr_t> found;
    for (ifaddrs* i = all; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) &&
            !(i->ifa_flags & IFF_LOOPBACK))
            found = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr;
    freeifaddrs(all);
    return found;
}

} // namespace

BOOST_AUTO_TEST_CASE(bad_input_one_line_125_nothing_left) {
    Fixture f;
    std::string k = kernel();
    // A copy of the kernel whose header names a release without modules.
    std::string odd = f.tmp / "vmlinuz-odd";
    {
        std::string img = btest::read_text(k);
        std::string rel = k.substr(14);
        size_t at = img.find(rel + " (");
        BOOST_REQUIRE(at != std::string::npos);
        img.replace(at, rel.size(), std::string(rel.size(), 'z'));
        btest::write_file(odd, img);
    }
    btest::write_file(f.tmp / "notakernel", "hello\n");
    struct Case {
        std::vector<std::string> opts;
        std::string expect;
        std::string path = ""; // PATH instead of the fixture's
    } cases[] = {
        {{"--qemu", "qemu-system-nonexistent"},
         "burrow: launch: qemu-system-nonexistent not found (install the Debian package "
         "qemu-system-x86)"},
        {{"--kernel", f.tmp / "missing"}, "linux-image-amd64"},
        {{"--kernel", odd}, "has no modules in /lib/modules/zzz"},
        {{"--kernel", f.tmp / "notakernel"}, "not a bzImage"},
        {{"--accel", "fast"}, "--accel fast: expected auto, kvm or tcg"},
        {{"--memory", "16"}, "--memory 16: at least 128 MiB"},
        // A network without passt is an error, never QEMU's slirp (which
        // reaches the host's loopback) and never silently no network.
        {{"--qemu", "/usr/bin/qemu-system-x86_64"},
         "burrow: launch: the guest's network needs passt, not found in PATH (install the "
         "Debian package passt), or launch with --no-network",
         f.tmp / "no-bin"},
    };
    for (const auto& c : cases) {
        auto cmd = f.cmd(c.opts, {"true"});
        if (!c.path.empty()) (*cmd.env)[0] = "PATH=" + c.path;
        auto r = btest::run(cmd);
        BOOST_TEST_CONTEXT(r.describe()) {
            BOOST_TEST(r.code() == 125);
            BOOST_TEST(r.err.find(c.expect) != std::string::npos);
            BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
            BOOST_TEST(r.err.starts_with("burrow: launch: "));
            BOOST_TEST(!exists(f.run), "run dir created");
            BOOST_TEST(!exists(f.tmp / "cache"), "initramfs cache touched");
        }
    }
}

BOOST_AUTO_TEST_CASE(status_shares_network_and_cache) {
    Fixture f;
    Listener l;
    btest::write_file(f.tmp / "seed.json", "{\"seed\":1}\n");
    btest::write_file(f.tmp / "gitconfig", "[user]\n\tname = t\n");
    btest::write_file(f.tmp / "outside", "secret\n");
    BOOST_REQUIRE(mkdir((f.tmp / "ro").c_str(), 0755) == 0);
    btest::write_file(f.tmp / "ro/key", "k\n");
    std::string home = f.tmp / "h";
    std::string script =
        "set -u; cat; echo \"uid=$(id -u) cwd=$(pwd) sandbox=$BURROW_SANDBOX "
        "backend=$BURROW_BACKEND\";"
        "echo written-in-guest > from-guest.txt;"
        "cat \"$HOME/.gitconfig\" | head -1; echo x >> \"$HOME/.gitconfig\" 2>/dev/null || echo "
        "gitconfig-ro;"
        "cat \"$HOME/.ssh/key\"; touch \"$HOME/.ssh/new\" 2>/dev/null || echo ssh-ro;"
        "cat \"$HOME/.seed.json\"; echo '{}' > \"$HOME/.seed.json.tmp\" && mv "
        "\"$HOME/.seed.json.tmp\" \"$HOME/.seed.json\" && echo seed-replaced;"
        "test -e \"$OUTSIDE\" || echo outside-hidden; touch /usr/x 2>/dev/null || echo usr-ro;"
        // passt answers nothing at the gateway: a connect there would wait
        // for the kernel's SYN retries (about two minutes).
        "if timeout 3 bash -c 'exec 3<>/dev/tcp/10.0.2.2/$PORT' 2>/dev/null; then echo "
        "host-loopback; fi;"
        "if [ -n \"$EXT\" ] && (exec 3<>/dev/tcp/$EXT/$EXTPORT) 2>/dev/null; then echo "
        "host-address; fi;"
        "echo to-stderr >&2; exit 42";
    // Outbound traffic leaves through passt: another address of this
    // machine is reachable; the host's loopback is not.
    const auto ext = host_address();
    std::optional<Listener> el;
    if (ext) el.emplace(*ext);
    char ext_text[INET_ADDRSTRLEN] = "";
    if (ext) inet_ntop(AF_INET, &*ext, ext_text, sizeof ext_text);
    auto opts = std::vector<std::string>{"--home", home,
                                         "--ro",   f.tmp / "gitconfig:" + home + "/.gitconfig",
                                         "--ro",   f.tmp / "ro:" + home + "/.ssh",
                                         "--copy", f.tmp / "seed.json:" + home + "/.seed.json",
                                         "--env",  "OUTSIDE=" + f.tmp / "outside",
                                         "--env",  "PORT=" + std::to_string(l.port),
                                         "--env",  std::string("EXT=") + ext_text,
                                         "--env",  "EXTPORT=" + std::to_string(el ? el->port : 0)};
    auto start = std::chrono::steady_clock::now();
    auto r = btest::run(f.cmd(opts, {"bash", "-c", script}, "piped stdin\n"));
    auto boot_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    BOOST_TEST_MESSAGE("first launch (initramfs built): " << boot_ms.count() << " ms");
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 42);
        std::string expect = "piped stdin\nuid=" + std::to_string(getuid()) + " cwd=" + f.project +
                             " sandbox=1 backend=vm\n[user]\ngitconfig-ro\nk\nssh-ro\n"
                             "{\"seed\":1}\nseed-replaced\noutside-hidden\nusr-ro\n" +
                             (ext ? "host-address\n" : "");
        if (!ext) BOOST_TEST_MESSAGE("no non-loopback IPv4 address: outbound not checked");
        BOOST_TEST(r.out == expect);
        BOOST_TEST(r.err.find("to-stderr\n") != std::string::npos);
        BOOST_TEST(r.out.find("to-stderr") == std::string::npos);
        BOOST_TEST(r.err.find("initramfs built") != std::string::npos);
    }
    BOOST_TEST(btest::read_text(f.project + "/from-guest.txt") == "written-in-guest\n");
    struct stat st;
    BOOST_TEST((stat((f.project + "/from-guest.txt").c_str(), &st) == 0 && st.st_uid == getuid()));
    BOOST_TEST(btest::read_text(f.tmp / "seed.json") == "{\"seed\":1}\n");
    BOOST_TEST(btest::read_text(f.tmp / "gitconfig") == "[user]\n\tname = t\n");
    BOOST_TEST(!exists(f.tmp / "ro/new"));
    f.check_clean();
    auto cache = entries(f.tmp / "cache/burrow/initramfs");
    BOOST_REQUIRE(cache.size() == 1u);
    std::string archive = f.tmp / "cache/burrow/initramfs" + "/" + cache[0];
    struct stat before;
    BOOST_REQUIRE(stat(archive.c_str(), &before) == 0);

    // Second launch: the cached initramfs (same inode, not rewritten), no
    // network at all (no NIC, the host listener unreachable), exit 1.
    r = btest::run(f.cmd({"--no-network", "--env", "PORT=" + std::to_string(l.port)},
                         {"bash", "-c",
                          "ls /sys/class/net; if (exec 3<>/dev/tcp/10.0.2.2/$PORT) 2>/dev/null; "
                          "then echo connected; fi; exit 1"}));
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 1);
        BOOST_TEST(r.out == "lo\n");
        BOOST_TEST(r.err.find("initramfs cached") != std::string::npos);
        // Under TCG the decompressed kernel is cached too.
        BOOST_TEST(r.err.find("kernel cached") != std::string::npos);
    }
    struct stat after;
    BOOST_REQUIRE(stat(archive.c_str(), &after) == 0);
    BOOST_TEST(after.st_ino == before.st_ino);
    BOOST_TEST(after.st_mtime == before.st_mtime);
    BOOST_TEST(entries(f.tmp / "cache/burrow/initramfs").size() == 1u);
    BOOST_TEST(entries(f.tmp / "cache/burrow/kernel").size() == 1u);
    f.check_clean();

    // A passt that ends on its own (here: at once): the guest runs on
    // without a network, and burrow says afterwards how passt ended, with
    // the last line of its log.
    const std::string bin = f.tmp / "fake-bin";
    BOOST_REQUIRE(mkdir(bin.c_str(), 0755) == 0);
    btest::write_file(bin + "/passt",
                      "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --log-file ] && "
                      "echo 'fake passt: no way out' > \"$2\"; shift; done\nexit 3\n");
    BOOST_REQUIRE(chmod((bin + "/passt").c_str(), 0755) == 0);
    auto fake = f.cmd({}, {"true"});
    (*fake.env)[0] = "PATH=" + bin + ":/usr/local/bin:/usr/bin:/bin";
    r = btest::run(fake);
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 0);
        BOOST_TEST(r.err.find("burrow: launch: vm: the guest's network had stopped: passt exited "
                              "with status 3: fake passt: no way out\n") != std::string::npos);
    }
    f.check_clean();
}

// The busy share of the guest's CPU between two "cpu" lines of /proc/stat.
double busy_share(const std::string& before, const std::string& after) {
    auto fields = [](const std::string& line) {
        std::istringstream in(line);
        std::string cpu;
        in >> cpu;
        std::vector<double> v;
        for (double x; in >> x;) v.push_back(x);
        BOOST_REQUIRE_MESSAGE(cpu == "cpu" && v.size() >= 7, "not a cpu line: " << line);
        return v;
    };
    auto a = fields(before), b = fields(after);
    double total = 0, idle = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) total += b[i] - a[i];
    idle = (b[3] - a[3]) + (b[4] - a[4]); // idle, iowait
    BOOST_REQUIRE(total > 0);
    return 1 - idle / total;
}

BOOST_AUTO_TEST_CASE(sigterm_enter_and_stop) {
    Fixture f;
    // Before anyone enters, the guest is idle: the enter server waiting for
    // a host does not spin (a virtio port with no host polls readable).
    auto cmd = f.cmd({}, {"sh", "-c",
                          "sleep 1; head -1 /proc/stat > cpu0; sleep 3; head -1 /proc/stat > cpu1;"
                          "echo up > started; exec sleep 1000"});
    btest::Running vm(cmd);
    for (int i = 0; i < 1800 && !exists(f.project + "/started"); ++i)
        std::this_thread::sleep_for(100ms);
    BOOST_REQUIRE_MESSAGE(exists(f.project + "/started"), "the guest command did not start");
    double busy =
        busy_share(btest::read_text(f.project + "/cpu0"), btest::read_text(f.project + "/cpu1"));
    BOOST_TEST(busy < 0.5, "the idle guest's CPU was busy " << busy * 100 << "% of 3 s");
    auto qemu = btest::processes_with("path=" + f.run);
    BOOST_REQUIRE(qemu.size() == 1u);
    auto launch_dirs = entries(f.run);
    BOOST_REQUIRE(launch_dirs.size() == 1u);
    std::string sock = f.run + "/" + launch_dirs[0] + "/enter.sock";

    // enter: a second command in the running guest, its output and status.
    btest::Command enter;
    enter.argv = {kDriver,
                  "--enter-sock",
                  sock,
                  "--qemu-pid",
                  std::to_string(qemu[0]),
                  "--",
                  "sh",
                  "-c",
                  "cat started; cat; hostname; exit 7"};
    enter.stdin_data = "via enter\n";
    enter.timeout = 60s;
    auto e = btest::run(enter);
    BOOST_TEST_CONTEXT(e.describe()) {
        BOOST_TEST(e.code() == 7);
        BOOST_TEST(e.out == "up\nvia enter\nburrow-vm-test\n");
    }
    // A second enter works too (the agent serves one after the other), and
    // so do enters back to back, as scripts run them: the previous host's
    // departure reaches the guest late, after the next one's first frames
    // (it once ended the next session before it began: no answer, 125).
    auto enter_cmd = [&](std::vector<std::string> command) {
        btest::Command c;
        c.argv = {kDriver, "--enter-sock", sock, "--qemu-pid", std::to_string(qemu[0]), "--"};
        c.argv.insert(c.argv.end(), command.begin(), command.end());
        c.timeout = 60s;
        return c;
    };
    for (int i = 0; i < 20; ++i) {
        e = btest::run(enter_cmd({"true"}));
        BOOST_TEST_REQUIRE(e.code() == 0, "enter " << i << ": " << e.describe());
    }
    // A host that leaves mid-session: its command dies, and the next
    // enter, right behind it, is served.
    {
        btest::Running held(enter_cmd({"sh", "-c",
                                       "echo $$ > held.tmp; mv held.tmp held; exec "
                                       "sleep 1000"}));
        for (int i = 0; i < 600 && !exists(f.project + "/held"); ++i)
            std::this_thread::sleep_for(100ms);
        BOOST_REQUIRE_MESSAGE(exists(f.project + "/held"), "the held enter did not start");
        BOOST_REQUIRE(kill(held.pid(), SIGKILL) == 0);
        held.finish();
    }
    e = btest::run(enter_cmd({"sh", "-c",
                              "p=$(cat held); for i in $(seq 100); do kill -0 $p 2>/dev/null || "
                              "exit 0; sleep 0.1; done; echo \"$p still runs\"; exit 1"}));
    BOOST_TEST(e.code() == 0, e.describe());

    // stop: SIGTERM to the launcher, forwarded to the command: 143.
    btest::Command stop;
    stop.argv = {kDriver,          "--stop",
                 "--qemu-pid",     std::to_string(qemu[0]),
                 "--launcher-pid", std::to_string(vm.pid())};
    stop.timeout = 60s;
    auto s = btest::run(stop);
    BOOST_TEST(s.code() == 0, s.describe());
    auto r = vm.finish();
    BOOST_TEST(r.code() == 143, r.describe());
    f.check_clean();

    // Once stopped, enter and stop say so.
    e = btest::run(enter);
    BOOST_TEST(e.code() == 125);
    BOOST_TEST(e.err.find("is not running") != std::string::npos);
}

// burrow SIGKILLed: QEMU dies with it (parent-death signal) at once; the
// launch directory it could not remove goes with the next launch.
BOOST_AUTO_TEST_CASE(sigkill_leaves_no_qemu_and_next_launch_cleans) {
    Fixture f;
    {
        btest::Running vm(f.cmd({}, {"sh", "-c", "echo up > started; exec sleep 1000"}));
        for (int i = 0; i < 1800 && !exists(f.project + "/started"); ++i)
            std::this_thread::sleep_for(100ms);
        BOOST_REQUIRE_MESSAGE(exists(f.project + "/started"), "the guest command did not start");
        BOOST_REQUIRE(btest::processes_with("path=" + f.run).size() == 1u);
        BOOST_REQUIRE(kill(vm.pid(), SIGKILL) == 0);
        auto r = vm.finish();
        BOOST_TEST(r.code() == 128 + SIGKILL);
    }
    BOOST_TEST(btest::wait_gone("path=" + f.run, 10s));
    auto left = entries(f.run);
    BOOST_REQUIRE(left.size() == 1u);
    // The guest had started: the manifest (environment) is already gone.
    BOOST_TEST(!exists(f.run + "/" + left[0] + "/meta/manifest"));
    auto r = btest::run(f.cmd({"--no-network"}, {"true"}));
    BOOST_TEST(r.code() == 0, r.describe());
    f.check_clean();
}

// --initrd: an initramfs the test assembles (newc, written here) from
// busybox-static and the kernel's 9p modules; burrow appends its agent.
BOOST_AUTO_TEST_CASE(user_initrd_with_busybox) {
    Fixture f;
    std::string k = kernel();
    std::string moddir = "/lib/modules/" + k.substr(14);
    std::string archive;
    unsigned ino = 100;
    auto add = [&](const std::string& name, unsigned mode, const std::string& data) {
        char hdr[111];
        std::snprintf(hdr, sizeof hdr,
                      "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino++, mode,
                      0u, 0u, 1u, 0u, data.size(), 0u, 0u, 0u, 0u, name.size() + 1, 0u);
        archive += hdr;
        archive += name;
        archive.push_back('\0');
        while (archive.size() % 4) archive.push_back('\0');
        archive += data;
        while (archive.size() % 4) archive.push_back('\0');
    };
    add("bbin", 040755, "");
    add("bbin/busybox", 0100755, btest::read_text("/bin/busybox"));
    add("initrd-marker", 0100644, "from the test's initrd\n");
    add("lib", 040755, "");
    for (const char* m :
         {"kernel/net/9p/9pnet.ko", "kernel/net/9p/9pnet_virtio.ko", "kernel/fs/9p/9p.ko"}) {
        std::string path = moddir + "/" + m;
        if (exists(path))
            add(std::string("lib/") + (std::strrchr(m, '/') + 1), 0100644, btest::read_text(path));
    }
    add("TRAILER!!!", 0, "");
    std::string initrd = f.tmp / "test-initrd.cpio";
    btest::write_file(initrd, archive);
    auto r = btest::run(
        f.cmd({"--initrd", initrd, "--no-network"},
              {"/bbin/busybox", "sh", "-c", "/bbin/busybox cat /initrd-marker; exit 0"}));
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 0);
        BOOST_TEST(r.out == "from the test's initrd\n");
    }
    f.check_clean();
}

// --accel auto under a KVM whose real guests make no progress (the probe
// passes on nested-virtualisation hosts): the test hook
// BURROW_VM_TEST_KVM_STALL=1 makes "auto" pick KVM and boots that first
// guest with its vcpus frozen (QEMU -S), on any machine. No boot marker in
// 10 s: QEMU killed, one line, the whole boot again under TCG, the verdict
// cached for this boot and kernel; the second launch goes straight to TCG.
BOOST_AUTO_TEST_CASE(kvm_stall_falls_back_to_tcg_and_is_remembered) {
    Fixture f;
    f.env.push_back("BURROW_VM_TEST_KVM_STALL=1");
    const std::string line = "burrow: vm: KVM made no progress in 10 s; using TCG\n";
    auto start = std::chrono::steady_clock::now();
    auto r = btest::run(
        f.cmd({"--no-network"}, {"sh", "-c", "cat; echo out; echo err >&2; exit 3"}, "in\n"));
    auto first = std::chrono::steady_clock::now() - start;
    BOOST_TEST_MESSAGE("stalled KVM, then TCG: " << (first / 1ms) << " ms");
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 3);
        BOOST_TEST(r.out == "in\nout\n");
        size_t at = r.err.find(line);
        BOOST_TEST(at != std::string::npos);
        BOOST_TEST(r.err.find(line, at + 1) == std::string::npos, "the line twice");
        BOOST_TEST(r.err.find("err\n") != std::string::npos);
        BOOST_TEST(r.err.find("accel kvm (test hook") != std::string::npos);
        BOOST_TEST(first >= 10s);
    }
    f.check_clean();
    std::string cache = btest::read_text(f.tmp / "state/burrow/kvm-probe");
    BOOST_TEST(cache.find(" tcg\n") != std::string::npos, cache);

    start = std::chrono::steady_clock::now();
    r = btest::run(f.cmd({"--no-network"}, {"echo", "hi"}));
    auto second = std::chrono::steady_clock::now() - start;
    BOOST_TEST_MESSAGE("second launch, cached verdict: " << (second / 1ms) << " ms");
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 0);
        BOOST_TEST(r.out == "hi\n");
        BOOST_TEST(r.err.find("KVM made no progress in 10 s") == std::string::npos);
        BOOST_TEST(r.err.find("accel tcg (cached in ") != std::string::npos);
        // Straight to TCG: no 10 s trial (a TCG boot alone is well under it
        // here, but the proof is the line above, not the time).
    }
    f.check_clean();
}

namespace {

// A system for --system shaped like a NixOS toplevel, with the init that is
// installed here: Debian's systemd (from the host's /usr, read-only in the
// guest), the Debian kernel, and an etc/ of its own holding the test's
// "extra module": a plain service enabled in multi-user.target. Units that
// only cost boot time in a throwaway VM (udev and its coldplug, the
// journal's flush, utmp, tmpfiles, the kernel's pseudo file systems burrow
// mounts already) are masked and the default target is multi-user, as a
// user's system would configure them.
constexpr const char* kBootOnlyUnits[] = {"systemd-udev-trigger.service",
                                          "systemd-udevd.service",
                                          "systemd-udevd-control.socket",
                                          "systemd-udevd-kernel.socket",
                                          "systemd-journal-flush.service",
                                          "systemd-update-utmp.service",
                                          "systemd-random-seed.service",
                                          "systemd-tmpfiles-setup.service",
                                          "systemd-tmpfiles-setup-dev.service",
                                          "systemd-binfmt.service",
                                          "proc-sys-fs-binfmt_misc.automount",
                                          "systemd-sysctl.service",
                                          "systemd-remount-fs.service",
                                          "kmod-static-nodes.service",
                                          "modprobe@.service",
                                          "sys-kernel-debug.mount",
                                          "sys-kernel-tracing.mount",
                                          "sys-kernel-config.mount",
                                          "sys-fs-fuse-connections.mount",
                                          "dev-hugepages.mount",
                                          "dev-mqueue.mount"};

std::string make_debian_system(const btest::TempDir& tmp) {
    const std::string d = tmp / "system";
    const std::string etc = d + "/etc";
    const std::string units = etc + "/systemd/system";
    for (const std::string& p :
         {d, etc, etc + "/systemd", units, units + "/multi-user.target.wants"})
        BOOST_REQUIRE(mkdir(p.c_str(), 0755) == 0);
    BOOST_REQUIRE(symlink("/lib/systemd/systemd", (d + "/init").c_str()) == 0);
    BOOST_REQUIRE(symlink(kernel().c_str(), (d + "/kernel").c_str()) == 0);
    for (const char* f : {"passwd", "group", "nsswitch.conf"})
        btest::write_file(etc + "/" + f, btest::read_text(std::string("/etc/") + f));
    btest::write_file(etc + "/os-release", btest::read_text("/usr/lib/os-release"));
    btest::write_file(etc + "/machine-id", ""); // systemd makes a transient one
    btest::write_file(units + "/burrow-test-hello.service",
                      "[Unit]\nDescription=the test's extra module\n[Service]\n"
                      "ExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n");
    BOOST_REQUIRE(symlink("/etc/systemd/system/burrow-test-hello.service",
                          (units + "/multi-user.target.wants/burrow-test-hello.service").c_str()) ==
                  0);
    for (const char* u : kBootOnlyUnits)
        BOOST_REQUIRE(symlink("/dev/null", (units + "/" + u).c_str()) == 0);
    BOOST_REQUIRE(
        symlink("/lib/systemd/system/multi-user.target", (units + "/default.target").c_str()) == 0);
    return d;
}

} // namespace

namespace {

// One QMP exchange on a unix socket: greeting, capabilities, then `command`;
// returns the last reply line.
std::string qmp(const std::string& path, const std::string& command) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        close(fd);
        return "connect failed";
    }
    std::string got;
    auto line = [&]() {
        std::string l;
        char ch;
        while (read(fd, &ch, 1) == 1 && ch != '\n') l.push_back(ch);
        if (!l.empty() && l.back() == '\r') l.pop_back(); // QMP ends lines with CRLF
        return l;
    };
    got = line(); // greeting
    std::string caps = "{\"execute\":\"qmp_capabilities\"}\n";
    (void)!write(fd, caps.data(), caps.size());
    got = line();
    std::string c = command + "\n";
    (void)!write(fd, c.data(), c.size());
    got = line();
    close(fd);
    return got;
}

} // namespace

// --system: burrow's stage 1 builds the tree, then execs the system's init
// (systemd, pid 1); the agent runs as burrow-agent.service and the command
// as the caller, with its stdio, status and the system's own units around
// it; with --display and the default sizes. As root, --accel auto meets this host's KVM for real:
// where real guests stall under it, the boot is retried under TCG (one stderr line) and the
// command's output and status still come back.
BOOST_AUTO_TEST_CASE(system_boots_its_own_init) {
    Fixture f;
    const std::string sys = make_debian_system(f.tmp);
    long cpus = std::clamp<long>(sysconf(_SC_NPROCESSORS_ONLN), 1, 4);
    long host_mib = long(sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024) / 1024);
    long mib = std::min<long>(4096, std::max<long>(host_mib / 2, 256));
    btest::Command c =
        f.cmd({"--no-network", "--system", sys, "--display", "--default-size"},
              {"sh", "-c",
               "echo pid1=$(cat /proc/1/comm) uid=$(id -u) cwd=\"$(pwd)\" nproc=$(nproc);"
               "cat /proc/1/cmdline | tr '\\0' ' ' | grep -q ^/usr/lib/systemd/systemd && echo "
               "init-path-ok;"
               "systemctl is-active burrow-agent.service;"
               // The extra module's unit starts beside the agent's: wait for it (bounded).
               "for i in $(seq 150); do systemctl is-active -q burrow-test-hello.service && break; "
               "sleep 0.2; done; echo hello=$(systemctl is-active burrow-test-hello.service);"
               "touch started; for i in $(seq 300); do test -e go && break; sleep 0.2; done;"
               "echo err >&2; exit 3"});
    // Without a kernel option: DIR/kernel.
    c.argv.erase(c.argv.begin() + 1, c.argv.begin() + 3);
    auto start = std::chrono::steady_clock::now();
    btest::Running vm(c);
    // --display: a VGA device and, with no window UI here, a VNC server on a
    // unix socket in the launch dir (0700), QMP beside it: a screendump is
    // a PPM of the guest's screen.
    std::string sock;
    for (int i = 0; i < 1800 && sock.empty(); ++i) {
        if (exists(f.project + "/started"))
            for (const auto& e : entries(f.run))
                if (exists(f.run + "/" + e + "/qmp.sock")) sock = f.run + "/" + e + "/qmp.sock";
        if (sock.empty()) std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST_MESSAGE("--system boot to the command: "
                       << (std::chrono::steady_clock::now() - start) / 1ms << " ms");
    BOOST_TEST(!sock.empty(), "no qmp.sock in the launch dir once the command ran");
    if (!sock.empty()) {
        const std::string dir = sock.substr(0, sock.rfind('/'));
        struct stat st;
        BOOST_TEST((stat((dir + "/vnc.sock").c_str(), &st) == 0 && S_ISSOCK(st.st_mode)));
        BOOST_TEST((stat(dir.c_str(), &st) == 0 && (st.st_mode & 077) == 0), "launch dir not 0700");
        const std::string shot = f.tmp / "shot.ppm";
        std::string reply =
            qmp(sock, "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"" + shot + "\"}}");
        BOOST_TEST(reply == "{\"return\": {}}");
        std::string ppm = btest::read_text(shot);
        BOOST_TEST(ppm.rfind("P6\n", 0) == 0, ppm.substr(0, 16));
        BOOST_TEST(ppm.size() > 100000u);
    }
    btest::write_file(f.project + "/go", "");
    auto r = vm.finish();
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 3);
        BOOST_TEST(r.out.find("pid1=systemd uid=" + std::to_string(getuid()) + " cwd=" + f.project +
                              " nproc=" + std::to_string(cpus) + "\n") == 0);
        BOOST_TEST(r.out.find("init-path-ok\nactive\nhello=active\n") != std::string::npos);
        BOOST_TEST(r.err.find("err\n") != std::string::npos);
        BOOST_TEST(r.err.find("system init /usr/lib/systemd/systemd") != std::string::npos);
        // The seed's sizes, capped to this host.
        BOOST_TEST(r.err.find(std::to_string(mib) + " MiB, " + std::to_string(cpus) + " cores") !=
                   std::string::npos);
    }
    f.check_clean();

    // Bad input: one line, 125, nothing left.
    BOOST_REQUIRE(mkdir((f.tmp / "noinit").c_str(), 0755) == 0);
    for (const auto& [dir, why] : std::vector<std::pair<std::string, std::string>>{
             {f.tmp / "absent", "--system " + f.tmp / "absent" + ": No such file or directory"},
             {f.tmp / "noinit",
              "--system " + f.tmp / "noinit" + ": init: No such file or directory"},
             {sys + "/etc/passwd", "--system " + sys + "/etc/passwd: not a directory"}}) {
        auto b = btest::run(f.cmd({"--system", dir}, {"true"}));
        BOOST_TEST_CONTEXT(b.describe()) {
            BOOST_TEST(b.code() == 125);
            BOOST_TEST(b.err.find(why) != std::string::npos);
        }
    }
    f.check_clean();
}
