// The vm launch module: the project sandbox in a QEMU virtual machine.
//
// Order: validate (qemu, kernel, its modules, accel) before anything is
// created; then the guest initramfs (cached), the per-launch directory
// run_dir/vm-<pid>-XXXXXX (meta share, kernel log, enter socket; removed on
// every exit path, and by the next launch when burrow was SIGKILLed), QEMU
// forked with argv (never a shell) and a parent-death signal, registered in
// the session registry, and a relay loop: stdin/stdout/stderr between the
// host's fds and three virtio-serial ports, the control port for the exit
// status and for forwarding SIGINT/SIGTERM/SIGHUP to the command.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include "launcher/vm/launch.hpp"
#include "launcher/session/registry.hpp"
#include "launcher/vm/accel.hpp"
#include "launcher/vm/display.hpp"
#include "launcher/vm/fs.hpp"
#include "launcher/vm/initramfs.hpp"
#include "launcher/vm/child.hpp"
#include "launcher/vm/kernel.hpp"
#include "launcher/vm/net.hpp"
#include "launcher/vm/plan.hpp"
#include "launcher/vm/protocol.hpp"
#include "launcher/vm/vmlinux.hpp"
#include "policy/network/egress_rules.hpp"
#include "runtime/fd.hpp"
#include "runtime/exit_status.hpp"

namespace burrow::launch {
namespace {

using namespace burrow::vm;
using Clock = std::chrono::steady_clock;

// A healthy KVM guest sends its first boot marker about a second after QEMU
// starts; a stalled one never does (nested-virtualisation hosts where the
// probe passes). Ten seconds is generous even on a loaded host.
constexpr int kKvmBootBoundS = 10;

// The serial console: at most this much in the launch dir's kernel.log (a
// guest can print 330 KB/s under TCG), and the last kConsoleTail bytes in
// memory for the message when the guest fails to start.
constexpr size_t kConsoleLogCap = 1 << 20;
constexpr size_t kConsoleTail = 16384;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// QEMU's option syntax: a ',' inside a value is written ",,".
std::string qopt(const std::string& v) {
    std::string r;
    for (char c : v) {
        r += c;
        if (c == ',') r += ',';
    }
    return r;
}

// mapped-xattr needs user.* xattrs on the exported file system; where it has
// none (ENOTSUP), mapped-file keeps the same metadata in .virtfs_metadata.
bool user_xattrs(const std::string& dir) {
    char v[8];
    return ::getxattr(dir.c_str(), "user.virtfs.uid", v, sizeof v) >= 0 || errno != ENOTSUP;
}

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    std::string p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (size_t i = 0; i <= p.size();) {
        size_t j = p.find(':', i);
        if (j == std::string::npos) j = p.size();
        std::string cand = p.substr(i, j - i) + "/" + name;
        if (j > i && ::access(cand.c_str(), X_OK) == 0) return cand;
        i = j + 1;
    }
    return {};
}

// The per-launch directory and everything in it, gone when this goes.
struct LaunchDir {
    std::string path;
    ~LaunchDir() {
        if (!path.empty()) remove_tree(path);
    }
};

struct Relay {
    int from, to;
    bool open = true;
};

std::string kernel_log_tail(const std::string& log, size_t lines) {
    std::istringstream f(log);
    std::vector<std::string> all;
    for (std::string l; std::getline(f, l);) all.push_back(l);
    std::string out;
    for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
        out += "  | " + all[i] + "\n";
    return out;
}

class VmLaunch {
  public:
    VmLaunch(const project::ProjectSandbox& ps, const VmOptions& o) : ps_(ps), o_(o) {}
    int run();

  private:
    void validate();
    void resolve_system();
    std::vector<std::string> qemu_argv(const std::string& initrd, const GuestPlan& plan);
    pid_t spawn(const std::vector<std::string>& argv, const std::vector<int>& fds);
    std::optional<int> relay_loop();
    void register_session();
    void await_qemu_started();
    void pick_boot_kernel();

