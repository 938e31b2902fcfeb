// burrow's guest agent: /init of the VM backend's initramfs (static, no
// libraries, nothing else in the initramfs it could rely on).
//
// It loads the virtio/9p modules, mounts proc/sys/dev and the per-launch meta
// share, builds the guest's file tree from the manifest (host /usr and /etc
// read-only over 9p, the project read-write, ...), runs the command as the
// caller's uid/gid in the project dir with its stdio on virtio-serial ports
// (or the console tty when interactive), serves `burrow enter` shells on a
// second port, reports the command's status on the control port and powers
// the machine off. The protocol is in launcher/vm/protocol.hpp.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <net/route.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/vm/protocol.hpp"
#include "runtime/exit_status.hpp"

extern char** environ;

namespace {

using namespace burrow::vm;

int g_ctl = -1;     // control port, once found
int g_console = -1; // /dev/console for messages before the control port exists

void say(const std::string& line) {
    std::string l = "burrow-agent: " + line + "\n";
    if (g_console >= 0) (void)!write(g_console, l.data(), l.size());
}

void ctl_send(const std::string& line) {
    if (g_ctl < 0) return;
    std::string l = line + "\n";
    (void)!write(g_ctl, l.data(), l.size());
}

// Progress on the kernel console (the host's kernel.log): where boot time goes.
void mark(const char* step) {
    timespec t;
    clock_gettime(CLOCK_BOOTTIME, &t);
    char b[128];
    int n = snprintf(b, sizeof b, "burrow-agent: %ld.%03ld %s\n", long(t.tv_sec),
                     t.tv_nsec / 1000000, step);
    if (g_console >= 0 && n > 0) (void)!write(g_console, b, size_t(n));
}

[[noreturn]] void power_off() {
    sync();
    reboot(RB_POWER_OFF);
    for (;;) pause();
}

// The last line (status or error), then power off. QEMU moves port data to
// the host's socket only as fast as the host reads it; what is still in the
// virtqueue when the machine powers off is lost. So wait (bounded: the host
// stops a guest that is silent 10 s after its status) until the host says
// "ack", which it sends once it has parsed a status or error line.
[[noreturn]] void send_final_and_power_off(const std::string& line) {
    ctl_send(line);
    if (g_ctl >= 0) {
        timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        std::string got;
        for (;;) {
            timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long left =
                8000 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
            if (left <= 0) break;
            pollfd p{g_ctl, POLLIN, 0};
            int r = poll(&p, 1, int(left));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0 || !(p.revents & POLLIN)) break;
            char buf[256];
            ssize_t n = read(g_ctl, buf, sizeof buf);
            if (n <= 0) break;
            got.append(buf, size_t(n));
            if (got.find("ack\n") != std::string::npos) break;
            if (got.size() > 4096) got.erase(0, got.size() - 8);
        }
    }
    power_off();
}

// Failure before the command runs: one line to the host (it prints it as
// "burrow: launch: vm: ..." and exits 125), the same on the kernel console.
[[noreturn]] void fail(const std::string& what) {
    say(what);
    send_final_and_power_off("error " + what);
}

std::string errstr() {
    return std::strerror(errno);
}

// Directories the manifest makes belong to the user (as in the namespace
// backend, where the caller owns the fresh home); -1: leave them to root.
uid_t g_owner_uid = uid_t(-1);
gid_t g_owner_gid = gid_t(-1);

void mkdir_p(const std::string& path, mode_t mode) {
    std::string cur;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i + 1);
        if (j == std::string::npos) j = path.size();
        cur = path.substr(0, j);
        if (cur.empty()) {
        } else if (mkdir(cur.c_str(), mode) == 0) {
            if (g_owner_uid != uid_t(-1)) (void)!chown(cur.c_str(), g_owner_uid, g_owner_gid);
        } else if (errno != EEXIST) {
            fail("mkdir " + cur + ": " + errstr());
        }
        i = j;
    }
}

