// The container backend's translation (launcher/container/args,
// launcher/container/spec): the nspawn argv and the helper's spec for a
// project sandbox, without starting anything.
#define BOOST_TEST_MODULE container_plan
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "launcher/container/args.hpp"
#include "launcher/container/spec.hpp"

using namespace burrow;
using project::Share;

namespace {

container::PlanInput input() {
    container::PlanInput in;
    in.nspawn = "/usr/bin/systemd-nspawn";
    in.machine = "burrow-0123456789ab";
    in.uuid = "0123456789abcdef0123456789abcdef";
    in.root = "/run/burrow/container/burrow-0123456789ab/root";
    in.meta = "/run/burrow/container/burrow-0123456789ab/meta";
    in.status = "/run/burrow/container/burrow-0123456789ab/status";
    in.exe = "/usr/bin/burrow";
    return in;
}

project::ProjectSandbox sandbox() {
    project::ProjectSandbox ps;
    ps.backend = project::Backend::container;
    ps.project_dir = ps.cwd = "/home/u/my:proj";
    ps.uid = 1000;
    ps.gid = 1001;
    ps.home = "/home/u";
    ps.hostname = "burrow-proj";
    ps.command = {"make", "test"};
    ps.env = {{"TERM", "xterm"}, {"GH_TOKEN", "secret-token"}, {"BURROW_SANDBOX", "1"}};
    auto add = [&](Share::Kind k, std::string src, std::string dest, const char* why) {
        Share s;
        s.kind = k;
        s.source = std::move(src);
        s.dest = std::move(dest);
        s.why = why;
        ps.shares.push_back(s);
    };
    add(Share::Kind::ro_bind, "/usr", "/usr", "system");
    add(Share::Kind::tmpfs, "", "/home/u", "home");
    ps.shares.back().mode = 0700;
    add(Share::Kind::bind, "/home/u/my:proj", "/home/u/my:proj", "project");
    add(Share::Kind::ro_bind, "/home/u/.config/git", "/home/u/.config/git", "git");
    add(Share::Kind::copy, "/home/u/.claude.json", "/home/u/.claude.json", "agent-config");
    add(Share::Kind::dir, "", "/home/u/.local/bin", "state");
    return ps;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

BOOST_AUTO_TEST_CASE(escape_colons_and_backslashes) {
    BOOST_TEST(container::escape_path("/a:b\\c d") == "/a\\:b\\\\c d");
    BOOST_TEST(container::escape_path("/plain") == "/plain");
}

BOOST_AUTO_TEST_CASE(argv_for_a_project_sandbox) {
    auto plan = container::plan_container(sandbox(), input());
    const auto& a = plan.argv;
    BOOST_TEST(a.front() == "/usr/bin/systemd-nspawn");
    for (const char* f :
         {"--quiet", "--as-pid2", "--register=no", "--keep-unit", "--no-new-privileges=yes",
          "--console=pipe", "--hostname=burrow-proj", "--bind-ro=/usr:/usr", "--bind-ro=/etc:/etc",
          "--uuid=0123456789abcdef0123456789abcdef", "--tmpfs=/home/u:mode=0700,uid=1000,gid=1001",
          "--bind=/home/u/my\\:proj:/home/u/my\\:proj",
          "--bind-ro=/home/u/.config/git:/home/u/.config/git",
          "--bind-ro=/home/u/.claude.json:/run/.burrow-container/copy/0"})
        BOOST_TEST(has(a, f), f);
    // The default network: nspawn's lo-only one, which the egress proxy steers.
    BOOST_TEST(has(a, "--private-network"));
    // The builder's system share of /usr is the root's own bind, once.
    BOOST_TEST(std::count(a.begin(), a.end(), "--bind-ro=/usr:/usr") == 1);
    // The command follows "--" as the helper's, never nspawn's own argv.
    auto dd = std::find(a.begin(), a.end(), "--");
    BOOST_TEST_REQUIRE((dd != a.end()));
    BOOST_TEST(std::vector<std::string>(dd + 1, a.end()) ==
               (std::vector<std::string>{"/run/.burrow-container/burrow", "__container-exec",
                                         "/run/.burrow-container/spec"}));
    // No environment value on nspawn's (world-readable) command line.
    for (const auto& s : a) BOOST_TEST(s.find("secret-token") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(flags_follow_the_sandbox) {
    auto ps = sandbox();
    ps.network = project::Network::none;
    auto in = input();
    in.interactive = true;
    in.register_machine = true;
    auto plan = container::plan_container(ps, in);
    BOOST_TEST(has(plan.argv, "--private-network"));
    BOOST_TEST(has(plan.argv, "--console=interactive"));
    BOOST_TEST(has(plan.argv, "--register=yes"));
    BOOST_TEST(!has(plan.argv, "--keep-unit"));
}

// Every network but none and host is nspawn's lo-only one steered by the
// egress proxy: the command waits for it ("ready"). Only the allowlist has
// the CONNECT endpoint, at the port the proxy is started with.
BOOST_AUTO_TEST_CASE(network_modes_in_the_plan) {
    auto env_has = [](const container::Plan& p, const std::string& e) {
        return std::find(p.spec.env.begin(), p.spec.env.end(), e) != p.spec.env.end();
    };
    auto ps = sandbox();
    auto plan = container::plan_container(ps, input());
    BOOST_TEST(plan.spec.net_ready_path == "/run/.burrow-container-status/net");
    BOOST_TEST(!env_has(plan, "HTTPS_PROXY=http://127.0.0.1:3128"));
    Egress eg = container::container_egress(ps, nullptr);
    BOOST_TEST(eg.enabled);
    BOOST_TEST(eg.open);
    BOOST_TEST(eg.connect_proxy_port == 0);

    ps.network = project::Network::allowlist;
    ps.allow_net = {"API.example.com:443"};
    plan = container::plan_container(ps, input());
    BOOST_TEST(has(plan.argv, "--private-network"));
    BOOST_TEST(plan.spec.net_ready_path == "/run/.burrow-container-status/net");
    BOOST_TEST(env_has(plan, "HTTPS_PROXY=http://127.0.0.1:3128"));
    BOOST_TEST(env_has(plan, "https_proxy=http://127.0.0.1:3128"));
    BOOST_TEST(env_has(plan, "http_proxy=http://127.0.0.1:3128"));
    BOOST_TEST(env_has(plan, "NO_PROXY=localhost,127.0.0.1,::1"));
    eg = container::container_egress(ps, nullptr);
    BOOST_TEST(eg.enabled);
    BOOST_TEST(!eg.open);
    BOOST_TEST(eg.connect_proxy_port == 3128);
    BOOST_REQUIRE(eg.allow.size() == 1u);
    BOOST_TEST(eg.allow[0].name == "api.example.com");

    for (auto n : {project::Network::host, project::Network::none}) {
        ps.network = n;
        plan = container::plan_container(ps, input());
        BOOST_TEST(has(plan.argv, "--private-network") == (n == project::Network::none));
        BOOST_TEST(plan.spec.net_ready_path.empty());
        BOOST_TEST(!container::container_egress(ps, nullptr).enabled);
    }
}

BOOST_AUTO_TEST_CASE(spec_for_the_helper) {
    auto plan = container::plan_container(sandbox(), input());
    const auto& s = plan.spec;
    BOOST_TEST(s.uid == 1000u);
    BOOST_TEST(s.gid == 1001u);
    BOOST_TEST(s.cwd == "/home/u/my:proj");
    BOOST_TEST(s.argv == (std::vector<std::string>{"make", "test"}));
    BOOST_TEST(s.env == (std::vector<std::string>{"TERM=xterm", "GH_TOKEN=secret-token",
                                                  "BURROW_SANDBOX=1"}));
    BOOST_TEST_REQUIRE(s.copies.size() == 1u);
    BOOST_TEST(s.copies[0].from == "/run/.burrow-container/copy/0");
    BOOST_TEST(s.copies[0].to == "/home/u/.claude.json");
    BOOST_TEST_REQUIRE(s.dirs.size() == 1u);
    BOOST_TEST(s.dirs[0].path == "/home/u/.local/bin");
    // ~/.config, made by nspawn as root for the git bind, goes to the user.
    bool config = false;
    for (const auto& c : s.chowns) config |= c.top == "/home/u" && c.path == "/home/u/.config";
    BOOST_TEST(config);
    auto round = container::decode_spec(container::encode_spec(s));
    BOOST_TEST(round.env == s.env);
    BOOST_TEST(round.argv == s.argv);
    BOOST_TEST(round.uid == s.uid);
    BOOST_TEST(round.copies.size() == s.copies.size());
    BOOST_TEST(round.chowns.size() == s.chowns.size());
}

BOOST_AUTO_TEST_CASE(bad_input) {
    auto ps = sandbox();
    Share s;
    s.kind = Share::Kind::bind;
    s.source = "/x";
    s.dest = "/run/.burrow-container/burrow";
    s.why = "user-bind";
    ps.shares.push_back(s);
    BOOST_CHECK_THROW(container::plan_container(ps, input()), std::runtime_error);
    ps = sandbox();
    ps.shares[1].source = "relative";
    BOOST_CHECK_THROW(container::plan_container(ps, input()), std::runtime_error);
    BOOST_CHECK_THROW(container::decode_spec(std::string("arg\0x", 5)), std::runtime_error);
    BOOST_CHECK_THROW(container::decode_spec(std::string("uid\0-1\0arg\0x\0", 13)),
                      std::runtime_error);
    BOOST_CHECK_THROW(container::decode_spec(std::string("bogus\0x\0", 8)), std::runtime_error);
    BOOST_CHECK_THROW(container::decode_spec(""), std::runtime_error); // no command
}

// --system, a plain system dir: its init is pid 1 (no --as-pid2), DIR/etc
// is /etc read-only, the unit file is bound into /run/systemd/system, the
// helper gets its stdio over the socket, systemd's words follow the init.
BOOST_AUTO_TEST_CASE(system_plain_dir) {
    auto in = input();
    container::SystemInput sys;
    sys.dir = "/srv/sys:1";
    sys.has_etc = true;
    in.system = sys;
    auto plan = container::plan_container(sandbox(), in);
    const auto& a = plan.argv;
    BOOST_TEST(!has(a, "--as-pid2"));
    BOOST_TEST(!has(a, "--no-new-privileges=yes"));
    BOOST_TEST(!has(a, "--bind-ro=/etc:/etc"));
    BOOST_TEST(has(a, "--bind-ro=/srv/sys\\:1/etc:/etc"));
    BOOST_TEST(has(a, "--bind-ro=/srv/sys\\:1:/run/.burrow-system"));
    BOOST_TEST(has(a, "--bind-ro=" + in.meta +
                          "/burrow-command.service:/run/systemd/system/burrow-command.service"));
    auto dd = std::find(a.begin(), a.end(), "--");
    BOOST_TEST_REQUIRE((dd != a.end()));
    BOOST_TEST(std::vector<std::string>(dd + 1, a.end()) ==
               (std::vector<std::string>{
                   "/run/.burrow-system/init", "systemd.wants=burrow-command.service",
                   "systemd.mask=console-getty.service", "systemd.mask=container-getty@.service",
                   "systemd.show_status=false"}));
    BOOST_TEST(plan.spec.stdio_socket == "/run/.burrow-container-status/stdio");
    BOOST_TEST(plan.spec.booted);
    const auto round = container::decode_spec(container::encode_spec(plan.spec));
    BOOST_TEST(round.stdio_socket == plan.spec.stdio_socket);
    BOOST_TEST(round.booted);
    BOOST_TEST(!container::plan_container(sandbox(), input()).spec.booted);
    BOOST_TEST_REQUIRE(plan.meta_texts.size() == 1u);
    BOOST_TEST(plan.meta_texts[0].first == "burrow-command.service");
    const std::string& unit = plan.meta_texts[0].second;
    for (const char* line : {"After=basic.target\n", "Before=getty-pre.target shutdown.target\n",
                             "SuccessAction=exit\n", "FailureAction=exit\n", "StandardInput=null\n",
                             "ExecStart=/run/.burrow-container/burrow __container-exec "
                             "/run/.burrow-container/spec\n"})
        BOOST_TEST(unit.find(line) != std::string::npos, line);

    // No DIR/etc: the host's. On a terminal: the console, no socket.
    sys.has_etc = false;
    in.system = sys;
    in.interactive = true;
    plan = container::plan_container(sandbox(), in);
    BOOST_TEST(has(plan.argv, "--bind-ro=/etc:/etc"));
    BOOST_TEST(plan.spec.stdio_socket.empty());
    BOOST_TEST(plan.meta_texts[0].second.find("StandardInput=tty-force\n") != std::string::npos);
}

// --system, a NixOS toplevel: an empty writable /etc, its closure at its
// own paths, its init by its store path.
BOOST_AUTO_TEST_CASE(system_nixos_toplevel) {
    auto in = input();
    container::SystemInput sys;
    sys.dir = "/nix/store/aaaa-nixos-system-x";
    sys.nixos = true;
    sys.has_etc = true;
    sys.store_dir = "/nix/store";
    sys.store_paths = {"/nix/store/aaaa-nixos-system-x", "/nix/store/bbbb-systemd"};
    in.system = sys;
    auto plan = container::plan_container(sandbox(), in);
    const auto& a = plan.argv;
    BOOST_TEST(has(a, "--tmpfs=/etc:mode=0755"));
    BOOST_TEST(!has(a, "--bind-ro=/etc:/etc"));
    BOOST_TEST(!has(a, "--bind-ro=/nix/store/aaaa-nixos-system-x/etc:/etc"));
    BOOST_TEST(has(a, "--bind-ro=/nix/store/bbbb-systemd:/nix/store/bbbb-systemd"));
    auto dd = std::find(a.begin(), a.end(), "--");
    BOOST_TEST_REQUIRE((dd != a.end()));
    BOOST_TEST(*(dd + 1) == "/nix/store/aaaa-nixos-system-x/init");
    sys.store_paths.push_back("/etc/passwd");
    in.system = sys;
    BOOST_CHECK_THROW(container::plan_container(sandbox(), in), std::runtime_error);
}
