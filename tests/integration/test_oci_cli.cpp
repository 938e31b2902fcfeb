// `burrow-oci` driven the way podman drives an OCI runtime (create --bundle
// --pid-file, start, state, kill 15, kill 9, delete --force), on a
// busybox-static bundle, as root and as burrowtest (rootless: the bundle
// maps the caller to root in a user namespace). Attack tests first, then
// the lifecycle, bad input (one line, exit 1, nothing left behind) and, as
// root, the same calls through the real runc for comparison (crun fails on
// this cgroup-v1 host: "cgroups in hybrid mode not supported").
//
// The test process is a child subreaper: as under conmon or containerd's
// shim, the container's init (a child of `create`) is reparented to it when
// create exits, and it waits for the pid of --pid-file.
#define BOOST_TEST_MODULE oci_cli
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"

using namespace btest;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string oci_bin() {
    const std::string b = burrow_bin();
    return b.substr(0, b.rfind('/')) + "/burrow-oci";
}

struct Subreaper {
    Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
};
BOOST_TEST_GLOBAL_FIXTURE(Subreaper);

bool exists(const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0;
}

std::set<std::string> listing(const std::string& dir) {
    std::set<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                names.insert(e->d_name);
        ::closedir(d);
    }
    return names;
}

// A bundle: rootfs with busybox-static and its applets, config.json running
// `args`, with a user namespace mapping the caller to root when not root.
struct Bundle {
    TempDir tmp;
    std::string dir = tmp / "bundle";
    std::string rootfs = dir + "/rootfs";
    std::string state = tmp / "state";
    explicit Bundle(const std::vector<std::string>& args, const std::string& extra_process = "") {
        namespace fs = std::filesystem;
        fs::create_directories(rootfs + "/bin");
        for (const char* d : {"proc", "dev", "tmp", "etc", "sys"})
            fs::create_directories(rootfs + "/" + d);
        fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
        for (const char* a : {"sh", "true", "sleep", "id", "cat", "ls", "readlink", "echo", "tty",
                              "grep", "mkdir", "mkfifo"})
            fs::create_symlink("busybox", rootfs + "/bin/" + a);
        write_config(args, extra_process);
    }
    void write_config(const std::vector<std::string>& args, const std::string& extra_process = "") {
        json c;
        c["ociVersion"] = "1.0.2";
        json p;
        p["terminal"] = false;
        p["user"] = {{"uid", 0}, {"gid", 0}};
        p["args"] = args;
        p["env"] = {"PATH=/bin"};
        p["cwd"] = "/";
        if (!extra_process.empty()) p.update(json::parse(extra_process));
        c["process"] = p;
        c["root"] = {{"path", "rootfs"}, {"readonly", true}};
        c["hostname"] = "oci-test";
        c["mounts"] = json::array(
            {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
             {{"destination", "/dev"},
              {"type", "tmpfs"},
              {"source", "tmpfs"},
              {"options", {"nosuid", "mode=755"}}},
             {{"destination", "/dev/pts"},
              {"type", "devpts"},
              {"source", "devpts"},
              {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
             {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}}});
        json ns = json::array({{{"type", "pid"}},
                               {{"type", "ipc"}},
                               {{"type", "uts"}},
                               {{"type", "mount"}},
                               {{"type", "network"}}});
        json linux_;
        if (!is_root()) {
            ns.push_back({{"type", "user"}});
            linux_["uidMappings"] = {{{"containerID", 0}, {"hostID", ::getuid()}, {"size", 1}}};
            linux_["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getgid()}, {"size", 1}}};
        }
        linux_["namespaces"] = ns;
        c["linux"] = linux_;
        write_file(dir + "/config.json", c.dump(2));
    }
};

Result oci(const Bundle& b, std::vector<std::string> args, const std::string& runtime = "") {
    Command cmd;
    const bool runc = runtime == "runc";
    cmd.argv = {runc ? "runc" : "burrow-oci", "--root", b.state + (runc ? "-runc" : "")};
    for (auto& a : args) cmd.argv.push_back(a);
    cmd.path = runc ? "/usr/sbin/runc" : oci_bin();
    cmd.cwd = b.dir;
    cmd.timeout = 20000ms;
    if (args.empty() || args[0] != "create") return run(cmd);
    // create: the container's init keeps create's stdio (as under conmon),
    // so they are a file, not the pipes run() reads to their end.
    const std::string log = b.tmp / "create.log";
    cmd.before_exec = [log] {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(99);
        ::close(fd);
    };
    Result r = run(cmd);
    r.err = read_text(log);
    return r;
}

pid_t read_pid(const std::string& file) {
    return static_cast<pid_t>(std::stol(read_text(file)));
}

// The init of a created container is ours to reap (we are its subreaper).
int reap(pid_t pid) {
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

json state_of(const Bundle& b, const std::string& id, const std::string& runtime = "") {
    const Result r = oci(b, {"state", id}, runtime);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    return json::parse(r.out);
}

bool process_alive(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return false;
    const auto p = stat.rfind(')');
    return p != std::string::npos && stat[p + 2] != 'Z';
}

// One line "burrow: ..." on stderr, exit 1.
// What conmon does with --console-socket: accept the runtime's connection
// and take the pty master it sends (SCM_RIGHTS; the data is the pty's name).
int receive_console_master(int listener) {
    const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    BOOST_REQUIRE(conn >= 0);
    char name[64] = {};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{name, sizeof name - 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    BOOST_REQUIRE(::recvmsg(conn, &msg, 0) > 0);
    ::close(conn);
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    BOOST_REQUIRE(cm && cm->cmsg_type == SCM_RIGHTS);
    int master = -1;
    std::memcpy(&master, CMSG_DATA(cm), sizeof master);
    return master;
}

// conmon's side of --console-socket: a listening unix socket at path.
int listen_console(const std::string& path) {
    const int ls = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(ls >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    BOOST_REQUIRE(::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(ls, 1) == 0);
    return ls;
}

// Everything the pty master gives until the slave side is gone (EIO) or
// nothing comes for timeout_ms.
std::string drain(int master, int timeout_ms) {
    std::string out;
    for (;;) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) break;
        char buf[256];
        const ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break; // EIO once the last slave fd is closed
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

void expect_one_line_error(const Result& r, const std::string& needle) {
    BOOST_TEST(r.code() == 1, r.describe());
    BOOST_TEST(r.err.rfind("burrow: ", 0) == 0, r.describe());
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.describe());
    BOOST_TEST(contains(r.err, needle), r.describe() << " lacks: " << needle);
}

} // namespace

// ---- attacks ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(state_dir_planted_as_symlink_is_refused_not_followed) {
    Bundle b({"true"});
    TempDir elsewhere;
    std::filesystem::create_directories(b.state);
    ::symlink(elsewhere.path().c_str(), (b.state + "/evil").c_str());
    const Result c = oci(b, {"create", "--bundle", b.dir, "evil"});
    expect_one_line_error(c, "already exists");
    BOOST_TEST(listing(elsewhere.path()).empty());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"state", "evil"}, {"kill", "evil", "9"}, {"delete", "--force", "evil"}}) {
        const Result r = oci(b, args);
        expect_one_line_error(r, "not a directory");
    }
    // A state file planted as a symlink in a real state dir: not read.
    std::filesystem::create_directories(b.state + "/planted");
    write_file(elsewhere / "state.json", "{}");
    ::symlink((elsewhere / "state.json").c_str(), (b.state + "/planted/state.json").c_str());
    expect_one_line_error(oci(b, {"state", "planted"}), "state of \"planted\"");
    BOOST_TEST(exists(elsewhere / "state.json"));
}

