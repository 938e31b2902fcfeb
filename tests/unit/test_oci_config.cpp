// The OCI front end (policy/oci): config.json into the Sandbox. Every
// captured podman config parses; each section maps as the spec says; bad
// input gives one exact message naming the JSON pointer.
#define BOOST_TEST_MODULE oci_config
#include <boost/test/unit_test.hpp>

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/oci/bundle.hpp"

using burrow::FsOp;
using burrow::FsOpKind;
using burrow::oci::Bundle;
using burrow::oci::ConfigError;

namespace {

// A bundle directory with an empty rootfs/, removed at the end.
struct TempBundle {
    std::string dir;
    TempBundle() {
        char tmpl[] = "/tmp/oci-unit-XXXXXX";
        dir = ::mkdtemp(tmpl);
        ::mkdir((dir + "/rootfs").c_str(), 0755);
    }
    ~TempBundle() { std::system(("rm -rf " + dir).c_str()); }
};

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string captured(const std::string& name) {
    return read_file(std::string(BURROW_OCI_CONFIGS) + "/" + name);
}

// A minimal valid document with `linux` and `extra` top-level members spliced in.
std::string doc(const std::string& linux_body = "", const std::string& extra = "",
                const std::string& process = R"("args":["sh"],"cwd":"/")") {
    return R"({"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{)" + process +
           R"(},"linux":{)" + linux_body + "}" + (extra.empty() ? "" : "," + extra) + "}";
}

Bundle parse(const std::string& text) {
    static TempBundle b;
    return burrow::oci::parse_config(text, b.dir, {});
}

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

const FsOp* find_op(const Bundle& b, FsOpKind kind, const std::string& dest) {
    for (const auto& op : b.sandbox.fs)
        if (op.kind == kind && op.dest == dest) return &op;
    return nullptr;
}

bool has_note(const Bundle& b, const std::string& part) {
    for (const auto& n : b.notes)
        if (n.find(part) != std::string::npos) return true;
    return false;
}

} // namespace

namespace burrow {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& o, FsOpKind k) {
    return o << static_cast<int>(k);
}
} // namespace burrow

// --- the captured podman configs --------------------------------------------

BOOST_AUTO_TEST_CASE(podman_root_config) {
    Bundle b = parse(captured("podman-root.json"));
    const auto& sb = b.sandbox;
    BOOST_TEST(b.oci_version == "1.0.2-dev");
    BOOST_TEST(sb.proc.argv == (std::vector<std::string>{"sh", "-c", "id; exit 3"}));
    BOOST_TEST(sb.fs.front().kind == FsOpKind::bind);
    BOOST_TEST(sb.fs.front().dest == "/");
    BOOST_TEST(sb.fs.front().source == parse(doc()).dir + "/rootfs");
    BOOST_TEST(sb.ns.pid);
    BOOST_TEST(sb.proc.as_pid_1);
    BOOST_TEST(!sb.ns.net);
    BOOST_TEST(sb.ns.join_net_fd >= 0);
    BOOST_TEST(b.owned_fds.size() == 1u);
    BOOST_TEST(sb.ns.ipc);
    BOOST_TEST(sb.ns.uts);
    BOOST_TEST(!sb.ns.user);
    BOOST_TEST(*sb.proc.hostname == "fb9378537171");
    BOOST_TEST(sb.seccomp_programs.size() == 1u);
    BOOST_TEST(sb.seccomp_programs[0].size() > 100u);
    BOOST_TEST(*b.resources.pids_limit == 2048);
    BOOST_TEST(b.cgroups_path == "/libpod_parent/libpod-test");
    BOOST_TEST(sb.proc.sysctl.size() == 1u);
    BOOST_TEST(sb.proc.sysctl[0].first == "net.ipv4.ping_group_range");
    BOOST_TEST(sb.limits.rlimits.size() == 2u);
    BOOST_TEST(*sb.proc.umask == 022u);
    BOOST_TEST(sb.proc.cap_sets->bounding == sb.proc.cap_sets->effective);
    BOOST_TEST(sb.proc.cap_sets->bounding == 0x800405fbu); // podman's 11 default caps
    BOOST_TEST(sb.proc.cap_sets->ambient == 0u);
    BOOST_TEST(has_note(b, "linux.resources.devices not enforced"));
    // /dev is a tmpfs: the default devices and links follow the mounts.
    const FsOp* null = find_op(b, FsOpKind::device, "/dev/null");
    BOOST_REQUIRE(null);
    BOOST_TEST(*null->perms == (S_IFCHR | 0666u));
    BOOST_TEST(null->rdev == makedev(1, 3));
    BOOST_TEST(find_op(b, FsOpKind::symlink, "/dev/ptmx")->source == "pts/ptmx");
    BOOST_TEST(find_op(b, FsOpKind::mask, "/proc/kcore"));
    BOOST_TEST(find_op(b, FsOpKind::readonly_path, "/proc/sys"));
    const FsOp* cg = find_op(b, FsOpKind::mount, "/sys/fs/cgroup");
    BOOST_REQUIRE(cg);
    BOOST_TEST(cg->fstype == "cgroup2");
    BOOST_TEST(cg->mount_flags == (MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME));
    BOOST_TEST(b.annotations.at("io.container.manager") == "libpod");
    BOOST_TEST(!b.terminal);
    BOOST_TEST(b.sandbox.fs.back().kind != FsOpKind::remount_ro);
}

