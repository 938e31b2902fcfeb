// Test driver: builds a Sandbox from simple flags (what the bwrap front end
// would make of "--ro-bind / / --dev /dev [--proc /proc]" for the current
// user, plus landlock, limits and exit-code options), runs it through
// run_sandbox_report() and writes the RunResult as JSON. So the limits tests
// exercise the runtime itself, without a policy parser in between.
//
//   sandbox_driver [options] -- COMMAND [ARG...]
//     --result FILE          RunResult as JSON, written after the run
//     --leftovers MARKER     also count, right after the run, the processes
//                            whose command line holds MARKER ("leftovers")
//     --bind SRC DEST        read-write bind (after the read-only root)
//     --net                  new network namespace (lo up)
//     --user-net STACK PATH  user-mode network (pasta|slirp4netns, helper path)
//     --egress-name NAME PORT    egress allowlist rule for a name ("*.x": below x;
//                            port 0: any); implies the allowlist, --net, a user ns
//     --egress-addr ADDR PREFIX PORT   rule for an address range
//     --egress-forward PORT  the caller's 127.0.0.1:PORT at the sandbox's
//     --egress               the allowlist with no rule (yet)
//     --pid                  new pid namespace   --as-pid-1
//     --bwrap-codes          bwrap's exit codes (default: burrow's 125/126/127)
//     --verbose              Diagnostics::verbose
//     --json-status-fd N
//     --seccomp-deny-write   a filter making write(2) fail with EPERM
//     --seccomp-invalid      a filter the kernel refuses
//     --ll-fs R,R..          landlock handled fs rights (names as in landlock.hpp)
//     --ll-net R,R..         landlock handled net rights
//     --ll-allow PATH R,R..  path rule     --ll-port PORT R,R..   port rule
//     --ll-allow-try PATH R,R..  path rule skipped when PATH is missing
//     --ll-min-abi N         --ll-max-abi N
//     --rlimit NAME SOFT HARD   ("unlimited" allowed)
//     --timeout MS  --grace MS  --timeout-signal N
//     --memory-max B  --pids-max N  --cpu-max "Q P"  --cgroup-required
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/landlock.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/runtime.hpp"

using namespace burrow;

namespace {

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "sandbox_driver: " << why << "\n";
    std::exit(2);
}

uint64_t rights(const std::string& list, bool net) {
    uint64_t mask = 0;
    std::istringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        const uint64_t bit =
            net ? landlock::net_right_from_name(name) : landlock::fs_right_from_name(name);
        if (bit == 0) usage("unknown landlock right " + name);
        mask |= bit;
    }
    return mask;
}

uint64_t number(const std::string& s) {
    if (s == "unlimited") return RLIM_INFINITY;
    char* end = nullptr;
    const uint64_t v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0') usage("not a number: " + s);
    return v;
}