// An engine that kills create half-way (here: a createRuntime hook kills
// its parent, burrow-oci create) must not leave an init blocked forever
// on its exec fifo: it sees create's end of the commit socket close
// without the commit and exits; delete --force then removes the rest.
BOOST_AUTO_TEST_CASE(create_killed_half_way_leaves_no_init) {
    Bundle b({"true"});
    json c = json::parse(read_text(b.dir + "/config.json"));
    c["hooks"]["createRuntime"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "kill -9 $PPID"}}}};
    write_file(b.dir + "/config.json", c.dump());
    const Result r = oci(b, {"create", "--bundle", b.dir, "k1"});
    BOOST_TEST(r.code() == 128 + SIGKILL, r.describe());
    // The orphaned init (and the hook's shell) are reparented to us, the
    // subreaper: the init must end by itself.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    int reaped = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        int ws = 0;
        const pid_t p = ::waitpid(-1, &ws, WNOHANG);
        if (p < 0) break; // ECHILD: nothing left
        if (p > 0) {
            ++reaped;
            continue;
        }
        ::usleep(20000);
    }
    BOOST_TEST(::waitpid(-1, nullptr, WNOHANG) == -1, "a process is left behind");
    BOOST_TEST(reaped >= 1);
    BOOST_TEST(oci(b, {"delete", "--force", "k1"}).code() == 0);
    BOOST_TEST(listing(b.state).empty());
}

