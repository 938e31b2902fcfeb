// The OCI front end end to end: a bundle (busybox-static rootfs) parsed by
// load_bundle and run through the real run_sandbox() in a forked caller;
// the payload reports what it sees. As root and (the .user twin) as the
// unprivileged user, who gets a user namespace mapping it to root inside.
#define BOOST_TEST_MODULE oci_runtime
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "policy/oci/bundle.hpp"
#include "runtime_test_support.hpp"

namespace fs = std::filesystem;

namespace {

const char* const kApplets[] = {"sh",    "cat",   "id",       "grep", "hostname", "ls",   "stat",
                                "touch", "mkdir", "readlink", "echo", "head",     "test", "wc"};

// BUNDLE/rootfs with /bin/busybox and its applet links, removed at the end.
struct Bundle {
    std::string dir;
    Bundle() {
        char tmpl[] = "/tmp/oci-rt-XXXXXX";
        dir = ::mkdtemp(tmpl);
        ::chmod(dir.c_str(), 0755);
        fs::create_directories(dir + "/rootfs/bin");
        for (const char* d : {"proc", "dev", "tmp", "etc"})
            fs::create_directories(dir + "/rootfs/" + d);
        fs::copy_file("/usr/bin/busybox", dir + "/rootfs/bin/busybox");
        for (const char* a : kApplets) fs::create_symlink("busybox", dir + "/rootfs/bin/" + a);
    }
    ~Bundle() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    void write_config(const std::string& text) const {
        std::ofstream(dir + "/config.json") << text;
    }
};

// config.json for `script`: new pid, ipc, uts, mount and network namespaces
// (plus a user namespace mapping the caller to root when not root), proc,
// a tmpfs /dev with devpts, a tmpfs /tmp. Fragments are spliced in.
struct Config {
    std::string script;
    std::string process_extra; // ,"key":value... inside process
    std::string mounts_extra;  // ,{mount}...
    std::string linux_extra;   // ,"key":value... inside linux
    std::string top_extra;     // ,"key":value... at the top
    std::string user = R"("uid":0,"gid":0)";
    std::string namespaces =
        R"({"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"})";
    bool readonly = false;
    bool tmp = true; // the tmpfs on /tmp

    std::string text() const {
        std::string ns = namespaces;
        std::string maps;
        if (!rtest::is_root()) {
            ns += R"(,{"type":"user"})";
            maps = R"(,"uidMappings":[{"containerID":0,"hostID":)" + std::to_string(::getuid()) +
                   R"(,"size":1}],"gidMappings":[{"containerID":0,"hostID":)" +
                   std::to_string(::getgid()) + R"(,"size":1}])";
        }
        nlohmann::json args = {"/bin/sh", "-c", script};
        return R"({"ociVersion":"1.0.2","root":{"path":"rootfs","readonly":)" +
               std::string(readonly ? "true" : "false") + R"(},"process":{"args":)" + args.dump() +
               R"(,"env":["PATH=/bin"],"cwd":"/","user":{)" + user + "}" + process_extra +
               R"(},"mounts":[{"destination":"/proc","type":"proc","source":"proc"},
                 {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
                 {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]})" +
               std::string(
                   tmp ? R"(,{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","noexec","mode=1770","size=1m"]})"
                       : "") +
               mounts_extra + R"(],"linux":{"namespaces":[)" + ns + "]" + maps + linux_extra + "}" +
               top_extra + "}";
    }
};

// Runs the bundle; the payload's stdout and stderr and its status.
rtest::Result run_bundle(const Bundle& b, const Config& c) {
    b.write_config(c.text());
    burrow::oci::LoadOptions opt;
    opt.rootless = !rtest::is_root();
    burrow::oci::Bundle bundle = burrow::oci::load_bundle(b.dir, opt);
    // The forked caller drops close-on-exec fds (as an exec would); burrow
    // oci runs the sandbox in the process that opened the namespace fds.
    return rtest::run(bundle.sandbox, [&] {
        for (const auto& fd : bundle.owned_fds) ::fcntl(fd.get(), F_SETFD, 0);
    });
}

