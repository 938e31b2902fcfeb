#include "launcher/vm_accel.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "launcher/vm_kernel.hpp"
#include "runtime/fd.hpp"

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

AccelChoice choose_accel(const std::string& want) {
    if (want == "kvm" || want == "tcg") return {want, "--accel " + want};
    if (want != "auto") throw VmError("--accel " + want + ": expected auto, kvm or tcg");
    if (::access("/dev/kvm", R_OK | W_OK) < 0)
        return {"tcg", std::string("/dev/kvm: ") + std::strerror(errno)};
    std::string file = cache_file(), id = boot_id();
    if (!file.empty()) {
        std::ifstream f(file);
        std::string b, verdict;
        if (f >> b >> verdict && b == id && (verdict == "kvm" || verdict == "tcg"))
            return {verdict, "cached verdict in " + file};
    }
    std::string why;
    AccelChoice c{kvm_works(why) ? "kvm" : "tcg", why};
    if (!file.empty()) {
        // Best effort: a cache we cannot write only costs the next probe.
        std::string dir = file.substr(0, file.rfind('/'));
        for (size_t i = 1; i <= dir.size(); ++i)
            if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
        std::string tmp = file + ".tmp" + std::to_string(::getpid());
        {
            std::ofstream o(tmp);
            o << id << " " << c.accel << "\n";
        }
        if (::rename(tmp.c_str(), file.c_str()) < 0) ::unlink(tmp.c_str());
    }
    return c;
}

} // namespace burrow::vm