// Processes other than us whose command line holds marker (arguments are
// NUL-separated in /proc/PID/cmdline; a zombie's is empty).
int count_processes(const std::string& marker) {
    int n = 0;
    DIR* d = ::opendir("/proc");
    if (!d) return -1;
    while (dirent* e = ::readdir(d)) {
        const int pid = std::atoi(e->d_name);
        if (pid <= 0 || pid == ::getpid()) continue;
        std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline");
        const std::string cmd((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
        if (cmd.find(marker) != std::string::npos) ++n;
    }
    ::closedir(d);
    return n;
}

} // namespace

int main(int argc, char** argv) {
    Sandbox sb;
    const bool root = ::getuid() == 0;
    sb.ns.user = !root;
    sb.ids.uid = ::getuid();
    sb.ids.gid = ::getgid();
    if (sb.ns.user) {
        sb.ids.uid_map = {{::getuid(), ::getuid(), 1}};
        sb.ids.gid_map = {{::getgid(), ::getgid(), 1}};
    }
    FsOp rootfs;
    rootfs.kind = FsOpKind::bind;
    rootfs.source = "/";
    rootfs.dest = "/";
    rootfs.readonly = true;
    sb.fs.push_back(rootfs);
    FsOp dev;
    dev.kind = FsOpKind::dev;
    dev.dest = "/dev";
    sb.fs.push_back(dev);
    sb.proc.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"};
    sb.diag.prog = "burrow";
    sb.exit_codes = ExitCodes::burrow();
    std::string result_file;
    std::string leftover_marker;

    int i = 1;
    auto next = [&](const char* opt) -> std::string {
        if (i + 1 >= argc) usage(std::string(opt) + " needs an argument");
        return argv[++i];
    };
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        } else if (a == "--result") {
            result_file = next("--result");
        } else if (a == "--leftovers") {
            leftover_marker = next("--leftovers");
        } else if (a == "--bind") {
            FsOp op;
            op.kind = FsOpKind::bind;
            op.source = next("--bind");
            op.dest = next("--bind");
            sb.fs.push_back(op);
        } else if (a == "--net") {
            sb.ns.net = true;
        } else if (a == "--user-net") {
            // The runtime's own checks, no policy in between. Implies --net
            // and a user namespace (the helper enters through it), root's too.
            const std::string stack = next("--user-net");
            if (stack != "pasta" && stack != "slirp4netns")
                usage("--user-net pasta|slirp4netns PATH");
            sb.user_net.stack = stack == "pasta" ? NetStack::pasta : NetStack::slirp4netns;
            sb.user_net.helper = next("--user-net");
            sb.ns.net = true;
            if (!sb.ns.user) {
                sb.ns.user = true;
                sb.ids.uid_map = {{::getuid(), ::getuid(), 1}};
                sb.ids.gid_map = {{::getgid(), ::getgid(), 1}};
            }
        } else if (a == "--egress" || a == "--egress-name" || a == "--egress-addr" ||
                   a == "--egress-forward") {
            sb.egress.enabled = true;
            sb.ns.net = true;
            if (!sb.ns.user) {
                sb.ns.user = true;
                sb.ids.uid_map = {{::getuid(), ::getuid(), 1}};
                sb.ids.gid_map = {{::getgid(), ::getgid(), 1}};
            }
            if (a == "--egress-name") {
                EgressRule r;
                r.name = next("--egress-name");
                if (r.name.rfind("*.", 0) == 0) {
                    r.wildcard = true;
                    r.name = r.name.substr(2);
                }
                r.port = static_cast<uint16_t>(std::stoi(next("--egress-name")));
                r.text = r.name;
                sb.egress.allow.push_back(r);
            } else if (a == "--egress-addr") {
                EgressRule r;
                r.text = next("--egress-addr");
                r.family = r.text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
                if (::inet_pton(r.family, r.text.c_str(), r.addr.data()) != 1)
                    usage("--egress-addr: bad address " + r.text);
                r.prefix = std::stoi(next("--egress-addr"));
                r.port = static_cast<uint16_t>(std::stoi(next("--egress-addr")));
                sb.egress.allow.push_back(r);
            } else if (a == "--egress-forward") {
                sb.egress.forward.push_back(
                    {static_cast<uint16_t>(std::stoi(next("--egress-forward")))});
            }
        } else if (a == "--pid") {
            sb.ns.pid = true;
        } else if (a == "--as-pid-1") {
            sb.proc.as_pid_1 = true;
        } else if (a == "--bwrap-codes") {
            sb.exit_codes = ExitCodes{};
        } else if (a == "--verbose") {
            sb.diag.verbose = true;
        } else if (a == "--json-status-fd") {
            sb.status.json_status_fd = static_cast<int>(number(next("--json-status-fd")));
        } else if (a == "--seccomp-deny-write") {
            // write(2) fails with EPERM; everything else is allowed.
            sb.seccomp_programs.push_back({
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            });
        } else if (a == "--seccomp-invalid") {
            // A jump past the end: the kernel refuses the program (EINVAL).
            sb.seccomp_programs.push_back({
                BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            });
        } else if (a == "--ll-fs") {
            sb.landlock.enabled = true;
            sb.landlock.handled_fs = rights(next("--ll-fs"), false);
        } else if (a == "--ll-net") {
            sb.landlock.enabled = true;
            sb.landlock.handled_net = rights(next("--ll-net"), true);
        } else if (a == "--ll-allow") {
            LandlockPathRule r;
            r.path = next("--ll-allow");
            r.access = rights(next("--ll-allow"), false);
            sb.landlock.paths.push_back(r);
        } else if (a == "--ll-allow-try") {
            LandlockPathRule r;
            r.path = next("--ll-allow-try");
            r.access = rights(next("--ll-allow-try"), false);
            r.optional = true;
            sb.landlock.paths.push_back(r);
        } else if (a == "--ll-port") {
            LandlockPortRule r;
            r.port = static_cast<uint16_t>(number(next("--ll-port")));
            r.access = rights(next("--ll-port"), true);
            sb.landlock.ports.push_back(r);
        } else if (a == "--ll-min-abi") {
            sb.landlock.min_abi = static_cast<int>(number(next("--ll-min-abi")));
        } else if (a == "--ll-max-abi") {
            sb.landlock.max_abi = static_cast<int>(number(next("--ll-max-abi")));
        } else if (a == "--rlimit") {
            const std::string name = next("--rlimit");
            auto res = rlimits::from_name(name);
            if (!res) usage("unknown rlimit " + name);
            Rlimit r;
            r.resource = *res;
            r.soft = number(next("--rlimit"));
            r.hard = number(next("--rlimit"));
            sb.limits.rlimits.push_back(r);
        } else if (a == "--timeout") {
            sb.limits.timeout_ms = number(next("--timeout"));
        } else if (a == "--grace") {
            sb.limits.timeout_grace_ms = number(next("--grace"));
        } else if (a == "--timeout-signal") {
            sb.limits.timeout_signal = static_cast<int>(number(next("--timeout-signal")));
        } else if (a == "--memory-max") {
            sb.limits.memory_max = number(next("--memory-max"));
        } else if (a == "--pids-max") {
            sb.limits.pids_max = number(next("--pids-max"));
        } else if (a == "--cpu-max") {
            sb.limits.cpu_max = next("--cpu-max");
        } else if (a == "--cgroup-required") {
            sb.limits.cgroup_required = true;
        } else {
            usage("unknown option " + a);
        }
    }
    for (; i < argc; ++i) sb.proc.argv.emplace_back(argv[i]);
    // /proc of the sandbox's own pid namespace, so ps and /proc/self agree.
    FsOp proc;
    proc.kind = FsOpKind::proc;
    proc.dest = "/proc";
    if (sb.ns.pid) sb.fs.push_back(proc);
    if (root) {
        sb.proc.keep_capabilities = true;
        // As bwrap run by root: the caller's effective set, untouched.
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2]{};
        if (::syscall(SYS_capget, &hdr, data) == 0)
            sb.proc.capabilities = data[0].effective | (uint64_t{data[1].effective} << 32);
    }

    const RunResult r = run_sandbox_report(sb);
    if (!result_file.empty()) {
        nlohmann::json j;
        j["status"] = r.status;
        j["setup_failed"] = r.setup_failed;
        j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json();
        j["signal"] = r.signal ? nlohmann::json(*r.signal) : nlohmann::json();
        j["timed_out"] = r.timed_out;
        j["exec_errno"] = r.exec_errno ? nlohmann::json(*r.exec_errno) : nlohmann::json();
        j["child_pid"] = r.child_pid;
        j["wall_ms"] = r.wall_ms;
        j["peak_rss_kib"] = r.peak_rss_kib;
        j["landlock_abi"] = r.landlock_abi;
        j["enforced"] = r.enforced;
        j["unavailable"] = r.unavailable;
        j["net"] = nlohmann::json::array();
        for (const auto& t : r.net)
            j["net"].push_back({{"dest", t.dest}, {"allowed", t.allowed}, {"refused", t.refused}});
        if (!leftover_marker.empty()) j["leftovers"] = count_processes(leftover_marker);
        std::ofstream(result_file) << j.dump() << "\n";
    }
    return r.status;
}