std::string config_error(const Bundle& b, const Config& c) {
    b.write_config(c.text());
    try {
        burrow::oci::load_bundle(b.dir, {});
    } catch (const burrow::oci::ConfigError& e) {
        return e.what();
    }
    return "";
}

} // namespace

// Written first: a mount destination that is a symlink in the image must
// be resolved inside the new root, never on the host.
BOOST_AUTO_TEST_CASE(symlinked_destination_stays_inside) {
    Bundle b;
    const std::string host_dir = b.dir + "/hostside";
    fs::create_directories(host_dir);
    fs::create_symlink(host_dir, b.dir + "/rootfs/evil"); // absolute, to the host path
    fs::create_symlink("../../../../../../" + host_dir.substr(1), b.dir + "/rootfs/evil2");
    // What the links name, inside the root: where the mounts must land.
    fs::create_directories(b.dir + "/rootfs" + host_dir);
    Config c;
    c.tmp = false; // /tmp of the image, where the links lead
    c.script = "echo ok";
    c.mounts_extra = R"(,{"destination":"/evil/sub","type":"tmpfs","source":"tmpfs"},
                        {"destination":"/evil2/sub2","type":"bind","source":")" +
                     b.dir + R"(/rootfs/bin","options":["rbind","ro"]})";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "ok\n");
    BOOST_TEST(fs::is_empty(host_dir)); // nothing created on the host
    // The mount points were made inside the rootfs instead.
    BOOST_TEST(fs::exists(b.dir + "/rootfs" + host_dir + "/sub"));
    BOOST_TEST(fs::exists(b.dir + "/rootfs" + host_dir + "/sub2"));
    // Dangling inside the root: refused, still nothing on the host.
    fs::remove_all(b.dir + "/rootfs" + host_dir);
    r = run_bundle(b, c);
    BOOST_TEST(r.status != 0);
    BOOST_TEST(r.err.find("burrow: Can't mkdir parents for /evil/sub") == 0u, r.err);
    BOOST_TEST(fs::is_empty(host_dir));
}

BOOST_AUTO_TEST_CASE(mounts_with_their_flags) {
    Bundle b;
    fs::create_directories(b.dir + "/data");
    std::ofstream(b.dir + "/data/f") << "hello";
    Config c;
    c.script = "cat /data/f; echo; grep -E ' /(data|tmp) ' /proc/mounts; "
               "touch /data/new 2>&1; echo x > /tmp/x && echo tmp-ok";
    c.mounts_extra = R"(,{"destination":"/data","type":"bind","source":")" + b.dir +
                     R"(/data","options":["rbind","ro","nosuid","nodev","noexec"]})";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("hello\n") == 0u, r.out);
    BOOST_TEST(r.out.find(" /data ") != std::string::npos);
    std::istringstream lines(r.out);
    std::string line;
    int checked = 0;
    while (std::getline(lines, line)) {
        if (line.find(" /data ") != std::string::npos) {
            BOOST_TEST(line.find(" ro,") != std::string::npos, line);
            BOOST_TEST(line.find("noexec") != std::string::npos, line);
            BOOST_TEST(line.find("nodev") != std::string::npos, line);
            ++checked;
        }
        if (line.find(" /tmp tmpfs ") != std::string::npos) {
            BOOST_TEST(line.find(" rw,") != std::string::npos, line);
            BOOST_TEST(line.find("noexec") != std::string::npos, line);
            BOOST_TEST(line.find("size=1024k") != std::string::npos, line);
            BOOST_TEST(line.find("mode=1770") != std::string::npos, line);
            ++checked;
        }
    }
    BOOST_TEST(checked == 2);
    BOOST_TEST(r.out.find("Read-only file system") != std::string::npos);
    BOOST_TEST(r.out.find("tmp-ok") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mount_propagation) {
    Bundle b;
    fs::create_directories(b.dir + "/data");
    Config c;
    c.script = "grep -E ' /(shared|private) ' /proc/self/mountinfo";
    c.mounts_extra = R"(,{"destination":"/shared","type":"bind","source":")" + b.dir +
                     R"(/data","options":["rbind","rshared"]},
                        {"destination":"/private","type":"bind","source":")" +
                     b.dir + R"(/data","options":["rbind","rprivate"]})";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    std::istringstream lines(r.out);
    std::string line;
    int seen = 0;
    while (std::getline(lines, line)) {
        if (line.find(" /shared ") != std::string::npos) {
            BOOST_TEST(line.find(" shared:") != std::string::npos, line);
            ++seen;
        }
        if (line.find(" /private ") != std::string::npos) {
            BOOST_TEST(line.find(" shared:") == std::string::npos, line);
            BOOST_TEST(line.find(" master:") == std::string::npos, line);
            ++seen;
        }
    }
    BOOST_TEST(seen == 2, r.out);
}

