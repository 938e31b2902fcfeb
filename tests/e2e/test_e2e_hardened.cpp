// End to end: a long, realistic hardened command line (the kind a desktop
// app launcher generates) run by Debian's bwrap and by burrow; the probe must
// observe exactly the same sandbox, including a seccomp program the test
// compiles with libseccomp.
#define BOOST_TEST_MODULE e2e_hardened
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/bwrap_runner.hpp"
#include "tests/support/seccomp_bpf.hpp"

using namespace btest;

namespace {

std::vector<std::string> hardened_argv(const Front& f) {
    std::vector<std::string> a = f.prefix;
    a = cat(a, {
                   // filesystem: read-only system, private everything else
                   "--ro-bind", "/usr", "/usr",                                      //
                   "--ro-bind", "/etc", "/etc",                                      //
                   "--symlink", "usr/lib", "/lib",                                   //
                   "--symlink", "usr/lib64", "/lib64",                               //
                   "--symlink", "usr/bin", "/bin",                                   //
                   "--symlink", "usr/sbin", "/sbin",                                 //
                   "--ro-bind", probe_bin(), "/app/probe",                           //
                   "--proc", "/proc",                                                //
                   "--dev", "/dev",                                                  //
                   "--tmpfs", "/tmp",                                                //
                   "--perms", "0700", "--tmpfs", "/home/user",                       //
                   "--dir", "/home/user/.config",                                    //
                   "--perms", "0750", "--dir", "/home/user/.cache",                  //
                   "--dir", "/run/user/1000",                                        //
                   "--symlink", "/run", "/var/run",                                  //
                   "--perms", "0600", "--file", "10", "/home/user/.config/app.conf", //
                   "--ro-bind-data", "11", "/run/app/policy",                        //
                   "--bind-data", "12", "/home/user/.cache/state",                   //
                   "--dir", "/data",                                                 //
                   "--chmod", "0711", "/data",                                       //
                   "--remount-ro", "/usr",                                           //
                                                                                     // process
                   "--unshare-all", "--share-net",                                   //
                   "--hostname", "hardened",                                         //
                   "--die-with-parent", "--new-session",                             //
                   "--cap-drop", "ALL",                                              //
                   "--clearenv",                                                     //
                   "--setenv", "HOME", "/home/user",                                 //
                   "--setenv", "PATH", "/usr/bin:/bin",                              //
                   "--setenv", "XDG_RUNTIME_DIR", "/run/user/1000",                  //
                   "--setenv", "LANG", "C.UTF-8",                                    //
                   "--unsetenv", "LANG",                                             //
                   "--chdir", "/home/user",                                          //
                   "--seccomp", "13",                                                //
                   "--info-fd", "14",                                                //
                   "--", "/app/probe",                                               //
               });
    a = cat(a, {"ids",
                "caps",
                "nnp",
                "seccomp",
                "hostname",
                "cwd",
                "env",
                "session",
                "mounts",
                "ls=/",
                "ls=/home/user",
                "ls=/home/user/.config",
                "ls=/home/user/.cache",
                "stat=/var/run",
                "stat=/data",
                "cat=/run/app/policy",
                "cat=/home/user/.config/app.conf",
                "writable=/usr",
                "writable=/etc",
                "writable=/home/user",
                "writable=/run/app/policy",
                "writable=/tmp",
                "writable=/home/user/.cache/state",
                "personality",
                "mkdir=/tmp/denied",
                "fds",
                "ns=net:" + host_ns("net"),
                "ns=pid:" + host_ns("pid"),
                "ns=ipc:" + host_ns("ipc"),
                "ns=uts:" + host_ns("uts"),
                "ns=cgroup:" + host_ns("cgroup"),
                "exit=3"});
    return a;
}

Command hardened(const Front& f) {
    Command c;
    c.argv = hardened_argv(f);
    c.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/root", "SECRET=leak"};
    c.fds = {data_fd(10, "key = value\n"), data_fd(11, "policy: strict\n"), data_fd(12, "state\n"),
             data_fd(13, bpf_denying({"personality", "mkdir", "mkdirat"}, EPERM)), capture_fd(14)};
    return c;
}

} // namespace

BOOST_AUTO_TEST_CASE(hardened_command_line_same_in_bwrap_and_burrow) {
    auto ref = run(hardened(reference_front()));
    // The vector itself is sound: Debian's bwrap runs it and the seccomp
    // program bites.
    BOOST_TEST_REQUIRE(ref.code() == 3, ref.describe());
    BOOST_TEST(contains(ref.out, "personality: EPERM\n"));
    BOOST_TEST(contains(ref.out, "mkdir /tmp/denied: EPERM\n"));
    BOOST_TEST(contains(ref.out, "hostname: hardened\n"));
    BOOST_TEST(contains(ref.out, "ns net: host\n"));
    BOOST_TEST(!contains(ref.out, "SECRET"));
    BOOST_TEST(hardened_argv(reference_front()).size() > 100u); // ~50 options

    if (reference_mode()) return;
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto ours = run(hardened(f));
            BOOST_TEST(ours.code() == ref.code(), ours.describe());
            BOOST_TEST(ours.out == ref.out, "debian:\n"
                                                << ref.describe() << "\nburrow:\n"
                                                << ours.describe());
            BOOST_TEST(ours.err == ref.err);
            BOOST_TEST(contains(ours.captured[14], "\"child-pid\""), ours.captured[14]);
        }
    }
}
