// The runtime's process side seen from inside the payload: namespaces, ids,
// capabilities, pid 1, exit codes and deaths by signal, exec failures.
#define BOOST_TEST_MODULE runtime_process
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include "tests/integration/runtime_test_support.hpp"

using namespace rtest;

namespace {

std::string ns_id(const char* name) {
    struct stat st;
    if (::stat((std::string("/proc/self/ns/") + name).c_str(), &st) != 0) return "?";
    return std::to_string(st.st_ino);
}

std::string payload_ns_ids() {
    return "for n in cgroup ipc mnt net pid uts; do stat -L -c \"$n %i\" /proc/self/ns/$n; done";
}

} // namespace

BOOST_AUTO_TEST_CASE(requested_namespaces_are_new_others_shared) {
    for (int variant = 0; variant < 2; ++variant) {
        Sandbox sb = base(payload_ns_ids());
        const bool all = variant == 1;
        sb.ns.ipc = sb.ns.net = sb.ns.uts = sb.ns.cgroup = sb.ns.pid = all;
        Result r = run(sb);
        BOOST_TEST_INFO("variant " << variant << " stderr: " << r.err);
        BOOST_REQUIRE_EQUAL(r.status, 0);
        for (const char* n : {"cgroup", "ipc", "net", "pid", "uts"}) {
            const std::string host_line = std::string(n) + " " + ns_id(n) + "\n";
            const bool shared = r.out.find(host_line) != std::string::npos;
            BOOST_TEST_INFO("namespace " << n << " output " << r.out);
            BOOST_TEST(shared == !all);
        }
        // The mount namespace is always new.
        BOOST_TEST(r.out.find("mnt " + ns_id("mnt") + "\n") == std::string::npos);
        BOOST_TEST(r.out.find("mnt ") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(uid_and_gid_inside) {
    Sandbox sb = base("id -u; id -g; cat /proc/self/setgroups");
    sb.ns.user = true;
    sb.ids.uid = 5;
    sb.ids.gid = 7;
    sb.ids.uid_map = {{5, ::getuid(), 1}};
    sb.ids.gid_map = {{7, ::getgid(), 1}};
    sb.proc.keep_capabilities = false;
    sb.proc.capabilities = 0;
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "5\n7\ndeny\n");
}

BOOST_AUTO_TEST_CASE(devpts_maps_root_first_then_nests_like_bwrap) {
    // bwrap maps the caller to root in the first namespace (devpts needs
    // it) and reaches the requested ids in a nested one.
    Sandbox sb = base("id -u; id -g; cat /proc/self/uid_map; ls /dev/pts/ptmx");
    FsOp dev;
    dev.kind = FsOpKind::dev;
    dev.dest = "/dev";
    sb.fs.push_back(dev);
    sb.ns.user = true;
    sb.ids.uid = 1234;
    sb.ids.gid = 4321;
    sb.ids.uid_map = {{1234, ::getuid(), 1}};
    sb.ids.gid_map = {{4321, ::getgid(), 1}};
    sb.proc.keep_capabilities = false;
    sb.proc.capabilities = 0;
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    std::istringstream in(r.out);
    std::string uid, gid, inside, outside, count;
    in >> uid >> gid >> inside >> outside >> count;
    BOOST_TEST(uid == "1234");
    BOOST_TEST(gid == "4321");
    BOOST_TEST(inside == "1234");
    BOOST_TEST(outside == "0");
    BOOST_TEST(r.out.find("/dev/pts/ptmx") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(capabilities_exact_set_with_ambient_and_bounding) {
    Sandbox sb = base("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status");
    sb.ns.user = true;
    sb.ids.uid = 1000;
    sb.ids.uid_map = {{1000, ::getuid(), 1}};
    sb.ids.gid_map = {{::getgid(), ::getgid(), 1}};
    sb.proc.keep_capabilities = false;
    sb.proc.capabilities = uint64_t{1} << CAP_NET_RAW; // 0x2000
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    for (const char* f : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        BOOST_TEST(r.out.find(std::string(f) + ":\t0000000000002000") != std::string::npos,
                   f << " in " << r.out);

    sb.proc.capabilities = 0;
    r = run(sb);
    BOOST_TEST(r.status == 0);
    for (const char* f : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        BOOST_TEST(r.out.find(std::string(f) + ":\t0000000000000000") != std::string::npos,
                   f << " in " << r.out);
}

BOOST_AUTO_TEST_CASE(no_new_privs_always) {
    Result r = run(base("grep NoNewPrivs /proc/self/status"));
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "NoNewPrivs:\t1\n");
}

BOOST_AUTO_TEST_CASE(pid_1_is_a_reaper_unless_as_pid_1) {
    Sandbox sb = base("echo $$; tr '\\0' ' ' </proc/1/cmdline | cut -c1-200; echo", true);
    sb.ns.pid = true;
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.rfind("2\n", 0) == 0, r.out);

    sb.proc.as_pid_1 = true;
    sb.proc.argv = {"/bin/sh", "-c", "echo $$"};
    r = run(sb);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "1\n");
}

BOOST_AUTO_TEST_CASE(pid_1_reaps_orphans_and_waits_for_the_payload_only) {
    // An orphaned background child becomes a zombie unless pid 1 reaps it;
    // the sandbox still exits with the payload's status.
    Sandbox sb = base("python3 -c 'import os, time; os.fork() or time.sleep(0.2)'; sleep 0.5; "
                      "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l; exit 4",
                      true);
    sb.ns.pid = true;
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 4);
    BOOST_TEST(r.out == "0\n");
}

BOOST_AUTO_TEST_CASE(exit_codes_and_signal_deaths) {
    for (bool pid_ns : {false, true}) {
        Sandbox sb = base("exit 7", pid_ns);
        sb.ns.pid = pid_ns;
        BOOST_TEST(run(sb).status == 7);
        sb.proc.argv = {"/bin/sh", "-c", "kill -TERM $$"};
        BOOST_TEST(run(sb).status == 128 + SIGTERM);
        sb.proc.argv = {"/bin/sh", "-c", "kill -KILL $$"};
        BOOST_TEST(run(sb).status == 128 + SIGKILL);
        sb.proc.argv = {"/bin/sh", "-c", "kill -SEGV $$"};
        BOOST_TEST(run(sb).status == 128 + SIGSEGV);
    }
}

BOOST_AUTO_TEST_CASE(exec_failure_is_reported_like_bwrap) {
    Sandbox sb = base("");
    sb.proc.argv = {"no-such-program-anywhere"};
    Result r = run(sb);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: execvp no-such-program-anywhere: No such file or directory\n");

    sb.proc.argv = {"/etc"};
    r = run(sb);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: execvp /etc: Permission denied\n");
}

BOOST_AUTO_TEST_CASE(path_search_uses_the_sandbox_environment_and_argv0) {
    Sandbox sb = base("");
    sb.proc.env = {"PATH=/nonexistent:/usr/bin", "FOO=bar"};
    sb.proc.argv = {"sh", "-c", "echo $0 $FOO; env | sort"};
    sb.proc.argv0 = "renamed";
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.rfind("renamed bar\n", 0) == 0, r.out);
    // Exactly the given environment, plus bwrap's PWD.
    BOOST_TEST(r.out.find("FOO=bar\nPATH=/nonexistent:/usr/bin\nPWD=") != std::string::npos, r.out);

    sb.proc.env = {"PATH=/nonexistent"};
    r = run(sb);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: execvp sh: No such file or directory\n");
}

BOOST_AUTO_TEST_CASE(working_directory_rule) {
    Sandbox sb = base("pwd; echo $PWD");
    sb.proc.chdir = "/usr/share";
    Result r = run(sb);
    BOOST_TEST(r.out == "/usr/share\n/usr/share\n");

    sb.proc.chdir = "/no/such/dir";
    r = run(sb);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: Can't chdir to /no/such/dir: No such file or directory\n");

    // Without --chdir: the caller's cwd (here /usr/lib, which exists inside).
    sb.proc.chdir.reset();
    r = run(sb, [] { (void)!::chdir("/usr/lib"); });
    BOOST_TEST(r.out == "/usr/lib\n/usr/lib\n");
}

BOOST_AUTO_TEST_CASE(hostname_and_loopback) {
    // /proc/net shows the reader's network namespace: exactly one
    // interface, "lo", and it is up (only an up "lo" carries 127.0.0.1).
    Sandbox sb = base("hostname; grep -c ':' /proc/net/dev; grep -q '^ *lo:' /proc/net/dev && "
                      "echo lo; grep -c '^0100007F' /proc/net/route || "
                      "grep -c '0100007F' /proc/net/fib_trie");
    sb.proc.argv = {"/bin/sh", "-c",
                    "hostname; grep -c ':' /proc/net/dev; "
                    "grep -q '^ *lo:' /proc/net/dev && echo lo; "
                    "grep -q '127.0.0.1' /proc/net/fib_trie && echo up"};
    sb.ns.uts = true;
    sb.ns.net = true;
    sb.proc.hostname = "sandbox-name";
    Result r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "sandbox-name\n1\nlo\nup\n", r.out);
}

