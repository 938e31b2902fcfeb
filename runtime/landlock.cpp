#include "runtime/landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

namespace burrow::landlock {

namespace {

constexpr uint32_t create_ruleset_version = 1U << 0;
constexpr int rule_path_beneath = 1;
constexpr int rule_net_port = 2;

// The kernel's structures at their newest known layout. An older kernel
// accepts a shorter size (we pass only what its ABI knows), so fields it
// would not understand are never sent.
struct RulesetAttr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; // ABI 4
    uint64_t scoped;             // ABI 6 (unused: always 0)
};
struct __attribute__((packed)) PathBeneathAttr {
    uint64_t allowed_access;
    int32_t parent_fd;
};
struct NetPortAttr {
    uint64_t allowed_access;
    uint64_t port;
};

constexpr const char* fs_names[] = {
    "execute",   "write_file", "read_file", "read_dir",  "remove_dir", "remove_file",
    "make_char", "make_dir",   "make_reg",  "make_sock", "make_fifo",  "make_block",
    "make_sym",  "refer",      "truncate",  "ioctl_dev",
};
constexpr const char* net_names[] = {"bind_tcp", "connect_tcp"};

template <size_t N> std::vector<std::string> names(uint64_t mask, const char* const (&table)[N]) {
    std::vector<std::string> out;
    for (unsigned bit = 0; bit < 64; ++bit) {
        if (!(mask & (1ULL << bit))) continue;
        out.push_back(bit < N ? std::string(table[bit]) : "bit" + std::to_string(bit));
    }
    return out;
}

template <size_t N> uint64_t from_name(const std::string& name, const char* const (&table)[N]) {
    for (size_t i = 0; i < N; ++i)
        if (name == table[i]) return 1ULL << i;
    return 0;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

// The ABI that introduced each fs right past the first 13 (for messages).
int fs_right_abi(uint64_t bit) {
    if (bit == fs::refer) return 2;
    if (bit == fs::truncate) return 3;
    if (bit == fs::ioctl_dev) return 5;
    return 1;
}

} // namespace

uint64_t fs_rights_for_abi(int abi) {
    if (abi < 1) return 0;
    uint64_t m = (1ULL << 13) - 1; // execute .. make_sym
    if (abi >= 2) m |= fs::refer;
    if (abi >= 3) m |= fs::truncate;
    if (abi >= 5) m |= fs::ioctl_dev;
    return m;
}

uint64_t net_rights_for_abi(int abi) {
    return abi >= 4 ? net::bind_tcp | net::connect_tcp : 0;
}

std::vector<std::string> fs_right_names(uint64_t mask) {
    return names(mask, fs_names);
}
std::vector<std::string> net_right_names(uint64_t mask) {
    return names(mask, net_names);
}
uint64_t fs_right_from_name(const std::string& name) {
    return from_name(name, fs_names);
}
uint64_t net_right_from_name(const std::string& name) {
    return from_name(name, net_names);
}

Plan plan(const Landlock& request, int kernel) {
    Plan p;
    p.kernel_abi = kernel;
    if (!request.enabled) return p;
    p.abi = std::min(kernel, known_abi);
    if (request.max_abi > 0) p.abi = std::min(p.abi, request.max_abi);
    if (request.min_abi > 0 && p.abi < request.min_abi) {
        p.error = "landlock ABI " + std::to_string(request.min_abi) + " required, ";
        if (kernel == 0)
            p.error += "but the kernel has no landlock (not built or not in lsm=)";
        else
            p.error += "but only ABI " + std::to_string(p.abi) + " is available";
        return p;
    }
    const uint64_t fs_ok = fs_rights_for_abi(p.abi);
    const uint64_t net_ok = net_rights_for_abi(p.abi);
    p.handled_fs = request.handled_fs & fs_ok;
    p.handled_net = request.handled_net & net_ok;
    p.dropped_fs = request.handled_fs & ~fs_ok;
    p.dropped_net = request.handled_net & ~net_ok;
    p.apply = p.handled_fs != 0 || p.handled_net != 0;
    return p;
}

void describe(const Plan& p, const Landlock& request, std::vector<std::string>& enforced,
              std::vector<std::string>& unavailable) {
    if (!request.enabled) return;
    if (p.kernel_abi == 0) {
        unavailable.push_back("landlock: not supported by this kernel");
        return;
    }
    if (p.apply) {
        std::string line = "landlock: ABI " + std::to_string(p.abi);
        if (p.handled_fs) line += " fs=" + join(fs_right_names(p.handled_fs));
        if (p.handled_net)
            line += " net=" + join(net_right_names(p.handled_net)) + " (" +
                    std::to_string(request.ports.size()) + " port rules)";
        enforced.push_back(line);
    }
    for (uint64_t bit = 1; bit; bit <<= 1) {
        if (!(p.dropped_fs & bit)) continue;
        const int need = fs_right_abi(bit);
        unavailable.push_back("landlock " + fs_right_names(bit).front() + ": needs ABI " +
                              std::to_string(need) + ", have " + std::to_string(p.abi));
    }
    if (p.dropped_net)
        unavailable.push_back("landlock " + join(net_right_names(p.dropped_net)) +
                              ": needs ABI 4, have " + std::to_string(p.abi));
}

int kernel_abi() {
    long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, create_ruleset_version);
    return v < 0 ? 0 : static_cast<int>(v);
}

void apply(const Landlock& request, const Plan& p) {
    if (!p.apply) return;
    RulesetAttr attr{p.handled_fs, p.handled_net, 0};
    // Only the fields this ABI knows: older kernels reject a longer struct
    // only when the extra bytes are non-zero, but being exact costs nothing.
    const size_t size = p.abi >= 4 ? offsetof(RulesetAttr, scoped) : sizeof(uint64_t);
    Fd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0U)));
    if (!ruleset) fail_errno("landlock_create_ruleset");

    for (const auto& rule : request.paths) {
        uint64_t access = rule.access & p.handled_fs;
        if (access == 0) continue; // nothing this ruleset restricts
        // Sandbox paths are relative to the new root, never to the cwd.
        const std::string path =
            rule.path.empty() || rule.path[0] != '/' ? "/" + rule.path : rule.path;
        Fd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
        if (!fd) {
            if (rule.optional && errno == ENOENT) continue;
            fail_errno("landlock: can't open " + rule.path);
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) fail_errno("landlock: can't stat " + rule.path);
        // Directory-only rights (read_dir, make_*, remove_*, refer) mean
        // "beneath this directory"; on a file the kernel refuses them.
        if (!S_ISDIR(st.st_mode)) access &= fs::file_rights;
        if (access == 0) continue;
        PathBeneathAttr pb{access, fd.get()};
        if (::syscall(SYS_landlock_add_rule, ruleset.get(), rule_path_beneath, &pb, 0U) != 0)
            fail_errno("landlock: can't add a rule for " + rule.path);
    }
    for (const auto& rule : request.ports) {
        const uint64_t access = rule.access & p.handled_net;
        if (access == 0) continue;
        NetPortAttr np{access, rule.port};
        if (::syscall(SYS_landlock_add_rule, ruleset.get(), rule_net_port, &np, 0U) != 0)
            fail_errno("landlock: can't add a rule for TCP port " + std::to_string(rule.port));
    }
    if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0U) != 0)
        fail_errno("landlock_restrict_self");
}

} // namespace burrow::landlock