BOOST_AUTO_TEST_CASE(readonly_root) {
    Bundle b;
    Config c;
    c.readonly = true;
    c.script = "touch /newfile 2>&1; touch /tmp/ok && echo tmp-writable";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("Read-only file system") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("tmp-writable") != std::string::npos, r.out);
    BOOST_TEST(!fs::exists(b.dir + "/rootfs/newfile"));
}

BOOST_AUTO_TEST_CASE(masked_and_readonly_paths) {
    Bundle b;
    fs::create_directories(b.dir + "/rootfs/secret");
    std::ofstream(b.dir + "/rootfs/secret/key") << "s3cret";
    std::ofstream(b.dir + "/rootfs/etc/token") << "t0ken";
    fs::create_directories(b.dir + "/rootfs/rodir");
    Config c;
    c.script = "ls /secret; echo [$(cat /etc/token)]; cat /proc/kcore | wc -c; "
               "touch /rodir/x 2>&1; test -e /nothere || echo no-nothere";
    c.linux_extra = R"(,"maskedPaths":["/secret","/etc/token","/proc/kcore","/nothere"],
                       "readonlyPaths":["/rodir","/nothere2"])";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("key") == std::string::npos, r.out);
    BOOST_TEST(r.out.find("[]") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("\n0\n") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("Read-only file system") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("no-nothere") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(devices_in_dev_tmpfs) {
    Bundle b;
    Config c;
    c.script = "stat -c '%n %F %t %T %a' /dev/null /dev/zero /dev/urandom /dev/tty; "
               "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; "
               "readlink /dev/fd; readlink /dev/ptmx; readlink /dev/stdout; ls /dev/pts";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("/dev/null character special file 1 3 666") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("/dev/zero character special file 1 5 666") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("/dev/urandom character special file 1 9 666") != std::string::npos);
    BOOST_TEST(r.out.find("/dev/tty character special file 5 0 666") != std::string::npos);
    BOOST_TEST(r.out.find("null-ok\n4\n") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("/proc/self/fd\npts/ptmx\n/proc/self/fd/1\n") != std::string::npos,
               r.out);
    BOOST_TEST(r.out.find("ptmx") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(linux_devices) {
    Bundle b;
    Config c;
    c.script = "stat -c '%n %t %T %a %u %g' /dev/full2";
    // char 1:7 is /dev/full; the host has no /dev/full2 to bind instead.
    c.linux_extra = R"(,"devices":[{"path":"/dev/full2","type":"c","major":1,"minor":7,
                                     "fileMode":384,"uid":0,"gid":0}])";
    rtest::Result r = run_bundle(b, c);
    if (rtest::is_root()) {
        BOOST_TEST(r.status == 0, r.err);
        BOOST_TEST(r.out == "/dev/full2 1 7 600 0 0\n");
    } else {
        // mknod needs privilege over the tmpfs; there is no host node to bind.
        BOOST_TEST(r.status != 0);
        BOOST_TEST(r.err == "burrow: Can't create device /dev/full2: Operation not permitted\n");
    }
}

