// host_facts_from_process(): what the bwrap front end needs to know about the
// real caller, gathered once before parsing.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "policy/bwrap/args.hpp"
#include "runtime/fd.hpp"

extern char** environ;

namespace burrow {

namespace {

bool path_exists(const char* path) {
    struct stat st;
    return ::stat(path, &st) == 0;
}

// Small /proc or /sys file; nullopt-like empty result with ok=false on failure.
// Read into a page on the stack: read_fd_to_end() sizes its buffer for
// --args payloads (64 KiB, zero-filled, then 128 KiB from mmap), which cost
// every start a few dozen page faults for files of a few bytes.
bool read_small_file(const char* path, std::string& out) {
    Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > sizeof buf) return false; // not a small file
    }
}

// bwrap's --unshare-user-try test: the kernel has user namespaces and neither
// RHEL7's module switch nor user.max_user_namespaces=0 turns them off.
bool user_namespaces_available() {
    if (!path_exists("/proc/self/ns/user")) return false;
    std::string text;
    if (read_small_file("/sys/module/user_namespace/parameters/enable", text) && !text.empty() &&
        text[0] == 'N')
        return false;
    text.clear();
    if (read_small_file("/proc/sys/user/max_user_namespaces", text) && text == "0\n") return false;
    return true;
}

unsigned last_capability() {
    std::string text;
    if (read_small_file("/proc/sys/kernel/cap_last_cap", text)) {
        char* end = nullptr;
        errno = 0;
        unsigned long v = std::strtoul(text.c_str(), &end, 10);
        if (errno == 0 && end != text.c_str() && v < 64) return static_cast<unsigned>(v);
    }
    return CAP_LAST_CAP;
}

// What libselinux's security_check_context() does: the kernel validates a
// context written to selinuxfs. burrow does not link libselinux for this.
int selinux_context_errno(const std::string& context) {
    Fd fd(::open("/sys/fs/selinux/context", O_RDWR | O_CLOEXEC));
    if (!fd) return errno;
    const std::string with_nul = context + '\0';
    for (;;) {
        ssize_t n = ::write(fd.get(), with_nul.data(), with_nul.size());
        if (n >= 0) return 0;
        if (errno != EINTR) return errno;
    }
}

} // namespace

HostFacts host_facts_from_process() {
    HostFacts h;
    h.uid = ::getuid();
    h.gid = ::getgid();
    h.setuid = h.uid != ::geteuid() || h.gid != ::getegid();
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) h.env.emplace_back(*e);
    h.userns_available = user_namespaces_available();
    h.cgroupns_available = path_exists("/proc/self/ns/cgroup");
    h.cap_last_cap = last_capability();

    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) == 0) {
        h.effective_caps = data[0].effective | (uint64_t{data[1].effective} << 32);
        h.permitted_caps = data[0].permitted | (uint64_t{data[1].permitted} << 32);
    }
    // libselinux's is_selinux_enabled() looks for a mounted selinuxfs; burrow
    // does not link libselinux, so the same test is made by hand.
    h.selinux_enabled = path_exists("/sys/fs/selinux/enforce");
    if (h.selinux_enabled) h.check_selinux_context = selinux_context_errno;
    return h;
}

} // namespace burrow
