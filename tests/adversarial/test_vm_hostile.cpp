// Adversarial tests of the VM backend (QEMU, TCG): the guest's root attacks
// the host side of burrow (tests/adversarial/vm_guest_hostile.c, copied
// into the project dir and run as the command). Each case asserts that the
// attack fails and that the host is unchanged. Driven through
// tests/integration/vm_driver (launch_vm, enter_vm, stop_vm). Root only: the
// guest command runs with the caller's uid, and only a root caller makes it
// root in the guest (as a plain user these attacks cannot even start).
#define BOOST_TEST_MODULE adversarial_vm
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "tests/support/run_command.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kDriver = VM_DRIVER;
const std::string kHostile = VM_HOSTILE;

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
    BOOST_REQUIRE_MESSAGE(!found.empty(), "no /boot/vmlinuz-* with its /lib/modules");
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

// Resident size of a running process, in KiB (0 once it is gone).
long rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string l; std::getline(f, l);)
        if (l.starts_with("VmRSS:")) return std::atol(l.c_str() + 6);
    return 0;
}

// Running and not yet a zombie (kill(pid, 0) succeeds on a zombie too).
bool alive(pid_t pid) {
    std::string s = btest::read_text("/proc/" + std::to_string(pid) + "/stat");
    size_t rp = s.rfind(')');
    return rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] != 'Z';
}

struct Fixture {
    btest::TempDir tmp;
    std::string project = tmp / "p";
    std::string run = tmp / "r";
    Fixture() {
        if (geteuid() != 0) {
            std::puts("skipped: the guest command is root in the guest only for a root caller");
            std::exit(77);
        }
        BOOST_REQUIRE(mkdir(project.c_str(), 0755) == 0);
        btest::write_file(project + "/hostile", btest::read_text(kHostile), 0755);
    }
    btest::Command cmd(std::vector<std::string> command) {
        btest::Command c;
        c.argv = {kDriver,        "--kernel",  kernel(), "--accel", "tcg",
                  "--no-network", "--run-dir", run,      project,   "--"};
        c.argv.insert(c.argv.end(), command.begin(), command.end());
        c.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=" + tmp.path(),
                                         "XDG_CACHE_HOME=" + tmp / "cache",
                                         "XDG_STATE_HOME=" + tmp / "state"};
        c.timeout = 110s;
        return c;
    }
    btest::Command enter_cmd(pid_t qemu, std::vector<std::string> command) {
        auto dirs = entries(run);
        BOOST_REQUIRE(dirs.size() == 1u);
        btest::Command c;
        c.argv = {kDriver,      "--enter-sock",       run + "/" + dirs[0] + "/enter.sock",
                  "--qemu-pid", std::to_string(qemu), "--"};
        c.argv.insert(c.argv.end(), command.begin(), command.end());
        c.timeout = 60s;
        return c;
    }
    void wait_for(const std::string& file) {
        for (int i = 0; i < 900 && !exists(project + "/" + file); ++i)
            std::this_thread::sleep_for(100ms);
        BOOST_REQUIRE_MESSAGE(exists(project + "/" + file), "the guest never wrote " << file);
    }
    pid_t qemu() {
        auto q = btest::processes_with("path=" + run);
        BOOST_REQUIRE(q.size() == 1u);
        return q[0];
    }
    void stop(btest::Running& vm, pid_t qemu) {
        btest::Command s;
        s.argv = {kDriver,          "--stop",
                  "--qemu-pid",     std::to_string(qemu),
                  "--launcher-pid", std::to_string(vm.pid())};
        s.timeout = 60s;
        auto r = btest::run(s);
        BOOST_TEST(r.code() == 0, r.describe());
        vm.finish();
    }
    void check_clean() {
        BOOST_TEST(btest::wait_gone("path=" + run, 10s), "QEMU left running");
        BOOST_TEST(entries(run).empty(), "left in the run dir: " << entries(run).size());
    }
};

