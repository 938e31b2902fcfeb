// `burrow seccomp` from the outside: the exported program loaded by Debian's
// bwrap (--seccomp FD) gives the payload the same results as burrow's own
// installation, and the subcommands' output and errors (exit 125, one line).
#define BOOST_TEST_MODULE seccomp_bwrap
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "policy/seccomp/builtin.hpp"
#include "policy/seccomp/compile.hpp"
#include "runtime/fd.hpp"
#include "tests/support/run_command.hpp"
#include "tests/unit/seccomp_test_support.hpp"
#include "tests/support/skip.hpp"

using namespace burrow::seccomp;

namespace {

struct Out {
    int status = -1;
    std::string out, err;
    int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
};

// Runs argv with fd 3 open on fd3_path (if given); stdout and stderr captured
// (tests/support/run_command).
Out run(const std::vector<std::string>& argv, const std::string& fd3_path = "") {
    btest::Command c;
    c.argv = argv;
    c.timeout = std::chrono::minutes(4); // a hang is CTest's to report
    burrow::Fd fd3;
    if (!fd3_path.empty()) {
        fd3 = burrow::Fd(::open(fd3_path.c_str(), O_RDONLY | O_CLOEXEC));
        BOOST_REQUIRE_MESSAGE(fd3.valid(), fd3_path);
        c.fds.push_back(btest::inherit_fd(3, fd3.get()));
    }
    const btest::Result res = btest::run(c);
    return Out{res.wait_status, res.out, res.err};
}

std::vector<std::string> call_args(const std::string& name, std::vector<std::string> args) {
    std::vector<std::string> v{"x86_64", std::to_string(syscall_number(machine_abis()[0], name))};
    args.resize(6, "0");
    v.insert(v.end(), args.begin(), args.end());
    return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(exported_program_under_debian_bwrap_matches_own_installation) {
    if (access("/usr/bin/bwrap", X_OK) != 0) {
        btest::skip("/usr/bin/bwrap not installed");
        return;
    }
    const std::vector<std::vector<std::string>> calls = {
        call_args("mount", {}),
        call_args("umount2", {}),
        call_args("ioctl", {"4294967295", "21522"}), // TIOCSTI
        call_args("ioctl", {"4294967295", "21523"}),
        call_args("socket", {"17", "3"}),
        call_args("socket", {"1", "255"}),
        call_args("personality", {"4194304"}),
        call_args("unshare", {"268435456"}),
        call_args("clone3", {}),
        call_args("ptrace", {"2"}),
        call_args("bpf", {"4294967295"}),
        call_args("getppid", {}),
        {"x32", std::to_string(syscall_number(*find_abi("x32"), "mount") & ~0x40000000), "0", "0",
         "0", "0", "0", "0"},
    };
    for (const char* profile : {"default", "strict", "ci"}) {
        const std::string file = "/tmp/burrow-sc-export-" + std::to_string(getpid());
        const Out exp = run({BURROW_BIN, "seccomp", "export", profile});
        BOOST_REQUIRE_EQUAL(exp.code(), 0);
        BOOST_REQUIRE(exp.out.size() % 8 == 0 && !exp.out.empty());
        {
            std::ofstream f(file, std::ios::binary);
            f << exp.out;
        }
        const BpfProgram own = compile_profile(*builtin_profile(profile));
        BOOST_TEST(exp.out.size() == own.size() * sizeof(sock_filter));
        for (const auto& c : calls) {
            if (c[0] == "x86_64" && c[1] == "-1") continue;
            std::vector<std::string> payload{BURROW_SC_PAYLOAD};
            payload.insert(payload.end(), c.begin(), c.end());
            // getppid differs between the two setups (bwrap's pid 1 is the
            // parent there): only compare that it ran.
            const bool pid_call =
                c[1] == std::to_string(syscall_number(machine_abis()[0], "getppid"));
            std::vector<std::string> bw{"/usr/bin/bwrap", "--ro-bind", "/", "/", "--seccomp", "3"};
            bw.insert(bw.end(), payload.begin(), payload.end());
            const Out under_bwrap = run(bw, file);
            const auto mine = burrow::test::run_filtered({own}, payload);
            BOOST_TEST(under_bwrap.code() == 0, profile << " bwrap: " << under_bwrap.err);
            BOOST_TEST(mine.exited_ok());
            if (!pid_call)
                BOOST_TEST(under_bwrap.out == mine.output,
                           profile << " " << c[0] << " nr " << c[1] << ": bwrap gave "
                                   << under_bwrap.out << " burrow gave " << mine.output);
        }
        unlink(file.c_str());
    }
}

BOOST_AUTO_TEST_CASE(check_and_explain_print_the_programs_answer) {
    Out r = run({BURROW_BIN, "seccomp", "check", "default", "mount", "--abi", "x86_64"});
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.out == "errno:EPERM\n");
    r = run({BURROW_BIN, "seccomp", "check", "default", "ioctl", "0", "0x5412"});
    BOOST_TEST(r.out == "x86_64: errno:EPERM\ni386: errno:EPERM\nx32: errno:EPERM\n");
    r = run({BURROW_BIN, "seccomp", "check", "strict", "ptrace", "--abi", "i386"});
    BOOST_TEST(r.out == "errno:ENOSYS\n");
    r = run({BURROW_BIN, "seccomp", "explain", "default"});
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.out.find("default action: allow") != std::string::npos);
    BOOST_TEST(r.out.find("\nmount ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_are_one_line_and_exit_125) {
    const std::string dir = "/tmp/burrow-sc-err-" + std::to_string(getpid());
    mkdir(dir.c_str(), 0700);
    const std::string bad = dir + "/bad.toml";
    {
        std::ofstream f(bad);
        f << "default_action = \"allow\"\n[[rule]]\nsyscalls = [\"mount\", \"mountt\"]\n"
             "action = \"errno:EPERM\"\n";
    }
    struct Case {
        std::vector<std::string> argv;
        std::string err;
    };
    const std::vector<Case> cases = {
        {{BURROW_BIN, "seccomp", "export", "nope"},
         "burrow: seccomp: unknown seccomp profile: nope\n"},
        {{BURROW_BIN, "seccomp", "export", bad},
         "burrow: seccomp: " + bad + ":3: unknown system call: mountt\n"},
        {{BURROW_BIN, "seccomp", "check", "default", "frob"},
         "burrow: seccomp: unknown system call: frob\n"},
        {{BURROW_BIN, "seccomp", "check", "default", "ioctl", "zz"},
         "burrow: seccomp: check: bad argument value: zz\n"},
    };
    for (const Case& c : cases) {
        const Out r = run(c.argv);
        BOOST_TEST(r.code() == 125);
        BOOST_TEST(r.err == c.err);
        BOOST_TEST(r.out.empty());
    }
    unlink(bad.c_str());
    rmdir(dir.c_str());
}

BOOST_AUTO_TEST_CASE(bwrap_mode_seccomp_profile_installs_and_reports_errors) {
    const std::string mount_nr = std::to_string(syscall_number(machine_abis()[0], "mount"));
    Out r = run({BURROW_BIN, "bwrap", "--ro-bind", "/", "/", "--seccomp-profile", "default",
                 BURROW_SC_PAYLOAD, "x86_64", mount_nr, "0", "0", "0", "0", "0", "0"});
    BOOST_TEST(r.code() == 0, r.err);
    BOOST_TEST(r.out == "-1\n"); // -EPERM instead of the kernel's -EFAULT
    r = run({BURROW_BIN, "bwrap", "--ro-bind", "/", "/", "--seccomp-profile", "nope", "true"});
    BOOST_TEST(r.code() == 1);
    BOOST_TEST(r.err == "bwrap: --seccomp-profile: unknown seccomp profile: nope\n");
}
