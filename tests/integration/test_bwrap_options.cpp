// Each bwrap option does what bwrap(1) says, observed from inside the payload
// (burrow-probe), through "burrow bwrap" and through the bin/bwrap symlink.
#define BOOST_TEST_MODULE bwrap_options
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/support/bwrap_runner.hpp"
#include "tests/support/seccomp_bpf.hpp"

using namespace btest;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

// The smallest sandbox that can run the probe: nothing but the probe itself,
// and /proc, where the probe reads its status, fds and namespaces.
std::vector<std::string> minimal(const std::vector<std::string>& opts,
                                 const std::vector<std::string>& probe_cmds) {
    auto a = cat(cat(probe_bind(), {"--proc", "/proc"}), opts);
    a.push_back("/probe");
    return cat(a, probe_cmds);
}

// The host root read-only, for checks that need ordinary files around.
std::vector<std::string> on_host_root(const std::vector<std::string>& opts,
                                      const std::vector<std::string>& probe_cmds) {
    auto a = cat({"--ro-bind", "/", "/"}, opts);
    a.push_back(probe_bin());
    return cat(a, probe_cmds);
}

void expect_line(const Result& r, const std::string& l) {
    BOOST_TEST(contains(r.out, l + "\n"), "missing line \"" << l << "\"\n" << r.describe());
}

// A "mount: <point> <any fs type> <flags>" line.
void expect_mount(const Result& r, const std::string& point, const std::string& flags) {
    auto found = lines_with(r.out, "mount: " + point + " ");
    BOOST_TEST(found.size() == 1u, "mount " << point << "\n" << r.describe());
    for (const auto& l : found) BOOST_TEST(l.substr(l.rfind(' ') + 1) == flags, l);
}

void expect_ok(const Result& r) {
    BOOST_TEST(r.code() == 0, r.describe());
}

} // namespace

BOOST_AUTO_TEST_CASE(ids_default_and_uid_gid) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, minimal({}, {"ids"}));
            expect_ok(r);
            auto u = std::to_string(getuid()), g = std::to_string(getgid());
            expect_line(r, "uid: " + u + " " + u + " " + u);
            expect_line(r, "gid: " + g + " " + g + " " + g);

            r = run_bwrap(f,
                          minimal({"--unshare-user", "--uid", "1234", "--gid", "5678"}, {"ids"}));
            expect_ok(r);
            expect_line(r, "uid: 1234 1234 1234");
            expect_line(r, "gid: 5678 5678 5678");
        }
    }
}

BOOST_AUTO_TEST_CASE(hostname_needs_uts) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r =
                run_bwrap(f, minimal({"--unshare-uts", "--hostname", "burrowbox"}, {"hostname"}));
            expect_ok(r);
            expect_line(r, "hostname: burrowbox");
            r = run_bwrap(f, minimal({"--hostname", "x"}, {"hostname"}));
            BOOST_TEST(r.code() == 1);
            BOOST_TEST(r.err == "bwrap: Specifying --hostname requires --unshare-uts\n");
        }
    }
}

BOOST_AUTO_TEST_CASE(chdir_and_pwd) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, on_host_root({"--chdir", "/usr/share"}, {"cwd", "getenv=PWD"}));
            expect_ok(r);
            expect_line(r, "cwd: /usr/share");
            expect_line(r, "getenv PWD: /usr/share");
        }
    }
}

BOOST_AUTO_TEST_CASE(environment_options) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.env = std::vector<std::string>{"KEEP=1", "DROP=2", "HOME=/"};
            auto r = run_bwrap(f,
                               minimal({"--unsetenv", "DROP", "--setenv", "NEW", "a b=c",
                                        "--setenv", "KEEP", "changed"},
                                       {"env"}),
                               c);
            expect_ok(r);
            BOOST_TEST(r.out == "env: HOME=/\nenv: KEEP=changed\nenv: NEW=a b=c\nenv: PWD=/\n",
                       r.describe());

            r = run_bwrap(f, minimal({"--clearenv", "--setenv", "ONLY", "1"}, {"env"}), c);
            expect_ok(r);
            BOOST_TEST(r.out == "env: ONLY=1\nenv: PWD=/\n", r.describe());
        }
    }
}