// Runs cmd to the end, sampling the launcher's largest RSS once QEMU runs
// (kernel.log exists: the kernel decompressed before it is not the guest's
// doing) and the largest kernel.log seen in the run dir.
struct Watched {
    btest::Result r;
    long hwm = 0;
    off_t klog = 0;
    double seconds = 0;
};
Watched watch(Fixture& f, const btest::Command& c) {
    Watched w;
    auto t0 = Clock::now();
    btest::Running vm(c);
    std::thread sampler([&] {
        while (alive(vm.pid()) && Clock::now() - t0 < 115s) {
            for (const auto& d : entries(f.run)) {
                struct stat st;
                if (stat((f.run + "/" + d + "/kernel.log").c_str(), &st) == 0) {
                    w.klog = std::max(w.klog, st.st_size);
                    w.hwm = std::max(w.hwm, rss_kib(vm.pid()));
                }
            }
            std::this_thread::sleep_for(100ms);
        }
    });
    w.r = vm.finish();
    sampler.join();
    w.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return w;
}

} // namespace

// The guest's root makes a setuid-root shell, a world-writable project dir
// and a device node through the writable 9p share: the guest sees them, the
// host never does (mapped 9p security model).
BOOST_AUTO_TEST_CASE(setuid_through_the_share) {
    Fixture f;
    struct stat before;
    BOOST_REQUIRE(stat(f.project.c_str(), &before) == 0);
    auto r = btest::run(
        f.cmd({"sh", "-c",
               "cp /bin/sh rootsh && chown 0:0 rootsh && chmod 4755 rootsh && chmod 777 . && "
               "mknod nul c 1 3; mkdir sub && chmod 6777 sub; stat -c '%a %u %F' rootsh . nul"}));
    BOOST_TEST_CONTEXT(r.describe()) {
        BOOST_TEST(r.code() == 0);
        // Inside, the attack worked: the bits are the guest's view.
        BOOST_TEST(r.out == "4755 0 regular file\n777 0 directory\n644 0 character special file\n");
    }
    struct stat st;
    BOOST_REQUIRE(stat((f.project + "/rootsh").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07000) == 0u, "host mode " << std::oct << st.st_mode);
    BOOST_TEST((st.st_mode & 077) == 0u, "host mode " << std::oct << st.st_mode);
    BOOST_TEST(st.st_uid == getuid());
    BOOST_REQUIRE(stat(f.project.c_str(), &st) == 0);
    BOOST_TEST(st.st_mode == before.st_mode, "project dir mode " << std::oct << st.st_mode);
    if (lstat((f.project + "/nul").c_str(), &st) == 0)
        BOOST_TEST(S_ISREG(st.st_mode), "a device node on the host");
    BOOST_REQUIRE(stat((f.project + "/sub").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07077) == 0u, "sub mode " << std::oct << st.st_mode);
    f.check_clean();
}

// 64 KiB chunks without a newline on the control port: the host stops the
// guest at the first line over 4 KiB, one line, 125, bounded memory.
BOOST_AUTO_TEST_CASE(control_port_flood_without_newline) {
    Fixture f;
    auto w = watch(f, f.cmd({"./hostile", "ctl-flood-raw"}));
    BOOST_TEST_MESSAGE("raw flood: " << w.seconds << " s, launcher peak " << w.hwm << " KiB");
    BOOST_TEST_CONTEXT(w.r.describe()) {
        BOOST_TEST(!w.r.timed_out);
        BOOST_TEST(w.r.code() == 125);
        BOOST_TEST(w.r.err == "burrow: launch: vm: the guest sent a control line over 4096 "
                              "bytes; stopped it\n");
    }
    BOOST_TEST(w.hwm < 32 * 1024);
    f.check_clean();
}

// Well-formed junk lines for seconds, then the command exits 7: the real
// status comes through, memory stays bounded.
BOOST_AUTO_TEST_CASE(control_port_flood_of_lines_keeps_the_status) {
    Fixture f;
    auto w = watch(f, f.cmd({"./hostile", "ctl-flood-lines", "5"}));
    BOOST_TEST_MESSAGE("line flood: " << w.seconds << " s, launcher peak " << w.hwm << " KiB");
    BOOST_TEST_CONTEXT(w.r.describe()) {
        BOOST_TEST(!w.r.timed_out);
        BOOST_TEST(w.r.code() == 7);
        BOOST_TEST(w.r.err.empty());
    }
    BOOST_TEST(w.hwm < 32 * 1024);
    f.check_clean();
}

