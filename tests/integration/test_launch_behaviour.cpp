// The behaviour every `burrow launch` backend must show, one suite for all:
// the backend comes from BURROW_LAUNCH_BACKEND (default namespace) and its
// flags from BURROW_LAUNCH_EXTRA_ARGS. A fake HOME (temp dir with .ssh,
// .claude.json, .gitconfig) keeps the test off the real user's files.
// Registered for namespace as root and as user burrowtest.
#define BOOST_TEST_MODULE launch_behaviour
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "tests/integration/launch_test_support.hpp"

using namespace btest;
using ltest::Host;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_CASE(project_dir_is_writable_at_its_own_path) {
    Host h;
    Result r = h.launch({}, "pwd; echo from-inside > made-inside.txt");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(r.out == h.project + "\n");
    BOOST_TEST(read_text(h.project + "/made-inside.txt") == "from-inside\n");
}

BOOST_AUTO_TEST_CASE(files_outside_the_project_are_not_visible) {
    Host h;
    write_file(h.dir / "outside.txt", "secret\n");
    write_file(h.home + "/private.txt", "secret\n");
    Result r = h.launch({}, "test -e '" + h.dir / "outside.txt" +
                                "' && echo outside-visible; "
                                "test -e \"$HOME/private.txt\" && echo home-visible; "
                                "test -e \"$HOME/.ssh/id_test\" && echo key-visible; "
                                "test -e \"$HOME/.ssh/known_hosts\" && echo ssh-visible; exit 0");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(!contains(r.out, "outside-visible"), r.describe());
    BOOST_TEST(!contains(r.out, "home-visible"), r.describe());
    // The private key stays out by default (the agent socket carries keys).
    BOOST_TEST(!contains(r.out, "key-visible"), r.describe());
    // The control: what is shared is seen, so the checks above can fail.
    BOOST_TEST(contains(r.out, "ssh-visible"), r.describe());
}

BOOST_AUTO_TEST_CASE(ssh_dir_is_read_only) {
    Host h;
    // Default: known_hosts and *.pub, read-only; --ssh-keys: all of it,
    // read-only.
    Result d = h.launch({}, "cat \"$HOME/.ssh/id_test.pub\"; "
                            "if echo x >> \"$HOME/.ssh/known_hosts\" 2>/dev/null; then echo "
                            "appended; fi");
    BOOST_TEST_REQUIRE(d.code() == 0, d.describe());
    BOOST_TEST(d.out == "ssh-public-key\n", d.describe());
    BOOST_TEST(read_text(h.home + "/.ssh/known_hosts") == "host1 ssh-ed25519 AAAA\n");
    Result r = h.launch({"--ssh-keys"},
                        "cat \"$HOME/.ssh/id_test\"; "
                        "if touch \"$HOME/.ssh/new\" 2>/dev/null; then echo wrote; fi; "
                        "if echo x >> \"$HOME/.ssh/id_test\" 2>/dev/null; then echo appended; fi");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "ssh-key-material\n", r.describe());
    BOOST_TEST(!fs::exists(h.home + "/.ssh/new"));
    BOOST_TEST(read_text(h.home + "/.ssh/id_test") == "ssh-key-material\n");
}

BOOST_AUTO_TEST_CASE(copy_seeded_file_is_present_and_writes_stay_inside) {
    Host h;
    // The agent's way of writing its config: a new file renamed over it.
    Result r = h.launch({}, "cat \"$HOME/.claude.json\" && "
                            "echo '{\"changed\": 1}' > \"$HOME/.claude.json.tmp\" && "
                            "mv \"$HOME/.claude.json.tmp\" \"$HOME/.claude.json\" && "
                            "cat \"$HOME/.claude.json\"");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "{\"seed\": true}\n{\"changed\": 1}\n", r.describe());
    BOOST_TEST(read_text(h.home + "/.claude.json") == "{\"seed\": true}\n");
    BOOST_TEST(!fs::exists(h.home + "/.claude.json.tmp"));
}

BOOST_AUTO_TEST_CASE(environment_is_cleared_with_markers) {
    Host h;
    Result r = h.launch({}, "env");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(contains(r.out, "BURROW_SANDBOX=1\n"), r.out);
    BOOST_TEST(contains(r.out, "BURROW_BACKEND=" + ltest::backend() + "\n"), r.out);
    BOOST_TEST(contains(r.out, "LANG=C.UTF-8\n"), r.out);
    BOOST_TEST(contains(r.out, "HOME=" + h.home + "\n"), r.out);
    BOOST_TEST(!contains(r.out, "BURROW_TEST_SECRET"), r.out);
    r = h.launch({"--env", "BURROW_TEST_SECRET"}, "echo \"[$BURROW_TEST_SECRET]\"");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "[leaked]\n");
}