BOOST_AUTO_TEST_CASE(argv0) {
    if (reference_mode()) return; // not in Debian's bwrap 0.8.0
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, cat(probe_bind(), {"--argv0", "renamed", "/probe", "argv0"}));
            expect_ok(r);
            expect_line(r, "argv0: renamed");
        }
    }
}

BOOST_AUTO_TEST_CASE(capabilities) {
    const std::string all_dropped = "0000000000000000";
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, minimal({"--cap-drop", "ALL"}, {"caps", "nnp"}));
            expect_ok(r);
            expect_line(r, "CapEff: " + all_dropped);
            expect_line(r, "CapPrm: " + all_dropped);
            // bwrap cuts the bounding set only inside a user namespace (as
            // root without one it leaves the host's alone).
            if (!is_root()) expect_line(r, "CapBnd: " + all_dropped);
            expect_line(r, "NoNewPrivs: 1");

            // CAP_NET_ADMIN is bit 12: 0x1000.
            r = run_bwrap(f, minimal({"--unshare-user", "--cap-add", "CAP_NET_ADMIN", "--cap-drop",
                                      "ALL", "--cap-add", "CAP_NET_ADMIN"},
                                     {"caps"}));
            expect_ok(r);
            expect_line(r, "CapEff: 0000000000001000");
            expect_line(r, "CapBnd: 0000000000001000");

            // Unprivileged default: uid != 0 in the sandbox has no capabilities.
            if (!is_root()) {
                r = run_bwrap(f, minimal({}, {"caps"}));
                expect_ok(r);
                expect_line(r, "CapEff: " + all_dropped);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(pid_namespace_and_pid1) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            // bwrap's own pid 1 reaps; the payload is pid 2.
            auto r = run_bwrap(f, minimal({"--unshare-pid"}, {"pid", "ns=pid:" + host_ns("pid")}));
            expect_ok(r);
            expect_line(r, "pid: 2");
            expect_line(r, "ppid: 1");
            expect_line(r, "ns pid: new");

            r = run_bwrap(f, minimal({"--unshare-pid", "--as-pid-1"}, {"pid"}));
            expect_ok(r);
            expect_line(r, "pid: 1");
            expect_line(r, "ppid: 0");

            r = run_bwrap(f, minimal({"--as-pid-1"}, {"pid"}));
            BOOST_TEST(r.code() == 1);
            BOOST_TEST(r.err == "bwrap: Specifying --as-pid-1 requires --unshare-pid\n");
        }
    }
}

BOOST_AUTO_TEST_CASE(namespaces_unshared_and_shared) {
    std::vector<std::string> cmds;
    for (const char* n : {"net", "ipc", "uts", "cgroup", "pid", "mnt"})
        cmds.push_back(std::string("ns=") + n + ":" + host_ns(n));
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, minimal({}, cmds));
            expect_ok(r);
            for (const char* n : {"net", "ipc", "uts", "cgroup", "pid"})
                expect_line(r, std::string("ns ") + n + ": host");
            expect_line(r, "ns mnt: new");

            r = run_bwrap(f, minimal({"--unshare-all"}, cmds));
            expect_ok(r);
            for (const char* n : {"net", "ipc", "uts", "cgroup", "pid", "mnt"})
                expect_line(r, std::string("ns ") + n + ": new");

            r = run_bwrap(f, minimal({"--unshare-all", "--share-net"}, cmds));
            expect_ok(r);
            expect_line(r, "ns net: host");
            expect_line(r, "ns ipc: new");
        }
    }
}