// 1.25 MiB on the serial console (a 16550 under TCG: about 40 KB/s here):
// kernel.log in the run dir reaches 1 MiB and no more (plus the one-line
// note), the status comes through.
BOOST_AUTO_TEST_CASE(console_flood_is_capped) {
    Fixture f;
    auto w = watch(f, f.cmd({"./hostile", "console-flood", "1310720"}));
    BOOST_TEST_MESSAGE("console flood: " << w.seconds << " s, kernel.log peak " << w.klog
                                         << " bytes, launcher peak " << w.hwm << " KiB");
    BOOST_TEST_CONTEXT(w.r.describe()) {
        BOOST_TEST(!w.r.timed_out);
        BOOST_TEST(w.r.code() == 0);
    }
    BOOST_TEST(w.klog >= 1 << 20, "the flood did not reach the cap: the test proves nothing");
    BOOST_TEST(w.klog <= (1 << 20) + 64);
    BOOST_TEST(w.hwm < 32 * 1024);
    f.check_clean();
}

// The guest's root takes over the enter port and answers `burrow enter`
// with a frame that claims 0x7ffffff0 bytes: enter refuses it, one line.
BOOST_AUTO_TEST_CASE(oversized_enter_frame) {
    Fixture f;
    btest::Running vm(f.cmd({"./hostile", "enter-bigframe"}));
    f.wait_for("took-the-port");
    pid_t q = f.qemu();
    auto t0 = Clock::now();
    btest::Running enter(f.enter_cmd(q, {"true"}));
    long peak = 0;
    while (alive(enter.pid()) && Clock::now() - t0 < 55s) {
        peak = std::max(peak, rss_kib(enter.pid()));
        std::this_thread::sleep_for(50ms);
    }
    auto e = enter.finish();
    BOOST_TEST_CONTEXT(e.describe()) {
        BOOST_TEST(!e.timed_out);
        BOOST_TEST(e.code() == 125);
        BOOST_TEST(e.err ==
                   "burrow: enter: the guest sent a frame of 2147483632 bytes (limit 65536)\n");
    }
    BOOST_TEST(peak < 32 * 1024);
    f.stop(vm, q);
    f.check_clean();
}

// The guest's root stops the enter server: `burrow enter` notices within
// its bound (one line, 125); in tty mode "~." leaves at once and the
// terminal is restored.
BOOST_AUTO_TEST_CASE(enter_into_a_guest_that_stopped_answering) {
    Fixture f;
    btest::Running vm(f.cmd({"./hostile", "enter-stop"}));
    f.wait_for("stopped");
    pid_t q = f.qemu();
    auto t0 = Clock::now();
    auto e = btest::run(f.enter_cmd(q, {"echo", "never"}));
    double took = std::chrono::duration<double>(Clock::now() - t0).count();
    BOOST_TEST_MESSAGE("enter gave up after " << took << " s");
    BOOST_TEST_CONTEXT(e.describe()) {
        BOOST_TEST(!e.timed_out);
        BOOST_TEST(e.code() == 125);
        BOOST_TEST(e.out.empty());
        BOOST_TEST(e.err == "burrow: enter: the VM stopped answering (no reply in 15 s)\n");
    }

    // tty mode: "~." after a newline.
    int master = -1;
    auto ec = f.enter_cmd(q, {});
    pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        std::vector<char*> av;
        for (auto& a : ec.argv) av.push_back(a.data());
        av.push_back(nullptr);
        execv(av[0], av.data());
        _exit(127);
    }
    std::this_thread::sleep_for(1s);
    BOOST_REQUIRE(write(master, "ls\r~.", 5) == 5);
    std::string out;
    int st = -1;
    t0 = Clock::now();
    while (Clock::now() - t0 < 10s) {
        pollfd p{master, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char b[512];
            ssize_t n = read(master, b, sizeof b);
            if (n > 0) out.append(b, size_t(n));
        }
        if (waitpid(pid, &st, WNOHANG) == pid) break;
    }
    termios t{};
    bool got = tcgetattr(master, &t) == 0;
    if (st == -1) kill(pid, SIGKILL), waitpid(pid, &st, 0);
    BOOST_TEST_CONTEXT(out) {
        BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 125), "status " << st);
        BOOST_TEST(out.find("burrow: enter: left the session (~.)") != std::string::npos);
        BOOST_TEST((got && (t.c_lflag & ICANON) && (t.c_lflag & ECHO)), "terminal left raw");
    }
    close(master);
    f.stop(vm, q);
    f.check_clean();
}