// The container plants FIFOs where exec --tty opens the terminal
// (/dev/pts/ptmx, /dev/ptmx): the exec fails at once with one line naming
// the terminal, never hangs, and nothing reaches the console socket.
BOOST_AUTO_TEST_CASE(exec_terminal_planted_fifo_is_refused_not_hung) {
    Bundle b({"sh", "-c",
              "mkdir -p /dev/pts && rm -f /dev/ptmx && mkfifo /dev/pts/ptmx /dev/ptmx && "
              "sleep 100"});
    json c = json::parse(read_text(b.dir + "/config.json"));
    json mounts = json::array();
    for (const auto& m : c["mounts"])
        if (m["type"] != "devpts") mounts.push_back(m);
    c["mounts"] = mounts;
    write_file(b.dir + "/config.json", c.dump());
    const std::string pidfile = b.tmp / "pid";
    BOOST_REQUIRE(oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "pf"}).code() == 0);
    const pid_t pid = read_pid(pidfile);
    BOOST_REQUIRE(oci(b, {"start", "pf"}).code() == 0);
    const std::string fifo = "/proc/" + std::to_string(pid) + "/root/dev/ptmx";
    for (int i = 0; i < 250 && !exists(fifo); ++i) ::usleep(20000);
    BOOST_REQUIRE_MESSAGE(exists(fifo), "the container did not plant its FIFO");
    const std::string sock_path = b.tmp / "console.sock";
    const int ls = listen_console(sock_path);
    const Result e =
        oci(b, {"exec", "--tty", "--console-socket", sock_path, "pf", "sh", "-c", "echo ran"});
    BOOST_TEST(e.code() == 125, e.describe());
    BOOST_TEST(contains(e.err, "terminal"), e.describe());
    BOOST_TEST(std::count(e.err.begin(), e.err.end(), '\n') == 1, e.describe());
    BOOST_TEST(!contains(e.out, "ran"), e.describe());
    // The exec connected (as runc does before the process exists) but sent
    // no fd: the connection carries nothing.
    ::fcntl(ls, F_SETFL, O_NONBLOCK);
    const int conn = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn >= 0) {
        char byte;
        BOOST_TEST(::recv(conn, &byte, 1, 0) <= 0);
        ::close(conn);
    }
    ::close(ls);
    BOOST_TEST(oci(b, {"delete", "--force", "pf"}).code() == 0);
    BOOST_TEST(reap(pid) == 128 + SIGKILL);
}

BOOST_AUTO_TEST_CASE(rootfs_proc_as_symlink_stays_inside_the_root) {
    Bundle b({"sh", "-c", "ls /proc/self >/dev/null"});
    TempDir outside;
    std::filesystem::remove(b.rootfs + "/proc");
    // Absolute and relative escapes: both resolve inside the root.
    ::symlink(("../../../../../../../../" + outside.path()).c_str(), (b.rootfs + "/proc").c_str());
    const std::string before = host_mount_table();
    const Result r = oci(b, {"run", "--bundle", b.dir, "procsym"});
    BOOST_TEST(host_mount_table() == before);
    BOOST_TEST(listing(outside.path()).empty(), "something appeared outside the root");
    BOOST_TEST(!exists(b.state + "/procsym"), r.describe());
}

BOOST_AUTO_TEST_CASE(no_host_fd_or_cwd_reaches_the_container) {
    Bundle b({"sleep", "100"});
    const std::string pidfile = b.tmp / "pid";
    const Result c = oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "fds"});
    BOOST_REQUIRE_MESSAGE(c.code() == 0, c.describe());
    const pid_t pid = read_pid(pidfile);
    BOOST_REQUIRE_MESSAGE(oci(b, {"start", "fds"}).code() == 0, "start");
    // Once exec'd: stdio only, and its cwd is the container's root.
    for (int i = 0;
         i < 100 &&
         contains(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe").string(),
                  "burrow");
         ++i)
        ::usleep(10000);
    std::set<std::string> fds = listing("/proc/" + std::to_string(pid) + "/fd");
    BOOST_TEST((fds == std::set<std::string>{"0", "1", "2"}), fds.size() << " fds");
    // Its cwd is the container's root (seen from its own root: "/").
    const std::string cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd");
    BOOST_TEST(cwd == "/");
    // exec'd processes too.
    const Result e = oci(b, {"exec", "fds", "ls", "/proc/self/fd"});
    BOOST_TEST(e.code() == 0, e.describe());
    BOOST_TEST(e.out == "0\n1\n2\n3\n", e.describe()); // 3: ls's own directory
    BOOST_TEST(oci(b, {"delete", "--force", "fds"}).code() == 0);
    BOOST_TEST(reap(pid) == 128 + SIGKILL);
}