BOOST_AUTO_TEST_CASE(podman_readonly_root_config) {
    Bundle b = parse(captured("podman-root-readonly.json"));
    BOOST_TEST(b.sandbox.ns.net);
    BOOST_TEST(b.sandbox.fs.back().kind == FsOpKind::remount_ro);
    BOOST_TEST(b.sandbox.fs.back().dest == "/");
}

BOOST_AUTO_TEST_CASE(podman_rootless_userns_config) {
    Bundle b = parse(captured("podman-rootless-userns.json"));
    const auto& sb = b.sandbox;
    BOOST_TEST(sb.ns.user);
    BOOST_TEST(sb.ids.uid_map.size() == 3u);
    BOOST_TEST(sb.ids.uid_map[1].inside == 1001u);
    BOOST_TEST(sb.ids.uid_map[1].outside == 0u);
    BOOST_TEST(sb.ids.uid == 1001u);
    BOOST_TEST(sb.ids.gid == 1001u);
    BOOST_TEST(sb.proc.cap_sets->bounding == 0x800405fbu);
    BOOST_TEST(sb.proc.cap_sets->effective == 0u);
    // root writes the maps itself: setgroups stays allowed, the groups apply.
    BOOST_TEST(!sb.ids.deny_setgroups);
    BOOST_TEST((*sb.proc.supplementary_gids == std::vector<uint32_t>{1001}));
}

// --- one case per section ---------------------------------------------------

BOOST_AUTO_TEST_CASE(root_relative_path_and_readonly_last) {
    Bundle b = parse(R"({"ociVersion":"1.1.0","root":{"path":"rootfs","readonly":true},
        "mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","size=1m"]}],
        "process":{"args":["sh"],"cwd":"/"},"linux":{"maskedPaths":["/x"]}})");
    BOOST_TEST(b.sandbox.fs.size() == 4u);
    BOOST_TEST(b.sandbox.fs[1].kind == FsOpKind::mount);
    BOOST_TEST(b.sandbox.fs[2].kind == FsOpKind::mask);
    BOOST_TEST(b.sandbox.fs[3].kind == FsOpKind::remount_ro);
    BOOST_TEST(b.sandbox.fs[0].source.find("/rootfs") != std::string::npos);
    BOOST_TEST(b.sandbox.fs[0].recursive);
}

BOOST_AUTO_TEST_CASE(mount_options) {
    Bundle b = parse(doc("", R"("mounts":[
        {"destination":"/a","type":"bind","source":"/etc","options":["bind","ro","nodev","noexec","rslave"]},
        {"destination":"/b","type":"none","source":"rel","options":["rbind","rw"]},
        {"destination":"/c","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=700","size=65536k"]},
        {"destination":"/d","type":"devpts","source":"devpts","options":["newinstance","ptmxmode=0666","gid=5"]}])"));
    const auto& fs = b.sandbox.fs;
    BOOST_TEST(fs[1].kind == FsOpKind::bind);
    BOOST_TEST(fs[1].exact_flags);
    BOOST_TEST(!fs[1].recursive);
    BOOST_TEST(fs[1].mount_flags == (MS_RDONLY | MS_NODEV | MS_NOEXEC));
    BOOST_TEST(fs[1].propagation == (MS_SLAVE | MS_REC));
    BOOST_TEST(fs[2].recursive);
    BOOST_TEST(fs[2].source == b.dir + "/rel");
    BOOST_TEST(fs[3].kind == FsOpKind::mount);
    BOOST_TEST(fs[3].mount_flags == MS_NOSUID);
    BOOST_TEST(fs[3].data == "mode=700,size=65536k");
    BOOST_TEST(fs[4].fstype == "devpts");
    BOOST_TEST(fs[4].data == "newinstance,ptmxmode=0666,gid=5");
    // No tmpfs on /dev: no devices created.
    for (const auto& op : fs) BOOST_TEST((op.kind != FsOpKind::device));
}

