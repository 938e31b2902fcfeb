#include "policy/file/resolve.hpp"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "policy/nix/closure.hpp"
#include "policy/bwrap/lint.hpp"
#include "policy/file/to_bwrap.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/log.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "runtime/landlock.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/io.hpp"

namespace burrow::policy {

namespace {

// The policy's access groups, in runtime/landlock's bits (the kernel's values,
// which Debian 12's <linux/landlock.h> does not have all of).
namespace lfs = landlock::fs;
constexpr uint64_t kRead = lfs::read_file | lfs::read_dir;
constexpr uint64_t kWrite =
    lfs::write_file | lfs::make_reg | lfs::make_sym | lfs::make_sock | lfs::make_fifo;
constexpr uint64_t kRemove = lfs::remove_dir | lfs::remove_file;

uint64_t fs_right(const std::string& name) {
    static const std::map<std::string, uint64_t> m{
        {"read", kRead},
        {"write", kWrite},
        {"execute", lfs::execute},
        {"make-dir", lfs::make_dir},
        {"remove", kRemove},
        {"truncate", lfs::truncate},
        {"refer", lfs::refer},
        {"ioctl-dev", lfs::ioctl_dev},
        {"ro", kRead | lfs::execute},
        {"rw", kRead | kWrite | kRemove | lfs::execute | lfs::make_dir | lfs::truncate |
                   lfs::refer | lfs::ioctl_dev},
    };
    return m.at(name); // decode accepted only these names
}

int signal_number(const std::string& name) {
    static const std::map<std::string, int> m{
        {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"KILL", SIGKILL},
        {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
    return m.at(name);
}

seccomp::CmpOp cmp_op(const SeccompRule& r, const std::string& op) {
    const auto parsed = seccomp::parse_cmp_op(op);
    if (!parsed) throw PolicyError(r.pos, "seccomp.rules.args.op: unknown operator \"" + op + "\"");
    return *parsed;
}

void add_seccomp(const Policy& p, Sandbox& sb) {
    if (!p.seccomp_profile) return;
    try {
        seccomp::Profile prof;
        try {
            prof = seccomp::load_profile(*p.seccomp_profile);
        } catch (const seccomp::ProfileError& e) {
            throw PolicyError(p.seccomp_profile_pos, std::string("seccomp.profile: ") + e.what());
        }
        // The policy's rules come first: the first matching rule decides.
        std::vector<seccomp::Rule> rules;
        for (const auto& r : p.seccomp_rules) {
            seccomp::Rule rule;
            rule.syscalls = r.syscalls;
            auto act = seccomp::parse_action(r.action);
            if (!act)
                throw PolicyError(r.pos,
                                  "seccomp.rules.action: unknown action \"" + r.action + "\"");
            rule.action = *act;
            rule.origin = r.pos.str();
            for (const auto& a : r.args) {
                seccomp::ArgCondition c;
                c.index = a.index;
                c.op = cmp_op(r, a.op);
                c.value = a.value;
                if (a.mask) c.mask = *a.mask;
                rule.args.push_back(c);
            }
            rules.push_back(std::move(rule));
        }
        rules.insert(rules.end(), prof.rules.begin(), prof.rules.end());
        prof.rules = std::move(rules);
        if (prof.rules.empty() && prof.default_action == seccomp::allow_action) return;
        sb.seccomp_programs.push_back(seccomp::compile_profile(prof));
        // The policy's profile is the only program: the one logged.
        if (p.seccomp_log_denials) seccomp::log_denials(sb, sb.seccomp_programs.size() - 1);
    } catch (const seccomp::ProfileError& e) {
        throw PolicyError(std::string("seccomp: ") + e.what());
    }
}

// The one place [nix] meets the Nix closure code: the closure's entries,
// read-only at the store directory, after every other filesystem operation
// (so a bind of / or /nix cannot cover the view).
void add_nix_store_view(const Policy& p, Sandbox& sb) {
    if (!p.has_nix) return;
    nix::ClosureRequest req;
    req.roots = p.nix_packages;
    req.closure_files = p.nix_closures;
    req.store_dir = p.nix_store_dir;
    req.daemon = p.nix_daemon;
    if (req.roots.empty() && req.closure_files.empty()) {
        if (!req.daemon) return;
        throw PolicyError(p.nix_pos, "[nix]: daemon = true needs packages or closure files");
    }
    try {
        nix::append_store_view(req, nix::compute_closure(req), sb);
    } catch (const nix::NixError& e) {
        throw PolicyError(p.nix_pos, std::string("[nix]: ") + e.what());
    }
}

// network = "private": pasta (faster, maintained), else slirp4netns, from a
// fixed list of directories rather than the caller's PATH. Missing both is
// an error, never a silent fall back to the host's network.
UserNet private_network_helper() {
    static const char* const dirs[] = {"/usr/bin",
                                       "/usr/sbin",
                                       "/bin",
                                       "/sbin",
                                       "/usr/local/bin",
                                       "/usr/local/sbin",
                                       "/run/current-system/sw/bin"};
    for (NetStack s : {NetStack::pasta, NetStack::slirp4netns})
        for (const char* d : dirs) {
            std::string path = std::string(d) + (s == NetStack::pasta ? "/pasta" : "/slirp4netns");
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                ::access(path.c_str(), X_OK) == 0)
                return UserNet{s, path};
        }
    std::string where;
    for (const char* d : dirs) where += std::string(where.empty() ? "" : ", ") + d;
    throw PolicyError("network = \"private\": neither pasta nor slirp4netns found in " + where +
                      " (Debian: apt install passt, or slirp4netns)");
}

} // namespace

Resolved resolve_policy(const Policy& p, const std::vector<std::string>& command,
                        const HostFacts& host) {
    Resolved out;
    BwrapPlan plan = policy_to_bwrap(p, host.env, [&](const std::string& content) {
        Fd fd(::memfd_create("burrow-policy-data", MFD_CLOEXEC));
        if (!fd) throw PolicyError(std::string("memfd_create: ") + std::strerror(errno));
        if (const int err = write_all(fd.get(), content))
            throw PolicyError(std::string("writing inline content: ") + std::strerror(err));
        ::lseek(fd.get(), 0, SEEK_SET);
        const int num = fd.get();
        out.data_fds.push_back(std::move(fd));
        return num;
    });
    std::vector<std::string> args = plan.args;
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    try {
        BwrapInvocation inv = parse_bwrap_args(args, host);
        out.sandbox = std::move(inv.sandbox);
    } catch (const BwrapUsageError& e) {
        throw PolicyError(std::string("policy cannot be applied: ") + e.what());
    }
    Sandbox& sb = out.sandbox;
    sb.diag.prog = "burrow";
    sb.ns.net_loopback = p.network != "none";
    if (p.network == "private") sb.user_net = private_network_helper();
    add_seccomp(p, sb);
    if (p.landlock) {
        Landlock& ll = sb.landlock;
        ll.enabled = true;
        ll.min_abi = p.landlock_min_abi;
        ll.handled_fs = landlock::fs_rights_for_abi(landlock::known_abi);
        for (const auto& lp : p.landlock_paths) {
            LandlockPathRule r;
            r.path = lp.path;
            r.optional = lp.optional;
            for (const auto& a : lp.access) r.access |= fs_right(a);
            ll.paths.push_back(r);
        }
        if (!p.landlock_ports.empty())
            ll.handled_net = landlock::net::bind_tcp | landlock::net::connect_tcp;
        for (const auto& lp : p.landlock_ports) {
            LandlockPortRule r;
            r.port = lp.port;
            for (const auto& a : lp.access)
                r.access |= a == "bind" ? landlock::net::bind_tcp : landlock::net::connect_tcp;
            ll.ports.push_back(r);
        }
    }
    for (const auto& r : p.rlimits) {
        burrow::Rlimit rl;
        rl.resource = *rlimits::from_name(r.name); // decode checked the name
        rl.soft = r.soft == UINT64_MAX ? RLIM_INFINITY : r.soft;
        rl.hard = r.hard == UINT64_MAX ? RLIM_INFINITY : r.hard;
        sb.limits.rlimits.push_back(rl);
    }
    sb.limits.timeout_ms = p.timeout_ms;
    sb.limits.timeout_grace_ms = p.grace_ms;
    sb.limits.timeout_signal = signal_number(p.timeout_signal);
    sb.limits.memory_max = p.memory_max;
    sb.limits.pids_max = p.pids_max;
    sb.limits.cpu_max = p.cpu_max;
    sb.limits.cgroup_required = p.cgroup_required;
    sb.exit_codes.setup_failed = 125;
    sb.exit_codes.cannot_execute = 126;
    sb.exit_codes.not_found = 127;
    sb.exit_codes.timeout = 124;
    add_nix_store_view(p, sb);
    for (const auto& f : lint_fs(sb.fs)) {
        const std::size_t entry =
            f.hidden < plan.fs_entry_of_op.size() ? plan.fs_entry_of_op[f.hidden] : 0;
        const std::size_t by = f.by < plan.fs_entry_of_op.size() ? plan.fs_entry_of_op[f.by] : 0;
        std::string where = entry < p.fs.size() ? p.fs[entry].pos.str() + ": " : "";
        std::string by_where = by < p.fs.size() ? " (" + p.fs[by].pos.str() + ")" : "";
        out.warnings.push_back(where + f.message + by_where);
    }
    return out;
}

} // namespace burrow::policy