// ---- lifecycle ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(podman_sequence_create_start_state_kill_delete) {
    Bundle b({"sleep", "100"});
    const std::string pidfile = b.tmp / "pidfile";
    const Result c = oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "c1"});
    BOOST_REQUIRE_MESSAGE(c.code() == 0, c.describe());
    const pid_t pid = read_pid(pidfile);
    BOOST_TEST(process_alive(pid));
    json st = state_of(b, "c1");
    BOOST_TEST(st["status"] == "created");
    BOOST_TEST(st["pid"] == pid);
    BOOST_TEST(st["id"] == "c1");
    BOOST_TEST(st["bundle"] == b.dir);
    BOOST_TEST(st.contains("ociVersion"));
    // A second create with the same id: refused, the first one untouched.
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "c1"}), "already exists");
    BOOST_TEST(process_alive(pid));
    BOOST_TEST(oci(b, {"start", "c1"}).code() == 0);
    BOOST_TEST(state_of(b, "c1")["status"] == "running");
    expect_one_line_error(oci(b, {"start", "c1"}), "not created");
    expect_one_line_error(oci(b, {"delete", "c1"}), "not stopped");
    // pid 1 without a handler ignores TERM (as with runc); KILL ends it.
    BOOST_TEST(oci(b, {"kill", "c1", "15"}).code() == 0);
    BOOST_TEST(oci(b, {"kill", "c1", "SIGKILL"}).code() == 0);
    BOOST_TEST(reap(pid) == 128 + SIGKILL);
    BOOST_TEST(state_of(b, "c1")["status"] == "stopped");
    expect_one_line_error(oci(b, {"kill", "c1", "9"}), "not running");
    BOOST_TEST(oci(b, {"delete", "--force", "c1"}).code() == 0);
    BOOST_TEST(!exists(b.state + "/c1"));
    expect_one_line_error(oci(b, {"state", "c1"}), "does not exist");
}

BOOST_AUTO_TEST_CASE(exit_status_reaches_the_waiter_and_run_returns_it) {
    Bundle b({"sh", "-c", "echo out; exit 3"});
    const std::string pidfile = b.tmp / "pidfile";
    BOOST_REQUIRE(oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "e1"}).code() == 0);
    const pid_t pid = read_pid(pidfile);
    BOOST_TEST(oci(b, {"start", "e1"}).code() == 0);
    BOOST_TEST(reap(pid) == 3);
    BOOST_TEST(state_of(b, "e1")["status"] == "stopped");
    BOOST_TEST(oci(b, {"delete", "e1"}).code() == 0);
    const Result r = oci(b, {"run", "--bundle", b.dir, "e2"});
    BOOST_TEST(r.code() == 3, r.describe());
    BOOST_TEST(r.out == "out\n");
    BOOST_TEST(!exists(b.state + "/e2"));
}

BOOST_AUTO_TEST_CASE(delete_force_of_a_created_container_and_kill_by_name) {
    Bundle b({"sleep", "100"});
    const std::string pidfile = b.tmp / "pidfile";
    BOOST_REQUIRE(oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "d1"}).code() == 0);
    const pid_t pid = read_pid(pidfile);
    BOOST_TEST(oci(b, {"delete", "--force", "d1"}).code() == 0);
    BOOST_TEST(reap(pid) == 128 + SIGKILL);
    BOOST_TEST(listing(b.state).empty());
    expect_one_line_error(oci(b, {"kill", "d1", "FROB"}), "invalid signal");
}

BOOST_AUTO_TEST_CASE(exec_into_a_stopped_container_is_refused) {
    Bundle b({"true"});
    const std::string pidfile = b.tmp / "pidfile";
    BOOST_REQUIRE(oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "x1"}).code() == 0);
    const pid_t pid = read_pid(pidfile);
    BOOST_TEST(oci(b, {"start", "x1"}).code() == 0);
    BOOST_TEST(reap(pid) == 0);
    expect_one_line_error(oci(b, {"exec", "x1", "true"}), "stopped");
    BOOST_TEST(oci(b, {"delete", "x1"}).code() == 0);
}