BOOST_AUTO_TEST_CASE(mount_errors) {
    BOOST_TEST(
        error_of(doc("", R"("mounts":[{"destination":"/a","type":"ext4","source":"/dev/sda"}])")) ==
        "config.json: /mounts/0/type: mount type \"ext4\" is not supported");
    BOOST_TEST(
        error_of(doc(
            "",
            R"("mounts":[{"destination":"/a","type":"bind","source":"/x","options":["bind","size=1"]}])")) ==
        "config.json: /mounts/0/options/1: unknown bind mount option \"size=1\"");
    BOOST_TEST(error_of(doc("", R"("mounts":[{"destination":"a","type":"tmpfs"}])")) ==
               "config.json: /mounts/0/destination: must be an absolute path: \"a\"");
    BOOST_TEST(
        error_of(doc(
            "",
            R"("mounts":[{"destination":"/a","type":"bind","source":"/x","options":["idmap"]}])")) ==
        "config.json: /mounts/0/options/0: idmapped mounts are not supported");
}

BOOST_AUTO_TEST_CASE(devices) {
    Bundle b = parse(doc(
        R"("devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":432,"uid":0,"gid":0},
                                       {"path":"/dev/null","type":"c","major":1,"minor":3,"fileMode":420}])",
        R"("mounts":[{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["mode=755"]}])"));
    const FsOp* fuse = find_op(b, FsOpKind::device, "/dev/fuse");
    BOOST_REQUIRE(fuse);
    BOOST_TEST(*fuse->perms == (S_IFCHR | 0660u));
    BOOST_TEST(fuse->rdev == makedev(10, 229));
    BOOST_TEST(fuse->source == "/dev/fuse");
    // A listed default device replaces the default, not doubled.
    int nulls = 0;
    for (const auto& op : b.sandbox.fs) nulls += op.dest == "/dev/null";
    BOOST_TEST(nulls == 1);
    BOOST_TEST(*find_op(b, FsOpKind::device, "/dev/null")->perms == (S_IFCHR | 0644u));
    BOOST_TEST(find_op(b, FsOpKind::symlink, "/dev/fd"));
    BOOST_TEST(error_of(doc(R"("devices":[{"path":"/dev/x","type":"q"}])")) ==
               "config.json: /linux/devices/0/type: unknown device type \"q\"");
}

BOOST_AUTO_TEST_CASE(namespaces) {
    Bundle b = parse(doc(
        R"("namespaces":[{"type":"pid"},{"type":"ipc","path":"/proc/self/ns/ipc"},{"type":"cgroup"}])"));
    BOOST_TEST(b.sandbox.ns.pid);
    BOOST_TEST(b.sandbox.proc.as_pid_1);
    BOOST_TEST(b.sandbox.ns.join_ipc_fd >= 0);
    BOOST_TEST(!b.sandbox.ns.ipc);
    BOOST_TEST(b.sandbox.ns.cgroup);
    BOOST_TEST(has_note(b, "a new mount namespace is always created"));
    Bundle nopid = parse(doc(R"("namespaces":[{"type":"mount"}])"));
    BOOST_TEST(!nopid.sandbox.proc.as_pid_1);
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"foo"}])")) ==
               "config.json: /linux/namespaces/0/type: unknown namespace type \"foo\"");
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"mount","path":"/proc/self/ns/mnt"}])")) ==
               "config.json: /linux/namespaces/0/path: joining a mount namespace is not supported");
    BOOST_TEST(
        error_of(doc(R"("namespaces":[{"type":"network","path":"/proc/self/ns/ipc"}])")) ==
        "config.json: /linux/namespaces/0/path: /proc/self/ns/ipc is not a network namespace");
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"network","path":"/nonexistent"}])")) ==
               "config.json: /linux/namespaces/0/path: cannot open /nonexistent: No such file or "
               "directory");
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"pid"},{"type":"pid"}])")) ==
               "config.json: /linux/namespaces/1/type: duplicate namespace type \"pid\"");
}