void do_mount(const char* src, const std::string& dst, const char* type, unsigned long flags,
              const char* data) {
    mkdir_p(dst, 0755);
    if (mount(src, dst.c_str(), type, flags, data) < 0)
        fail(std::string("mount ") + type + " " + src + " on " + dst + ": " + errstr());
}

std::string read_file(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string s;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
    close(fd);
    return s;
}

void load_modules() {
    std::string order = read_file(kModulesOrder);
    size_t i = 0;
    while (i < order.size()) {
        size_t j = order.find('\n', i);
        if (j == std::string::npos) j = order.size();
        std::string name = order.substr(i, j - i);
        i = j + 1;
        if (name.empty()) continue;
        std::string path = std::string(kModulesDir) + "/" + name;
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail("module " + path + ": " + errstr());
        int flags = 0;
        // Compressed modules: the kernel decompresses them itself
        // (MODULE_INIT_COMPRESSED_FILE, CONFIG_MODULE_DECOMPRESS).
        if (name.ends_with(".xz") || name.ends_with(".zst") || name.ends_with(".gz")) flags |= 4;
        if (syscall(SYS_finit_module, fd, "", flags) < 0 && errno != EEXIST)
            fail("loading module " + name + ": " + errstr());
        close(fd);
    }
}

// /dev/vportNpM whose /sys/class/virtio-ports/.../name is `name`; the ports
// show up asynchronously after virtio_console probes, so wait a little.
std::string find_port(const std::string& name) {
    for (int tries = 0; tries < 500; ++tries) {
        if (DIR* d = opendir("/sys/class/virtio-ports")) {
            while (dirent* e = readdir(d)) {
                if (e->d_name[0] == '.') continue;
                std::string n =
                    read_file(std::string("/sys/class/virtio-ports/") + e->d_name + "/name");
                while (!n.empty() && n.back() == '\n') n.pop_back();
                if (n == name) {
                    std::string dev = std::string("/dev/") + e->d_name;
                    closedir(d);
                    if (access(dev.c_str(), F_OK) == 0) return dev;
                    goto again;
                }
            }
            closedir(d);
        }
    again:
        usleep(10000);
    }
    return {};
}

int open_port(const std::string& name, int flags) {
    std::string dev = find_port(name);
    if (dev.empty()) fail("virtio-serial port " + name + " did not appear");
    int fd = open(dev.c_str(), flags | O_CLOEXEC);
    if (fd < 0) fail("open " + dev + " (" + name + "): " + errstr());
    return fd;
}

struct Manifest {
    std::vector<std::vector<std::string>> fs; // mount/tmpfs/dir/copy/bindfile/symlink records
    std::vector<std::string> env, argv;
    std::string cwd = "/", user, hostname, shell = "/bin/sh";
    std::string init; // --system: the system's init to boot (empty: we stay pid 1)
    uid_t uid = 0;
    gid_t gid = 0;
    bool network = false, interactive = false, enter = true;
};

