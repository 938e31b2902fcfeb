// The project-sandbox builder (policy/project/sandbox.cpp) with injected host
// facts: which shares appear for which host, their order, the environment
// allowlist, ids, the state dir layout, and awkward project paths.
#define BOOST_TEST_MODULE project_sandbox
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "launcher/namespace/launch.hpp"
#include "policy/file/resolve.hpp"
#include "policy/project/sandbox.hpp"

using namespace burrow::project;
namespace fs = std::filesystem;

BOOST_TEST_DONT_PRINT_LOG_VALUE(burrow::project::Share::Kind)

namespace {

struct Fixture {
    fs::path root;
    HostInfo host;
    std::set<std::string> present; // paths host.exists says are there
    Fixture() {
        char tmpl[] = "/tmp/burrow-ps-test.XXXXXX";
        root = ::mkdtemp(tmpl);
        fs::create_directories(root / "home");
        fs::create_directories(root / "proj");
        host.home = (root / "home").string();
        host.user = "alice";
        host.uid = 1234;
        host.gid = 1234;
        host.passwd_shell = "/bin/bash";
        host.env = {{"HOME", host.home},
                    {"XDG_STATE_HOME", (root / "state").string()},
                    {"XDG_RUNTIME_DIR", (root / "run").string()},
                    {"TERM", "xterm-256color"},
                    {"LANG", "C.UTF-8"},
                    {"LC_TIME", "de_DE.UTF-8"},
                    {"SECRET_API_KEY", "hunter2"},
                    {"PATH", "/evil/bin:/usr/bin"},
                    {"LD_PRELOAD", "/evil.so"}};
        fs::create_directories(root / "run");
        present = {"/usr", "/bin", "/lib", "/etc"};
        host.exists = [this](const std::string& p) { return present.count(p) > 0; };
    }
    ~Fixture() { fs::remove_all(root); }
    LaunchOptions opts() const {
        LaunchOptions o;
        o.project = (root / "proj").string();
        return o;
    }
    std::string home() const { return host.home; }
};

const Share* find(const ProjectSandbox& ps, const std::string& dest) {
    for (const auto& s : ps.shares)
        if (s.dest == dest) return &s;
    return nullptr;
}

std::size_t index_of(const ProjectSandbox& ps, const std::string& why) {
    for (std::size_t i = 0; i < ps.shares.size(); ++i)
        if (ps.shares[i].why == why) return i;
    return ps.shares.size();
}

const std::string* env(const ProjectSandbox& ps, const std::string& name) {
    for (const auto& [k, v] : ps.env)
        if (k == name) return &v;
    return nullptr;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(minimal_host, Fixture) {
    ProjectSandbox ps = build_project_sandbox(opts(), host);
    BOOST_TEST(ps.project_dir == fs::canonical(root / "proj").string());
    BOOST_TEST(ps.project_id.rfind("proj-", 0) == 0u);
    BOOST_TEST(ps.project_id.size() == 5u + 16u);
    BOOST_TEST(ps.state_dir == (root / "state/burrow/projects" / ps.project_id).string());
    BOOST_TEST(ps.run_dir == (root / "run/burrow" / ps.project_id).string());
    for (const char* d : {"", "/tmp", "/local/bin", "/local/lib", "/local/share"})
        BOOST_TEST(fs::is_directory(ps.state_dir + d), d);
    struct stat st {};
    BOOST_REQUIRE(::stat(ps.state_dir.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0700u);
    BOOST_REQUIRE(::stat(ps.run_dir.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0700u);
    // The run dir (registry, metadata) is never shared.
    for (const auto& s : ps.shares) BOOST_TEST(s.source.rfind(ps.run_dir, 0) != 0u, s.source);

    // System read-only, only what exists.
    BOOST_TEST(find(ps, "/usr")->kind == Share::Kind::ro_bind);
    BOOST_TEST(find(ps, "/etc")->kind == Share::Kind::ro_bind);
    BOOST_TEST(find(ps, "/sbin") == nullptr);
    BOOST_TEST(find(ps, "/lib64") == nullptr);
    // Fresh home, then nothing of the host's home that does not exist.
    const Share* h = find(ps, home());
    BOOST_REQUIRE(h);
    BOOST_TEST(h->kind == Share::Kind::tmpfs);
    BOOST_TEST(find(ps, home() + "/.ssh") == nullptr);
    BOOST_TEST(find(ps, home() + "/.claude.json") == nullptr);
    // No ~/.claude on the host: a per-project one from the state dir.
    const Share* agent = find(ps, home() + "/.claude");
    BOOST_REQUIRE(agent);
    BOOST_TEST(agent->kind == Share::Kind::bind);
    BOOST_TEST(agent->source == ps.state_dir + "/agent/.claude");
    BOOST_TEST(fs::is_directory(agent->source));
    // Persistent /tmp and ~/.local from the state dir.
    BOOST_TEST(find(ps, "/tmp")->source == ps.state_dir + "/tmp");
    BOOST_TEST(find(ps, home() + "/.local/bin")->source == ps.state_dir + "/local/bin");
    // The project last, read-write, at its own path.
    BOOST_TEST(ps.shares.back().why == "project");
    BOOST_TEST(ps.shares.back().kind == Share::Kind::bind);
    BOOST_TEST(ps.shares.back().dest == ps.project_dir);
    BOOST_TEST(ps.cwd == ps.project_dir);
    // Nothing forwarded on a bare host.
    for (const char* why : {"x11", "wayland", "dbus-system", "dbus-session", "pipewire", "pulse",
                            "dri", "opengl", "keyring", "ssh-agent", "nix-daemon"})
        BOOST_TEST(index_of(ps, why) == ps.shares.size(), why);
    BOOST_TEST(ps.command == std::vector<std::string>{"/bin/bash"});
    BOOST_TEST(ps.hostname == "burrow-proj");
    // Issue 15: a network of its own by default, not the host's.
    BOOST_TEST((ps.network == Network::private_stack));
}

// --network per backend: the defaults, the modes each backend has, one line
// for the rest (before anything is created on the host).
BOOST_FIXTURE_TEST_CASE(network_modes_per_backend, Fixture) {
    auto net = [&](Backend b, std::string mode, bool no_network = false) {
        LaunchOptions o = opts();
        o.backend = b;
        o.network = std::move(mode);
        o.no_network = no_network;
        return build_project_sandbox(o, host).network;
    };
    BOOST_TEST((net(Backend::ns, "") == Network::private_stack));
    BOOST_TEST((net(Backend::vm, "") == Network::private_stack));
    // The container's: nspawn's lo-only network steered by burrow's proxy.
    BOOST_TEST((net(Backend::container, "") == Network::private_stack));
    BOOST_TEST((net(Backend::container, "private") == Network::private_stack));
    BOOST_TEST((net(Backend::container, "host") == Network::host));
    BOOST_TEST((net(Backend::ns, "host") == Network::host));
    BOOST_TEST((net(Backend::ns, "none") == Network::none));
    BOOST_TEST((net(Backend::ns, "", true) == Network::none));
    BOOST_TEST((net(Backend::ns, "none", true) == Network::none));
    BOOST_TEST((net(Backend::container, "none") == Network::none));
    BOOST_TEST((net(Backend::vm, "private") == Network::private_stack));
    auto error = [&](Backend b, std::string mode, bool no_network = false) -> std::string {
        try {
            net(b, std::move(mode), no_network);
        } catch (const LaunchError& e) {
            return e.what();
        }
        return "";
    };
    BOOST_TEST(error(Backend::vm, "host") == "--network host: a vm's network is passt's, never "
                                             "the host's namespace (use private or none)");
    BOOST_TEST(error(Backend::ns, "wifi") == "--network wifi: expected private, host or none");
    BOOST_TEST(error(Backend::ns, "host", true) ==
               "--no-network and --network host contradict each other");
}

// --allow-net RULE: the allowlist mode with those rules, namespace backend
// only; a bad rule or another backend is one message, before anything is
// created on the host.
BOOST_FIXTURE_TEST_CASE(allow_net_rules, Fixture) {
    LaunchOptions o = opts();
    o.allow_net = {"api.anthropic.com:443", "*.github.com", "10.1.2.0/24:5432", "[::1]:8080"};
    ProjectSandbox ps = build_project_sandbox(o, host);
    BOOST_TEST((ps.network == Network::allowlist));
    BOOST_TEST(ps.allow_net == o.allow_net);
    // Every backend has it: the vm's passt runs in a steered namespace.
    for (Backend b : {Backend::container, Backend::vm}) {
        o.backend = b;
        const ProjectSandbox other = build_project_sandbox(o, host);
        BOOST_TEST((other.network == Network::allowlist));
        BOOST_TEST(other.allow_net == o.allow_net);
    }
    BOOST_TEST(std::string(network_name(ps.network)) == "allowlist");
    fs::remove_all(root / "state");
    auto error = [&](LaunchOptions lo) -> std::string {
        try {
            build_project_sandbox(lo, host);
        } catch (const LaunchError& e) {
            return e.what();
        }
        return "";
    };
    LaunchOptions bad = opts();
    bad.allow_net = {"a.test", "10.0.0.0/33"};
    BOOST_TEST(error(bad) == "--allow-net 10.0.0.0/33: bad CIDR prefix 33 (0-32 for IPv4)");
    bad.allow_net = {"a.test:70000"};
    BOOST_TEST(error(bad) == "--allow-net a.test:70000: port 70000 out of range 1-65535");
    bad.allow_net = {"a.*.test"};
    BOOST_TEST(error(bad) ==
               "--allow-net a.*.test: wildcard only as the first label: *.example.com");
    bad.allow_net = {"a.test"};
    bad.no_network = true;
    BOOST_TEST(error(bad) == "--allow-net and --no-network contradict each other");
    bad.no_network = false;
    bad.network = "host";
    BOOST_TEST(error(bad) ==
               "--allow-net and --network host contradict each other (--allow-net is its own "
               "network)");
    // Nothing was created for the refused launches.
    BOOST_TEST(!fs::exists(root / "state"));
}

// The container takes its --policy layers' network by the policy files'
// layering rule: a layer only narrows it (host > private > allowlist >
// loopback > none), its rules must be allowed by what it narrows, and it
// cannot forward what launch does not. The namespace backend layers the
// whole policy later (launcher/namespace), so its ps.network stays.
BOOST_FIXTURE_TEST_CASE(container_and_vm_layers_narrow_the_network, Fixture) {
    auto layer = [](std::string mode, std::vector<std::string> allow,
                    std::vector<std::string> forward = {}) {
        burrow::policy::Policy l;
        l.network = std::move(mode);
        l.network_allow = std::move(allow);
        l.network_forward = std::move(forward);
        l.written = {"network"};
        return l;
    };
    auto build = [&](Backend b, std::vector<burrow::policy::Policy> layers,
                     std::vector<std::string> allow_net = {}, std::string network = "") {
        LaunchOptions o = opts();
        o.backend = b;
        o.layers = std::move(layers);
        o.allow_net = std::move(allow_net);
        o.network = std::move(network);
        return build_project_sandbox(o, host);
    };
    auto error = [&](auto&&... a) -> std::string {
        try {
            build(a...);
        } catch (const LaunchError& e) {
            return e.what();
        }
        return "";
    };
    ProjectSandbox ps = build(Backend::container, {layer("allowlist", {"a.test:443"})});
    BOOST_TEST((ps.network == Network::allowlist));
    BOOST_TEST(ps.allow_net == std::vector<std::string>{"a.test:443"});
    ps = build(Backend::container, {layer("allowlist", {"a.test:443", "b.test"})},
               {"*.test", "c.test"});
    BOOST_TEST((ps.network == Network::allowlist));
    BOOST_TEST(ps.allow_net == (std::vector<std::string>{"a.test:443", "b.test"}));
    ps = build(Backend::container, {layer("host", {})});
    BOOST_TEST((ps.network == Network::private_stack)); // looser: the base stays
    ps = build(Backend::container, {layer("private", {})}, {}, "host");
    BOOST_TEST((ps.network == Network::private_stack));
    ps = build(Backend::container, {layer("loopback", {})});
    BOOST_TEST((ps.network == Network::none));
    BOOST_TEST(ps.allow_net.empty());
    // The vm the same way (a layer's none: no NIC at all).
    ps = build(Backend::vm, {layer("allowlist", {"a.test:443"})}, {"*.test", "a.test"});
    BOOST_TEST((ps.network == Network::allowlist));
    BOOST_TEST(ps.allow_net == std::vector<std::string>{"a.test:443"});
    ps = build(Backend::vm, {layer("none", {})});
    BOOST_TEST((ps.network == Network::none));
    ps = build(Backend::ns, {layer("allowlist", {"a.test:443"})});
    BOOST_TEST((ps.network == Network::private_stack));
    BOOST_TEST(error(Backend::container, std::vector{layer("allowlist", {"b.test:443"})},
                     std::vector<std::string>{"a.test"}, "") ==
               "--policy network.allow: \"b.test:443\" is not in the base policy's allowlist (a "
               "layer may only narrow it)");
    BOOST_TEST(error(Backend::container, std::vector{layer("allowlist", {"127.0.0.1:5432"})},
                     std::vector<std::string>{}, "") ==
               "--policy network.allow: \"127.0.0.1:5432\" reaches the caller's loopback, which "
               "the base policy's network (\"private\") does not");
    BOOST_TEST(error(Backend::container, std::vector{layer("allowlist", {"a.test"}, {"tcp:5432"})},
                     std::vector<std::string>{}, "") ==
               "--policy network.forward: \"tcp:5432\" is not forwarded by the base policy (a "
               "layer may only narrow the network)");
}

// The namespace backend turns --allow-net into the runtime's egress
// description: its own network and user namespaces, lo up, no user-mode
// stack, the rules parsed (names lower case, addresses masked).
BOOST_FIXTURE_TEST_CASE(allow_net_reaches_the_sandbox_description, Fixture) {
    LaunchOptions o = opts();
    o.allow_net = {"API.example.com:443", "*.github.com", "10.1.2.3/24:5432"};
    o.command = {"true"};
    o.no_seed = true;
    const ProjectSandbox ps = build_project_sandbox(o, host);
    const burrow::policy::Policy p = burrow::launch::project_policy(ps);
    BOOST_TEST(p.network == "allowlist");
    burrow::HostFacts hf;
    hf.uid = 1234;
    hf.gid = 1234;
    const burrow::Sandbox sb = burrow::policy::resolve_policy(p, ps.command, hf).sandbox;
    BOOST_TEST(sb.ns.net);
    BOOST_TEST(sb.ns.user);
    BOOST_TEST(sb.ns.net_loopback);
    BOOST_TEST(sb.user_net.helper.empty());
    BOOST_TEST(sb.egress.enabled);
    BOOST_TEST(sb.egress.forward.empty());
    BOOST_REQUIRE(sb.egress.allow.size() == 3u);
    BOOST_TEST(sb.egress.allow[0].name == "api.example.com");
    BOOST_TEST(sb.egress.allow[0].port == 443);
    BOOST_TEST(sb.egress.allow[0].text == "API.example.com:443");
    BOOST_TEST(sb.egress.allow[1].wildcard);
    BOOST_TEST(sb.egress.allow[1].port == 0);
    BOOST_TEST(sb.egress.allow[2].family == AF_INET);
    BOOST_TEST(sb.egress.allow[2].prefix == 24);
    BOOST_TEST(int(sb.egress.allow[2].addr[3]) == 0);
    // The proxy endpoint for programs that prefer a proxy (CONNECT for
    // https, absolute-form requests for plain http), and the variables that
    // point at it.
    BOOST_TEST(sb.egress.connect_proxy_port == 3128);
    auto env_has = [](const burrow::Sandbox& s, const std::string& e) {
        return std::find(s.proc.env.begin(), s.proc.env.end(), e) != s.proc.env.end();
    };
    BOOST_TEST(env_has(sb, "HTTPS_PROXY=http://127.0.0.1:3128"));
    BOOST_TEST(env_has(sb, "https_proxy=http://127.0.0.1:3128"));
    BOOST_TEST(env_has(sb, "NO_PROXY=localhost,127.0.0.1,::1"));
    BOOST_TEST(env_has(sb, "HTTP_PROXY=http://127.0.0.1:3128"));
    BOOST_TEST(env_has(sb, "http_proxy=http://127.0.0.1:3128"));
    // A forward on 3128 moves the endpoint; a variable set by a layer stays.
    burrow::policy::Policy q = p;
    q.network_forward = {"tcp:3128"};
    q.env_set.emplace_back("HTTPS_PROXY", "http://corp-proxy:8080");
    const burrow::Sandbox sb2 = burrow::policy::resolve_policy(q, ps.command, hf).sandbox;
    BOOST_TEST(sb2.egress.connect_proxy_port == 3129);
    BOOST_TEST(env_has(sb2, "HTTPS_PROXY=http://corp-proxy:8080"));
    BOOST_TEST(env_has(sb2, "https_proxy=http://127.0.0.1:3129"));
    // Without --allow-net: the private network, no rules (resolving it
    // needs pasta or slirp4netns on this host, so the policy is checked).
    o.allow_net.clear();
    const burrow::policy::Policy plain =
        burrow::launch::project_policy(build_project_sandbox(o, host));
    BOOST_TEST(plain.network == "private");
    BOOST_TEST(plain.network_allow.empty());
}

BOOST_FIXTURE_TEST_CASE(environment_is_an_allowlist, Fixture) {
    LaunchOptions o = opts();
    o.backend = Backend::container;
    host.env["MY_VAR"] = "x y";
    host.env["GH_TOKEN"] = "ghp_abc";
    o.env_names = {"MY_VAR", "NOT_SET_ANYWHERE"};
    o.gh_token = true;
    ProjectSandbox ps = build_project_sandbox(o, host);
    std::set<std::string> names;
    for (const auto& [k, v] : ps.env) names.insert(k);
    BOOST_TEST(names.count("SECRET_API_KEY") == 0u);
    BOOST_TEST(names.count("LD_PRELOAD") == 0u);
    BOOST_TEST(names.count("NOT_SET_ANYWHERE") == 0u);
    BOOST_TEST(*env(ps, "TERM") == "xterm-256color");
    BOOST_TEST(*env(ps, "LANG") == "C.UTF-8");
    BOOST_TEST(*env(ps, "LC_TIME") == "de_DE.UTF-8");
    BOOST_TEST(*env(ps, "MY_VAR") == "x y");
    BOOST_TEST(*env(ps, "GH_TOKEN") == "ghp_abc");
    BOOST_TEST(*env(ps, "GITHUB_TOKEN") == "ghp_abc");
    BOOST_TEST(*env(ps, "HOME") == home());
    BOOST_TEST(*env(ps, "USER") == "alice");
    BOOST_TEST(env(ps, "PATH")->find("/evil") == std::string::npos);
    BOOST_TEST(*env(ps, "BURROW_SANDBOX") == "1");
    BOOST_TEST(*env(ps, "BURROW_BACKEND") == "container");
    BOOST_TEST(*env(ps, "SHELL") == "/bin/bash");
    // Names appear once.
    BOOST_TEST(names.size() == ps.env.size());
}

BOOST_FIXTURE_TEST_CASE(gh_token_without_a_token_fails, Fixture) {
    LaunchOptions o = opts();
    o.gh_token = true;
    BOOST_CHECK_EXCEPTION(build_project_sandbox(o, host), LaunchError, [](const LaunchError& e) {
        return std::string(e.what()).find("--gh-token") == 0;
    });
    o.gh_token = false;
    o.env_names = {"BAD NAME"};
    BOOST_CHECK_THROW(build_project_sandbox(o, host), LaunchError);
}

BOOST_FIXTURE_TEST_CASE(home_files_and_forwarding_when_present, Fixture) {
    const std::string rt = (root / "run").string();
    for (const std::string& p :
         {home() + "/.gitconfig", home() + "/.config/git", home() + "/.ssh", home() + "/.config/gh",
          home() + "/.claude.json", std::string("/tmp/.X11-unix"), home() + "/.Xauthority",
          rt + "/wayland-0", std::string("/run/dbus/system_bus_socket"), rt + "/bus",
          rt + "/pipewire-0", rt + "/pulse/native", std::string("/dev/dri"),
          std::string("/run/opengl-driver"), rt + "/keyring", std::string("/tmp/ssh-x/agent.1"),
          std::string("/nix/var/nix/daemon-socket/socket"), std::string("/nix/store")})
        present.insert(p);
    fs::create_directories(root / "home/.claude");
    fs::create_directories(root / "home/.ssh");
    for (const char* f : {"known_hosts", "id.pub", "id"})
        std::ofstream(root / "home/.ssh" / f) << f << "\n";
    fs::create_symlink(root / "home/.ssh/id", root / "home/.ssh/evil.pub");
    host.env["DISPLAY"] = ":0";
    host.env["XAUTHORITY"] = home() + "/.Xauthority";
    host.env["WAYLAND_DISPLAY"] = "wayland-0";
    host.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + rt + "/bus,guid=123";
    host.env["SSH_AUTH_SOCK"] = "/tmp/ssh-x/agent.1";
    ProjectSandbox ps = build_project_sandbox(opts(), host);

    for (const char* f : {"/.gitconfig", "/.config/git", "/.ssh/known_hosts", "/.ssh/id.pub"}) {
        const Share* s = find(ps, home() + f);
        BOOST_REQUIRE_MESSAGE(s, f);
        BOOST_TEST((s->kind == Share::Kind::ro_bind), f);
        BOOST_TEST(index_of(ps, "home") < static_cast<std::size_t>(s - ps.shares.data()));
    }
    // ~/.ssh: a fresh directory with what ssh needs, never the private key
    // (the agent socket carries it); ~/.config/gh (its token) only with
    // --gh-token.
    BOOST_TEST((find(ps, home() + "/.ssh")->kind == Share::Kind::dir));
    BOOST_TEST(find(ps, home() + "/.ssh/id") == nullptr);
    BOOST_TEST(find(ps, home() + "/.ssh/evil.pub") == nullptr); // a symlink to the key
    BOOST_TEST(find(ps, home() + "/.config/gh") == nullptr);
    LaunchOptions keys = opts();
    keys.ssh_keys = true;
    keys.gh_token = true;
    host.env["GH_TOKEN"] = "t";
    ProjectSandbox ps2 = build_project_sandbox(keys, host);
    BOOST_TEST((find(ps2, home() + "/.ssh")->kind == Share::Kind::ro_bind));
    BOOST_TEST(find(ps2, home() + "/.ssh/id") == nullptr); // inside the whole-dir share
    BOOST_TEST((find(ps2, home() + "/.config/gh")->kind == Share::Kind::ro_bind));
    const Share* seed = find(ps, home() + "/.claude.json");
    BOOST_REQUIRE(seed);
    BOOST_TEST((seed->kind == Share::Kind::copy));
    const Share* agent = find(ps, home() + "/.claude");
    BOOST_TEST(agent->source == fs::canonical(root / "home/.claude").string());

    BOOST_TEST(find(ps, "/tmp/.X11-unix")->socket);
    BOOST_TEST(index_of(ps, "state-tmp") < index_of(ps, "x11")); // not covered by /tmp
    BOOST_TEST(find(ps, home() + "/.Xauthority")->kind == Share::Kind::ro_bind);
    BOOST_TEST(find(ps, rt + "/wayland-0") != nullptr);
    BOOST_TEST(find(ps, "/run/dbus/system_bus_socket") != nullptr);
    BOOST_TEST(find(ps, rt + "/bus")->why == "dbus-session");
    BOOST_TEST(find(ps, rt + "/pipewire-0") != nullptr);
    BOOST_TEST(find(ps, rt + "/pulse/native") != nullptr);
    BOOST_TEST((find(ps, "/dev/dri")->kind == Share::Kind::dev_bind));
    BOOST_TEST(find(ps, "/run/opengl-driver") != nullptr);
    BOOST_TEST(find(ps, rt + "/keyring") != nullptr);
    BOOST_TEST(find(ps, "/tmp/ssh-x/agent.1")->why == "ssh-agent");
    BOOST_TEST(find(ps, "/nix/store")->kind == Share::Kind::ro_bind);
    BOOST_TEST(find(ps, "/nix/var/nix/daemon-socket") != nullptr);
    BOOST_TEST(*env(ps, "DISPLAY") == ":0");
    BOOST_TEST(*env(ps, "WAYLAND_DISPLAY") == "wayland-0");
    BOOST_TEST(*env(ps, "XDG_RUNTIME_DIR") == rt);
    BOOST_TEST(*env(ps, "DBUS_SESSION_BUS_ADDRESS") == "unix:path=" + rt + "/bus,guid=123");
    BOOST_TEST(*env(ps, "SSH_AUTH_SOCK") == "/tmp/ssh-x/agent.1");
    BOOST_TEST(*env(ps, "NIX_REMOTE") == "daemon");
    BOOST_TEST(ps.shares.back().why == "project");
}

BOOST_FIXTURE_TEST_CASE(user_binds_and_options, Fixture) {
    fs::create_directories(root / "data");
    fs::create_directories(root / "with:colon");
    LaunchOptions o = opts();
    o.binds = {(root / "data").string() + ":/data"};
    o.ro_binds = {(root / "with:colon").string(), (root / "data").string()};
    o.no_network = true;
    o.tmux = true;
    o.new_session = true;
    o.command = {"make", "test"};
    o.no_agent_dir = true;
    o.no_seed = true;
    ProjectSandbox ps = build_project_sandbox(o, host);
    BOOST_TEST((ps.network == Network::none));
    BOOST_TEST(ps.new_session);
    BOOST_TEST(ps.command == (std::vector<std::string>{"make", "test"}));
    BOOST_TEST(find(ps, home() + "/.claude") == nullptr);
    const Share* d = find(ps, "/data");
    BOOST_REQUIRE(d);
    BOOST_TEST(d->kind == Share::Kind::bind);
    BOOST_TEST(find(ps, (root / "with:colon").string())->kind == Share::Kind::ro_bind);
    BOOST_TEST(ps.shares.back().dest == fs::canonical(root / "data").string());
    BOOST_TEST(ps.run_dir == (root / "run/burrow" / ps.project_id).string() + "-" +
                                 std::to_string(::getpid())); // --new
    // --tmux: the socket dir exists on the host side and is never shared
    // (the tmux server runs outside the sandbox).
    BOOST_TEST(find(ps, ps.run_dir + "/tmux") == nullptr);
    BOOST_TEST(fs::is_directory(ps.run_dir + "/tmux"));

    o.binds = {(root / "missing").string()};
    BOOST_CHECK_EXCEPTION(build_project_sandbox(o, host), LaunchError, [](const LaunchError& e) {
        return std::string(e.what()).find("--bind") == 0;
    });
    o.binds = {(root / "data").string() + ":relative"};
    BOOST_CHECK_THROW(build_project_sandbox(o, host), LaunchError);
    o.binds.clear();
    o.shell = true;
    BOOST_CHECK_THROW(build_project_sandbox(o, host), LaunchError); // --shell and a command
}

BOOST_FIXTURE_TEST_CASE(missing_project_is_an_error_and_creates_nothing, Fixture) {
    LaunchOptions o = opts();
    o.project = (root / "nope").string();
    BOOST_CHECK_EXCEPTION(build_project_sandbox(o, host), LaunchError, [&](const LaunchError& e) {
        const std::string m = e.what();
        return m.find("project directory") == 0 && m.find("No such file") != std::string::npos;
    });
    BOOST_TEST(!fs::exists(root / "state"));
    std::ofstream(root / "file") << "x";
    o.project = (root / "file").string();
    BOOST_CHECK_THROW(build_project_sandbox(o, host), LaunchError);
}

BOOST_FIXTURE_TEST_CASE(project_holding_the_home_is_refused, Fixture) {
    for (const std::string& p : {home(), root.string(), std::string("/")}) {
        LaunchOptions o = opts();
        o.project = p;
        BOOST_CHECK_EXCEPTION(
            build_project_sandbox(o, host), LaunchError, [](const LaunchError& e) {
                return std::string(e.what()).find("holds your home") != std::string::npos;
            });
    }
    BOOST_TEST(!fs::exists(root / "state"));
    // The registry inside the project: refused too.
    host.env["XDG_RUNTIME_DIR"] = (root / "proj").string();
    BOOST_CHECK_EXCEPTION(
        build_project_sandbox(opts(), host), LaunchError, [](const LaunchError& e) {
            return std::string(e.what()).find("must not write") != std::string::npos;
        });
}

BOOST_FIXTURE_TEST_CASE(awkward_project_paths, Fixture) {
    const std::string name = "my proj 'q' \"dq\" $(touch pwned) `x`\nline2;rm -rf";
    fs::create_directories(root / name);
    LaunchOptions o = opts();
    o.project = (root / name).string();
    ProjectSandbox ps = build_project_sandbox(o, host);
    BOOST_TEST(ps.project_dir == (root / name).string());
    BOOST_TEST(ps.shares.back().source == ps.project_dir);
    BOOST_TEST(ps.cwd == ps.project_dir);
    // The id is a plain file name whatever the project is called.
    BOOST_TEST(
        ps.project_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789._-") == std::string::npos);
    BOOST_TEST(ps.hostname.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-") == std::string::npos);
    BOOST_TEST(fs::is_directory(ps.state_dir));
    BOOST_TEST(!fs::exists(root / "pwned"));
    BOOST_TEST(!fs::exists("pwned"));
    // Distinct paths, distinct ids; the same path, the same id.
    BOOST_TEST(project_id_for("/a/proj") != project_id_for("/b/proj"));
    BOOST_TEST(project_id_for("/a/proj") == project_id_for("/a/proj"));
    BOOST_TEST(project_id_for("/").rfind("root-", 0) == 0u);
    BOOST_TEST(project_id_for("/x/..").rfind("_.-", 0) == 0u);
}

BOOST_FIXTURE_TEST_CASE(state_and_run_roots, Fixture) {
    host.env.erase("XDG_STATE_HOME");
    BOOST_TEST(state_root(host) == home() + "/.local/state/burrow");
    host.env["XDG_RUNTIME_DIR"] = (root / "does-not-exist").string();
    host.uid = 4000000; // no /run/user/4000000
    BOOST_TEST(run_root(host) == home() + "/.local/state/burrow/run");
    host.env["XDG_STATE_HOME"] = "relative/ignored";
    BOOST_TEST(state_root(host) == home() + "/.local/state/burrow");
}

// The project dir compared by real path with burrow's own dirs: refused when
// it is, holds or lies in the state, run or registry dir (a symlink to one
// too), or is or holds the home.
BOOST_FIXTURE_TEST_CASE(project_dir_on_burrows_own_dirs_is_refused, Fixture) {
    build_project_sandbox(opts(), host); // creates state and run dirs
    fs::create_directories(root / "outer");
    fs::create_symlink(root / "state/burrow", root / "outer/state-link");
    fs::create_directories(root / "run/burrow/x");
    for (const fs::path& p : {root / "home", root, root / "state", root / "state/burrow",
                              root / "state/burrow/projects", root / "run", root / "run/burrow",
                              root / "run/burrow/x", root / "outer/state-link"}) {
        LaunchOptions o = opts();
        o.project = p.string();
        BOOST_CHECK_THROW(build_project_sandbox(o, host), LaunchError);
    }
}

// A symlink planted where the per-project state keeps a directory the
// sandbox writes is refused, never followed.
BOOST_FIXTURE_TEST_CASE(symlinks_in_state_dirs_are_refused, Fixture) {
    ProjectSandbox ps = build_project_sandbox(opts(), host);
    fs::create_directories(root / "victim");
    for (const char* d : {"/tmp", "/local/bin"}) {
        fs::remove_all(ps.state_dir + d);
        fs::create_directory_symlink(root / "victim", ps.state_dir + d);
        BOOST_CHECK_EXCEPTION(build_project_sandbox(opts(), host), LaunchError,
                              [](const LaunchError& e) {
                                  return std::string(e.what()).find("symlink") != std::string::npos;
                              });
        fs::remove(ps.state_dir + d);
        fs::create_directory(ps.state_dir + d);
    }
    BOOST_TEST(fs::is_empty(root / "victim"));
}