// A namespace path is opened by the runtime, as root, before anything
// else: a FIFO must not block create forever and a device node must not be
// opened at all (opening /dev/watchdog arms the host's watchdog). Only a
// file of nsfs is taken.
BOOST_AUTO_TEST_CASE(namespace_path_that_is_not_a_namespace_is_never_opened) {
    TempBundle t;
    const std::string fifo = t.dir + "/fifo";
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::string fifo_doc =
        doc(R"("namespaces":[{"type":"network","path":")" + fifo + R"("}])");
    BOOST_TEST(error_of(fifo_doc) ==
               "config.json: /linux/namespaces/0/path: " + fifo + " is not a namespace");
    // /dev/null stands for any device: refused before an open for reading.
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"ipc","path":"/dev/null"}])")) ==
               "config.json: /linux/namespaces/0/path: /dev/null is not a namespace");
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"ipc","path":"/etc/hostname"}])")) ==
               "config.json: /linux/namespaces/0/path: /etc/hostname is not a namespace");
}

BOOST_AUTO_TEST_CASE(id_mappings) {
    const std::string user = R"("namespaces":[{"type":"user"}],)";
    Bundle b = parse(doc(user + R"("uidMappings":[{"containerID":0,"hostID":1000,"size":1}],
                                   "gidMappings":[{"containerID":0,"hostID":1000,"size":1}])"));
    BOOST_TEST(b.sandbox.ids.uid_map.size() == 1u);
    BOOST_TEST(b.sandbox.ids.gid_map[0].outside == 1000u);
    BOOST_TEST(
        error_of(doc(
            user +
            R"("uidMappings":[{"containerID":0,"hostID":1000,"size":10},{"containerID":5,"hostID":2000,"size":1}],
                                      "gidMappings":[{"containerID":0,"hostID":1000,"size":1}])")) ==
        "config.json: /linux/uidMappings/1: container ids overlap entry 0");
    BOOST_TEST(
        error_of(doc(user + R"("uidMappings":[{"containerID":0,"hostID":1000,"size":0}])")) ==
        "config.json: /linux/uidMappings/0/size: must be at least 1");
    BOOST_TEST(error_of(doc(R"("uidMappings":[{"containerID":0,"hostID":1000,"size":1}])")) ==
               "config.json: /linux/uidMappings: id mappings need a new user namespace "
               "(linux.namespaces)");
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"user"}])")) ==
               "config.json: /linux: a new user namespace needs uidMappings and gidMappings");
    BOOST_TEST(error_of(doc(user + R"("uidMappings":[{"containerID":0,"hostID":-1,"size":1}])")) ==
               "config.json: /linux/uidMappings/0/hostID: must not be negative");
}