Manifest parse_manifest(const std::string& raw) {
    std::vector<std::string> tok;
    size_t i = 0;
    while (i < raw.size()) {
        size_t j = raw.find('\0', i);
        if (j == std::string::npos) fail("manifest: unterminated string");
        tok.emplace_back(raw.substr(i, j - i));
        i = j + 1;
    }
    Manifest m;
    auto arity = [](const std::string& k) -> int {
        if (k == "mount9p" || k == "copy") return 3;
        if (k == "tmpfs" || k == "roottmpfs" || k == "dir" || k == "bindfile" || k == "symlink")
            return 2;
        if (k == "env" || k == "arg" || k == "cwd" || k == "uid" || k == "gid" || k == "user" ||
            k == "hostname" || k == "network" || k == "interactive" || k == "shell" ||
            k == "enter" || k == "init")
            return 1;
        return -1;
    };
    for (size_t k = 0; k < tok.size();) {
        int n = arity(tok[k]);
        if (n < 0) fail("manifest: unknown record " + tok[k]);
        if (k + size_t(n) >= tok.size()) fail("manifest: truncated record " + tok[k]);
        const std::string& key = tok[k];
        const std::string& v = tok[k + 1];
        if (key == "env")
            m.env.push_back(v);
        else if (key == "arg")
            m.argv.push_back(v);
        else if (key == "cwd")
            m.cwd = v;
        else if (key == "uid")
            m.uid = uid_t(std::strtoul(v.c_str(), nullptr, 10));
        else if (key == "gid")
            m.gid = gid_t(std::strtoul(v.c_str(), nullptr, 10));
        else if (key == "user")
            m.user = v;
        else if (key == "hostname")
            m.hostname = v;
        else if (key == "shell")
            m.shell = v;
        else if (key == "init")
            m.init = v;
        else if (key == "network")
            m.network = v == "1";
        else if (key == "interactive")
            m.interactive = v == "1";
        else
            m.fs.emplace_back(tok.begin() + long(k), tok.begin() + long(k) + n + 1);
        k += size_t(n) + 1;
    }
    if (m.argv.empty()) fail("manifest: no command");
    return m;
}

void copy_file(const std::string& from, const std::string& to, mode_t mode) {
    int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) fail("open " + from + ": " + errstr());
    size_t slash = to.rfind('/');
    if (slash != std::string::npos && slash > 0) mkdir_p(to.substr(0, slash), 0755);
    int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) fail("create " + to + ": " + errstr());
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, size_t(n)) != n) fail("write " + to + ": " + errstr());
    if (n < 0) fail("read " + from + ": " + errstr());
    close(in);
    close(out);
}

const std::string kMeta = "/run/burrow-meta";

void apply_fs(const Manifest& m) {
    g_owner_uid = m.uid;
    g_owner_gid = m.gid;
    // (from here on until the end of apply_fs)
    struct Reset {
        ~Reset() { g_owner_uid = uid_t(-1), g_owner_gid = gid_t(-1); }
    } reset;
    for (const auto& r : m.fs) {
        const std::string& k = r[0];
        if (k == "mount9p") {
            bool ro = r[3] == "ro";
            // Read-only system shares may be cached (the host's /usr does not
            // change under a running command); writable shares stay uncached
            // so host and guest see each other's writes at once.
            const char* opts = ro ? "trans=virtio,version=9p2000.L,msize=262144,cache=loose"
                                  : "trans=virtio,version=9p2000.L,msize=262144";
            do_mount(r[1].c_str(), r[2], "9p", ro ? MS_RDONLY : 0, opts);
        } else if (k == "roottmpfs") {
            std::string opt = "mode=" + r[2];
            do_mount("tmpfs", r[1], "tmpfs", MS_NOSUID | MS_NODEV, opt.c_str());
        } else if (k == "tmpfs") {
            std::string opt =
                "mode=" + r[2] + ",uid=" + std::to_string(m.uid) + ",gid=" + std::to_string(m.gid);
            do_mount("tmpfs", r[1], "tmpfs", MS_NOSUID | MS_NODEV, opt.c_str());
        } else if (k == "dir") {
            mkdir_p(r[1], mode_t(std::strtoul(r[2].c_str(), nullptr, 8)));
            (void)!chown(r[1].c_str(), m.uid, m.gid);
        } else if (k == "copy") {
            copy_file(kMeta + "/" + r[1], r[2], mode_t(std::strtoul(r[3].c_str(), nullptr, 8)));
            if (chown(r[2].c_str(), m.uid, m.gid) < 0) fail("chown " + r[2] + ": " + errstr());
        } else if (k == "bindfile") {
            size_t slash = r[2].rfind('/');
            if (slash != std::string::npos && slash > 0) mkdir_p(r[2].substr(0, slash), 0755);
            int fd = open(r[2].c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0) close(fd);
            std::string src = kMeta + "/" + r[1];
            if (mount(src.c_str(), r[2].c_str(), nullptr, MS_BIND, nullptr) < 0)
                fail("bind " + src + " on " + r[2] + ": " + errstr());
            if (mount(nullptr, r[2].c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) <
                0)
                fail("remount read-only " + r[2] + ": " + errstr());
        } else if (k == "symlink") {
            if (symlink(r[1].c_str(), r[2].c_str()) < 0 && errno != EEXIST)
                fail("symlink " + r[2] + ": " + errstr());
        }
    }
}