namespace {

// A TCP listener on the host's 127.0.0.1 (or `addr`), on a kernel-chosen
// port. It never accepts: the kernel completes connections into its backlog.
struct Listener {
    int fd = -1;
    int port = 0;
    explicit Listener(in_addr_t addr = htonl(INADDR_LOOPBACK)) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = addr;
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(fd, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Listener() { ::close(fd); }
};

// An IPv4 address of this machine that is not loopback ("" when it has
// none): what a container's allowlist can reach through the proxy.
std::string machine_address() {
    ifaddrs* all = nullptr;
    if (::getifaddrs(&all) != 0) return "";
    std::string out;
    for (ifaddrs* i = all; i && out.empty(); i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
            (i->ifa_flags & IFF_UP)) {
            char buf[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf,
                        sizeof buf);
            out = buf;
        }
    ::freeifaddrs(all);
    return out;
}

} // namespace

// Issue 15: by default every backend has a network of its own with no way
// to the host's loopback: the namespace backend and a vm through a user-mode
// stack (pasta, else slirp4netns; passt), with an interface besides lo; the
// container through nspawn's lo-only network, which burrow's egress proxy
// steers in open mode (this machine's own address is reached, a special
// address is refused and named, 127.0.0.1 is the container's own, UDP
// other than DNS is dropped).
// --network host is the explicit opt-in (with a warning), --no-network
// nothing at all.
BOOST_AUTO_TEST_CASE(network_modes_and_the_hosts_loopback) {
    Host h;
    Listener l;
    const std::string connect = "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(l.port);
    const std::string b = ltest::backend();
    const std::string has_nic = "grep : /proc/net/dev | grep -qv '^ *lo:' && echo has-nic; ";
    // One launch: under TCG each vm boot costs CI seconds.
    if (b == "container") {
        const std::string addr = machine_address();
        BOOST_TEST_REQUIRE(!addr.empty(), "no non-loopback IPv4 address on this machine");
        Listener m(::inet_addr(addr.c_str()));
        // A UDP datagram to this machine's address must not arrive.
        const int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        BOOST_TEST_REQUIRE(u >= 0);
        sockaddr_in ua{};
        ua.sin_family = AF_INET;
        ua.sin_addr.s_addr = ::inet_addr(addr.c_str());
        BOOST_TEST_REQUIRE(::bind(u, reinterpret_cast<sockaddr*>(&ua), sizeof ua) == 0);
        socklen_t ulen = sizeof ua;
        ::getsockname(u, reinterpret_cast<sockaddr*>(&ua), &ulen);
        // The proxy accepts every connection first: a live one makes the
        // read time out (142), a refused one is reset (1) and named, as a
        // special address (here link-local: a cloud's metadata service) is.
        // 127.0.0.1 is the container's own loopback: the host's listener
        // is not there (connection refused). A datagram is dropped (EPERM).
        Result def = h.run(h.launch_args(
            {},
            {"bash", "-c",
             has_nic + "echo x 2>/dev/null > /dev/udp/" + addr + "/" +
                 std::to_string(ntohs(ua.sin_port)) + " || echo udp-dropped; exec 5<>/dev/tcp/" +
                 addr + "/" + std::to_string(m.port) +
                 "; read -t 1 x <&5; echo machine=$?; exec 4<>/dev/tcp/169.254.169.254/80; "
                 "read -t 5 z <&4; echo link-local=$?; " +
                 connect + " 2>/dev/null || echo loopback-refused"}));
        BOOST_TEST(def.code() == 0, def.describe());
        BOOST_TEST(def.out == "udp-dropped\nmachine=142\nlink-local=1\nloopback-refused\n",
                   def.describe());
        BOOST_TEST(def.err.find("burrow: net: refused connect 169.254.169.254:80 (address not "
                                "allowed)") != std::string::npos,
                   def.describe());
        char buf[16];
        BOOST_TEST(::recv(u, buf, sizeof buf, 0) < 0, "a UDP datagram got out");
        ::close(u);
    } else {
        Result def = h.run(h.launch_args({}, {"bash", "-c", has_nic + connect}));
        BOOST_TEST(def.code() == 1, def.describe());
        BOOST_TEST(def.out == "has-nic\n", def.describe());
    }
    if (b != "vm") {
        // (A vm without a network has no NIC at all: integration.vm.)
        Result off = h.run(h.launch_args({"--no-network"}, {"bash", "-c", connect}));
        BOOST_TEST(off.code() == 1, off.describe());
        Result on = h.run(h.launch_args({"--network", "host"}, {"bash", "-c", connect}));
        BOOST_TEST(on.code() == 0, on.describe());
        BOOST_TEST(on.err.find("burrow: launch: warning: --network host: the sandbox shares the "
                               "host's network namespace") != std::string::npos,
                   on.describe());
    } else {
        Result bad = h.run(h.launch_args({"--network", "host"}, {"true"}));
        BOOST_TEST(bad.code() == 125, bad.describe());
        BOOST_TEST(bad.err == "burrow: launch: --network host: a vm's network is passt's, never "
                              "the host's namespace (use private or none)\n",
                   bad.describe());
    }
}

// --allow-net: a malformed rule, or a backend without the allowlist yet, is
// one line and exit 125 with nothing left behind. On the namespace backend
// the caller's loopback stays out of reach of a rule that does not name it.
BOOST_AUTO_TEST_CASE(allow_net_bad_input_and_the_hosts_loopback) {
    Host h;
    const std::string b = ltest::backend();
    Result bad = h.run(h.launch_args({"--allow-net", "10.0.0.0/33"}, {"true"}));
    BOOST_TEST(bad.code() == 125, bad.describe());
    BOOST_TEST(bad.err ==
                   "burrow: launch: --allow-net 10.0.0.0/33: bad CIDR prefix 33 (0-32 for IPv4)\n",
               bad.describe());
    BOOST_TEST(!fs::exists(h.state_root()));
    BOOST_TEST(!fs::exists(h.registry()));
    if (b == "container" || b == "vm") {
        // The container's allowlist: nspawn's private network steered by the
        // egress proxy from outside; a vm's: passt runs in a network
        // namespace the proxy steers. A listener on this machine's own
        // address at an allowed port is reached (its read times out: > 128);
        // another is reset at once (read fails: 1) and named. Both ports
        // are --allow-net's, but a --policy layer narrows the list to the
        // first. In a container the proxy endpoint ($HTTPS_PROXY) holds to
        // the same list (a guest has none).
        const std::string addr = machine_address();
        BOOST_TEST_REQUIRE(!addr.empty(), "no non-loopback IPv4 address on this machine");
        Listener ok(::inet_addr(addr.c_str())), no(::inet_addr(addr.c_str()));
        const std::string okp = addr + ":" + std::to_string(ok.port);
        const std::string nop = addr + ":" + std::to_string(no.port);
        write_file(h.dir / "narrow.toml", "[network]\nallow = [\"" + okp + "\"]\n");
        const std::string tcp = "/dev/tcp/" + addr + "/";
        auto connect_via_proxy = [](const std::string& fd, const std::string& dest) {
            return "exec " + fd + "<>/dev/tcp/127.0.0.1/${HTTPS_PROXY##*:}; printf 'CONNECT " +
                   dest + " HTTP/1.1\\r\\nHost: " + dest + "\\r\\n\\r\\n' >&" + fd +
                   "; read -t 5 l <&" + fd + "; echo \"proxy ${l%?}\"; ";
        };
        const bool vm = b == "vm";
        Result r = h.run(h.launch_args(
            {"--allow-net", okp, "--allow-net", nop, "--policy", h.dir / "narrow.toml"},
            {"bash", "-c",
             "echo \"proxy=${HTTPS_PROXY:-none}\"; exec 3<>" + tcp + std::to_string(ok.port) +
                 "; read -t 1 x <&3; echo ok=$?; exec " + "4<>" + tcp + std::to_string(no.port) +
                 "; read -t 5 y <&4; echo no=$?; " +
                 (vm ? std::string()
                     : connect_via_proxy("6", okp) + connect_via_proxy("7", nop))}));
        BOOST_TEST(r.code() == 0, r.describe());
        BOOST_TEST(r.out == (vm ? "proxy=none\nok=142\nno=1\n"
                                : "proxy=http://127.0.0.1:3128\nok=142\nno=1\n"
                                  "proxy HTTP/1.1 200 Connection established\n"
                                  "proxy HTTP/1.1 403 Forbidden\n"),
                   r.describe());
        BOOST_TEST(r.err.find("burrow: net: refused connect " + nop + " (address not allowed)") !=
                       std::string::npos,
                   r.describe());
        // Nor is a vm's passt left (its log is in the launch's run dir).
        if (vm) BOOST_TEST(btest::processes_with(h.run_dir + "/").empty());
        // A layer cannot widen the network: the default private one does
        // not reach the host's loopback, so neither may a layer's rule.
        write_file(h.dir / "wide.toml", "[network]\nallow = [\"127.0.0.1:5432\"]\n");
        r = h.run(h.launch_args({"--policy", h.dir / "wide.toml"}, {"true"}));
        BOOST_TEST(r.code() == 125, r.describe());
        BOOST_TEST(r.err.find("127.0.0.1:5432\" reaches the caller's loopback") !=
                       std::string::npos,
                   r.describe());
        return;
    }
    Listener l;
    Result r = h.run(
        h.launch_args({"--allow-net", "a.test:443"},
                      {"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(l.port)}));
    BOOST_TEST(r.code() == 1, r.describe());
}

BOOST_AUTO_TEST_CASE(exit_status_and_signals) {
    Host h;
    for (int code : {0, 1, 42}) {
        Result r = h.launch({}, "exit " + std::to_string(code));
        BOOST_TEST(r.code() == code, r.describe());
    }
    Result r = h.launch({}, "kill -TERM $$");
    BOOST_TEST(r.code() == 128 + SIGTERM, r.describe());
    r = h.launch({}, "kill -KILL $$");
    BOOST_TEST(r.code() == 128 + SIGKILL, r.describe());
    r = h.run(h.launch_args({}, {"/nonexistent-command"}));
    BOOST_TEST(r.code() == 127, r.describe());
}

BOOST_AUTO_TEST_CASE(stdin_and_stdout_are_streamed) {
    Host h;
    std::string big;
    for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + "\n";
    Result r = h.run(h.launch_args({}, {"cat"}), big);
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(r.out == big);
    r = h.launch({}, "echo to-stderr >&2");
    BOOST_TEST(r.err == "to-stderr\n", r.describe());
}

BOOST_AUTO_TEST_CASE(awkward_project_path_injects_nothing) {
    const std::string name = "p q 'single' \"double\" $(touch pwned) `touch pwned2` ;x\nline";
    Host h(name);
    Result r = h.launch({}, "pwd; touch inside-marker");
    BOOST_TEST_REQUIRE(r.code() == 0, r.describe());
    BOOST_TEST(r.out == h.project + "\n", r.describe());
    BOOST_TEST(fs::exists(h.project + "/inside-marker"));
    for (const char* p : {"pwned", "pwned2"}) {
        BOOST_TEST(!fs::exists(h.dir / p));
        BOOST_TEST(!fs::exists(h.project + "/" + p));
        BOOST_TEST(!fs::exists(std::string("/") + p));
    }
}

BOOST_AUTO_TEST_CASE(policy_layers_apply) {
    if (ltest::backend() != "namespace") return; // --policy layers: namespace backend
    Host h;
    Listener l;
    write_file(h.dir / "layer.toml", "network = \"none\"\n[env]\nset = { LAYER = \"on\" }\n");
    const std::string connect =
        "echo \"$LAYER\"; exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(l.port);
    Result r = h.run(h.launch_args({"--policy", h.dir / "layer.toml"}, {"bash", "-c", connect}));
    BOOST_TEST(r.code() == 1, r.describe());
    BOOST_TEST(r.out == "on\n", r.describe());
    // A layer that says nothing about the network leaves it as it is (the
    // host's, asked for, reaches the host's loopback).
    write_file(h.dir / "env-only.toml", "[env]\nset = { LAYER = \"2\" }\n");
    r = h.run(h.launch_args({"--network", "host", "--policy", h.dir / "env-only.toml"},
                            {"bash", "-c", connect}));
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "2\n", r.describe());
}

// Keys the hand-written layering of launch once forgot (hostname, chdir):
// every policy key a layer writes takes effect, and a layer may make the
// network stricter, never looser.
BOOST_AUTO_TEST_CASE(policy_layer_keys_all_take_effect) {
    if (ltest::backend() != "namespace") return; // --policy layers: namespace backend
    Host h;
    write_file(h.dir / "layer.toml", "hostname = \"layered\"\n[process]\nchdir = \"/tmp\"\n");
    Result r = h.launch({"--no-network", "--policy", h.dir / "layer.toml"},
                        "cat /proc/sys/kernel/hostname; pwd");
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out == "layered\n/tmp\n", r.describe());
    // network = "host" in a layer never loosens: on top of the default
    // private network or of --no-network the host's listener cannot be
    // reached (with --network host it can).
    Listener l;
    write_file(h.dir / "host.toml", "network = \"host\"\n");
    const std::string connect = "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(l.port);
    r = h.run(h.launch_args({"--policy", h.dir / "host.toml"}, {"bash", "-c", connect}));
    BOOST_TEST(r.code() == 1, r.describe());
    r = h.run(h.launch_args({"--network", "host", "--policy", h.dir / "host.toml"},
                            {"bash", "-c", connect}));
    BOOST_TEST(r.code() == 0, r.describe());
    r = h.run(
        h.launch_args({"--no-network", "--policy", h.dir / "host.toml"}, {"bash", "-c", connect}));
    BOOST_TEST(r.code() == 1, r.describe());
}

// Keys launch cannot honour are refused with one line, before anything
// runs (process.as_pid_1 would leave the session unregistered; status
// files are burrow run's).
BOOST_AUTO_TEST_CASE(policy_layer_keys_launch_cannot_honour_are_refused) {
    if (ltest::backend() != "namespace") return; // --policy layers: namespace backend
    Host h;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"process.as_pid_1", "[process]\nas_pid_1 = true\n"},
        {"status.file", "[status]\nfile = \"/tmp/s\"\n"}};
    for (const auto& [key, text] : cases) {
        write_file(h.dir / "bad.toml", text);
        Result r = h.launch({"--policy", h.dir / "bad.toml"}, "echo ran");
        BOOST_TEST(r.code() == 125, r.describe());
        BOOST_TEST(r.out.empty(), r.describe());
        BOOST_TEST(r.err == "burrow: launch: --policy " + std::string(h.dir / "bad.toml") + ": " +
                                key + " is not supported by burrow launch (burrow run takes it)\n",
                   r.describe());
    }
}