BOOST_AUTO_TEST_CASE(mount_types_and_flags) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r =
                run_bwrap(f, minimal({"--unshare-pid", "--unshare-ipc", "--dev", "/dev", "--tmpfs",
                                      "/tmp", "--mqueue", "/dev/mqueue", "--ro-bind", "/usr",
                                      "/usr", "--bind", "/tmp", "/hosttmp"},
                                     {"mounts"}));
            expect_ok(r);
            auto probe = lines_with(r.out, "mount: /probe ");
            BOOST_TEST(probe.size() == 1u, r.describe());
            for (const auto& l : probe) BOOST_TEST(contains(l, " ro,nosuid,nodev"), l);
            BOOST_TEST(contains(r.out, "mount: /proc proc rw,nosuid,nodev"), r.describe());
            // bwrap's /dev: a tmpfs with the host's device nodes bound in (so
            // the tmpfs itself is nodev, the nodes are not), devpts, and
            // /dev/shm as a plain directory.
            expect_line(r, "mount: /dev tmpfs rw,nosuid,nodev");
            expect_mount(r, "/dev/null", "rw,nosuid"); // fs type: whatever the host's /dev is
            expect_mount(r, "/dev/urandom", "rw,nosuid");
            expect_line(r, "mount: /dev/pts devpts rw,nosuid,noexec");
            expect_line(r, "mount: /tmp tmpfs rw,nosuid,nodev");
            expect_line(r, "mount: /dev/mqueue mqueue rw");
            auto host = lines_with(r.out, "mount: /hosttmp ");
            BOOST_TEST(host.size() == 1u, r.describe());
            for (const auto& l : host) BOOST_TEST(contains(l, " rw,nosuid,nodev"), l);
            BOOST_TEST(lines_with(r.out, "mount: /usr ").size() == 1u, r.describe());
            for (const auto& l : lines_with(r.out, "mount: /usr "))
                BOOST_TEST(contains(l, " ro,nosuid,nodev"), l);
        }
    }
}

BOOST_AUTO_TEST_CASE(dev_nodes) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, minimal({"--dev", "/dev"},
                                          {"stat=/dev/null", "stat=/dev/zero", "stat=/dev/urandom",
                                           "stat=/dev/stdin", "stat=/dev/fd", "stat=/dev/ptmx",
                                           "writable=/dev/null"}));
            expect_ok(r);
            BOOST_TEST(contains(r.out, "stat /dev/null: chardev 0666"), r.describe());
            BOOST_TEST(contains(r.out, "rdev=1:3\n"), r.describe());
            BOOST_TEST(contains(r.out, "stat /dev/zero: chardev 0666"), r.describe());
            expect_line(r, "stat /dev/stdin: symlink 0777 " + std::to_string(getuid()) + " " +
                               std::to_string(getgid()) + " -> /proc/self/fd/0");
            BOOST_TEST(contains(r.out, "stat /dev/fd: symlink 0777"), r.describe());
            BOOST_TEST(contains(r.out, "stat /dev/ptmx: symlink 0777"), r.describe());
            expect_line(r, "writable /dev/null: yes");
        }
    }
}

BOOST_AUTO_TEST_CASE(bind_writable_ro_bind_not) {
    TempDir d;
    write_file(d / "file", "hello");
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, minimal({"--bind", d.path(), "/rw", "--ro-bind", d.path(), "/ro",
                                           "--bind-try", "/nonexistent-burrow", "/x"},
                                          {"writable=/rw", "writable=/ro", "writable=/ro/file",
                                           "cat=/ro/file", "stat=/x"}));
            expect_ok(r);
            expect_line(r, "writable /rw: yes");
            expect_line(r, "writable /ro: no EROFS");
            expect_line(r, "writable /ro/file: no EROFS");
            expect_line(r, "cat /ro/file: hello");
            expect_line(r, "stat /x: missing ENOENT");
        }
    }
}

BOOST_AUTO_TEST_CASE(remount_ro) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r =
                run_bwrap(f, minimal({"--tmpfs", "/t", "--dir", "/t/sub", "--remount-ro", "/t"},
                                     {"writable=/t", "mounts=/t"}));
            expect_ok(r);
            expect_line(r, "writable /t: no EROFS");
            expect_line(r, "mount: /t tmpfs ro,nosuid,nodev");
        }
    }
}

