#include "launcher/vm/accel.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "launcher/vm/kernel.hpp"
#include "launcher/vm/sha256.hpp"
#include "runtime/fd.hpp"
#include "runtime/exit_status.hpp"

namespace burrow::vm {
namespace {

// In the forked child only: plain syscalls, exit code = verdict.
[[noreturn]] void probe_child() {
    int kvm = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) _exit(10);
    if (::ioctl(kvm, KVM_GET_API_VERSION, 0) != 12) _exit(11);
    int vm = ::ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) _exit(12);
    void* mem = ::mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) _exit(13);
    static_cast<unsigned char*>(mem)[0] = 0xf4; // hlt
    kvm_userspace_memory_region region{};
    region.guest_phys_addr = 0x1000;
    region.memory_size = 0x1000;
    region.userspace_addr = reinterpret_cast<uint64_t>(mem);
    if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) _exit(14);
    int vcpu = ::ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) _exit(15);
    int size = ::ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size <= 0) _exit(16);
    auto* run = static_cast<kvm_run*>(
        ::mmap(nullptr, size_t(size), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0));
    if (run == MAP_FAILED) _exit(17);
    kvm_sregs sregs;
    if (::ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) _exit(18);
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (::ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) _exit(19);
    kvm_regs regs{};
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (::ioctl(vcpu, KVM_SET_REGS, &regs) < 0) _exit(20);
    if (::ioctl(vcpu, KVM_RUN, 0) < 0) _exit(21);
    _exit(run->exit_reason == KVM_EXIT_HLT ? 0 : 22);
}

std::string boot_id() {
    std::ifstream f("/proc/sys/kernel/random/boot_id");
    std::string s;
    std::getline(f, s);
    return s;
}

std::string cache_file() {
    const char* x = std::getenv("XDG_STATE_HOME");
    if (x && x[0] == '/') return std::string(x) + "/burrow/kvm-probe";
    const char* h = std::getenv("HOME");
    if (h && h[0] == '/') return std::string(h) + "/.local/state/burrow/kvm-probe";
    return {};
}

std::string state_dir() {
    const char* x = std::getenv("XDG_STATE_HOME");
    if (x && x[0] == '/') return std::string(x) + "/burrow";
    const char* h = std::getenv("HOME");
    if (h && h[0] == '/') return std::string(h) + "/.local/state/burrow";
    return {};
}

void mkdirs(const std::string& dir) {
    for (size_t i = 1; i <= dir.size(); ++i)
        if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
}

// Second stage: QEMU itself with KVM, running a 64 KiB "BIOS" whose reset
// vector writes 1 to an isa-debug-exit port (QEMU exits 3). Catches what a
// bare vcpu does not: here QEMU aborts setting an MSR, elsewhere guests hang.
bool qemu_kvm_works(const std::string& qemu, std::string& why) {
    std::string dir = state_dir();
    if (dir.empty()) dir = "/tmp";
    mkdirs(dir);
    std::string bios = dir + "/kvm-probe.bios.XXXXXX";
    Fd fd(::mkostemp(bios.data(), O_CLOEXEC));
    if (!fd) {
        why = "probe: " + dir + ": " + std::strerror(errno);
        return false;
    }
    std::string image(65536, '\0');
    const char code[] = {char(0xb0), 0x01, char(0xe6), char(0xf4),
                         char(0xf4)}; // mov al,1; out 0xf4,al; hlt
    std::memcpy(&image[65536 - 16], code, sizeof code);
    bool wrote = ::write(fd.get(), image.data(), image.size()) == ssize_t(image.size());
    fd.reset();
    std::vector<std::string> args = {
        qemu,       "-accel",      "kvm",
        "-cpu",     "host",        "-machine",
        "pc",       "-nodefaults", "-no-user-config",
        "-display", "none",        "-bios",
        bios,       "-device",     "isa-debug-exit,iobase=0xf4,iosize=0x04"};
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    pid_t pid = wrote && devnull ? ::fork() : -1;
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(devnull.get(), 0), ::dup2(devnull.get(), 1), ::dup2(devnull.get(), 2);
        ::execv(av[0], av.data());
        _exit(kExitNotFound);
    }
    bool ok = false;
    if (pid > 0) {
        Fd pidfd(int(::syscall(SYS_pidfd_open, pid, 0)));
        pollfd p{pidfd.get(), POLLIN, 0};
        int st = 0;
        if (!pidfd || ::poll(&p, 1, 3000) <= 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &st, 0);
            why = "probe: QEMU with KVM did not run a one-instruction guest within 3 s";
        } else {
            ::waitpid(pid, &st, 0);
            ok = WIFEXITED(st) && WEXITSTATUS(st) == 3;
            why = ok ? "probe: QEMU ran a KVM guest"
                     : "probe: QEMU with KVM failed (" +
                           std::string(WIFSIGNALED(st) ? "signal " : "exit ") +
                           std::to_string(WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st)) + ")";
        }
    } else {
        why = std::string("probe: cannot start QEMU: ") + std::strerror(errno);
    }
    ::unlink(bios.c_str());
    return ok;
}

} // namespace