void if_up(int s, const char* name, const char* addr, const char* mask) {
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (addr) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
        sin->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &sin->sin_addr);
        if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
            fail(std::string("address of ") + name + ": " + errstr());
        inet_pton(AF_INET, mask, &sin->sin_addr);
        if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
            fail(std::string("netmask of ") + name + ": " + errstr());
    }
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail(std::string("flags of ") + name + ": " + errstr());
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        fail(std::string("bringing up ") + name + ": " + errstr());
}

// QEMU's user-mode NAT (slirp) fixed addresses: guest 10.0.2.15/24, gateway
// 10.0.2.2, DNS 10.0.2.3 (the host side writes a resolv.conf naming it).
void setup_network(bool nat) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail("socket: " + errstr());
    if_up(s, "lo", nullptr, nullptr);
    if (nat) {
        if_up(s, "eth0", "10.0.2.15", "255.255.255.0");
        rtentry rt{};
        auto* gw = reinterpret_cast<sockaddr_in*>(&rt.rt_gateway);
        gw->sin_family = AF_INET;
        inet_pton(AF_INET, "10.0.2.2", &gw->sin_addr);
        reinterpret_cast<sockaddr_in*>(&rt.rt_dst)->sin_family = AF_INET;
        reinterpret_cast<sockaddr_in*>(&rt.rt_genmask)->sin_family = AF_INET;
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        if (ioctl(s, SIOCADDRT, &rt) < 0) fail("default route: " + errstr());
    }
    close(s);
}

std::vector<char*> cvec(std::vector<std::string>& v) {
    std::vector<char*> r;
    for (auto& s : v) r.push_back(s.data());
    r.push_back(nullptr);
    return r;
}