namespace {

// Runs argv with a fresh pseudo-terminal as its controlling terminal and
// stdio (as in an interactive login); returns what it wrote and its status.
std::pair<std::string, int> run_on_pty(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env) {
    std::vector<char*> a, e;
    for (const auto& x : argv) a.push_back(const_cast<char*>(x.c_str()));
    a.push_back(nullptr);
    for (const auto& x : env) e.push_back(const_cast<char*>(x.c_str()));
    e.push_back(nullptr);
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execve(a[0], a.data(), e.data());
        ::_exit(127);
    }
    std::string out;
    char buf[4096];
    for (;;) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 60000) <= 0) break;
        const ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break; // EIO once the last holder of the slave is gone
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(master);
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    return {out, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws)};
}

} // namespace

// An interactive shell keeps its terminal: job control on (no new session),
// and TIOCSTI, the reason a new session used to be needed, is refused.
BOOST_AUTO_TEST_CASE(interactive_shell_keeps_job_control) {
    Host h;
    std::string script = "echo flags=$-; "
                         "if [ -x /usr/bin/python3 ]; then /usr/bin/python3 -c '"
                         "import fcntl, termios\n"
                         "try:\n"
                         "    fcntl.ioctl(0, termios.TIOCSTI, b\"x\")\n"
                         "    print(\"tiocsti=allowed\")\n"
                         "except OSError as e:\n"
                         "    print(\"tiocsti=refused\")\n"
                         "'; else echo tiocsti=refused; fi; exit 3";
    std::vector<std::string> argv = {burrow_bin()};
    for (const auto& a : h.launch_args({}, {"/bin/bash", "-i", "-c", script})) argv.push_back(a);
    auto [out, code] = run_on_pty(argv, h.env);
    BOOST_TEST(code == 3, out);
    const auto flags = out.find("flags=");
    BOOST_REQUIRE_MESSAGE(flags != std::string::npos, out);
    const std::string f = out.substr(flags, out.find_first_of("\r\n", flags) - flags);
    BOOST_TEST(f.find('m') != std::string::npos, "no job control: " << out);
    BOOST_TEST(f.find('i') != std::string::npos, out);
    // In a VM the shell's terminal is the guest's console, relayed by burrow:
    // TIOCSTI there injects into the guest only, never into the host's
    // terminal, and no seccomp filter is installed in the guest.
    if (ltest::backend() != "vm") BOOST_TEST(contains(out, "tiocsti=refused"), out);
}

BOOST_AUTO_TEST_CASE(missing_project_dir_fails_and_leaves_nothing) {
    Host h;
    Result r = h.launch({}, "true", "", h.dir / "does-not-exist");
    BOOST_TEST(r.code() == 125, r.describe());
    BOOST_TEST(r.err.rfind("burrow: launch: ", 0) == 0u, r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST(contains(r.err, "does-not-exist"), r.err);
    BOOST_TEST(!fs::exists(h.state_root()));
    BOOST_TEST(!fs::exists(h.registry()));
}