BOOST_AUTO_TEST_CASE(sysctl_hostname_domainname_oom) {
    Bundle b;
    Config c;
    c.script = "cat /proc/sys/net/ipv4/ip_forward; hostname; cat /proc/sys/kernel/domainname; "
               "cat /proc/self/oom_score_adj; cat /proc/1/environ | wc -c";
    c.linux_extra = R"(,"sysctl":{"net.ipv4.ip_forward":"1"})";
    c.top_extra = R"(,"hostname":"oci-host","domainname":"oci-domain")";
    c.process_extra = R"(,"oomScoreAdj":500)";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    // pid 1 (the payload) got the environment exactly as configured
    // ("PATH=/bin\0"): no PWD added.
    BOOST_TEST(r.out == "1\noci-host\noci-domain\n500\n10\n");
}

BOOST_AUTO_TEST_CASE(ids_groups_umask) {
    Bundle b;
    Config c;
    c.script = "id; umask";
    if (rtest::is_root()) {
        c.user = R"("uid":1000,"gid":1001,"umask":23,"additionalGids":[1002,1003])";
    } else {
        // Mapped without privilege: only root exists inside, setgroups is denied.
        c.user = R"("uid":0,"gid":0,"umask":23)";
    }
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    if (rtest::is_root())
        BOOST_TEST(r.out == "uid=1000 gid=1001 groups=1002,1003\n0027\n");
    else
        BOOST_TEST(r.out.find("uid=0 gid=0") == 0u, r.out);
    BOOST_TEST(r.out.find("0027\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(capability_sets_and_rlimits) {
    Bundle b;
    Config c;
    c.script = "grep ^Cap /proc/self/status; ulimit -n; ulimit -Hn";
    // CAP_CHOWN = 0, CAP_KILL = 5
    c.process_extra =
        R"(,"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_KILL"],
                          "permitted":["CAP_KILL"]},
                          "rlimits":[{"type":"RLIMIT_NOFILE","soft":100,"hard":200}])";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "CapInh:\t0000000000000000\nCapPrm:\t0000000000000020\n"
                        "CapEff:\t0000000000000020\nCapBnd:\t0000000000000021\n"
                        "CapAmb:\t0000000000000000\n100\n200\n");
}

BOOST_AUTO_TEST_CASE(ambient_capabilities_for_a_non_root_user) {
    if (!rtest::is_root()) return; // no uid but 0 is mapped for the plain user
    Bundle b;
    Config c;
    c.script = "grep -E '^Cap(Eff|Amb)' /proc/self/status";
    c.user = R"("uid":1000,"gid":1000)";
    c.process_extra = R"(,"capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],
        "permitted":["CAP_KILL"],"inheritable":["CAP_KILL"],"ambient":["CAP_KILL"]})";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "CapEff:\t0000000000000020\nCapAmb:\t0000000000000020\n");
}