BOOST_AUTO_TEST_CASE(terminal_master_goes_to_the_console_socket) {
    Bundle b({"sh", "-c", "tty; [ /dev/console -ef /proc/self/fd/0 ] && echo console; exit 4"},
             R"({"terminal": true})");
    const std::string sock_path = b.tmp / "console.sock";
    const int ls = listen_console(sock_path);
    // Without --console-socket: refused, nothing left.
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "t0"}), "--console-socket");
    const std::string pidfile = b.tmp / "pid";
    const Result c = oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "--console-socket",
                             sock_path, "t1"});
    BOOST_REQUIRE_MESSAGE(c.code() == 0, c.describe());
    const pid_t pid = read_pid(pidfile);
    const int master = receive_console_master(ls);
    BOOST_TEST(oci(b, {"start", "t1"}).code() == 0);
    const std::string out = drain(master, 5000);
    BOOST_TEST(reap(pid) == 4);
    BOOST_TEST(out == "/dev/pts/0\r\nconsole\r\n");
    BOOST_TEST(oci(b, {"delete", "t1"}).code() == 0);
    ::close(master);
    ::close(ls);
}

BOOST_AUTO_TEST_CASE(hooks_get_the_state_on_stdin) {
    Bundle b({"true"});
    json c = json::parse(read_text(b.dir + "/config.json"));
    for (const char* h : {"prestart", "createRuntime", "poststart", "poststop"})
        c["hooks"][h] = {
            {{"path", "/bin/sh"}, {"args", {"sh", "-c", std::string("cat > ") + (b.tmp / h)}}}};
    // createContainer: after createRuntime, in the container's mount
    // namespace before pivot_root, its path and files resolved in ours,
    // the container's finished tree (its /dev tmpfs) at root.path.
    const std::string t = b.tmp.path();
    c["hooks"]["createContainer"] = {
        {{"path", "/bin/sh"},
         {"args",
          {"sh", "-c",
           "cat > " + t + "/createContainer; readlink /proc/self/ns/mnt > " + t + "/cc-mntns; ls " +
               b.rootfs + "/dev > " + t + "/cc-dev; [ -e " + t +
               "/createRuntime ] && echo after-createRuntime > " + t + "/cc-order"}}}};
    write_file(b.dir + "/config.json", c.dump());
    const std::string pidfile = b.tmp / "pid";
    const Result cr = oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "h1"});
    BOOST_REQUIRE_MESSAGE(cr.code() == 0, cr.describe());
    const pid_t pid = read_pid(pidfile);
    for (const char* h : {"prestart", "createRuntime", "createContainer"}) {
        const json st = json::parse(read_text(b.tmp / h));
        BOOST_TEST(st["id"] == "h1", h);
        BOOST_TEST(st["status"] == "created", h);
        BOOST_TEST(st["pid"] == pid, h);
    }
    BOOST_TEST(read_text(b.tmp / "cc-order") == "after-createRuntime\n");
    char ns[64] = {};
    BOOST_REQUIRE(
        ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), ns, sizeof ns - 1) > 0);
    BOOST_TEST(read_text(b.tmp / "cc-mntns") == std::string(ns) + "\n");
    BOOST_TEST(contains(read_text(b.tmp / "cc-dev"), "null"), read_text(b.tmp / "cc-dev"));
    BOOST_TEST(!exists(b.rootfs + "/dev/null")); // shown there, not made there
    BOOST_TEST(!exists(b.tmp / "poststart"));
    BOOST_TEST(oci(b, {"start", "h1"}).code() == 0);
    BOOST_TEST(json::parse(read_text(b.tmp / "poststart"))["status"] == "running");
    BOOST_TEST(reap(pid) == 0);
    BOOST_TEST(oci(b, {"delete", "h1"}).code() == 0);
    BOOST_TEST(json::parse(read_text(b.tmp / "poststop"))["status"] == "stopped");
    // startContainer: in the container's namespaces, its path resolved
    // there (a program only the container has), the state on its stdin,
    // before the container's process runs (which prints what it wrote).
    std::filesystem::create_directories(b.rootfs + "/opt");
    std::filesystem::copy_file("/bin/busybox", b.rootfs + "/opt/only-here");
    BOOST_REQUIRE(!exists("/opt/only-here"));
    b.write_config({"sh", "-c", "cat /tmp/started"});
    c = json::parse(read_text(b.dir + "/config.json"));
    c["hooks"]["startContainer"] = {
        {{"path", "/opt/only-here"},
         {"args", {"sh", "-c", "{ cat; echo; hostname; id -u; } > /tmp/started"}}}};
    write_file(b.dir + "/config.json", c.dump());
    BOOST_REQUIRE(oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "h3"}).code() == 0);
    const pid_t pid3 = read_pid(pidfile);
    const Result st3 = oci(b, {"start", "h3"});
    BOOST_TEST(st3.code() == 0, st3.describe());
    if (st3.code() != 0) oci(b, {"delete", "--force", "h3"}); // the init waits for a start
    BOOST_TEST(reap(pid3) == 0);
    const std::string seen = read_text(b.tmp / "create.log");
    BOOST_TEST(contains(seen, "\"id\": \"h3\""), seen);
    BOOST_TEST(contains(seen, "\"status\": \"created\""), seen);
    BOOST_TEST(contains(seen, "\noci-test\n0\n"), seen);
    BOOST_TEST(oci(b, {"delete", "h3"}).code() == 0);
    // A failing createRuntime hook fails create, and leaves nothing.
    c["hooks"] = {{"createRuntime", {{{"path", "/bin/false"}}}}};
    write_file(b.dir + "/config.json", c.dump());
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "h2"}), "createRuntime hook");
    BOOST_TEST(listing(b.state).empty());
    // And a failing createContainer hook (run by the runtime's child).
    c["hooks"] = {{"createContainer", {{{"path", "/bin/false"}}}}};
    write_file(b.dir + "/config.json", c.dump());
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "h4"}),
                          "createContainer hook /bin/false: exited with status 1");
    BOOST_TEST(listing(b.state).empty());
}