// In a forked child: become the caller (ids, env, cwd) and exec argv.
// Errors go to the child's stderr, which is already the command's.
[[noreturn]] void become_and_exec(Manifest& m, std::vector<std::string> argv) {
    if (setgroups(0, nullptr) < 0 || setgid(m.gid) < 0 || setuid(m.uid) < 0) {
        dprintf(2, "burrow-agent: dropping to uid %u gid %u: %s\n", unsigned(m.uid),
                unsigned(m.gid), std::strerror(errno));
        _exit(burrow::kExitFailure);
    }
    if (chdir(m.cwd.c_str()) < 0) {
        dprintf(2, "burrow-agent: chdir %s: %s\n", m.cwd.c_str(), std::strerror(errno));
        _exit(burrow::kExitFailure);
    }
    clearenv();
    for (auto& e : m.env) putenv(e.data());
    if (!getenv("PATH")) setenv("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", 1);
    for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    auto a = cvec(argv);
    execvp(a[0], a.data());
    int e = errno;
    dprintf(2, "burrow: %s: %s\n", a[0], std::strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

// Milliseconds on the monotonic clock.
long long mono_ms() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

// A port's "no host" is believed only once it has lasted this long.
// virtio-serial reports a host's arrival and departure on the control
// queue, which the guest's kernel serves from a work item, later than data
// on the port's own queue: the previous host's departure can be seen after
// the next host's first frames (a second `burrow enter` right after the
// first was left without an answer that way). Sessions therefore begin at
// an 'h' frame, never at a change of the port's state, and a session ends
// for a departed host only when no host has been there for this long, or
// when the next host's 'h' frame arrives.
constexpr long long kHostGoneGraceMs = 1000;

// Writes all of buf to the (non-blocking) enter port; false when the host
// side went away (a blocked port write would otherwise hang forever): no
// host for kHostGoneGraceMs, or a host that takes nothing for 5 s.
bool port_write(int port, const char* buf, size_t n) {
    long long stuck = mono_ms(), gone = -1;
    while (n > 0) {
        ssize_t w = write(port, buf, n);
        if (w > 0) {
            buf += w, n -= size_t(w);
            stuck = mono_ms(), gone = -1;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR) return false;
        pollfd p{port, POLLOUT, 0};
        poll(&p, 1, 100);
        long long now = mono_ms();
        if (p.revents & POLLHUP) {
            if (gone < 0) gone = now;
            if (now - gone >= kHostGoneGraceMs) return false;
            usleep(20000); // HUP polls at once: look again shortly
        } else {
            gone = -1;
            if (now - stuck >= 5000) return false;
        }
    }
    return true;
}

bool send_frame(int port, char type, const char* data, uint32_t len) {
    char h[kFrameHeader] = {type, char(len), char(len >> 8), char(len >> 16), char(len >> 24)};
    return port_write(port, h, sizeof h) && port_write(port, data, len);
}

// The enter port's input: frames from whichever host is connected.
struct EnterPort {
    int fd = -1;
    int sig = -1; // signalfd for SIGIO: the port signals a host's arrival
    std::string rx;
    long long last_rx = 0;

    // One read. >0: bytes appended; 0: no host and nothing buffered; -1:
    // a host is connected and has sent nothing more yet.
    ssize_t fill() {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            rx.append(buf, size_t(n));
            last_rx = mono_ms();
            return n;
        }
        return n == 0 ? 0 : -1;
    }
    bool frame_ready() const {
        if (rx.size() < kFrameHeader) return false;
        return rx.size() >= kFrameHeader + length();
    }
    uint32_t length() const {
        return uint32_t(uint8_t(rx[1])) | uint32_t(uint8_t(rx[2])) << 8 |
               uint32_t(uint8_t(rx[3])) << 16 | uint32_t(uint8_t(rx[4])) << 24;
    }
    // The next whole frame, if one is buffered.
    bool next(char& type, std::string& payload) {
        if (!frame_ready()) return false;
        uint32_t len = length();
        type = rx[0];
        payload = rx.substr(kFrameHeader, len);
        rx.erase(0, kFrameHeader + len);
        return true;
    }
    // Waits for the port to change: data, a host's arrival or departure
    // (bounded, so nothing waits on a wakeup that may not come).
    void wait(bool no_host) {
        if (no_host) {
            pollfd p{sig, POLLIN, 0};
            poll(&p, 1, rx.empty() ? 1000 : 100);
            signalfd_siginfo si;
            while (read(sig, &si, sizeof si) > 0) {
            }
        } else {
            pollfd p{fd, POLLIN, 0};
            poll(&p, 1, 500);
        }
    }
};

// One `burrow enter` session: waits for an 'h' frame (anything else is
// what a previous host left behind), then input frames in, output frames
// out, an 'x' frame with the status at the end.
void enter_session(Manifest& m, EnterPort& in) {
    char type = 0;
    std::string payload;
    for (;;) {
        while (in.next(type, payload))
            if (type == 'h') goto start;
        ssize_t n = in.fill();
        if (n == 0 && !in.rx.empty() && mono_ms() - in.last_rx >= kHostGoneGraceMs)
            in.rx.clear(); // a part of a frame whose host is long gone
        if (n <= 0) in.wait(n == 0);
    }
start:
    if (payload.empty()) return;
    bool tty = payload[0] == 't';
    std::vector<std::string> argv;
    for (size_t i = 1; i < payload.size();) {
        size_t z = payload.find('\0', i);
        if (z == std::string::npos) break;
        argv.push_back(payload.substr(i, z - i));
        i = z + 1;
    }
    if (argv.empty()) argv = {m.shell, "-i"};

    int port = in.fd;
    int master = -1, in_w = -1, out_r = -1;
    std::string slave;
    int inp[2] = {-1, -1}, outp[2] = {-1, -1};
    if (tty) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) return;
        slave = ptsname(master);
    } else if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
        return;
    }
    pid_t sh = fork();
    if (sh == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr); // SIGIO is blocked in the server
        setsid();
        if (tty) {
            int s = open(slave.c_str(), O_RDWR);
            if (s < 0) _exit(126);
            ioctl(s, TIOCSCTTY, 0);
            dup2(s, 0), dup2(s, 1), dup2(s, 2);
        } else {
            dup2(inp[0], 0), dup2(outp[1], 1), dup2(outp[1], 2);
        }
        become_and_exec(m, argv);
    }
    if (tty) {
        in_w = out_r = master;
    } else {
        close(inp[0]), close(outp[1]);
        in_w = inp[1], out_r = outp[0];
    }
    bool out_open = true, host = true, next_host = false;
    long long gone = -1; // since when the port has said "no host"
    int status = -1;
    char buf[4096];
    // Frames may already be buffered behind the 'h' one. An 'h' frame in
    // a session is the next host's: this one's host is gone.
    auto handle_frames = [&]() {
        while (!next_host && in.frame_ready()) {
            if (in.rx[0] == 'h') {
                next_host = true;
                break;
            }
            in.next(type, payload);
            if (type == 'p')
                send_frame(port, 'q', "", 0); // the host's liveness check
            else if (type == 'i' && in_w >= 0)
                (void)!write(in_w, payload.data(), payload.size());
            else if (type == 'e' && !tty && in_w >= 0)
                close(in_w), in_w = -1;
            else if (type == 'w' && tty && payload.size() == 4) {
                winsize ws{};
                ws.ws_row = uint16_t(uint8_t(payload[0]) | uint8_t(payload[1]) << 8);
                ws.ws_col = uint16_t(uint8_t(payload[2]) | uint8_t(payload[3]) << 8);
                ioctl(master, TIOCSWINSZ, &ws);
            }
        }
    };
    handle_frames();
    while (host && !next_host && (out_open || status < 0)) {
        // While the port says "no host" it polls HUP at once: it is left
        // out of the poll and read again after a short wait instead.
        pollfd p[2] = {{gone < 0 ? port : -1, POLLIN, 0}, {out_open ? out_r : -1, POLLIN, 0}};
        int r = poll(p, 2, gone >= 0 ? 50 : status < 0 ? 200 : 50);
        if (r < 0) continue;
        if (gone >= 0 || (p[0].revents & (POLLIN | POLLHUP))) {
            ssize_t n = in.fill();
            if (n == 0) {
                long long now = mono_ms();
                if (gone < 0) gone = now;
                if (now - gone >= kHostGoneGraceMs) host = false;
            } else {
                gone = -1;
                handle_frames();
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(out_r, buf, sizeof buf);
            if (n <= 0)
                out_open = false; // EOF, or EIO: the pty's last user left
            else if (!send_frame(port, 'o', buf, uint32_t(n)))
                host = false;
        }
        int st;
        if (status < 0 && waitpid(sh, &st, WNOHANG) == sh)
            status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
        // With a pty the output ends when the shell's session is gone; a
        // background job keeping the pty open must not keep enter waiting.
        if (status >= 0 && tty && !(p[1].revents & POLLIN)) out_open = false;
    }
    if (status < 0) {
        kill(-sh, SIGHUP);
        kill(-sh, SIGKILL);
        int st;
        waitpid(sh, &st, 0);
        status = 128 + SIGKILL;
    } else if (host && !next_host) {
        char x[4] = {char(status), 0, 0, 0};
        send_frame(port, 'x', x, 4);
    }
    if (master >= 0) close(master);
    if (!tty) {
        if (in_w >= 0) close(in_w);
        close(out_r);
    }
}