bool kvm_works(std::string& why) {
    if (::access("/dev/kvm", R_OK | W_OK) < 0) {
        why = std::string("/dev/kvm: ") + std::strerror(errno);
        return false;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        why = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) probe_child();
    Fd pidfd(int(::syscall(SYS_pidfd_open, pid, 0)));
    pollfd p{pidfd.get(), POLLIN, 0};
    int r = pidfd ? ::poll(&p, 1, 2000) : -1;
    int st = 0;
    if (r <= 0) {
        ::kill(pid, SIGKILL);
        // A vcpu stuck in the kernel may take a moment to die; do not wait
        // forever for it either.
        pollfd q{pidfd.get(), POLLIN, 0};
        if (!pidfd || ::poll(&q, 1, 2000) > 0) ::waitpid(pid, &st, 0);
        why = "probe: a one-instruction KVM guest did not halt within 2 s";
        return false;
    }
    ::waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        why = "probe: a one-instruction KVM guest ran";
        return true;
    }
    why = "probe: KVM setup failed (step " + std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : -1) +
          ")";
    return false;
}

// The simulated stall (BURROW_VM_TEST_KVM_STALL=1) for the fallback's tests:
// "auto" then picks "kvm" without /dev/kvm or a probe, and the launch boots
// that first guest as TCG with its vcpus frozen (QEMU -S), a stall as
// complete as a real one on any machine. Honoured in test builds only
// (BURROW_FAULT_INJECTION, the ci preset), never in a release.
bool test_kvm_stall() {
#ifdef BURROW_FAULT_INJECTION
    const char* v = std::getenv("BURROW_VM_TEST_KVM_STALL");
    return v && std::strcmp(v, "1") == 0;
#else
    return false;
#endif
}

namespace {

// The kernel's identity for the cache: a real guest's progress under KVM
// depends on the kernel too (the host-wide probe verdict does not), so a
// stall is remembered for this image only. Path, inode and mtime name it
// without reading it.
std::string kernel_key(const std::string& kernel) {
    struct stat st;
    if (kernel.empty() || ::stat(kernel.c_str(), &st) < 0) return "-";
    Sha256 h;
    h.update(kernel);
    h.update(std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
             std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec));
    return h.hex().substr(0, 32);
}

// Cache lines: "BOOT_ID KEY VERDICT"; KEY "-" is the host's probe verdict,
// a kernel key a verdict on real guests of that kernel. Lines of another
// boot are dropped when the file is rewritten. A line at most 256 bytes,
// the file at most 64 KiB: it is ours, but a cap costs nothing.
struct CacheLine {
    std::string boot, key, verdict;
};

std::vector<CacheLine> read_cache(const std::string& file) {
    std::vector<CacheLine> r;
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    struct stat st;
    if (!fd || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
        return r;
    std::string data(65536, '\0');
    ssize_t n = ::read(fd.get(), data.data(), data.size());
    if (n <= 0) return r;
    data.resize(size_t(n));
    std::istringstream in(data);
    for (std::string line; std::getline(in, line);) {
        std::istringstream l(line);
        CacheLine c;
        if (line.size() < 256 && l >> c.boot >> c.key >> c.verdict &&
            (c.verdict == "kvm" || c.verdict == "tcg"))
            r.push_back(c);
    }
    return r;
}

void write_cache(const std::string& file, const std::string& id, const std::string& key,
                 const std::string& verdict) {
    // Best effort: a cache we cannot write only costs the next probe.
    std::vector<CacheLine> keep;
    for (auto& c : read_cache(file))
        if (c.boot == id && c.key != key && keep.size() < 64) keep.push_back(c);
    keep.push_back({id, key, verdict});
    mkdirs(file.substr(0, file.rfind('/')));
    std::string tmp = file + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream o(tmp);
        for (const auto& c : keep) o << c.boot << " " << c.key << " " << c.verdict << "\n";
    }
    if (::rename(tmp.c_str(), file.c_str()) < 0) ::unlink(tmp.c_str());
}

} // namespace

AccelChoice choose_accel(const std::string& want, const std::string& qemu,
                         const std::string& kernel) {
    if (want == "kvm" || want == "tcg") return {want, "--accel " + want};
    if (want != "auto") throw VmError("--accel " + want + ": expected auto, kvm or tcg");
    bool simulated = test_kvm_stall();
    if (!simulated && ::access("/dev/kvm", R_OK | W_OK) < 0)
        return {"tcg", std::string("/dev/kvm: ") + std::strerror(errno)};
    std::string file = cache_file(), id = boot_id(), kkey = kernel_key(kernel);
    std::string host_verdict;
    for (const auto& c : file.empty() ? std::vector<CacheLine>{} : read_cache(file)) {
        if (c.boot != id) continue;
        if (c.key == kkey && c.verdict == "tcg")
            return {"tcg", "cached in " + file + ": KVM made no progress with this kernel"};
        if (c.key == "-") host_verdict = c.verdict;
    }
    if (simulated) return {"kvm", "test hook: simulated KVM (BURROW_VM_TEST_KVM_STALL)"};
    if (!host_verdict.empty()) return {host_verdict, "cached verdict in " + file};
    std::string why;
    bool ok = kvm_works(why) && qemu_kvm_works(qemu, why);
    AccelChoice c{ok ? "kvm" : "tcg", why};
    if (!file.empty()) write_cache(file, id, "-", c.accel);
    return c;
}

void remember_kvm_stall(const std::string& kernel) {
    std::string file = cache_file();
    if (!file.empty()) write_cache(file, boot_id(), kernel_key(kernel), "tcg");
}

} // namespace burrow::vm