BOOST_AUTO_TEST_CASE(disable_userns_and_assert) {
    Sandbox sb = base("unshare -U true && echo created || echo refused");
    sb.ns.user = true;
    sb.ids.uid_map = {{::getuid(), ::getuid(), 1}};
    sb.ids.gid_map = {{::getgid(), ::getgid(), 1}};
    sb.proc.keep_capabilities = false;
    sb.proc.capabilities = 0;
    Result r = run(sb);
    BOOST_TEST(r.out == "created\n", r.err);
    sb.ns.disable_userns = true;
    r = run(sb);
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "refused\n");

    sb.ns.disable_userns = false;
    sb.ns.assert_userns_disabled = true;
    r = run(sb);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: creation of new user namespaces was not disabled as requested\n");
}

BOOST_AUTO_TEST_CASE(new_session) {
    Sandbox sb = base("ps -o sid= -p $$; echo $$");
    sb.proc.new_session = true;
    Result r = run(sb);
    std::istringstream in(r.out);
    std::string sid, pid;
    in >> sid >> pid;
    BOOST_TEST(r.status == 0);
    BOOST_TEST(sid == pid, r.out);
}

BOOST_AUTO_TEST_CASE(caller_fds_stay_inherited_ours_do_not) {
    // fd 5 from the caller reaches the payload; nothing else beyond stdio.
    Sandbox sb = base("ls /proc/self/fd | sort -n | tr '\\n' ' '");
    Result r = run(sb, [] {
        ::close_range(3, ~0U, 0);               // whatever the test runner passed us
        int fd = ::open("/dev/null", O_RDONLY); // no O_CLOEXEC: the caller passes it
        if (fd != 5) {
            ::dup2(fd, 5);
            ::close(fd);
        }
    });
    BOOST_TEST_INFO(r.err);
    BOOST_TEST(r.status == 0);
    // ls itself opens one fd (3) for the directory.
    BOOST_TEST(r.out == "0 1 2 3 5 ", r.out);
}