    const project::ProjectSandbox& ps_;
    const VmOptions& o_;
    bool timing_ = std::getenv("BURROW_VM_TIMING") != nullptr;
    bool interactive_ = false;
    std::string qemu_, passt_, release_, moddir_, boot_kernel_, kernel_;
    // --system DIR, resolved (has_system_), and the sizes after defaults.
    bool has_system_ = false;
    GuestSystem system_;
    uint64_t memory_mib_ = 0;
    unsigned cores_ = 0;
    std::string qmp_sock_, vnc_sock_; // --display
    std::string window_ui_;           // --display in a window: "gtk" or "sdl"
    Egress egress_;                   // --allow-net: the rules passt's namespace is held to
    AccelChoice accel_;
    LaunchDir dir_;
    std::string meta_, klog_, enter_sock_;
    // The serial console, read by burrow (the guest writes it as fast as it
    // likes): kernel.log in the launch dir up to kConsoleLogCap, then only
    // the last kConsoleTail bytes in memory, for the failure message.
    Fd serial_, klog_fd_;
    size_t klog_written_ = 0;
    std::string console_tail_;
    void on_console(const char* buf, size_t n);
    std::vector<std::string> secrets_;
    Fd ctl_, in_, out_, err_, pidfd_, sigfd_;
    pid_t qemu_pid_ = -1;
    bool registered_ = false;
    // Under --accel auto with KVM: this boot is on trial until the guest's
    // first marker; without one in kKvmBootBound QEMU is killed and the
    // launch boots again under TCG.
    bool kvm_trial_ = false;
    std::string fallback_why_;
    Clock::time_point t0_ = Clock::now(), spawned_;
};

// The seed's sizes where the host has them: 4096 MiB but at most half the
// host's memory, 4 CPUs but at most the host's.
uint64_t default_memory_mib() {
    uint64_t mib = 4096;
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    while (in >> key >> kib) {
        if (key == "MemTotal:") {
            mib = std::min<uint64_t>(mib, std::max<uint64_t>(kib / 1024 / 2, 256));
            break;
        }
        in.ignore(256, '\n');
    }
    return mib;
}

unsigned default_cores() {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return unsigned(std::clamp<long>(n, 1, 4));
}

// --system DIR: a NixOS toplevel (DIR/activate) or a directory shaped like
// one. Its init is exec'd by burrow's stage 1 inside the guest, so the path
// must mean the same there: the host's realpath, which lies in a share
// (/usr, or /nix/store for a NixOS system).
void VmLaunch::resolve_system() {
    const std::string& d = o_.system;
    struct stat st;
    if (::stat(d.c_str(), &st) < 0) throw VmError("--system " + d + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw VmError("--system " + d + ": not a directory");
    const std::string init = d + "/init";
    char buf[PATH_MAX];
    if (!::realpath(init.c_str(), buf))
        throw VmError("--system " + d + ": init: " + std::strerror(errno));
    if (::stat(buf, &st) < 0 || !S_ISREG(st.st_mode) || ::access(buf, X_OK) < 0)
        throw VmError("--system " + d + ": init (" + buf + "): not an executable file");
    system_.init = buf;
    system_.nixos = ::access((d + "/activate").c_str(), F_OK) == 0;
    if (system_.nixos && std::string(buf).rfind("/nix/store/", 0) != 0)
        throw VmError("--system " + d + ": a NixOS system whose init is not in /nix/store");
    if (!system_.nixos && ::stat((d + "/etc").c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!::realpath((d + "/etc").c_str(), buf))
            throw VmError("--system " + d + ": etc: " + std::strerror(errno));
        system_.etc = buf;
    }
    has_system_ = true;
}

void VmLaunch::validate() {
    qemu_ = find_program(o_.qemu);
    if (qemu_.empty())
        throw VmError(o_.qemu + " not found (install the Debian package qemu-system-x86)");
    if (ps_.network != project::Network::none) {
        passt_ = find_program("passt");
        if (passt_.empty())
            throw VmError("the guest's network needs passt, not found in PATH (install the Debian "
                          "package passt), or launch with --no-network");
    }
    if (ps_.network == project::Network::allowlist) {
        egress_.enabled = true;
        for (const auto& r : ps_.allow_net) egress_.allow.push_back(policy::parse_egress_rule(r));
        egress_.stack_template = true;
    }
    kernel_ = o_.kernel;
    struct stat st;
    std::string system_moddirs; // a NixOS toplevel's kernel-modules/lib/modules
    if (!o_.system.empty()) {
        resolve_system();
        if (kernel_.empty() && ::stat((o_.system + "/kernel").c_str(), &st) == 0)
            kernel_ = o_.system + "/kernel";
        system_moddirs = o_.system + "/kernel-modules/lib/modules/";
    }
    if (kernel_.empty())
        throw VmError("vm: no kernel: pass --kernel PATH (the Debian package linux-image-amd64 "
                      "installs /boot/vmlinuz-*)");
    if (::stat(kernel_.c_str(), &st) < 0)
        throw VmError("--kernel " + kernel_ + ": " + std::strerror(errno) +
                      " (install the Debian package linux-image-amd64)");
    if (!S_ISREG(st.st_mode)) throw VmError("--kernel " + kernel_ + ": not a regular file");
    if (::access(kernel_.c_str(), R_OK) < 0)
        throw VmError("--kernel " + kernel_ + ": " + std::strerror(errno));
    release_ = kernel_release(kernel_);
    moddir_ = "/lib/modules/" + release_;
    if (!system_moddirs.empty() && ::stat((system_moddirs + release_).c_str(), &st) == 0)
        moddir_ = system_moddirs + release_;
    if (::stat(moddir_.c_str(), &st) < 0) {
        if (o_.initrd.empty())
            throw VmError("kernel " + kernel_ + " (release " + release_ + ") has no modules in " +
                          moddir_ + " (install its package, linux-image-" + release_ +
                          ", or pass --initrd with the guest's modules)");
        moddir_.clear(); // the user's initrd brings them
    }
    if (!o_.initrd.empty() && ::access(o_.initrd.c_str(), R_OK) < 0)
        throw VmError("--initrd " + o_.initrd + ": " + std::strerror(errno));
    memory_mib_ = o_.memory_mib ? o_.memory_mib : default_memory_mib();
    cores_ = o_.cores ? o_.cores : default_cores();
    if (memory_mib_ < 128)
        throw VmError("--memory " + std::to_string(memory_mib_) + ": at least 128 MiB");
    if (cores_ < 1 || cores_ > 256)
        throw VmError("--cores " + std::to_string(cores_) + ": expected 1..256");
    if (ps_.command.empty()) throw VmError("vm: no command");
    accel_ = choose_accel(o_.accel, qemu_, kernel_);
}

std::vector<std::string> VmLaunch::qemu_argv(const std::string& initrd, const GuestPlan& plan) {
    std::vector<std::string> a = {qemu_, "-nodefaults", "-no-user-config", "-no-reboot"};
    if (o_.display) {
        // A VGA device; a window where the caller has a display, else a VNC
        // server on a unix socket in the launch dir (the caller's only: the
        // dir is 0700). QMP beside it, for screenshots (screendump).
        a.insert(a.end(), {"-device", "VGA"});
        if (!window_ui_.empty())
            a.insert(a.end(), {"-display", window_ui_});
        else
            a.insert(a.end(), {"-display", "none", "-vnc", "unix:" + qopt(vnc_sock_)});
        a.insert(a.end(), {"-qmp", "unix:" + qopt(qmp_sock_) + ",server=on,wait=off"});
    } else {
        a.insert(a.end(), {"-display", "none"});
    }
    if (accel_.accel == "kvm" && test_kvm_stall())
        // The test hook's stalled "KVM": TCG with the vcpus never started.
        a.insert(a.end(), {"-accel", "tcg", "-cpu", "max", "-S"});
    else
        a.insert(a.end(), {"-accel", accel_.accel, "-cpu", accel_.accel == "kvm" ? "host" : "max"});
    a.insert(a.end(), {"-m", std::to_string(memory_mib_), "-smp", std::to_string(cores_)});
    a.insert(a.end(), {"-kernel", boot_kernel_, "-initrd", initrd});
    // Kernel messages go to the serial line, which is a log file: the
    // terminal carries the command's output only (the log's tail is shown
    // when the guest fails to start).
    std::string append = "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init";
    if (has_system_)
        // The system's systemd reads these from the kernel command line:
        // start burrow's unit, and no getty on the consoles burrow uses (the
        // serial log, the interactive console).
        append += " systemd.wants=burrow-agent.service systemd.mask=serial-getty@ttyS0.service "
                  "systemd.mask=serial-getty@hvc0.service systemd.show_status=0";
    if (!o_.append.empty()) append += " " + o_.append;
    // Fds 3.. in QEMU are the guest ends of our socket pairs (see spawn):
    // ctl 3, then stdin/stdout/stderr 4..6 unless interactive, the serial
    // console, then the network's socket when there is a network.
    std::string serial_fd = std::to_string(interactive_ ? 4 : 7);
    a.insert(a.end(), {"-append", append, "-chardev", "socket,id=ser,fd=" + serial_fd, "-serial",
                       "chardev:ser"});
    a.insert(a.end(), {"-device", "virtio-serial-pci,id=vs"});
    auto port = [&](const std::string& id, const std::string& name) {
        a.insert(a.end(), {"-device", "virtserialport,bus=vs.0,chardev=" + id + ",name=" + name});
    };
    a.insert(a.end(), {"-chardev", "socket,id=ctl,fd=3"});
    port("ctl", kPortCtl);
    if (interactive_) {
        a.insert(a.end(), {"-chardev", "stdio,id=con,signal=off", "-device",
                           "virtconsole,bus=vs.0,chardev=con"});
    } else {
        a.insert(a.end(), {"-chardev", "socket,id=in,fd=4"});
        port("in", kPortStdin);
        a.insert(a.end(), {"-chardev", "socket,id=out,fd=5"});
        port("out", kPortStdout);
        a.insert(a.end(), {"-chardev", "socket,id=err,fd=6"});
        port("err", kPortStderr);
    }
    if (!enter_sock_.empty()) {
        a.insert(a.end(),
                 {"-chardev", "socket,id=enter,server=on,wait=off,path=" + qopt(enter_sock_)});
        port("enter", kPortEnter);
    }
    a.insert(a.end(),
             {"-fsdev", "local,id=meta,security_model=none,readonly=on,path=" + qopt(meta_),
              "-device", std::string("virtio-9p-pci,fsdev=meta,mount_tag=") + kMetaTag});
    for (const auto& e : plan.exports) {
        // Writable shares: the guest's ownership and mode bits are kept in
        // xattrs (user.virtfs.*) and never become the host file's: QEMU runs
        // as the caller (root, for root), so with security_model=none a
        // guest chown 0 + chmod 4755 made a setuid-root file on the host.
        // Files the guest creates are the caller's, mode 0600 (dirs 0700);
        // device nodes and symlinks are regular files holding the metadata.
        // Read-only shares cannot be changed: none, the host's bits as is.
        std::string fs = "local,id=fs" + e.tag + ",multidevs=remap";
        if (e.readonly)
            fs += ",security_model=none,readonly=on";
        else
            fs += std::string(",security_model=") +
                  (user_xattrs(e.source) ? "mapped-xattr" : "mapped-file") +
                  ",fmode=0600,dmode=0700";
        a.insert(a.end(), {"-fsdev", fs + ",path=" + qopt(e.source), "-device",
                           "virtio-9p-pci,fsdev=fs" + e.tag + ",mount_tag=" + e.tag});
    }
    if (ps_.network != project::Network::none)
        // After the serial console's fd: passt's end of the socket pair
        // (launcher/vm/net.hpp), not QEMU's slirp, which reaches the host's
        // loopback.
        a.insert(a.end(), {"-netdev", "socket,id=n0,fd=" + std::to_string(interactive_ ? 5 : 8),
                           "-device", "virtio-net-pci,netdev=n0"});
    else
        a.insert(a.end(), {"-nic", "none"}); // --no-network: no NIC at all
    // QEMU's own seccomp filter: no exec, no privilege changes.
    a.insert(a.end(), {"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
                                   "resourcecontrol=deny"});
    return a;
}

pid_t VmLaunch::spawn(const std::vector<std::string>& argv, const std::vector<int>& fds) {
    std::vector<char*> av;
    for (const auto& s : argv) av.push_back(const_cast<char*>(s.c_str()));
    av.push_back(nullptr);
    // Park the guest ends above 3..6 first so the dup2s below cannot clobber
    // one another.
    std::vector<Fd> high;
    for (int fd : fds) {
        high.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 64));
        if (!high.back()) throw VmError(std::string("fcntl F_DUPFD: ") + std::strerror(errno));
    }
    Fd devnull;
    if (!interactive_) {
        devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!devnull) throw VmError(std::string("/dev/null: ") + std::strerror(errno));
    }
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw VmError(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) _exit(kExitFailure);
        // Not interactive: a process group of its own, so a Ctrl-C reaches
        // burrow alone, which forwards it to the command in the guest.
        if (!interactive_) ::setpgid(0, 0);
        for (size_t i = 0; i < high.size(); ++i)
            if (::dup2(high[i].get(), int(3 + i)) < 0) _exit(kExitFailure);
        if (devnull && ::dup2(devnull.get(), 0) < 0) _exit(kExitFailure);
        exec_child(av.data());
    }
    return pid;
}

