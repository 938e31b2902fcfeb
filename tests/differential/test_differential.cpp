// Differential tests: every vector below runs through Debian's /usr/bin/bwrap
// (0.8.0) and through "burrow bwrap"; the probe's observations (stdout) and
// the exit codes must match, and for error vectors the message too.
//
// Adding a case: one line in vectors(). "$PROBE" and "$TMP" in options are
// replaced by the probe's path and a prepared host directory ($TMP/file
// holds "hello", $TMP/sub/ exists). Every vector starts with
// "--ro-bind $PROBE /probe --proc /proc" (unless raw) and then runs
// "/probe <standard observations> <extra commands>".
//
// Normalisation: only what must differ is hidden by the probe itself
// (namespace inodes are compared with the host's, mount ids and devices are
// dropped); pids are only observed inside a pid namespace.
#define BOOST_TEST_MODULE differential
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <iostream>

#include "tests/support/bwrap_runner.hpp"
#include "tests/support/seccomp_bpf.hpp"

using namespace btest;
using namespace std::string_literals;

namespace {

struct Vector {
    std::string name;
    std::vector<std::string> opts;
    std::vector<std::string> cmds = {};
    std::map<int, std::string> data = {}; // fds given to both runs
    bool compare_stderr = false;          // error vectors: same message
    bool raw = false;                     // no implicit probe bind and /proc
    bool root_only = false;               // meaningless as an unprivileged user
    bool user_only = false;               // meaningless as root
    // Where burrow deliberately follows 0.11.1 and Debian's 0.8.0 differs:
    // why, and the exit code 0.8.0 gives (the comparison is then skipped).
    std::string differs_from_080 = "";
    int burrow_code = 0;                // ...and what burrow must do instead
    std::string burrow_err_prefix = ""; // (start of its stderr)
    // Deliberate difference: bwrap applies nosuid/nodev/ro per visible mount
    // point, so a mount covered by another one on the same point keeps its
    // old flags; burrow sets them on the whole cloned tree (mount_setattr
    // AT_RECURSIVE), covered mounts included. Compare only the top mount.
    bool covered_mounts_differ = false;
};

// Keeps only the last (visible) "mount: POINT ..." line of each run of lines
// naming the same mount point.
std::string top_mounts_only(const std::string& out) {
    auto point = [](const std::string& l) {
        if (l.rfind("mount: ", 0) != 0) return std::string();
        return l.substr(0, l.find(' ', 7));
    };
    std::vector<std::string> lines;
    std::string line;
    for (char ch : out) {
        if (ch != '\n') {
            line += ch;
            continue;
        }
        if (!lines.empty() && !point(line).empty() && point(lines.back()) == point(line))
            lines.back() = line;
        else
            lines.push_back(line);
        line.clear();
    }
    std::string r;
    for (const auto& l : lines) r += l + "\n";
    return r + line;
}

std::ostream& operator<<(std::ostream& os, const Vector& v) {
    return os << v.name;
}

const std::vector<std::string> standard = {
    "ids", "caps", "nnp", "seccomp", "hostname", "cwd", "env", "session", "mounts",
};

std::vector<std::string> ns_cmds() {
    std::vector<std::string> c;
    for (const char* n : {"net", "ipc", "uts", "cgroup", "pid", "mnt", "user"})
        c.push_back(std::string("ns=") + n + ":" + host_ns(n));
    return c;
}

std::string bpf_personality() {
    return bpf_denying({"personality"}, EPERM);
}

std::vector<Vector> vectors() {
    const std::string args = "--setenv\0FROM_ARGS\0yes\0--unshare-uts\0"s;
    return {
        {"plain", {}},
        {"unshare_user", {"--unshare-user"}},
        {"unshare_user_uid0", {"--unshare-user", "--uid", "0", "--gid", "0"}},
        {"unshare_user_uid1000", {"--unshare-user", "--uid", "1000", "--gid", "1000"}},
        {"unshare_user_try", {"--unshare-user-try"}},
        {"unshare_ipc", {"--unshare-ipc"}},
        {"unshare_pid", {"--unshare-pid"}, {"pid"}},
        {"unshare_net", {"--unshare-net"}},
        {"unshare_uts", {"--unshare-uts"}},
        {"hostname", {"--unshare-uts", "--hostname", "sandbox"}},
        {"unshare_cgroup", {"--unshare-cgroup"}},
        {"unshare_cgroup_try", {"--unshare-cgroup-try"}},
        {"unshare_all", {"--unshare-all"}, {"pid"}},
        {"unshare_all_share_net", {"--unshare-all", "--share-net"}},
        {"as_pid_1", {"--unshare-pid", "--as-pid-1"}, {"pid"}},
        {"clearenv", {"--clearenv"}},
        {"setenv", {"--setenv", "FOO", "bar baz", "--setenv", "PATH", "/x"}},
        {"unsetenv", {"--unsetenv", "LANG", "--unsetenv", "NOT_SET"}},
        {"home_changed", {"--setenv", "HOME", "/proc"}},
        {"chdir_proc", {"--chdir", "/proc"}},
        {"chdir_missing", {"--chdir", "/nonexistent"}, {}, {}, true},
        {"tmpfs", {"--tmpfs", "/tmp"}, {"stat=/tmp", "writable=/tmp"}},
        {"tmpfs_perms", {"--perms", "0700", "--tmpfs", "/t"}, {"stat=/t"}},
        {"tmpfs_size", {"--size", "1048576", "--tmpfs", "/t"}, {"stat=/t"}},
        {"tmpfs_nested", {"--tmpfs", "/a", "--tmpfs", "/a/b"}, {"ls=/a"}},
        {"dir_parents", {"--dir", "/a/b/c"}, {"stat=/a", "stat=/a/b", "stat=/a/b/c"}},
        {"dir_perms", {"--perms", "0700", "--dir", "/d"}, {"stat=/d"}},
        {"dir_in_tmpfs", {"--tmpfs", "/tmp", "--dir", "/tmp/x"}, {"ls=/tmp"}},
        {"file", {"--file", "5", "/f"}, {"stat=/f", "cat=/f"}, {{5, "file data\n"}}},
        {"file_perms", {"--perms", "0640", "--file", "5", "/f"}, {"stat=/f"}, {{5, "x"}}},
        {"file_nested", {"--file", "5", "/etc/a/f"}, {"stat=/etc/a", "stat=/etc/a/f"}, {{5, "x"}}},
        {"bind_data", {"--bind-data", "5", "/f"}, {"stat=/f", "writable=/f"}, {{5, "data"}}},
        {"bind_data_perms", {"--perms", "0644", "--bind-data", "5", "/f"}, {"stat=/f"}, {{5, "d"}}},
        {"ro_bind_data", {"--ro-bind-data", "5", "/f"}, {"cat=/f", "writable=/f"}, {{5, "ro"}}},
        {"symlink_abs", {"--symlink", "/target", "/l"}, {"stat=/l"}},
        {"symlink_rel", {"--dir", "/d", "--symlink", "../probe", "/d/l"}, {"stat=/d/l"}},
        {"symlink_dup",
         {"--symlink", "a", "/x", "--symlink", "b", "/x"},
         {},
         {},
         false,
         false,
         false,
         false,
         "0.11.1 explains the existing destination instead of 0.8.0's File exists",
         1,
         "bwrap: Can't make symlink at /x: "},
        {"symlink_same_twice",
         {"--symlink", "a", "/x", "--symlink", "a", "/x"},
         {"stat=/x"},
         {},
         false,
         false,
         false,
         false,
         "0.9.0+ accepts an identical existing symlink; 0.8.0 says File exists",
         0},
        {"chmod", {"--dir", "/d", "--chmod", "0705", "/d"}, {"stat=/d"}},
        {"chmod_readonly", {"--chmod", "0700", "/probe"}, {}, {}, true},
        {"ro_bind_usr", {"--ro-bind", "/usr", "/usr"}, {"writable=/usr", "stat=/usr/bin"}},
        {"bind_tmp", {"--bind", "$TMP", "/t"}, {"writable=/t", "ls=/t"}},
        {"ro_bind_tmp", {"--ro-bind", "$TMP", "/t"}, {"writable=/t", "writable=/t/file"}},
        {"ro_bind_file", {"--ro-bind", "$TMP/file", "/f"}, {"cat=/f", "writable=/f"}},
        // Directories created implicitly as parents of a destination.
        {"bind_dest_parent_mode", {"--ro-bind", "$TMP/file", "/newdir/f"}, {"stat=/newdir"}},
        {"bind_dir_dest_parent_mode",
         {"--ro-bind", "$TMP/sub", "/a/b/sub"},
         {"stat=/a", "stat=/a/b"}},
        {"symlink_parent_mode", {"--symlink", "/run", "/var/run"}, {"stat=/var"}},
        {"tmpfs_parent_mode", {"--tmpfs", "/x/y"}, {"stat=/x"}},
        {"file_parent_mode", {"--file", "5", "/p/q/f"}, {"stat=/p", "stat=/p/q"}, {{5, "x"}}},
        {"ro_bind_try_missing", {"--ro-bind-try", "/nonexistent", "/x"}, {"stat=/x"}},
        {"bind_try_missing", {"--bind-try", "/nonexistent", "/x"}, {"stat=/x"}},
        {"dev_bind_try_missing", {"--dev-bind-try", "/nonexistent", "/x"}, {"stat=/x"}},
        {"bind_missing", {"--bind", "/nonexistent", "/x"}, {}, {}, true},
        {"dev", {"--dev", "/dev"}, {"ls=/dev", "writable=/dev/null"}},
        {"dev_bind",
         {"--dev-bind", "/dev", "/dev"},
         {"stat=/dev/null", "writable=/dev/null"},
         {},
         false,
         false,
         false,
         false,
         "",
         0,
         "",
         true},
        {"mqueue", {"--unshare-ipc", "--dev", "/dev", "--mqueue", "/dev/mqueue"}},
        {"remount_ro", {"--tmpfs", "/t", "--remount-ro", "/t"}, {"writable=/t"}},
        {"remount_ro_missing", {"--remount-ro", "/nonexistent"}, {}, {}, false},
        {"host_root",
         {"--ro-bind", "/", "/", "--proc", "/proc"},
         {"writable=/", "stat=/etc/passwd"}},
        {"cap_drop_all", {"--cap-drop", "ALL"}},
        {"cap_drop_one", {"--cap-drop", "CAP_SYS_ADMIN"}},
        {"cap_add_userns", {"--unshare-user", "--cap-add", "CAP_NET_ADMIN"}},
        {"cap_add_all_userns", {"--unshare-user", "--cap-add", "ALL"}},
        {"cap_unknown", {"--cap-add", "CAP_FROB"}, {}, {}, true},
        {"new_session", {"--new-session"}},
        {"die_with_parent", {"--die-with-parent"}},
        {"seccomp", {"--seccomp", "5"}, {"personality"}, {{5, bpf_personality()}}},
        {"add_seccomp_fd",
         {"--add-seccomp-fd", "5", "--add-seccomp-fd", "6"},
         {"personality", "mkdir=/x"},
         {{5, bpf_personality()}, {6, bpf_denying({"mkdir", "mkdirat"}, EACCES)}}},
        {"seccomp_garbage", {"--seccomp", "5"}, {}, {{5, "abc"}}, true},
        {"exit_code", {}, {"exit=5"}},
        {"exit_code_pidns", {"--unshare-pid"}, {"exit=77"}},
        {"signal_kill", {}, {"signal=9"}},
        {"signal_term_pidns", {"--unshare-pid"}, {"signal=15"}},
        {"args_fd", {"--args", "5"}, {}, {{5, args}}},
        {"hostname_without_uts", {"--hostname", "x"}, {}, {}, true},
        {"uid_without_userns", {"--uid", "5"}, {}, {}, true, false, true},
        {"as_pid_1_without_pidns", {"--as-pid-1"}, {}, {}, true},
        {"unknown_option", {"--frobnicate"}, {}, {}, true},
        {"missing_argument", {"--bind", "/x"}, {}, {}, true, true},
        {"bad_fd_file", {"--file", "99", "/x"}, {}, {}, false},
        {"lock_file", {"--lock-file", "/probe"}},
        {"sync_fd", {"--sync-fd", "5"}, {"fds"}, {{5, ""}}},
        {"inherited_fd", {}, {"fds", "cat=/proc/self/fd/8"}, {{8, "inherited"}}},
        {"perms_bad", {"--perms", "999", "--dir", "/x"}, {}, {}, true},
        {"size_without_tmpfs", {"--size", "10", "--dir", "/x"}, {}, {}, true},
        {"userns_with_unshare_user", {"--unshare-user", "--userns", "5"}, {}, {{5, ""}}, true},
        {"exec_missing", {}, {}, {}, true, true},
        {"argv0",
         {"--argv0", "renamed"},
         {"argv0"},
         {},
         false,
         false,
         false,
         false,
         "--argv0 is new in bwrap 0.9.0; 0.8.0 says Unknown option"},
        {"tmp_overlay",
         {"--overlay-src", "$TMP", "--tmp-overlay", "/o"},
         {"cat=/o/file", "writable=/o"},
         {},
         false,
         false,
         false,
         false,
         "--overlay-src/--tmp-overlay are new in 0.10.0; 0.8.0 says Unknown option"},
        {"level_prefix",
         {"--level-prefix", "--bind", "/nonexistent", "/x"},
         {},
         {},
         false,
         false,
         false,
         false,
         "--level-prefix is new in 0.11.0; burrow prints <3>bwrap: ...",
         1,
         "<3>bwrap: Can't find source path /nonexistent: No such file or directory\n"},
    };
}

Command make_command(const Front& f, const Vector& v, const TempDir& tmp) {
    Command c;
    c.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/", "LANG=C.UTF-8", "KEEP=1"};
    auto subst = [&](std::string s) {
        for (auto [from, to] :
             {std::pair<std::string, std::string>{"$PROBE", probe_bin()}, {"$TMP", tmp.path()}}) {
            for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, from.size(), to);
        }
        return s;
    };
    c.argv = f.prefix;
    if (!v.raw) c.argv = cat(c.argv, {"--ro-bind", probe_bin(), "/probe", "--proc", "/proc"});
    for (const auto& o : v.opts) c.argv.push_back(subst(o));
    if (v.name == "exec_missing") {
        c.argv = cat(c.argv, {"--ro-bind", probe_bin(), "/probe", "/nonexistent-program"});
    } else if (!v.raw) {
        c.argv.push_back("/probe");
        c.argv = cat(c.argv, standard);
        c.argv = cat(c.argv, ns_cmds());
        for (const auto& x : v.cmds) c.argv.push_back(subst(x));
    }
    for (const auto& [fd, data] : v.data) c.fds.push_back(data_fd(fd, data));
    return c;
}

} // namespace