BOOST_AUTO_TEST_CASE(created_files_modes_and_symlinks) {
    const std::string data = "payload data\n";
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {data_fd(5, data), data_fd(6, data), data_fd(7, data)};
            auto r = run_bwrap(
                f,
                minimal({"--dir",     "/d",       "--perms",   "0700",       "--dir",
                         "/private",  "--file",   "5",         "/d/file",    "--perms",
                         "0640",      "--file",   "6",         "/d/file640", "--bind-data",
                         "7",         "/d/bound", "--symlink", "../d/file",  "/d/link",
                         "--tmpfs",   "/t",       "--perms",   "01777",      "--tmpfs",
                         "/t/sticky", "--dir",    "/c",        "--chmod",    "0751",
                         "/c"},
                        {"ls=/d", "stat=/private", "stat=/t/sticky", "stat=/c", "cat=/d/link",
                         "writable=/d/bound"}),
                c);
            expect_ok(r);
            auto u = std::to_string(getuid()) + " " + std::to_string(getgid());
            expect_line(r, "stat /private: dir 0700 " + u);
            expect_line(r, "stat /t/sticky: dir 1777 " + u);
            expect_line(r, "stat /c: dir 0751 " + u);
            BOOST_TEST(contains(r.out, "  /d/file: file 0666 " + u + " size=13"), r.describe());
            BOOST_TEST(contains(r.out, "  /d/file640: file 0640 " + u + " size=13"), r.describe());
            BOOST_TEST(contains(r.out, "  /d/bound: file 0600 " + u + " size=13"), r.describe());
            expect_line(r, "  /d/link: symlink 0777 " + u + " -> ../d/file");
            expect_line(r, "cat /d/link: payload data\\n");
            expect_line(r, "writable /d/bound: yes");
        }
    }
}

BOOST_AUTO_TEST_CASE(ro_bind_data_is_read_only) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {data_fd(5, "secret")};
            auto r = run_bwrap(f,
                               minimal({"--ro-bind-data", "5", "/etc-secret"},
                                       {"cat=/etc-secret", "writable=/etc-secret"}),
                               c);
            expect_ok(r);
            expect_line(r, "cat /etc-secret: secret");
            expect_line(r, "writable /etc-secret: no EROFS");
        }
    }
}

BOOST_AUTO_TEST_CASE(overlays) {
    if (reference_mode()) return; // not in Debian's bwrap 0.8.0
    TempDir d;
    ::mkdir((d / "lower1").c_str(), 0755);
    ::mkdir((d / "lower2").c_str(), 0755);
    ::mkdir((d / "upper").c_str(), 0755);
    ::mkdir((d / "work").c_str(), 0755);
    write_file(d / "lower1/a", "from lower1");
    write_file(d / "lower1/both", "lower1 wins");
    write_file(d / "lower2/b", "from lower2");
    write_file(d / "lower2/both", "lower2 loses");
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            // The first --overlay-src is the lowest layer: a later source wins.
            auto r = run_bwrap(
                f, minimal({"--overlay-src", d / "lower2", "--overlay-src", d / "lower1",
                            "--tmp-overlay", "/o"},
                           {"cat=/o/a", "cat=/o/b", "cat=/o/both", "writable=/o", "mounts=/o"}));
            expect_ok(r);
            expect_line(r, "cat /o/a: from lower1");
            expect_line(r, "cat /o/b: from lower2");
            expect_line(r, "cat /o/both: lower1 wins");
            expect_line(r, "writable /o: yes");
            BOOST_TEST(contains(r.out, "mount: /o overlay rw"), r.describe());

            // bwrap(1): --ro-overlay needs at least two sources.
            r = run_bwrap(f, minimal({"--overlay-src", d / "lower2", "--overlay-src", d / "lower1",
                                      "--ro-overlay", "/o"},
                                     {"cat=/o/a", "writable=/o"}));
            expect_ok(r);
            expect_line(r, "cat /o/a: from lower1");
            expect_line(r, "writable /o: no EROFS");

            // --overlay: writes land in the upper dir on the host.
            r = run_bwrap(f, minimal({"--overlay-src", d / "lower1", "--overlay", d / "upper",
                                      d / "work", "/o"},
                                     {"mkdir=/o/created", "cat=/o/a"}));
            expect_ok(r);
            expect_line(r, "mkdir /o/created: OK");
            expect_line(r, "cat /o/a: from lower1");
            struct stat st;
            BOOST_TEST(::stat((d / "upper/created").c_str(), &st) == 0);
            ::rmdir((d / "upper/created").c_str());
        }
    }
}

BOOST_AUTO_TEST_CASE(exit_codes_and_signals) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            BOOST_TEST(run_bwrap(f, minimal({}, {"exit=42"})).code() == 42);
            BOOST_TEST(run_bwrap(f, minimal({"--unshare-pid"}, {"exit=3"})).code() == 3);
            BOOST_TEST(run_bwrap(f, minimal({}, {"signal=9"})).code() == 137);
            BOOST_TEST(run_bwrap(f, minimal({"--unshare-pid"}, {"signal=15"})).code() == 143);
            BOOST_TEST(run_bwrap(f, minimal({"--unshare-pid", "--as-pid-1"}, {"exit=7"})).code() ==
                       7);
        }
    }
}