// As root: linux.cgroupsPath in the v1 hierarchies (or v2), resources
// applied, the freezer for pause/resume, removed on delete. Rootless: not
// managed, and no failure.
BOOST_AUTO_TEST_CASE(cgroups_path_resources_pause_resume) {
    Bundle b({"sleep", "100"});
    json c = json::parse(read_text(b.dir + "/config.json"));
    const std::string rel = "burrow-oci-test-" + std::to_string(::getpid());
    c["linux"]["cgroupsPath"] = "/" + rel;
    c["linux"]["resources"] = {{"pids", {{"limit", 32}}}};
    write_file(b.dir + "/config.json", c.dump());
    const std::string pidfile = b.tmp / "pid";
    const Result cr = oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "g1"});
    BOOST_REQUIRE_MESSAGE(cr.code() == 0, cr.describe());
    const pid_t pid = read_pid(pidfile);
    const bool v2 = exists("/sys/fs/cgroup/cgroup.controllers");
    const std::string pids_dir = (v2 ? "/sys/fs/cgroup/" : "/sys/fs/cgroup/pids/") + rel;
    BOOST_TEST(oci(b, {"start", "g1"}).code() == 0);
    if (is_root()) {
        BOOST_TEST(read_text(pids_dir + "/pids.max") == "32\n");
        BOOST_TEST(read_text(pids_dir + "/cgroup.procs") == std::to_string(pid) + "\n");
        BOOST_TEST(oci(b, {"pause", "g1"}).code() == 0);
        BOOST_TEST(state_of(b, "g1")["status"] == "paused");
        expect_one_line_error(oci(b, {"exec", "g1", "true"}), "paused");
        BOOST_TEST(oci(b, {"resume", "g1"}).code() == 0);
        BOOST_TEST(state_of(b, "g1")["status"] == "running");
        const Result ps = oci(b, {"ps", "--format", "json", "g1"});
        BOOST_TEST(json::parse(ps.out) == json::array({pid}), ps.describe());
    } else {
        BOOST_TEST(!exists(pids_dir));
        expect_one_line_error(oci(b, {"pause", "g1"}), "no cgroup freezer");
    }
    BOOST_TEST(oci(b, {"delete", "--force", "g1"}).code() == 0);
    BOOST_TEST(reap(pid) == 128 + SIGKILL);
    BOOST_TEST(!exists(pids_dir));
}

// runc's exec terminal: a pty of the container's own devpts (the process
// can name it), the controlling terminal of the process's own session.
BOOST_AUTO_TEST_CASE(exec_with_a_terminal) {
    Bundle b({"sleep", "100"});
    const std::string sock_path = b.tmp / "exec.sock";
    const int ls = listen_console(sock_path);
    const std::string pidfile = b.tmp / "pid";
    BOOST_REQUIRE(oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "xt"}).code() == 0);
    const pid_t pid = read_pid(pidfile);
    BOOST_TEST(oci(b, {"start", "xt"}).code() == 0);
    expect_one_line_error(oci(b, {"exec", "--tty", "xt", "true"}), "--console-socket");
    const std::string exec_pid = b.tmp / "exec_pid";
    // Field 7 of /proc/self/stat: the controlling terminal (0: none); the
    // shell's pid is its session's (setsid), as its pgrp is.
    const Result e = oci(b, {"exec", "--tty", "--console-socket", sock_path, "--detach",
                             "--pid-file", exec_pid, "xt", "sh", "-c",
                             "tty; [ -t 0 ] && [ -t 1 ] && echo isatty; "
                             "read p c s pp g sid t rest </proc/self/stat; "
                             "[ \"$t\" != 0 ] && [ \"$sid\" = $$ ] && echo ctty"});
    BOOST_REQUIRE_MESSAGE(e.code() == 0, e.describe());
    const int master = receive_console_master(ls);
    // The exec'd process is ours to reap (subreaper), with its status.
    BOOST_TEST(reap(read_pid(exec_pid)) == 0);
    BOOST_TEST(drain(master, 2000) == "/dev/pts/0\r\nisatty\r\nctty\r\n");
    BOOST_TEST(oci(b, {"delete", "--force", "xt"}).code() == 0);
    BOOST_TEST(reap(pid) == 128 + SIGKILL);
    ::close(master);
    ::close(ls);
}