BOOST_AUTO_TEST_CASE(seccomp_filter_returns_its_errno) {
    Bundle b;
    Config c;
    c.script = "mkdir /tmp/d 2>&1; echo done";
    c.linux_extra =
        R"(,"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
        "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":95}]})";
    rtest::Result r = run_bundle(b, c);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("Operation not supported") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("done") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(joined_network_namespace_by_path) {
    Bundle b;
    Config c;
    c.namespaces =
        R"({"type":"pid"},{"type":"mount"},{"type":"network","path":"/proc/self/ns/net"})";
    if (!rtest::is_root()) {
        // The plain user holds no privilege over the host's network
        // namespace: the join is refused, clearly, before anything starts.
        c.script = "true";
        rtest::Result r = run_bundle(b, c);
        BOOST_TEST(r.status != 0);
        BOOST_TEST(r.err.find("Can't join the network namespace: Operation not permitted") !=
                       std::string::npos,
                   r.err);
        return;
    }
    // A network namespace held by a helper process; the payload must be in it.
    int ready[2];
    BOOST_REQUIRE(::pipe(ready) == 0);
    pid_t helper = ::fork();
    if (helper == 0) {
        if (::unshare(CLONE_NEWNET) != 0) ::_exit(1);
        (void)!::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    char x;
    BOOST_REQUIRE(::read(ready[0], &x, 1) == 1);
    const std::string path = "/proc/" + std::to_string(helper) + "/ns/net";
    const std::string want = fs::read_symlink(path).string();
    c.namespaces = R"({"type":"pid"},{"type":"mount"},{"type":"network","path":")" + path + "\"}";
    c.script = "readlink /proc/self/ns/net";
    rtest::Result r = run_bundle(b, c);
    ::kill(helper, SIGKILL);
    ::waitpid(helper, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == want + "\n");
    BOOST_TEST(want != fs::read_symlink("/proc/self/ns/net").string());
}

BOOST_AUTO_TEST_CASE(bad_configs_refused_before_running) {
    Bundle b;
    Config c;
    c.script = "true";
    c.linux_extra = R"(,"sysctl":{"kernel.panic":"1"})";
    BOOST_TEST(
        config_error(b, c) ==
        "config.json: /linux/sysctl/kernel.panic: sysctl kernel.panic is not namespaced: refused");
    Config m;
    m.script = "true";
    m.namespaces = R"({"type":"mount","path":"/proc/self/ns/mnt"})";
    BOOST_TEST(config_error(b, m) ==
               "config.json: /linux/namespaces/0/path: joining a mount namespace is not supported");
}

// A config exactly as podman 4.3 sent it (--read-only --cap-drop all, masked and read-only paths,
// seccomp profile, sysfs, cgroup, devpts, mqueue, its bind mounts), only the paths rewritten to the
// test's bundle; the plain user gets a user namespace added.
BOOST_AUTO_TEST_CASE(captured_podman_config_runs) {
    Bundle b;
    std::ifstream in(std::string(BURROW_OCI_CONFIGS) + "/podman-root-readonly.json");
    nlohmann::json doc = nlohmann::json::parse(in);
    for (const char* d : {"sys", "run", "dev"}) fs::create_directories(b.dir + "/rootfs/" + d);
    for (auto& m : doc["mounts"]) {
        std::string src = m["source"];
        const std::string prefix = "/run/burrow-test-bundle/";
        if (src.rfind(prefix, 0) != 0) continue;
        const std::string name = src.substr(prefix.size());
        const std::string path = b.dir + "/" + name;
        if (name == "shm")
            fs::create_directories(path);
        else
            std::ofstream(path) << name << "\n";
        m["source"] = path;
    }
    doc["process"]["args"] = {
        "/bin/sh", "-c",
        "cat /etc/hostname; grep -E '^Cap(Eff|Bnd)' /proc/self/status; "
        "touch /x 2>&1; cat /proc/kcore | wc -c; "
        "grep -c ' /sys/fs/cgroup ' /proc/mounts; ls /dev/mqueue >/dev/null && "
        "echo mqueue; cat /proc/sys/net/ipv4/ping_group_range; echo $$"};
    if (!rtest::is_root()) {
        doc["linux"]["namespaces"].push_back({{"type", "user"}});
        doc["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", ::getuid()}, {"size", 1}}};
        doc["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getgid()}, {"size", 1}}};
    }
    b.write_config(doc.dump());
    burrow::oci::LoadOptions opt;
    opt.rootless = !rtest::is_root();
    burrow::oci::Bundle bundle = burrow::oci::load_bundle(b.dir, opt);
    rtest::Result r = rtest::run(bundle.sandbox);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "hostname\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
                        "touch: /x: Read-only file system\n0\n1\nmqueue\n0\t0\n1\n",
               r.out);
}