// The `burrow enter` server: one session after the other on the enter port.
[[noreturn]] void enter_server(Manifest m, std::string dev) {
    EnterPort in;
    in.fd = open(dev.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (in.fd < 0) _exit(1);
    // SIGIO (blocked, taken from a signalfd) wakes the wait for a host at
    // once where the kernel sends it; the wait is bounded anyway.
    sigset_t io;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_BLOCK, &io, nullptr);
    in.sig = signalfd(-1, &io, SFD_CLOEXEC | SFD_NONBLOCK);
    if (in.sig < 0 || fcntl(in.fd, F_SETOWN, getpid()) < 0 ||
        fcntl(in.fd, F_SETFL, O_RDWR | O_NONBLOCK | O_ASYNC) < 0) {
        say("enter server: " + dev + ": " + errstr());
        _exit(1);
    }
    for (;;) enter_session(m, in);
}

} // namespace

// The command, its stdio and the `burrow enter` server, then the control
// loop until the command ends (status to the host, machine off). Shared by
// the agent as pid 1 and the agent as a unit of the system's init.
[[noreturn]] void run_command(Manifest& m, sigset_t& mask, int sfd) {
    int in = -1, out = -1, err = -1;
    if (m.interactive) {
        in = open("/dev/hvc0", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (in < 0) fail("open /dev/hvc0: " + errstr());
    } else {
        in = open_port(kPortStdin, O_RDONLY);
        out = open_port(kPortStdout, O_WRONLY);
        err = open_port(kPortStderr, O_WRONLY);
    }
    std::string enter_dev = m.enter ? find_port(kPortEnter) : std::string();

    pid_t child = fork();
    if (child < 0) fail("fork: " + errstr());
    if (child == 0) {
        sigprocmask(SIG_UNBLOCK, &mask, nullptr);
        setsid();
        if (m.interactive) {
            ioctl(in, TIOCSCTTY, 0);
            dup2(in, 0), dup2(in, 1), dup2(in, 2);
        } else {
            dup2(in, 0), dup2(out, 1), dup2(err, 2);
        }
        become_and_exec(m, m.argv);
    }
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    pid_t enter = -1;
    if (!enter_dev.empty()) {
        enter = fork();
        if (enter == 0) {
            sigprocmask(SIG_UNBLOCK, &mask, nullptr);
            enter_server(m, enter_dev);
        }
    }
    ctl_send("ready");
    mark("command started");

    std::string ctlbuf;
    for (;;) {
        pollfd p[2] = {{sfd, POLLIN, 0}, {g_ctl, POLLIN, 0}};
        int r = poll(p, 2, -1);
        if (r < 0) continue;
        if (p[0].revents & POLLIN) {
            signalfd_siginfo si;
            (void)!read(sfd, &si, sizeof si);
            int st;
            pid_t w;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                if (w != child) continue;
                std::string line = WIFSIGNALED(st) ? "signal " + std::to_string(WTERMSIG(st))
                                                   : "exit " + std::to_string(WEXITSTATUS(st));
                // Whatever the command left running dies with the machine;
                // kill it first so nothing writes to the shares after sync.
                kill(-1, SIGKILL);
                while (waitpid(-1, nullptr, 0) > 0) {
                }
                sync();
                send_final_and_power_off(line);
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            // With the host side closed the port polls readable and HUP
            // and reads 0: nothing to read, keep reaping, slowly.
            char buf[256];
            ssize_t n = read(g_ctl, buf, sizeof buf);
            if (n > 0) ctlbuf.append(buf, size_t(n));
            if (n == 0) usleep(100000);
            size_t nl;
            while ((nl = ctlbuf.find('\n')) != std::string::npos) {
                std::string line = ctlbuf.substr(0, nl);
                ctlbuf.erase(0, nl + 1);
                if (line.starts_with("kill ")) {
                    int sig = std::atoi(line.c_str() + 5);
                    if (sig > 0 && sig < NSIG) kill(-child, sig);
                }
            }
        }
    }
}

// --system: the guest boots the system's own init after this stage 1 has
// built the tree (the shares are per launch, so burrow mounts them, not the
// system's fstab). The agent goes on as a unit of that init: a copy of this
// binary at kAgentCopy, started by burrow-agent.service (the host adds
// systemd.wants=burrow-agent.service to the kernel command line; a NixOS
// system built with burrow's guest module declares the same unit).
const char* const kAgentCopy = "/run/burrow/agent";
const char* const kAgentUnit = R"(# Written by burrow's stage 1 (launcher/vm/guest/agent.cpp).
[Unit]
Description=burrow guest agent (runs the sandbox's command)
DefaultDependencies=no
After=basic.target
Before=getty-pre.target
Wants=getty-pre.target

[Service]
Type=simple
ExecStart=/run/burrow/agent --service
KillMode=process

[Install]
WantedBy=multi-user.target
)";

void write_new(const std::string& path, const std::string& data, mode_t mode) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) fail("create " + path + ": " + errstr());
    if (write(fd, data.data(), data.size()) != ssize_t(data.size()))
        fail("write " + path + ": " + errstr());
    close(fd);
}