// exec keeps the container's capabilities and rlimits when it names none
// (args form), and applies exactly those of --process when it does, also
// across a change to a non-root user (root: uid 1000; rootless: only 0 is
// mapped). As root the same calls go through runc and must agree.
BOOST_AUTO_TEST_CASE(exec_capabilities_and_rlimits) {
    // noNewPrivileges, which burrow always sets: without it a root exec
    // gains the whole bounding set as permitted (capabilities(7)), so runc
    // would differ from the process.capabilities asked for.
    const char* container_process = R"({
        "noNewPrivileges": true,
        "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"],
                         "effective": ["CAP_CHOWN", "CAP_KILL"],
                         "permitted": ["CAP_CHOWN", "CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]})";
    const std::string uid = is_root() ? "1000" : "0";
    const json exec_process = json::parse(R"({
        "args": ["sh", "-c", "grep ^Cap /proc/self/status; ulimit -n; id -u"],
        "noNewPrivileges": true, "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": )" +
                                          uid + R"(, "gid": )" + uid + R"(},
        "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                         "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"],
                         "ambient": ["CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 50, "hard": 60}]})");
    std::vector<std::string> runtimes = {""};
    if (is_root() && exists("/usr/sbin/runc")) runtimes.push_back("runc");
    for (const std::string& rt : runtimes) {
        Bundle b({"sleep", "100"}, container_process);
        const std::string pidfile = b.tmp / "pid";
        BOOST_REQUIRE(
            oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "xc"}, rt).code() == 0);
        const pid_t pid = read_pid(pidfile);
        BOOST_TEST(oci(b, {"start", "xc"}, rt).code() == 0, rt);
        std::string init_caps, line;
        std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
        while (std::getline(status, line))
            if (line.rfind("Cap", 0) == 0) init_caps += line + "\n";
        BOOST_TEST(contains(init_caps, "CapEff:\t0000000000000021"), rt << init_caps);
        const Result a =
            oci(b, {"exec", "xc", "sh", "-c", "grep ^Cap /proc/self/status; ulimit -n"}, rt);
        BOOST_TEST(a.code() == 0, rt << a.describe());
        // runc: sometimes the hard limit (see below).
        BOOST_TEST((a.out == init_caps + "100\n" || (!rt.empty() && a.out == init_caps + "200\n")),
                   rt << a.describe());
        write_file(b.tmp / "process.json", exec_process.dump());
        const Result p = oci(b, {"exec", "--process", b.tmp / "process.json", "xc"}, rt);
        BOOST_TEST(p.code() == 0, rt << p.describe());
        // runc 1.1.5 gives an exec the soft limit asked for in some runs
        // and the hard one (60) in others; burrow always the one asked for.
        const std::string caps = "CapInh:\t0000000000000020\nCapPrm:\t0000000000000020\n"
                                 "CapEff:\t0000000000000020\nCapBnd:\t0000000000000020\n"
                                 "CapAmb:\t0000000000000020\n";
        if (rt.empty())
            BOOST_TEST(p.out == caps + "50\n" + uid + "\n", p.describe());
        else
            BOOST_TEST((p.out == caps + "50\n" + uid + "\n" || p.out == caps + "60\n" + uid + "\n"),
                       rt << p.describe());
        BOOST_TEST(oci(b, {"delete", "--force", "xc"}, rt).code() == 0, rt);
        BOOST_TEST(reap(pid) == 128 + SIGKILL, rt);
    }
}

