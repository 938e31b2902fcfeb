// Compiled profiles against the real kernel: a static payload makes raw
// calls natively, through int $0x80 (i386) and with the x32 bit, under the
// filter; every result must be what `burrow seccomp check` (the BPF
// interpreter over the same program) predicts, and calls the profile allows
// must behave exactly as with no filter. Plus workloads (sh, coreutils, gcc,
// python3, node) that must still run under default and strict.
#define BOOST_TEST_MODULE seccomp_kernel
#include <boost/test/unit_test.hpp>

#include <linux/sched.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "runtime/seccomp_bpf_eval.hpp"
#include "policy/seccomp/builtin.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "tests/unit/seccomp_test_support.hpp"
#include "tests/support/skip.hpp"

using namespace burrow::seccomp;
using burrow::test::run_filtered;

namespace {

struct Call {
    std::string name;
    uint64_t args[6];
};

// Calls chosen so that, should a filter fail to stop them, the kernel
// refuses them anyway (bad pointers, bad fds, bad magic) or they only touch
// the payload itself. Results are deterministic with or without a filter.
const std::vector<Call> sample_calls = {
    {"mount", {0, 0, 0, 0, 0, 0}},
    {"umount2", {0, 0, 0, 0, 0, 0}},
    {"pivot_root", {0, 0, 0, 0, 0, 0}},
    {"chroot", {0, 0, 0, 0, 0, 0}},
    {"fsopen", {0, 0, 0, 0, 0, 0}},
    {"init_module", {0, 0, 0, 0, 0, 0}},
    {"finit_module", {~0ull, 0, 0, 0, 0, 0}},
    {"delete_module", {0, 0, 0, 0, 0, 0}},
    {"reboot", {0, 0, 0, 0, 0, 0}},
    {"kexec_file_load", {~0ull, ~0ull, 0, 0, 0, 0}},
    {"swapoff", {0, 0, 0, 0, 0, 0}},
    {"iopl", {4, 0, 0, 0, 0, 0}},
    {"clock_settime", {0, 0, 0, 0, 0, 0}},
    {"adjtimex", {0, 0, 0, 0, 0, 0}},
    {"modify_ldt", {99, 0, 0, 0, 0, 0}},
    {"add_key", {0, 0, 0, 0, 0, 0}},
    {"keyctl", {0x7fffffff, 0, 0, 0, 0, 0}},
    {"bpf", {~0ull & 0xffffffff, 0, 0, 0, 0, 0}},
    {"perf_event_open", {0, 0, 0, 0, 0, 0}},
    {"userfaultfd", {~0ull & 0xffffffff, 0, 0, 0, 0, 0}},
    {"open_by_handle_at", {~0ull & 0xffffffff, 0, 0, 0, 0, 0}},
    {"io_uring_setup", {0, 0, 0, 0, 0, 0}},
    {"acct", {1, 0, 0, 0, 0, 0}},
    {"syslog", {10, 0, 0, 0, 0, 0}},
    {"get_mempolicy", {0, 0, 0, 0, 0, 0}},
    {"clone3", {0, 0, 0, 0, 0, 0}},
    {"unshare", {CLONE_NEWUSER, 0, 0, 0, 0, 0}},
    {"unshare", {CLONE_NEWUTS, 0, 0, 0, 0, 0}},
    {"setns", {~0ull & 0xffffffff, 0, 0, 0, 0, 0}},
    {"ioctl", {~0ull & 0xffffffff, 0x5412, 0, 0, 0, 0}},         // TIOCSTI
    {"ioctl", {~0ull & 0xffffffff, 0x100005412ull, 0, 0, 0, 0}}, // high junk
    {"ioctl", {~0ull & 0xffffffff, 0x541C, 0, 0, 0, 0}},         // TIOCLINUX
    {"ioctl", {~0ull & 0xffffffff, 0x5413, 0, 0, 0, 0}},         // TIOCGWINSZ
    {"personality", {0xffffffff, 0, 0, 0, 0, 0}},
    {"personality", {0x0040000, 0, 0, 0, 0, 0}}, // ADDR_NO_RANDOMIZE
    {"socket", {AF_PACKET, SOCK_RAW, 0, 0, 0, 0}},
    {"socket", {AF_NETLINK, SOCK_RAW, 0, 0, 0, 0}},
    {"socket", {AF_UNIX, SOCK_STREAM, 0, 0, 0, 0}},
    {"socketcall", {1, 0, 0, 0, 0, 0}},
    {"ptrace", {2, 0, 0, 0, 0, 0}},
    {"process_vm_readv", {0, 0, 0, 0, 0, 0}},
    {"kcmp", {0, 0, 0, 0, 0, 0}},
    {"vm86", {0, 0, 0, 0, 0, 0}},
    {"getuid", {0, 0, 0, 0, 0, 0}},
    {"close", {~0ull & 0xffffffff, 0, 0, 0, 0, 0}},
    {"uname", {0, 0, 0, 0, 0, 0}},
    {"sethostname", {0, 0, 0, 0, 0, 0}},
};

struct Probe {
    const Abi* abi;
    const Call* call;
    int nr;
};

std::vector<Probe> probes_for(const std::string& abi_name) {
    std::vector<Probe> out;
    const Abi* abi = find_abi(abi_name);
    for (const Call& c : sample_calls) {
        const int nr = syscall_number(*abi, c.name);
        if (nr >= 0) out.push_back(Probe{abi, &c, nr & ~0x40000000});
    }
    return out;
}

std::vector<std::string> payload_argv(const std::vector<Probe>& probes) {
    std::vector<std::string> argv{BURROW_SC_PAYLOAD};
    for (const Probe& p : probes) {
        argv.push_back(p.abi->name);
        argv.push_back(std::to_string(p.nr));
        for (uint64_t a : p.call->args) argv.push_back(std::to_string(a));
    }
    return argv;
}

std::vector<long> results(const std::string& out) {
    std::vector<long> r;
    std::istringstream in(out);
    long v;
    while (in >> v) r.push_back(v);
    return r;
}

// Whether the kernel runs this ABI at all (ia32 emulation can be off:
// int $0x80 then faults before any syscall entry, so seccomp never sees it).
bool abi_runs(const std::string& abi) {
    const auto r = run_filtered({}, {BURROW_SC_PAYLOAD, abi, "39", "0", "0", "0", "0", "0", "0"});
    return r.exited_ok();
}

void check_profile_on_abi(const std::string& profile_name, const std::string& abi_name) {
    const Profile profile = *builtin_profile(profile_name);
    const std::vector<BpfProgram> progs{compile_profile(profile)};
    const auto probes = probes_for(abi_name);
    // One process per call: an allowed call may change the payload (a new
    // user namespace, an fd) and must not colour the next result.
    std::vector<long> want_base, got;
    for (const Probe& p : probes) {
        const auto baseline = run_filtered({}, payload_argv({p}));
        const auto filtered = run_filtered(progs, payload_argv({p}));
        BOOST_REQUIRE(baseline.exited_ok());
        BOOST_REQUIRE_MESSAGE(filtered.exited_ok(), profile_name << " on " << abi_name << " "
                                                                 << p.call->name << ": status "
                                                                 << filtered.status);
        want_base.push_back(results(baseline.output).at(0));
        got.push_back(results(filtered.output).at(0));
    }
    for (std::size_t i = 0; i < probes.size(); ++i) {
        const Probe& p = probes[i];
        seccomp_data d{};
        d.nr = syscall_number(*p.abi, p.call->name);
        d.arch = p.abi->audit_arch;
        for (int k = 0; k < 6; ++k)
            d.args[k] = p.abi->args32 ? (p.call->args[k] & 0xffffffff) : p.call->args[k];
        const auto action = from_ret(run_stack(progs, d));
        BOOST_REQUIRE(action);
        const std::string what = profile_name + " " + abi_name + " " + p.call->name + "(" +
                                 std::to_string(p.call->args[0]) + ", " +
                                 std::to_string(p.call->args[1]) + ")";
        if (action->kind == ActionKind::errno_ret) {
            BOOST_TEST(got[i] == -action->err,
                       what << ": kernel gave " << got[i] << ", check says " << to_string(*action));
        } else {
            BOOST_REQUIRE(action->kind == ActionKind::allow);
            BOOST_TEST(got[i] == want_base[i], what << ": allowed but kernel gave " << got[i]
                                                    << " instead of " << want_base[i]);
        }
    }
}

std::string check(const std::string& profile, const std::string& call, std::vector<uint64_t> args,
                  const std::string& abi) {
    const std::vector<BpfProgram> progs{compile_profile(*builtin_profile(profile))};
    const Abi* a = find_abi(abi);
    seccomp_data d{};
    d.nr = syscall_number(*a, call);
    d.arch = a->audit_arch;
    for (std::size_t k = 0; k < args.size(); ++k) d.args[k] = args[k];
    return to_string(*from_ret(run_stack(progs, d)));
}

bool have(const char* path) {
    return access(path, X_OK) == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(check_agrees_with_the_kernel_natively_and_on_x32) {
    for (const char* profile : {"default", "strict", "ci", "none"}) {
        check_profile_on_abi(profile, "x86_64");
        check_profile_on_abi(profile, "x32");
    }
}

BOOST_AUTO_TEST_CASE(check_agrees_with_the_kernel_on_i386) {
    if (!abi_runs("i386")) {
        btest::skip("int $0x80 faults on this kernel (ia32 emulation off); the i386 half of "
                    "each program is covered by the interpreter tests");
        return;
    }
    for (const char* profile : {"default", "strict", "ci", "none"})
        check_profile_on_abi(profile, "i386");
}

// What the profiles promise, written out, so `check` itself cannot drift.
BOOST_AUTO_TEST_CASE(profiles_deny_what_they_promise_on_every_abi) {
    for (const char* abi : {"x86_64", "i386", "x32"}) {
        for (const char* p : {"default", "ci", "strict"}) {
            BOOST_TEST(check(p, "mount", {}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "kexec_load", {}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "bpf", {}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "ioctl", {0, 0x5412}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "ioctl", {0, 0x541C}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "ioctl", {0, 0x5413}, abi) == "allow");
            BOOST_TEST(check(p, "clone3", {}, abi) == "errno:ENOSYS");
            BOOST_TEST(check(p, "unshare", {CLONE_NEWUSER}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "socket", {AF_PACKET}, abi) == "errno:EAFNOSUPPORT");
            BOOST_TEST(check(p, "socket", {AF_INET6}, abi) == "allow");
            BOOST_TEST(check(p, "personality", {0x0400000}, abi) == "errno:EPERM");
            BOOST_TEST(check(p, "personality", {8}, abi) == "allow");
        }
        BOOST_TEST(check("default", "ptrace", {}, abi) == "allow");
        BOOST_TEST(check("ci", "ptrace", {}, abi) == "errno:EPERM");
        BOOST_TEST(check("ci", "clone", {CLONE_NEWNET}, abi) == "errno:EPERM");
        BOOST_TEST(check("default", "clone", {CLONE_NEWNET}, abi) == "allow");
        BOOST_TEST(check("strict", "ptrace", {}, abi) == "errno:ENOSYS");
        BOOST_TEST(check("strict", "socket", {AF_NETLINK}, abi) == "errno:EAFNOSUPPORT");
    }
    // The kernel truncates ioctl's request to 32 bits; junk above must not
    // dodge the rule on x86_64.
    BOOST_TEST(check("default", "ioctl", {0, 0xdead00005412ull}, "x86_64") == "errno:EPERM");
    BOOST_TEST(check("default", "socketcall", {1}, "i386") == "errno:EAFNOSUPPORT");
}

BOOST_AUTO_TEST_CASE(kill_process_action_kills_with_sigsys) {
    const Profile p = parse_profile_toml("default_action = \"allow\"\n[[rule]]\nsyscalls = "
                                         "[\"getuid\"]\naction = \"kill-process\"\n",
                                         "kill.toml");
    const auto nr = std::to_string(syscall_number(machine_abis()[0], "getuid"));
    const auto r = run_filtered({compile_profile(p)},
                                {BURROW_SC_PAYLOAD, "x86_64", nr, "0", "0", "0", "0", "0", "0"});
    BOOST_TEST(WIFSIGNALED(r.status));
    BOOST_TEST(WTERMSIG(r.status) == SIGSYS);
}

// Workloads a profile must not break.
BOOST_AUTO_TEST_CASE(workloads_run_under_default_and_strict) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("burrow-seccomp-" + std::to_string(getpid()));
    fs::create_directories(dir);
    {
        std::ofstream c(dir / "hello.c");
        c << "#include <stdio.h>\nint main(void){puts(\"hello from gcc\");return 0;}\n";
    }
    struct Work {
        const char* what;
        std::vector<std::string> argv;
        std::string expect;
    };
    std::vector<Work> work = {
        {"sh", {"/bin/sh", "-c", "x=$(echo sh-ok); echo $x"}, "sh-ok"},
        {"coreutils",
         {"/bin/sh", "-c",
          "cp hello.c h2.c && sort h2.c | head -c 8 >/dev/null && ls -l h2.c >/dev/null && "
          "mkdir -p d/e && rm -r d && stat -c %s h2.c >/dev/null && echo core-ok"},
         "core-ok"},
        {"gcc", {"/bin/sh", "-c", "gcc -O2 -o hello hello.c && ./hello"}, "hello from gcc"},
        {"python3",
         {"/usr/bin/python3", "-c",
          "import subprocess,socket,threading,json;"
          "s=socket.socket(socket.AF_INET);s.close();"
          "print(json.dumps(subprocess.run(['echo','py-ok'],capture_output=True,text=True).stdout."
          "strip()))"},
         "\"py-ok\""},
    };
    if (have("/usr/bin/git"))
        work.push_back(
            {"git",
             {"/bin/sh", "-c", "git init -q r && cd r && git status --short && echo git-ok"},
             "git-ok"});
    else
        btest::skip("git not installed");
    for (const char* node : {"/usr/bin/node", "/usr/local/bin/node"})
        if (have(node)) {
            work.push_back(
                {"node",
                 {node, "-e",
                  "require('fs').readdirSync('.');setTimeout(()=>console.log('node-ok'),10)"},
                 "node-ok"});
            break;
        }
    if (work.back().what != std::string("node")) btest::skip("node not installed");
    for (const char* profile : {"default", "strict", "ci"}) {
        const BpfProgram prog = compile_profile(*builtin_profile(profile));
        for (const Work& w : work) {
            const auto r = run_filtered({prog}, w.argv, true, dir.string());
            BOOST_TEST(r.exited_ok(), profile << " " << w.what << ": status " << r.status << "\n"
                                              << r.output);
            BOOST_TEST(r.output.find(w.expect) != std::string::npos,
                       profile << " " << w.what << ": " << r.output);
        }
    }
    fs::remove_all(dir);
}