[[noreturn]] void boot_system(const Manifest& m) {
    mkdir_p("/run/burrow", 0700);
    copy_file("/init", kAgentCopy, 0700);
    mkdir_p("/run/systemd/system", 0755);
    write_new("/run/systemd/system/burrow-agent.service", kAgentUnit, 0644);
    struct stat st;
    if (stat(m.init.c_str(), &st) < 0 || !S_ISREG(st.st_mode))
        fail("--system: init " + m.init + ": not in the guest (" + errstr() + ")");
    mark("exec the system's init");
    // The unit reopens the control port; what we hold must not stay open in
    // the system's pid 1.
    if (g_ctl >= 0) close(g_ctl);
    g_ctl = -1;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    char* const argv[] = {const_cast<char*>(m.init.c_str()), nullptr};
    execv(m.init.c_str(), argv);
    g_ctl = open_port(kPortCtl, O_RDWR);
    fail("--system: exec " + m.init + ": " + errstr());
}

// The agent as burrow-agent.service: stage 1 already built the tree and
// the network; open the ports and run the command.
[[noreturn]] void service_main() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    g_console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    mark("agent unit started");
    g_ctl = open_port(kPortCtl, O_RDWR);
    Manifest m = parse_manifest(read_file(kMeta + "/" + kManifestName));
    run_command(m, mask, sfd);
}

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--service") == 0 && getpid() != 1) service_main();
    // Signals: SIGCHLD and the control port are served from one poll loop.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

    // The initramfs root comes world-writable (rootfs default 1777).
    chmod("/", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    g_console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
    do_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mark("init");
    load_modules();
    mark("modules loaded");
    g_ctl = open_port(kPortCtl, O_RDWR);
    // The first boot marker, as early as the port exists: the host takes it
    // as proof that this guest runs (under KVM it falls back to TCG when it
    // does not come in time).
    ctl_send("boot");

    // The meta share's device may still be probing right after the module
    // load: retry briefly on ENOENT (no such tag yet).
    mkdir_p(kMeta, 0700);
    for (int i = 0;; ++i) {
        if (mount(kMetaTag, kMeta.c_str(), "9p", MS_RDONLY | MS_NOSUID | MS_NODEV,
                  "trans=virtio,version=9p2000.L,msize=262144") == 0)
            break;
        if (i > 200) fail(std::string("mount 9p ") + kMetaTag + ": " + errstr());
        usleep(10000);
    }
    Manifest m = parse_manifest(read_file(kMeta + "/" + kManifestName));
    mark("meta share mounted");
    apply_fs(m);
    mark("shares mounted");
    setup_network(m.network);
    if (!m.hostname.empty()) sethostname(m.hostname.data(), m.hostname.size());
    if (!m.init.empty()) boot_system(m);
    run_command(m, mask, sfd);
}