// ---- bad input ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_input_one_line_exit_1_nothing_left) {
    Bundle b({"true"});
    const std::string before = host_mount_table();
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "a/b"}), "invalid container id");
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, ".."}), "invalid container id");
    expect_one_line_error(oci(b, {"kill", "nosuch", "9"}), "does not exist");
    expect_one_line_error(oci(b, {"delete", "nosuch"}), "does not exist");
    write_file(b.dir + "/config.json", "{\"ociVersion\": ");
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "m1"}), "config.json");
    b.write_config({"true"});
    std::filesystem::rename(b.rootfs, b.tmp / "moved");
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "m2"}), "config.json");
    // A failure in the runtime's setup (before the exec fifo): its one line.
    std::filesystem::rename(b.tmp / "moved", b.rootfs);
    b.write_config({"true"}, R"({"cwd": "/nope"})");
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "m3"}), "/nope");
    expect_one_line_error(oci(b, {"run", "--bundle", b.dir, "m4"}), "/nope");
    // A program that is not there fails create, in runc's words (podman
    // reads "no such file or directory" as its 127, "permission denied" 126).
    b.write_config({"/no/such/program"});
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "m5"}),
                          "exec: stat /no/such/program: No such file or directory");
    b.write_config({"nosuchtool"});
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "m6"}),
                          "exec: \"nosuchtool\": executable file not found in $PATH");
    b.write_config({"/bin"});
    expect_one_line_error(oci(b, {"create", "--bundle", b.dir, "m7"}), "Permission denied");
    BOOST_TEST(listing(b.state).empty());
    BOOST_TEST(host_mount_table() == before);
    // --log-format json: the error as a JSON line in the log, one line on stderr.
    const std::string log = b.tmp / "log.json";
    Command cmd;
    cmd.path = oci_bin();
    cmd.argv = {"burrow-oci",   "--root", b.state, "--log", log,
                "--log-format", "json",   "kill",  "nosuch"};
    const Result r = run(cmd);
    expect_one_line_error(r, "does not exist");
    const json line = json::parse(read_text(log));
    BOOST_TEST(line["level"] == "error");
    BOOST_TEST(contains(line["msg"].get<std::string>(), "does not exist"));
    BOOST_TEST(line.contains("time"));
}

BOOST_AUTO_TEST_CASE(spec_and_features) {
    Bundle b({"true"});
    TempDir d;
    BOOST_TEST(oci(b, {"spec", "--bundle", d.path()}).code() == 0);
    const json spec = json::parse(read_text(d / "config.json"));
    BOOST_TEST(spec["root"]["path"] == "rootfs");
    BOOST_TEST(spec["process"]["args"] == json({"sh"}));
    expect_one_line_error(oci(b, {"spec", "--bundle", d.path()}), "exists already");
    const Result f = oci(b, {"features"});
    BOOST_TEST(f.code() == 0);
    const json feat = json::parse(f.out);
    BOOST_TEST(feat["ociVersionMax"] == "1.2.0");
    BOOST_TEST(feat["linux"]["namespaces"].size() == 7u);
}

// ---- against runc -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(same_statuses_and_state_shape_as_runc) {
    if (!is_root() || !exists("/usr/sbin/runc")) {
        BOOST_TEST_MESSAGE("runc comparison: root with /usr/sbin/runc only");
        return;
    }
    for (const std::string rt : {"", "runc"}) {
        Bundle b({"sh", "-c", "exit 7"});
        const Result r = oci(b, {"run", "--bundle", b.dir, "r1"}, rt);
        BOOST_TEST(r.code() == 7, rt << ": " << r.describe());
        BOOST_TEST(oci(b, {"kill", "nosuch", "9"}, rt).code() == 1, rt);
        BOOST_TEST(oci(b, {"delete", "nosuch"}, rt).code() == 1, rt);
        BOOST_TEST(oci(b, {"delete", "--force", "nosuch"}, rt).code() == 0, rt);
        b.write_config({"sleep", "100"});
        const std::string pidfile = b.tmp / "pid";
        BOOST_REQUIRE(
            oci(b, {"create", "--bundle", b.dir, "--pid-file", pidfile, "s1"}, rt).code() == 0);
        const pid_t pid = read_pid(pidfile);
        const json st = state_of(b, "s1", rt);
        for (const char* k : {"ociVersion", "id", "status", "pid", "bundle"})
            BOOST_TEST(st.contains(k), rt << " lacks " << k);
        BOOST_TEST(st["status"] == "created", rt);
        BOOST_TEST(oci(b, {"create", "--bundle", b.dir, "s1"}, rt).code() == 1, rt);
        BOOST_TEST(oci(b, {"start", "s1"}, rt).code() == 0, rt);
        BOOST_TEST(state_of(b, "s1", rt)["status"] == "running", rt);
        BOOST_TEST(oci(b, {"delete", "s1"}, rt).code() == 1, rt);
        BOOST_TEST(oci(b, {"delete", "--force", "s1"}, rt).code() == 0, rt);
        BOOST_TEST(reap(pid) == 128 + SIGKILL, rt);
        BOOST_TEST(oci(b, {"state", "s1"}, rt).code() == 1, rt);
    }
}