BOOST_AUTO_TEST_CASE(process_section) {
    Bundle b = parse(doc("", "",
                         R"("args":["/bin/x","a"],"env":["A=1","B="],"cwd":"/w","terminal":true,
           "user":{"uid":5,"gid":6,"umask":7,"additionalGids":[8,9]},
           "capabilities":{"bounding":["CAP_KILL","CAP_NOT_A_CAP"],"ambient":["CAP_KILL"],"inheritable":["CAP_KILL"],"permitted":["CAP_KILL"]},
           "rlimits":[{"type":"RLIMIT_NOFILE","soft":10,"hard":20}],"noNewPrivileges":false,"oomScoreAdj":100,
           "apparmorProfile":"x")"));
    const auto& p = b.sandbox.proc;
    BOOST_TEST(b.terminal);
    BOOST_TEST(p.env.size() == 2u);
    BOOST_TEST(*p.chdir == "/w");
    BOOST_TEST(b.sandbox.ids.uid == 5u);
    BOOST_TEST(b.sandbox.ids.gid == 6u);
    BOOST_TEST(*p.umask == 7u);
    BOOST_TEST((*p.supplementary_gids == std::vector<uint32_t>{8, 9}));
    BOOST_TEST(p.cap_sets->bounding == (1u << 5)); // CAP_KILL
    BOOST_TEST(p.cap_sets->ambient == (1u << 5));
    BOOST_TEST(p.cap_sets->effective == 0u);
    BOOST_TEST(has_note(b, "capability CAP_NOT_A_CAP unknown to this kernel: skipped"));
    BOOST_TEST(b.sandbox.limits.rlimits[0].resource == RLIMIT_NOFILE);
    BOOST_TEST(b.sandbox.limits.rlimits[0].hard == 20u);
    BOOST_TEST(*p.oom_score_adj == 100);
    BOOST_TEST(has_note(b, "burrow always sets no_new_privs"));
    BOOST_TEST(has_note(b, "apparmorProfile not applied"));
    BOOST_TEST(error_of(doc("", "", R"("cwd":"/")")) ==
               "config.json: /process: missing field \"args\"");
    BOOST_TEST(error_of(doc("", "", R"("args":[],"cwd":"/")")) ==
               "config.json: /process/args: must not be empty");
    BOOST_TEST(error_of(doc("", "", R"("args":["x"],"cwd":"rel")")) ==
               "config.json: /process/cwd: must be an absolute path: \"rel\"");
    BOOST_TEST(
        error_of(
            doc("", "",
                R"("args":["x"],"cwd":"/","rlimits":[{"type":"RLIMIT_FOO","soft":1,"hard":1}])")) ==
        "config.json: /process/rlimits/0/type: unknown rlimit \"RLIMIT_FOO\"");
    BOOST_TEST(error_of(doc("", "", R"("args":["x"],"cwd":"/","oomScoreAdj":1001)")) ==
               "config.json: /process/oomScoreAdj: must be between -1000 and 1000");
    BOOST_TEST(error_of(doc("", "", R"("args":["x"],"cwd":"/","env":["NOEQUALS"])")) ==
               "config.json: /process/env/0: not NAME=VALUE: \"NOEQUALS\"");
}

// `runc spec` lists ambient capabilities without inheritable ones: the
// kernel cannot raise them, runc warns and runs; so does burrow.
BOOST_AUTO_TEST_CASE(ambient_needs_permitted_and_inheritable) {
    Bundle b = parse(doc("", "", R"("args":["x"],"cwd":"/",
           "capabilities":{"permitted":["CAP_KILL","CAP_CHOWN"],"inheritable":["CAP_CHOWN"],
                           "ambient":["CAP_KILL","CAP_CHOWN"]})"));
    BOOST_TEST(b.sandbox.proc.cap_sets->ambient == (1u << 0)); // CAP_CHOWN only
    BOOST_TEST(has_note(b, "ambient capabilities not both permitted and inheritable are not "
                           "raised (mask 0x20)"));
}

BOOST_AUTO_TEST_CASE(linux_section_is_optional) {
    Bundle b = parse(
        R"({"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["x"],"cwd":"/"}})");
    BOOST_TEST(!b.sandbox.ns.pid);
    BOOST_TEST(!b.sandbox.ns.net);
    BOOST_TEST(b.sandbox.seccomp_programs.empty());
}

BOOST_AUTO_TEST_CASE(hostname_and_domainname) {
    Bundle b = parse(doc(R"("namespaces":[{"type":"uts"}])", R"("hostname":"h","domainname":"d")"));
    BOOST_TEST(*b.sandbox.proc.hostname == "h");
    BOOST_TEST(*b.sandbox.proc.domainname == "d");
    BOOST_TEST(error_of(doc("", R"("hostname":"h")")) ==
               "config.json: /hostname: setting the hostname needs a new uts namespace");
}

BOOST_AUTO_TEST_CASE(sysctl) {
    Bundle b = parse(doc(R"("namespaces":[{"type":"network"},{"type":"ipc"}],
                            "sysctl":{"net.ipv4.ip_forward":"1","kernel.shmmax":"4096","fs.mqueue.msg_max":"20"})"));
    BOOST_TEST(b.sandbox.proc.sysctl.size() == 3u);
    BOOST_TEST(error_of(doc(R"("sysctl":{"net.ipv4.ip_forward":"1"})")) ==
               "config.json: /linux/sysctl/net.ipv4.ip_forward: sysctl net.ipv4.ip_forward needs a "
               "network namespace of the container");
    BOOST_TEST(
        error_of(doc(R"("namespaces":[{"type":"network"}],"sysctl":{"kernel.panic":"1"})")) ==
        "config.json: /linux/sysctl/kernel.panic: sysctl kernel.panic is not namespaced: refused");
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"network"}],"sysctl":{"net/../x":"1"})")) ==
               "config.json: /linux/sysctl/net~1..~1x: invalid sysctl name");
}