BOOST_AUTO_TEST_CASE(info_fd_and_json_status_fd) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {capture_fd(5), capture_fd(6)};
            auto r = run_bwrap(f,
                               minimal({"--unshare-pid", "--unshare-net", "--info-fd", "5",
                                        "--json-status-fd", "6"},
                                       {"exit=9"}),
                               c);
            BOOST_TEST(r.code() == 9, r.describe());
            auto info = nlohmann::json::parse(r.captured[5], nullptr, false);
            BOOST_TEST_REQUIRE(info.is_object(), r.captured[5]);
            BOOST_TEST(info["child-pid"].is_number_integer());
            BOOST_TEST(info["child-pid"].get<long>() > 1);
            BOOST_TEST(info["pid-namespace"].is_number_integer());
            BOOST_TEST(info["net-namespace"].is_number_integer());
            BOOST_TEST(info["mnt-namespace"].is_number_integer());
            BOOST_TEST(std::to_string(info["net-namespace"].get<long>()) != host_ns("net"));

            // One JSON object per line: start (same child pid), then the exit code.
            auto lines = lines_with(r.captured[6], "{");
            BOOST_TEST_REQUIRE(lines.size() == 2u, r.captured[6]);
            auto start = nlohmann::json::parse(lines[0]);
            auto end = nlohmann::json::parse(lines[1]);
            BOOST_TEST(start["child-pid"] == info["child-pid"]);
            BOOST_TEST(end["exit-code"] == 9);

            c.fds = {capture_fd(6)};
            r = run_bwrap(f, minimal({"--json-status-fd", "6"}, {"signal=15"}), c);
            BOOST_TEST(r.code() == 143);
            lines = lines_with(r.captured[6], "{");
            BOOST_TEST_REQUIRE(lines.size() == 2u, r.captured[6]);
            BOOST_TEST(nlohmann::json::parse(lines[1])["exit-code"] == 143);
        }
    }
}

BOOST_AUTO_TEST_CASE(sync_fd_stays_open_while_sandbox_runs) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {pipe_out_fd(5), pipe_out_fd(6), pipe_in_fd(7)};
            c.argv = f.prefix;
            c.argv = cat(c.argv, minimal({"--sync-fd", "5"}, {"write-fd=6", "wait-fd=7"}));
            Running run(c);
            BOOST_TEST_REQUIRE(run.read_from(6, 1, 10s) == "x");
            // The payload runs: the sync fd has no EOF yet.
            pollfd p{run.parent_end(5), POLLIN, 0};
            BOOST_TEST(::poll(&p, 1, 0) == 0);
            run.close_parent_end(7);
            auto r = run.finish();
            expect_ok(r);
            // Sandbox gone: EOF on the sync fd.
            p = {run.parent_end(5), POLLIN, 0};
            BOOST_TEST(::poll(&p, 1, 5000) == 1);
            char ch;
            BOOST_TEST(::read(run.parent_end(5), &ch, 1) == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(block_fd_delays_the_payload) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {pipe_in_fd(5), pipe_out_fd(6)};
            c.argv = cat(f.prefix, minimal({"--block-fd", "5"}, {"write-fd=6"}));
            Running run(c);
            // Nothing may run before the block fd gets data: a bounded wait
            // is the only way to observe absence.
            BOOST_TEST(run.read_from(6, 1, 300ms) == "");
            BOOST_TEST(::write(run.parent_end(5), "g", 1) == 1);
            BOOST_TEST(run.read_from(6, 1, 10s) == "x");
            expect_ok(run.finish());
        }
    }
}