BOOST_DATA_TEST_CASE(same_as_debian_bwrap, boost::unit_test::data::make(vectors()), v) {
    if (v.root_only && !is_root()) return;
    if (v.user_only && is_root()) return;
    TempDir tmp;
    write_file(tmp / "file", "hello");
    ::mkdir((tmp / "sub").c_str(), 0755);

    auto ref = run(make_command(reference_front(), v, tmp));
    auto ours = run(make_command(burrow_front(), v, tmp));
    BOOST_TEST_CONTEXT("argv: " << [&] {
        std::string s;
        for (const auto& a : make_command(burrow_front(), v, tmp).argv) s += a + " ";
        return s;
    }()) {
        BOOST_TEST(!ours.timed_out);
        if (!v.differs_from_080.empty()) {
            // 0.8.0 refuses what 0.11.1 accepts: burrow must run it.
            BOOST_TEST_MESSAGE(v.name << ": " << v.differs_from_080);
            BOOST_TEST(ref.code() == 1, ref.describe());
            BOOST_TEST(ours.code() == v.burrow_code, ours.describe());
            BOOST_TEST(ours.err.rfind(v.burrow_err_prefix, 0) == 0, ours.describe());
            return;
        }
        BOOST_TEST(ours.code() == ref.code(), "debian:\n"
                                                  << ref.describe() << "\nburrow:\n"
                                                  << ours.describe());
        if (v.covered_mounts_differ) {
            ref.out = top_mounts_only(ref.out);
            ours.out = top_mounts_only(ours.out);
        }
        BOOST_TEST(ours.out == ref.out, "debian:\n"
                                            << ref.describe() << "\nburrow:\n"
                                            << ours.describe());
        if (v.compare_stderr) BOOST_TEST(ours.err == ref.err);
        // Errors always come out bwrap's way.
        if (ours.code() == 1 && ours.out.empty())
            BOOST_TEST(ours.err.rfind("bwrap: ", 0) == 0, ours.err);
    }
}