// The registry trusts a vm entry only while its pid runs QEMU (after the
// exec) and the enter socket QEMU creates exists (launcher/session/
// registry.cpp, alive): registered before both, any `burrow ps` or manager
// that lists the registry in between takes the live session for stale and
// removes it. So wait (bounded; a QEMU that exits is the relay loop's to
// report) until QEMU has made the socket, or without one, has exec'd.
void VmLaunch::await_qemu_started() {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    const std::string exe_path = "/proc/" + std::to_string(qemu_pid_) + "/exe";
    while (Clock::now() < deadline) {
        pollfd p{pidfd_.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) return;
        struct stat st;
        if (!enter_sock_.empty()) {
            if (::lstat(enter_sock_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return;
        } else {
            char buf[PATH_MAX];
            const ssize_t n = ::readlink(exe_path.c_str(), buf, sizeof buf - 1);
            if (n > 0 &&
                std::string_view(buf, size_t(n)).find("/qemu-system-") != std::string_view::npos)
                return;
        }
        ::usleep(2000);
    }
}

void VmLaunch::register_session() {
    session::Entry e = session::make_entry(ps_, "vm", qemu_pid_, ::getpid());
    e.control = enter_sock_;
    try {
        session::add(e);
        registered_ = true;
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "burrow: launch: vm: not registered as a session: %s\n", ex.what());
    }
}

std::optional<int> VmLaunch::relay_loop() {
    std::vector<Relay> relays;
    if (!interactive_) {
        relays.push_back({out_.get(), 1});
        relays.push_back({err_.get(), 2});
    }
    bool stdin_open = !interactive_;
    std::string inbuf, ctlbuf, host_error;
    size_t ctl_scanned = 0;
    bool awaiting_power_off = false;
    bool acked = false;
    std::optional<int> status;
    std::string guest_error;
    int pending_sig = 0;
    bool qemu_gone = false, ready = false;
    int qemu_wstatus = 0;
    Clock::time_point deadline = Clock::time_point::max();
    int escalation = 0; // 0: none, 1: asked the guest, 2: SIGTERM to qemu, 3: SIGKILL
    bool booted = false;
    const Clock::time_point boot_deadline = spawned_ + std::chrono::seconds(kKvmBootBoundS);

    for (;;) {
        bool relays_open = false;
        for (const auto& r : relays) relays_open |= r.open;
        // The control socket is drained too: a status line may still sit in
        // it when QEMU is gone (the host read slowly behind a flood).
        if (qemu_gone && !relays_open && !ctl_) break;

        std::vector<pollfd> p;
        p.push_back({sigfd_.get(), POLLIN, 0});
        p.push_back({qemu_gone ? -1 : pidfd_.get(), POLLIN, 0});
        p.push_back({ctl_ ? ctl_.get() : -1, POLLIN, 0});
        // On trial, stdin waits for the guest: what went into a killed
        // QEMU's port would be lost to the TCG boot.
        bool stdin_now = stdin_open && inbuf.empty() && (booted || !kvm_trial_);
        p.push_back({stdin_now ? 0 : -1, POLLIN, 0});
        p.push_back({in_ && !inbuf.empty() ? in_.get() : -1, POLLOUT, 0});
        p.push_back({serial_ ? serial_.get() : -1, POLLIN, 0});
        for (const auto& r : relays) p.push_back({r.open ? r.from : -1, POLLIN, 0});
        bool on_trial = kvm_trial_ && !booted && !pending_sig && !qemu_gone && host_error.empty();
        Clock::time_point wake = deadline;
        if (on_trial) wake = std::min(wake, boot_deadline);
        int timeout = -1;
        if (wake != Clock::time_point::max()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
            timeout = int(std::max<long>(0, left.count()));
        }
        int n = ::poll(p.data(), p.size(), timeout);
        if (n < 0 && errno != EINTR) throw VmError(std::string("poll: ") + std::strerror(errno));

        if (on_trial && Clock::now() >= boot_deadline) {
            // No boot marker: KVM made no progress. Kill this QEMU (a vcpu
            // stuck in the kernel may take a moment to die: wait a bounded
            // time, the parent-death signal covers the rest) and let run()
            // boot again under TCG.
            ::kill(qemu_pid_, SIGKILL);
            pollfd q{pidfd_.get(), POLLIN, 0};
            if (::poll(&q, 1, 10000) > 0) ::waitpid(qemu_pid_, nullptr, 0);
            fallback_why_ = "KVM made no progress in " + std::to_string(kKvmBootBoundS) + " s";
            return std::nullopt;
        }

        if (!qemu_gone && Clock::now() >= deadline) {
            // The guest did not finish in time: stop QEMU, harder each time.
            if (escalation < 2) {
                ::kill(qemu_pid_, SIGTERM);
                escalation = 2;
                deadline = Clock::now() + std::chrono::seconds(3);
            } else {
                ::kill(qemu_pid_, SIGKILL);
                escalation = 3;
                deadline = Clock::time_point::max();
            }
        }
        if (n <= 0) continue;

        if (p[0].revents & POLLIN) {
            signalfd_siginfo si;
            if (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
                int sig = int(si.ssi_signo);
                if (!pending_sig) pending_sig = sig;
                if (escalation == 0 && ctl_ && !status) {
                    std::string line = "kill " + std::to_string(sig) + "\n";
                    (void)!::send(ctl_.get(), line.data(), line.size(), MSG_NOSIGNAL);
                    escalation = 1;
                    deadline = Clock::now() + std::chrono::seconds(5);
                } else if (escalation < 2) {
                    deadline = Clock::now(); // a second signal: stop QEMU now
                }
            }
        }
        if (p[1].revents & POLLIN) {
            if (::waitpid(qemu_pid_, &qemu_wstatus, 0) == qemu_pid_) {
                qemu_gone = true;
                deadline = Clock::time_point::max();
                if (on_trial) {
                    // QEMU itself failed under KVM before the guest ran (an
                    // abort on an MSR the host refuses): TCG, as for a stall.
                    fallback_why_ =
                        std::string("KVM failed (qemu ") +
                        (WIFSIGNALED(qemu_wstatus) ? "killed by signal " : "exit status ") +
                        std::to_string(WIFSIGNALED(qemu_wstatus) ? WTERMSIG(qemu_wstatus)
                                                                 : WEXITSTATUS(qemu_wstatus)) +
                        ") before the guest booted";
                    return std::nullopt;
                }
            }
        }
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            // The guest is hostile: a line is at most kMaxCtlLine bytes
            // (an overlong one stops the guest), and each byte is scanned
            // once (ctl_scanned: how much of ctlbuf held no newline).
            char buf[4096];
            ssize_t r = ::read(ctl_.get(), buf, sizeof buf);
            if (r <= 0) {
                ctl_.reset();
            } else {
                ctlbuf.append(buf, size_t(r));
                size_t start = 0;
                bool overlong = false;
                for (size_t nl;
                     (nl = ctlbuf.find('\n', std::max(start, ctl_scanned))) != std::string::npos;) {
                    std::string_view line(ctlbuf.data() + start, nl - start);
                    start = nl + 1;
                    if (line.size() > kMaxCtlLine) {
                        overlong = true;
                        break;
                    }
                    booted = true; // any line: the agent runs
                    if (line == "boot") {
                        if (timing_)
                            std::fprintf(stderr,
                                         "burrow: vm: guest agent up %.0f ms after QEMU "
                                         "started\n",
                                         ms_since(spawned_));
                    } else if (line == "ready") {
                        ready = true;
                        if (timing_)
                            std::fprintf(stderr,
                                         "burrow: vm: command started %.0f ms after launch\n",
                                         ms_since(t0_));
                        // The guest has read the manifest (environment, maybe a
                        // token) and the copies: they need not stay on disk.
                        for (const auto& f : secrets_) ::unlink(f.c_str());
                    } else if (line.starts_with("exit ")) {
                        status = std::atoi(std::string(line.substr(5, 16)).c_str()) & 0xff;
                    } else if (line.starts_with("signal ")) {
                        status = 128 + (std::atoi(std::string(line.substr(7, 16)).c_str()) & 0x7f);
                    } else if (line.starts_with("error ")) {
                        guest_error = std::string(line.substr(6, 512));
                    }
                    if ((status || !guest_error.empty()) && !acked && ctl_) {
                        // The agent powers off only once it has this (or
                        // after 8 s): its line has reached us.
                        acked = true;
                        (void)!::send(ctl_.get(), "ack\n", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
                    }
                    if ((status || !guest_error.empty()) && !qemu_gone && escalation <= 1 &&
                        !awaiting_power_off) {
                        // It powers itself off; give it a moment (once: a
                        // flood of status lines does not push this back).
                        awaiting_power_off = true;
                        deadline = Clock::now() + std::chrono::seconds(10);
                        escalation = 1;
                    }
                }
                ctlbuf.erase(0, start);
                ctl_scanned = ctlbuf.size();
                if ((overlong || ctlbuf.size() > kMaxCtlLine) && host_error.empty()) {
                    // Not a protocol line: stop the guest now, do not buffer.
                    host_error = "the guest sent a control line over " +
                                 std::to_string(kMaxCtlLine) + " bytes; stopped it";
                    ctl_.reset();
                    ctlbuf.clear();
                    if (!qemu_gone) ::kill(qemu_pid_, SIGKILL);
                    escalation = 3;
                    deadline = Clock::time_point::max();
                }
            }
        }
        if (p[5].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[1 << 16];
            ssize_t r = ::read(serial_.get(), buf, sizeof buf);
            if (r > 0)
                on_console(buf, size_t(r));
            else if (r == 0 || errno != EINTR)
                serial_.reset();
        }
        if (p[3].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
            char buf[1 << 16];
            ssize_t r = ::read(0, buf, sizeof buf);
            if (r > 0) {
                inbuf.assign(buf, size_t(r));
            } else if (r == 0 || errno != EINTR) {
                stdin_open = false;
                // EOF after what was written: the port's host side closes,
                // the guest reads end-of-file once it has the data.
                ::shutdown(in_.get(), SHUT_WR);
            }
        }
        if (p[4].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t w = ::send(in_.get(), inbuf.data(), inbuf.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                inbuf.erase(0, size_t(w));
            else if (w < 0 && errno != EAGAIN)
                inbuf.clear(), stdin_open = false;
            if (inbuf.empty() && !stdin_open) ::shutdown(in_.get(), SHUT_WR);
        }
        for (size_t i = 0; i < relays.size(); ++i) {
            if (!(p[6 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[1 << 16];
            ssize_t r = ::read(relays[i].from, buf, sizeof buf);
            if (r <= 0) {
                relays[i].open = false;
                continue;
            }
            for (ssize_t off = 0; off < r;) {
                ssize_t w = ::write(relays[i].to, buf + off, size_t(r - off));
                if (w < 0) {
                    if (errno == EINTR) continue;
                    break; // reader gone: drop the rest, keep draining
                }
                off += w;
            }
        }
    }

    if (!host_error.empty()) {
        std::fprintf(stderr, "burrow: launch: vm: %s\n", host_error.c_str());
        return kExitFailure;
    }
    if (status) return *status;
    if (!guest_error.empty()) {
        std::fprintf(stderr, "burrow: launch: vm: guest: %s\n", guest_error.c_str());
        return kExitFailure;
    }
    if (pending_sig) return 128 + pending_sig;
    std::string tail = kernel_log_tail(console_tail_, 15);
    std::fprintf(stderr, "burrow: launch: vm: the guest stopped before %s (qemu %s %d)%s\n%s",
                 ready ? "reporting the command's status" : "starting the command",
                 WIFSIGNALED(qemu_wstatus) ? "killed by signal" : "exit status",
                 WIFSIGNALED(qemu_wstatus) ? WTERMSIG(qemu_wstatus) : WEXITSTATUS(qemu_wstatus),
                 tail.empty() ? "" : "; kernel log:", tail.c_str());
    return kExitFailure;
}

void VmLaunch::on_console(const char* buf, size_t n) {
    if (klog_fd_) {
        size_t room = kConsoleLogCap - klog_written_;
        size_t w = std::min(n, room);
        if (w > 0 && ::write(klog_fd_.get(), buf, w) == ssize_t(w)) klog_written_ += w;
        if (n > room || klog_written_ >= kConsoleLogCap) {
            static const char note[] = "\n[burrow: console log capped at 1 MiB]\n";
            (void)!::write(klog_fd_.get(), note, sizeof note - 1);
            klog_fd_.reset();
        }
    }
    console_tail_.append(buf, n);
    if (console_tail_.size() > 2 * kConsoleTail)
        console_tail_.erase(0, console_tail_.size() - kConsoleTail);
}

void VmLaunch::pick_boot_kernel() {
    // Under TCG, boot the decompressed kernel (PVH) when possible.
    boot_kernel_ = kernel_;
    if (accel_.accel != "tcg") return;
    PvhKernel k = pvh_kernel(kernel_);
    if (!k.path.empty()) boot_kernel_ = k.path;
    if (timing_)
        std::fprintf(stderr, "burrow: vm: kernel %s in %.1f ms%s%s\n",
                     k.path.empty() ? "as bzImage"
                     : k.built      ? "decompressed"
                                    : "cached",
                     k.elapsed_ms, k.why.empty() ? "" : ": ", k.why.c_str());
}

int VmLaunch::run() {
    validate();
    interactive_ = ps_.interactive && ::isatty(0);

    Initramfs ir = agent_initramfs(moddir_);
    if (timing_)
        std::fprintf(stderr,
                     "burrow: vm: initramfs %s in %.1f ms (%s); accel %s (%s); %llu MiB, %u "
                     "cores%s%s\n",
                     ir.built ? "built" : "cached", ir.elapsed_ms, ir.path.c_str(),
                     accel_.accel.c_str(), accel_.why.c_str(),
                     static_cast<unsigned long long>(memory_mib_), cores_,
                     has_system_ ? "; system init " : "", system_.init.c_str());

    std::string run_dir = ps_.run_dir.empty() ? "/tmp" : ps_.run_dir;
    make_private_dirs(run_dir);
    remove_stale_launch_dirs(run_dir);
    dir_.path = make_launch_dir(run_dir);
    meta_ = dir_.path + "/meta";
    klog_ = dir_.path + "/kernel.log";
    enter_sock_ = dir_.path + "/enter.sock";
    if (enter_sock_.size() >= sizeof(sockaddr_un::sun_path)) {
        std::fprintf(stderr,
                     "burrow: launch: vm: %s: path too long for a unix socket, `burrow enter` "
                     "will not reach this VM\n",
                     enter_sock_.c_str());
        enter_sock_.clear();
    }
    if (::mkdir(meta_.c_str(), 0700) < 0) throw VmError(meta_ + ": " + std::strerror(errno));
    if (o_.display) {
        qmp_sock_ = dir_.path + "/qmp.sock";
        vnc_sock_ = dir_.path + "/vnc.sock";
        if (qmp_sock_.size() >= sizeof(sockaddr_un::sun_path))
            throw VmError("--display: " + qmp_sock_ + ": path too long for a unix socket");
        std::string why;
        window_ui_ = window_display(qemu_, why);
        if (window_ui_.empty() && (std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY")))
            std::fprintf(stderr,
                         "burrow: launch: vm: --display: %s; serving the screen as VNC "
                         "on %s\n",
                         why.c_str(), vnc_sock_.c_str());
    }
    GuestPlan plan = plan_guest(ps_, meta_, interactive_, !enter_sock_.empty(),
                                has_system_ ? &system_ : nullptr);
    secrets_ = plan.secret_files;
    auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    };
    if (!plan.skipped_sockets.empty())
        std::fprintf(
            stderr,
            "burrow: launch: vm: unix sockets cannot cross into a VM (9p), not shared: %s\n",
            list(plan.skipped_sockets).c_str());
    if (!plan.skipped_devices.empty())
        std::fprintf(stderr,
                     "burrow: launch: vm: devices cannot be shared into a VM, not shared: %s\n",
                     list(plan.skipped_devices).c_str());
    if (!plan.not_written_back.empty())
        std::fprintf(
            stderr,
            "burrow: launch: vm: files are copied into a VM, writes do not reach the host: %s\n",
            list(plan.not_written_back).c_str());

    if (ps_.tmux)
        std::fprintf(stderr, "burrow: launch: vm: --tmux is not supported (a tmux socket cannot "
                             "cross into a VM); use burrow enter for a second console\n");
    if (!ps_.layers.empty())
        std::fprintf(stderr,
                     "burrow: launch: vm: the --policy layers' seccomp, landlock and limits "
                     "do not apply inside a VM (%zu layer%s ignored)\n",
                     ps_.layers.size(), ps_.layers.size() == 1 ? "" : "s");

    std::string initrd = ir.path;
    if (!o_.initrd.empty()) {
        initrd = dir_.path + "/initrd";
        concat_initrd(o_.initrd, ir.path, initrd);
    }

    // Signals arrive on a signalfd from here on (and go to the command).
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, s);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    struct RestoreMask {
        sigset_t m;
        ~RestoreMask() { ::sigprocmask(SIG_SETMASK, &m, nullptr); }
    } restore{old};
    sigfd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC));
    if (!sigfd_) throw VmError(std::string("signalfd: ") + std::strerror(errno));
    void (*old_pipe)(int) = ::signal(SIGPIPE, SIG_IGN);
    // Interactive, QEMU puts the terminal in raw mode; a QEMU killed on
    // trial cannot restore it.
    termios tty_saved{};
    bool tty_known = interactive_ && ::tcgetattr(0, &tty_saved) == 0;

    // Socket pairs: [0] stays with burrow, [1] goes to QEMU.
    auto pair = [](Fd& ours, Fd& theirs) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
            throw VmError(std::string("socketpair: ") + std::strerror(errno));
        ours.reset(sv[0]);
        theirs.reset(sv[1]);
    };
    for (;;) {
        pick_boot_kernel();
        kvm_trial_ = o_.accel == "auto" && accel_.accel == "kvm";
        Fd g_ctl, g_in, g_out, g_err;
        pair(ctl_, g_ctl);
        std::vector<int> guest_fds = {g_ctl.get()};
        if (!interactive_) {
            pair(in_, g_in);
            pair(out_, g_out);
            pair(err_, g_err);
            guest_fds.insert(guest_fds.end(), {g_in.get(), g_out.get(), g_err.get()});
        }
        Fd g_ser;
        pair(serial_, g_ser);
        guest_fds.push_back(g_ser.get());
        // A fresh passt for each boot; killed when this attempt ends.
        std::optional<GuestNet> net;
        if (ps_.network != project::Network::none) {
            net.emplace(passt_, dir_.path + "/passt.log",
                        ps_.network == project::Network::allowlist ? &egress_ : nullptr);
            guest_fds.push_back(net->qemu_end());
        }
        ::unlink(klog_.c_str());
        klog_fd_.reset(
            ::open(klog_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        klog_written_ = 0;
        console_tail_.clear();
        qemu_pid_ = spawn(qemu_argv(initrd, plan), guest_fds);
        spawned_ = Clock::now();
        g_ctl.reset(), g_in.reset(), g_out.reset(), g_err.reset(), g_ser.reset();
        if (net) net->close_qemu_end();
        pidfd_.reset(int(::syscall(SYS_pidfd_open, qemu_pid_, 0)));
        if (!pidfd_) {
            ::kill(qemu_pid_, SIGKILL);
            ::waitpid(qemu_pid_, nullptr, 0);
            throw VmError(std::string("pidfd_open: ") + std::strerror(errno));
        }
        await_qemu_started();
        register_session();
        std::optional<int> rc;
        try {
            rc = relay_loop();
        } catch (...) {
            ::kill(qemu_pid_, SIGKILL);
            ::waitpid(qemu_pid_, nullptr, 0);
            if (registered_) session::remove(ps_.project_id);
            if (tty_known) ::tcsetattr(0, TCSANOW, &tty_saved);
            ::signal(SIGPIPE, old_pipe);
            throw;
        }
        if (registered_) session::remove(ps_.project_id);
        registered_ = false;
        if (net)
            if (const std::string why = net->ended(); !why.empty())
                std::fprintf(stderr, "burrow: launch: vm: the guest's network had stopped: %s\n",
                             why.c_str());
        if (tty_known && !rc) ::tcsetattr(0, TCSANOW, &tty_saved);
        if (rc) {
            ::signal(SIGPIPE, old_pipe);
            if (timing_) std::fprintf(stderr, "burrow: vm: done after %.0f ms\n", ms_since(t0_));
            return *rc;
        }
        // The whole boot again under TCG: fresh sockets and a fresh console
        // log; the launch dir, the meta share and its secrets stay (the
        // stalled guest never reported ready, so they were not consumed).
        std::fprintf(stderr, "burrow: vm: %s; using TCG\n", fallback_why_.c_str());
        remember_kvm_stall(kernel_);
        accel_ = {"tcg", fallback_why_};
        ctl_.reset(), in_.reset(), out_.reset(), err_.reset(), pidfd_.reset();
        serial_.reset(), klog_fd_.reset();
        if (!enter_sock_.empty()) ::unlink(enter_sock_.c_str());
    }
}

} // namespace

int launch_vm(const project::ProjectSandbox& ps, const VmOptions& o) {
    // A closed stdin/stdout/stderr would be reused by the first socket we
    // open and relayed to itself: make them /dev/null first.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        int n = ::open("/dev/null", O_RDWR);
        if (n >= 0 && n != fd) {
            ::dup2(n, fd);
            ::close(n);
        }
    }
    try {
        VmLaunch l(ps, o);
        return l.run();
    } catch (const VmError& e) {
        std::fprintf(stderr, "burrow: launch: %s\n", e.what());
        return kExitFailure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow: launch: vm: %s\n", e.what());
        return kExitFailure;
    }
}

} // namespace burrow::launch