BOOST_AUTO_TEST_CASE(die_with_parent) {
    for (const auto& f : burrow_fronts()) {
        for (bool die : {true, false}) {
            BOOST_TEST_CONTEXT(f.name << (die ? " --die-with-parent" : " without")) {
                const std::string marker = "echo=burrow-dwp-" + std::to_string(getpid()) +
                                           (die ? "-a" : "-b") + std::to_string(f.name.size());
                Command c;
                c.fds = {pipe_out_fd(6)};
                std::vector<std::string> opts;
                if (die) opts.push_back("--die-with-parent");
                // Not a child of the pid-1 helper and not in our process
                // group: only die-with-parent can end it.
                opts.push_back("--new-session");
                c.argv = cat(f.prefix, minimal(opts, {marker, "write-fd=6", "pause"}));
                Running run(c);
                BOOST_TEST_REQUIRE(run.read_from(6, 1, 10s) == "x");
                ::kill(run.pid(), SIGKILL);
                bool gone = wait_gone(marker, 3s);
                BOOST_TEST(gone == die);
                for (pid_t p : processes_with(marker)) ::kill(p, SIGKILL);
                wait_gone(marker, 3s);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(new_session) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r = run_bwrap(f, minimal({"--new-session"}, {"session"}));
            expect_ok(r);
            expect_line(r, "session-leader: yes");
            r = run_bwrap(f, minimal({}, {"session"}));
            expect_ok(r);
            expect_line(r, "session-leader: no");
        }
    }
}

BOOST_AUTO_TEST_CASE(seccomp_programs) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {data_fd(5, bpf_denying({"personality"}, EPERM)),
                     data_fd(6, bpf_denying({"mkdir", "mkdirat"}, EACCES))};
            auto r = run_bwrap(
                f,
                minimal({"--tmpfs", "/t", "--add-seccomp-fd", "5", "--add-seccomp-fd", "6"},
                        {"personality", "mkdir=/t/x", "seccomp", "nnp"}),
                c);
            expect_ok(r);
            expect_line(r, "personality: EPERM");
            expect_line(r, "mkdir /t/x: EACCES");
            expect_line(r, "Seccomp: 2");
            expect_line(r, "NoNewPrivs: 1");

            r = run_bwrap(f, minimal({"--tmpfs", "/t"}, {"personality", "mkdir=/t/x", "seccomp"}));
            expect_ok(r);
            expect_line(r, "personality: OK");
            expect_line(r, "mkdir /t/x: OK");
            expect_line(r, "Seccomp: 0");

            // --seccomp: the older single-program form.
            c.fds = {data_fd(5, bpf_denying({"personality"}, EPERM))};
            r = run_bwrap(f, minimal({"--seccomp", "5"}, {"personality", "seccomp"}), c);
            expect_ok(r);
            expect_line(r, "personality: EPERM");
            expect_line(r, "Seccomp: 2");

            // Both forms together are refused.
            c.fds = {data_fd(5, bpf_denying({"personality"}, EPERM)), data_fd(6, "")};
            r = run_bwrap(f, minimal({"--seccomp", "5", "--add-seccomp-fd", "6"}, {}), c);
            BOOST_TEST(r.code() == 1);
            BOOST_TEST(r.err == "bwrap: --add-seccomp-fd cannot be combined with --seccomp\n");
        }
    }
}

BOOST_AUTO_TEST_CASE(args_fd_nul_separated) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            std::string args = "--setenv\0FROM_ARGS\0with space\0--unshare-uts\0--hostname\0h\0"s;
            c.fds = {data_fd(5, args)};
            auto r = run_bwrap(f, minimal({"--args", "5"}, {"getenv=FROM_ARGS", "hostname"}), c);
            expect_ok(r);
            expect_line(r, "getenv FROM_ARGS: with space");
            expect_line(r, "hostname: h");
        }
    }
}

BOOST_AUTO_TEST_CASE(caller_fds_are_inherited_burrow_fds_are_not) {
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            Command c;
            c.fds = {data_fd(8, "x"), pipe_out_fd(9)};
            auto r = run_bwrap(f, minimal({"--unshare-pid"}, {"fds"}), c);
            expect_ok(r);
            expect_line(r, "fds: 0 1 2 8 9");
        }
    }
}

BOOST_AUTO_TEST_CASE(lock_file_and_chdir_fallback) {
    TempDir d;
    write_file(d / "lock", "");
    for (const auto& f : burrow_fronts()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto r =
                run_bwrap(f, minimal({"--ro-bind", d / "lock", "/lock", "--lock-file", "/lock"},
                                     {"stat=/lock"}));
            expect_ok(r);
            BOOST_TEST(contains(r.out, "stat /lock: file"), r.describe());
        }
    }
}