BOOST_AUTO_TEST_CASE(resources_and_cgroups_path) {
    Bundle b = parse(doc(R"("cgroupsPath":"/a/b","resources":{"memory":{"limit":1048576,"swap":-1},
                             "cpu":{"quota":50000,"period":100000,"shares":512,"cpus":"0-1"},"pids":{"limit":64},
                             "blockIO":{}})"));
    BOOST_TEST(b.cgroups_path == "/a/b");
    BOOST_TEST(*b.resources.memory_limit == 1048576);
    BOOST_TEST(*b.resources.memory_swap == -1);
    BOOST_TEST(*b.resources.cpu_quota == 50000u);
    BOOST_TEST(*b.resources.cpu_period == 100000u);
    BOOST_TEST(*b.resources.cpu_shares == 512u);
    BOOST_TEST(*b.resources.pids_limit == 64);
    BOOST_TEST(has_note(b, "linux.resources.cpu.cpus not applied"));
    BOOST_TEST(has_note(b, "linux.resources.blockIO not applied"));
}

BOOST_AUTO_TEST_CASE(seccomp) {
    Bundle b = parse(doc(
        R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
        "flags":["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls":[{"names":["getcwd","no_such_call"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
                    {"names":["personality"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
                    {"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]})"));
    BOOST_TEST(b.sandbox.seccomp_programs.size() == 1u);
    BOOST_TEST(b.sandbox.seccomp_programs[0].size() > 10u);
    BOOST_TEST(has_note(b, "seccomp flag SECCOMP_FILTER_FLAG_LOG not applied"));
    BOOST_TEST(error_of(doc(R"("seccomp":{"defaultAction":"SCMP_ACT_NOTIFY"})")) ==
               "config.json: /linux/seccomp/defaultAction: SCMP_ACT_NOTIFY is not supported yet");
    BOOST_TEST(
        error_of(doc(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/x"})")) ==
        "config.json: /linux/seccomp/listenerPath: seccomp notify listeners are not supported yet");
    BOOST_TEST(
        error_of(doc(
            R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]})")) ==
        "config.json: /linux/seccomp/architectures/0: unknown architecture \"SCMP_ARCH_Z80\"");
    BOOST_TEST(
        error_of(doc(
            R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]})")) ==
        "config.json: /linux/seccomp/syscalls/0/args/0/index: a system call has 6 arguments");
    BOOST_TEST(
        error_of(doc(R"("seccomp":{"defaultAction":"SCMP_ACT_DANCE"})")) ==
        "config.json: /linux/seccomp/defaultAction: unknown seccomp action \"SCMP_ACT_DANCE\"");
}

// The cache of compiled programs (seccomp_cache.hpp): a second parse of
// the same object takes the stored program (shown by tampering with it);
// another object does not; an entry planted as a symlink, or a cache
// directory others can write to, is never used.
BOOST_AUTO_TEST_CASE(seccomp_cache_is_used_only_when_it_can_be_trusted) {
    TempBundle t;
    const std::string cache = t.dir + "/cache";
    burrow::oci::LoadOptions opt;
    opt.seccomp_cache_dir = cache;
    const std::string text = doc(
        R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG"],
           "syscalls":[{"names":["getcwd"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]})");
    const auto program = [&](const std::string& d) {
        const Bundle b = burrow::oci::parse_config(d, t.dir, opt);
        BOOST_REQUIRE(b.sandbox.seccomp_programs.size() == 1u);
        return b.sandbox.seccomp_programs[0];
    };
    const auto compiled = program(text);
    std::vector<std::string> entries;
    for (const auto& e : std::filesystem::directory_iterator(cache))
        entries.push_back(e.path().string());
    BOOST_REQUIRE(entries.size() == 1u);
    struct stat st {};
    BOOST_REQUIRE(::stat(cache.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0700u);
    // Tamper with the stored program's last instruction: the next parse
    // returns it, so the entry is what was used.
    std::string entry = read_file(entries[0]);
    entry[entry.size() - 4] ^= 0x7f;
    { std::ofstream(entries[0], std::ios::binary | std::ios::trunc) << entry; }
    auto cached = program(text);
    BOOST_TEST(cached.size() == compiled.size());
    BOOST_TEST(cached.back().k != compiled.back().k);
    // The notes of a cached object are still given.
    Bundle again = burrow::oci::parse_config(text, t.dir, opt);
    BOOST_TEST(has_note(again, "seccomp flag SECCOMP_FILTER_FLAG_LOG not applied"));
    // Another object: compiled, not the tampered entry.
    const std::string other = doc(
        R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getcwd"],"action":"SCMP_ACT_ERRNO","errnoRet":39}]})");
    BOOST_TEST(program(other).back().k == compiled.back().k);
    // A cache directory others can write to: not used.
    ::chmod(cache.c_str(), 0777);
    BOOST_TEST(program(text).back().k == compiled.back().k);
    ::chmod(cache.c_str(), 0700);
    BOOST_TEST(program(text).back().k == cached.back().k);
    // The entry replaced by a symlink to a copy: not followed.
    const std::string copy = t.dir + "/elsewhere.bpf";
    std::filesystem::rename(entries[0], copy);
    std::filesystem::create_symlink(copy, entries[0]);
    BOOST_TEST(program(text).back().k == compiled.back().k);
}

BOOST_AUTO_TEST_CASE(seccomp_profile_annotation) {
    Bundle b = parse(doc("", R"("annotations":{"run.oci.burrow.seccomp-profile":"strict"})"));
    BOOST_TEST(b.sandbox.seccomp_programs.size() == 1u);
    BOOST_TEST(
        error_of(doc("", R"("annotations":{"run.oci.burrow.seccomp-profile":"no-such-profile"})"))
            .find("config.json: /annotations/run.oci.burrow.seccomp-profile: ") == 0u);
}

BOOST_AUTO_TEST_CASE(landlock_annotation) {
    Bundle b = parse(doc("", R"("annotations":{"run.oci.burrow.landlock":"ro:/,rw:/tmp"})"));
    const auto& ll = b.sandbox.landlock;
    BOOST_TEST(ll.enabled);
    BOOST_TEST(ll.min_abi == 1);
    BOOST_TEST(ll.paths.size() == 2u);
    BOOST_TEST(ll.paths[0].path == "/");
    BOOST_TEST(ll.paths[1].path == "/tmp");
    BOOST_TEST(ll.paths[1].access == ll.handled_fs);
    BOOST_TEST((ll.paths[0].access & ll.handled_fs) == ll.paths[0].access);
    BOOST_TEST(ll.paths[0].access != ll.handled_fs);
    BOOST_TEST(error_of(doc("", R"("annotations":{"run.oci.burrow.landlock":"ro:/,wx:/tmp"})")) ==
               "config.json: /annotations/run.oci.burrow.landlock: expected ro:PATH or rw:PATH "
               "entries separated by commas, got \"wx:/tmp\"");
}

// The store view itself is tested with the real Nix (integration.
// oci_runtime); here the refusals, each one line naming the annotation.
BOOST_AUTO_TEST_CASE(nix_closure_annotation_refusals) {
    const std::string where = "config.json: /annotations/run.oci.burrow.nix-closure: ";
    const auto with = [](const std::string& v) {
        return doc("", R"("annotations":{"run.oci.burrow.nix-closure":")" + v + R"("})");
    };
    BOOST_TEST(error_of(with("x")) == where + "not an absolute path: \"x\"");
    BOOST_TEST(error_of(with(" , ")) == where + "no store path given");
    const std::string e = error_of(with("/etc"));
    BOOST_TEST(e.rfind(where + "/etc", 0) == 0, e);
    BOOST_TEST(e.find('\n') == std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(hooks_and_annotations) {
    Bundle b =
        parse(doc("", R"("hooks":{"prestart":[{"path":"/bin/true","args":["true"],"timeout":5}],
                                         "poststop":[{"path":"/bin/false"}]},"annotations":{"a/b":"c"})"));
    BOOST_TEST(b.hooks.prestart.size() == 1u);
    BOOST_TEST(*b.hooks.prestart[0].timeout_s == 5);
    BOOST_TEST(b.hooks.poststop[0].path == "/bin/false");
    BOOST_TEST(b.annotations.at("a/b") == "c");
    BOOST_TEST(error_of(doc("", R"("hooks":{"poststart":[{"path":"rel"}]})")) ==
               "config.json: /hooks/poststart/0/path: must be an absolute path: \"rel\"");
    BOOST_TEST(error_of(doc("", R"("hooks":{"poststart":[{"path":"/x","timeout":0}]})")) ==
               "config.json: /hooks/poststart/0/timeout: must be greater than zero");
    BOOST_TEST(error_of(doc("", R"("annotations":{"a/b":1})")) ==
               "config.json: /annotations/a~1b: expected a string, got a number");
}

BOOST_AUTO_TEST_CASE(apply_process_for_exec) {
    Bundle b = parse(captured("podman-root.json"));
    burrow::Sandbox sb = b.sandbox;
    bool terminal = false;
    burrow::oci::apply_process(R"({"args":["ls"],"cwd":"/tmp","terminal":true,"user":{"uid":3}})",
                               "process.json", sb, terminal);
    BOOST_TEST(terminal);
    BOOST_TEST(sb.proc.argv[0] == "ls");
    BOOST_TEST(sb.ids.uid == 3u);
    BOOST_TEST(!sb.proc.as_pid_1);
    BOOST_TEST(sb.fs.size() == b.sandbox.fs.size());
    std::string err;
    try {
        burrow::oci::apply_process(R"({"args":["ls"],"cwd":"/","bogus":1})", "p.json", sb,
                                   terminal);
    } catch (const ConfigError& e) {
        err = e.what();
    }
    BOOST_TEST(err == "p.json: /bogus: unknown field");
    BOOST_TEST(sb.proc.argv[0] == "ls"); // unchanged by the failed call
}

// --- bad input ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(malformed_json_names_line_and_column) {
    BOOST_TEST(
        error_of("{\n  \"ociVersion\": \"1.0.0\",\n  x\n}") ==
        "config.json: malformed JSON: line 3, column 3: syntax error while parsing object "
        "key - invalid literal; last read: '\"1.0.0\",<U+000A>  x'; expected string literal");
}

BOOST_AUTO_TEST_CASE(unknown_field_names_pointer) {
    BOOST_TEST(error_of(doc(R"("namespaces":[{"type":"pid","pth":"/x"}])")) ==
               "config.json: /linux/namespaces/0/pth: unknown field");
    BOOST_TEST(error_of(doc("", R"("extra":1)")) == "config.json: /extra: unknown field");
    BOOST_TEST(error_of(doc("", R"("windows":{})")) ==
               "config.json: /windows: not supported on Linux");
}

BOOST_AUTO_TEST_CASE(wrong_type_names_pointer) {
    BOOST_TEST(error_of(doc("", "", R"("args":"sh","cwd":"/")")) ==
               "config.json: /process/args: expected an array, got a string");
    BOOST_TEST(error_of(doc("", "", R"("args":["sh"],"cwd":"/","terminal":"yes")")) ==
               "config.json: /process/terminal: expected a boolean, got a string");
}

BOOST_AUTO_TEST_CASE(missing_rootfs) {
    TempBundle t;
    std::string text = doc();
    const std::string want = "config.json: /root/path: root file system " + t.dir +
                             "/nothere: No such file or directory";
    std::string got;
    try {
        auto pos = text.find("rootfs");
        text.replace(pos, 6, "nothere");
        burrow::oci::parse_config(text, t.dir, {});
    } catch (const ConfigError& e) {
        got = e.what();
    }
    BOOST_TEST(got == want);
    std::ofstream(t.dir + "/file") << "x";
    text = doc();
    text.replace(text.find("rootfs"), 6, "file");
    got.clear();
    try {
        burrow::oci::parse_config(text, t.dir, {});
    } catch (const ConfigError& e) {
        got = e.what();
    }
    BOOST_TEST(got ==
               "config.json: /root/path: root file system " + t.dir + "/file: not a directory");
}

BOOST_AUTO_TEST_CASE(oci_version_checked) {
    std::string text = doc();
    text.replace(text.find("1.2.0"), 5, "2.0.0");
    BOOST_TEST(
        error_of(text) ==
        "config.json: /ociVersion: unsupported ociVersion \"2.0.0\" (burrow reads 1.0.x to 1.2.x)");
    text = doc();
    text.replace(text.find("1.2.0"), 5, "1.3.0");
    BOOST_TEST(error_of(text).find("unsupported ociVersion \"1.3.0\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(load_bundle_reads_config_json) {
    TempBundle t;
    std::ofstream(t.dir + "/config.json") << doc();
    Bundle b = burrow::oci::load_bundle(t.dir, {});
    BOOST_TEST(b.sandbox.proc.argv[0] == "sh");
    std::string err;
    try {
        burrow::oci::load_bundle(t.dir + "/rootfs", {});
    } catch (const ConfigError& e) {
        err = e.what();
    }
    BOOST_TEST(err == "config.json: cannot open " + t.dir +
                          "/rootfs/config.json: No such file or directory");
}
