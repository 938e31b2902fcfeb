// extends layering, cycles, --set, built-in policies, show → parse → same.
#define BOOST_TEST_MODULE policy_layers
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "policy/file/schema.hpp"
#include "policy/file/show.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "policy_test_support.hpp"

using namespace burrow::policy;
using policy_test::TempDir;

namespace {

Policy load(const std::string& ref, std::vector<std::string> sets = {}) {
    LoadOptions lo;
    lo.sets = std::move(sets);
    lo.vars = policy_test::fixed_vars();
    return load_policy(ref, lo);
}

std::string load_error(const std::string& ref, std::vector<std::string> sets = {}) {
    try {
        load(ref, std::move(sets));
    } catch (const PolicyError& e) {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_CASE(extends_layers_later_keys_win_lists_append) {
    TempDir d;
    d.write("base.toml", "network = \"none\"\n[env]\nunset = [\"A\"]\n[[fs]]\ntype = \"tmpfs\"\n"
                         "dest = \"/tmp\"\n[limits]\nnofile = 100\n");
    const auto top =
        d.write("top.toml", "extends = \"base.toml\"\nnetwork = \"host\"\n[env]\n"
                            "unset = [\"B\"]\n[[fs]]\ntype = \"dir\"\ndest = \"/x\"\n");
    const Policy p = load(top);
    BOOST_TEST(p.network == "host");
    BOOST_TEST((p.env_unset == std::vector<std::string>{"A", "B"}));
    BOOST_REQUIRE(p.fs.size() == 2u);
    BOOST_TEST(p.fs[0].type == "tmpfs");
    BOOST_TEST(p.fs[1].type == "dir");
    BOOST_REQUIRE(p.rlimits.size() == 1u);
    BOOST_TEST(p.rlimits[0].soft == 100u);
    // Positions stay those of the file that wrote the value.
    BOOST_TEST(p.fs[0].pos.file.ends_with("base.toml"));
    BOOST_TEST(p.fs[1].pos.file.ends_with("top.toml"));
}

// ---- policy::layer (burrow launch --policy) ----

namespace {

// A base that writes every key it can with values the top does not use.
const char* const kLayerBase = R"(description = "base"
network = "host"
uid = 1
gid = 2
[namespaces]
user = false
ipc = false
pid = false
uts = false
cgroup = false
[[fs]]
type = "tmpfs"
dest = "/base"
[env]
clear = true
inherit = ["BASE"]
set = { A = "1", B = "2" }
unset = ["U1"]
[capabilities]
add = ["CAP_CHOWN"]
drop = ["CAP_KILL"]
[seccomp]
profile = "default"
log_denials = false
[[seccomp.rules]]
syscalls = ["mkdir"]
action = "errno:EPERM"
[landlock]
enabled = false
min_abi = 1
paths = [{ path = "/base", access = ["ro"] }]
ports = [{ port = 80, access = ["connect"] }]
[limits]
nofile = [1, 2]
nproc = [5, 6]
as = 1
timeout = "1s"
grace = "1s"
timeout_signal = "INT"
memory_max = "1M"
pids_max = 3
cpu_max = "1 2"
cgroup_required = false
[process]
die_with_parent = false
new_session = false
as_pid_1 = false
chdir = "/base"
argv0 = "basearg"
[status]
file = "/base.json"
[nix]
packages = ["/nix/store/aaa-base"]
store_dir = "/nix/base"
daemon = false
)";

// A top that writes every key of the schema (checked below), each with a
// value other than the base's.
const char* const kLayerTop = R"(replace = []
description = "top"
network = { mode = "allowlist", allow = ["api.example.com:443", "10.1.2.0/24"], forward = ["tcp:5432"] }
uid = 10
gid = 20
hostname = "${myhost}"
[vars]
myhost = "tophost"
[namespaces]
user = true
ipc = true
pid = true
uts = true
cgroup = true
[[fs]]
type = "bind"
src = "/s"
dest = "/d"
[[fs]]
type = "symlink"
target = "t"
dest = "/l"
[[fs]]
type = "tmpfs"
dest = "/t"
mode = "0700"
size = "1M"
[[fs]]
type = "file"
dest = "/f"
content = "x"
[[fs]]
type = "overlay"
sources = ["/lower"]
upper = "/up"
work = "/wk"
dest = "/o"
[env]
clear = true
inherit = ["TOP"]
set = { B = "3", C = "4" }
unset = ["U2"]
[capabilities]
add = ["CAP_NET_RAW"]
drop = ["CAP_SYS_ADMIN"]
[seccomp]
profile = "strict"
log_denials = true
[[seccomp.rules]]
syscalls = ["rmdir"]
action = "errno:EACCES"
args = [{ index = 0, op = "masked_eq", value = 1, mask = 3 }]
[landlock]
enabled = true
min_abi = 2
paths = [{ path = "/top", access = ["rw"], optional = true }]
ports = [{ port = 443, access = ["bind"] }]
[limits]
nofile = [100, 200]
nproc = 7
as = "1G"
data = "2G"
stack = "8M"
cpu = 60
fsize = "1G"
core = 0
memlock = "64k"
timeout = "2s"
grace = "3s"
timeout_signal = "HUP"
memory_max = "2M"
pids_max = 4
cpu_max = "3 4"
cgroup_required = true
[process]
die_with_parent = true
new_session = true
as_pid_1 = true
chdir = "/top"
argv0 = "toparg"
[status]
file = "/top.json"
[nix]
packages = ["/nix/store/bbb-top"]
closures = ["/top-closure"]
store_dir = "/nix/top"
daemon = true
)";

// Every dotted key a document writes, items included ("fs[].type").
void keys_of(const Node& t, const std::string& prefix, std::set<std::string>& out) {
    for (const auto& [k, v] : t.table) {
        const std::string dotted = prefix.empty() ? k : prefix + "." + k;
        out.insert(dotted);
        const KeyDoc* doc = find_schema_key(dotted);
        if (doc && (doc->type == KeyType::table ||
                    (doc->type == KeyType::string_or_table && v.kind == Node::Kind::table)))
            keys_of(v, dotted, out);
        if (doc && doc->type == KeyType::tables)
            for (const auto& e : v.array) keys_of(e, dotted + "[]", out);
    }
}

} // namespace

// Every key of the table has a layer rule, and every key a layer writes
// survives layering: the result is what `extends` gives (the top's network
// and namespaces are the stricter ones here, so the rules agree).
BOOST_AUTO_TEST_CASE(layer_every_key_of_the_schema_survives) {
    for (const auto& k : policy_schema()) {
        BOOST_TEST_CONTEXT(k.key) {
            BOOST_TEST(k.ops.layer != nullptr);
        }
    }
    std::set<std::string> written;
    written.insert("extends"); // the extends variant below writes it
    keys_of(parse_document(kLayerTop, "top.toml"), "", written);
    for (const auto& k : policy_schema()) {
        BOOST_TEST_CONTEXT(k.key) {
            BOOST_TEST(written.count(std::string(k.key)) == 1u);
        }
    }
    TempDir d;
    const auto base = d.write("base.toml", kLayerBase);
    const auto top = d.write("top.toml", kLayerTop);
    const auto both = d.write("both.toml", std::string("extends = \"base.toml\"\n") + kLayerTop);
    Policy layered = load(base);
    layer(layered, load(top));
    const std::string want = policy_to_json(load(both));
    BOOST_TEST(policy_to_json(layered) == want);
    // The top changed something (the key-by-key check is the schema list).
    const std::string base_json = policy_to_json(load(base));
    BOOST_TEST(base_json != want);
    // A layer again on the result writes the same keys: arrays grow, the
    // rest stays.
    layer(layered, load(top));
    BOOST_TEST(layered.fs.size() == 11u);
    BOOST_TEST(layered.rlimits.size() == 9u);
    BOOST_TEST(*layered.argv0 == "toparg");
}

// What a layer does not write stays the base's (a layer of only [env] keeps
// the network and the working directory).
BOOST_AUTO_TEST_CASE(layer_keeps_what_the_top_did_not_write) {
    TempDir d;
    Policy p = load(d.write("base.toml", kLayerBase));
    const std::string before = policy_to_json(p);
    layer(p, policy_test::decode(""));
    BOOST_TEST(policy_to_json(p) == before);
    layer(p, policy_test::decode("[env]\nset = { X = \"1\" }\n"));
    BOOST_TEST(p.network == "host");
    BOOST_TEST(*p.chdir == "/base");
    BOOST_TEST(p.env_set.back().first == "X");
    BOOST_TEST(p.written.count("env.set") == 1u);
}

// The network and the namespaces only get stricter.
BOOST_AUTO_TEST_CASE(layer_network_and_namespaces_only_get_stricter) {
    auto net = [](const std::string& base, const std::string& top) {
        Policy p = policy_test::decode("network = \"" + base + "\"\n");
        layer(p, policy_test::decode("network = \"" + top + "\"\n"));
        return p.network;
    };
    BOOST_TEST(net("host", "none") == "none");
    BOOST_TEST(net("host", "loopback") == "loopback");
    BOOST_TEST(net("none", "host") == "none");
    BOOST_TEST(net("none", "loopback") == "none");
    BOOST_TEST(net("loopback", "host") == "loopback");
    BOOST_TEST(net("loopback", "none") == "none");
    // private reaches outside but not the host's loopback: between the two.
    BOOST_TEST(net("host", "private") == "private");
    BOOST_TEST(net("private", "host") == "private");
    BOOST_TEST(net("private", "loopback") == "loopback");
    BOOST_TEST(net("loopback", "private") == "loopback");
    BOOST_TEST(net("none", "private") == "none");
    Policy p = policy_test::decode("");
    layer(p, policy_test::decode("[namespaces]\nuser = false\npid = false\n"));
    BOOST_TEST(p.ns_user);
    BOOST_TEST(p.ns_pid);
    p = policy_test::decode("[namespaces]\nipc = false\n");
    layer(p, policy_test::decode("[namespaces]\nipc = true\n"));
    BOOST_TEST(p.ns_ipc);
}

// [landlock] in a layer turns it on unless `enabled` says otherwise, as
// in a merged tree.
BOOST_AUTO_TEST_CASE(layer_landlock_section) {
    Policy p = policy_test::decode("");
    layer(p, policy_test::decode("[landlock]\nmin_abi = 1\n"));
    BOOST_TEST(p.landlock);
    p = policy_test::decode("[landlock]\nenabled = false\n");
    layer(p, policy_test::decode("[landlock]\nmin_abi = 1\n"));
    BOOST_TEST(!p.landlock);
    layer(p, policy_test::decode("[landlock]\nenabled = true\n"));
    BOOST_TEST(p.landlock);
}

// A limit's [soft, hard] is one value: a later layer's replaces it (the
// arrays were appended into a four-element "limit" before).
BOOST_AUTO_TEST_CASE(extends_limit_pair_replaces) {
    TempDir d;
    d.write("base.toml", "[limits]\nnofile = [1, 2]\n");
    const auto top = d.write("top.toml", "extends = \"base.toml\"\n[limits]\nnofile = [3, 4]\n");
    const Policy p = load(top);
    BOOST_REQUIRE(p.rlimits.size() == 1u);
    BOOST_TEST(p.rlimits[0].soft == 3u);
    BOOST_TEST(p.rlimits[0].hard == 4u);
}

BOOST_AUTO_TEST_CASE(replace_marker_replaces_lists) {
    TempDir d;
    d.write("base.toml", "[[fs]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n");
    const auto top = d.write("top.toml", "extends = \"base.toml\"\nreplace = [\"fs\"]\n"
                                         "[[fs]]\ntype = \"dir\"\ndest = \"/x\"\n");
    const Policy p = load(top);
    BOOST_REQUIRE(p.fs.size() == 1u);
    BOOST_TEST(p.fs[0].type == "dir");
}

BOOST_AUTO_TEST_CASE(extends_builtin) {
    TempDir d;
    const auto top = d.write("mine.toml", "extends = \"minimal\"\nnetwork = \"loopback\"\n");
    const Policy p = load(top);
    BOOST_TEST(p.network == "loopback");
    BOOST_TEST(p.fs.size() == load("minimal").fs.size());
}

BOOST_AUTO_TEST_CASE(cycles_are_errors) {
    TempDir d;
    const auto self = d.write("self.toml", "extends = \"self.toml\"\n");
    BOOST_TEST(load_error(self) == self + ":1:11: extends: cycle: self.toml extends itself");
    d.write("a.toml", "extends = \"b.toml\"\n");
    const auto b = d.write("b.toml", "\nextends = \"a.toml\"\n");
    BOOST_TEST(load_error(d.path / "a.toml") == b + ":2:11: extends: cycle: a.toml extends itself");
}

BOOST_AUTO_TEST_CASE(missing_base_and_unknown_builtin) {
    TempDir d;
    const auto top = d.write("top.toml", "extends = \"nothere.toml\"\n");
    BOOST_TEST(load_error(top) == top + ":1:11: cannot open policy " +
                                      (d.path / "nothere.toml").string() +
                                      ": No such file or directory");
    BOOST_TEST(load_error("nosuch") ==
               "--policy nosuch:1:1: unknown built-in policy \"nosuch\" (built-in: agent, ci, "
               "minimal; a file name needs a '/' or .toml/.json)");
}

namespace {

// Runs f while a watchdog waits for it: if f is still running after 10 s
// (blocked opening the FIFO, waiting for a writer, as burrow did before it
// refused FIFOs), the watchdog opens the FIFO for writing and closes it,
// which releases f (EOF), and reports the hang. Without the watchdog the
// test would hang instead of failing.
bool finishes_without_a_writer(const std::string& fifo, const std::function<void()>& f) {
    std::atomic<bool> done{false}, rescued{false};
    std::thread watchdog([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        while (!done) {
            rescued = true;
            const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) ::close(fd);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    f();
    done = true;
    watchdog.join();
    return !rescued;
}

} // namespace

// Issue 13 item 9: `extends` naming a FIFO made `burrow run` wait forever
// for a writer. Policies, extends targets and seccomp profile files must be
// regular files, checked without blocking.
BOOST_AUTO_TEST_CASE(fifo_policy_extends_and_profile_refused_at_once) {
    TempDir d;
    const std::string fifo = (d.path / "fifo.toml").string();
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::string e;
    BOOST_TEST(finishes_without_a_writer(fifo, [&] { e = load_error(fifo); }));
    BOOST_TEST(e == "--policy " + fifo + ":1:1: policy " + fifo + " is a FIFO, not a regular file");
    const auto top = d.write("top.toml", "extends = \"fifo.toml\"\n");
    BOOST_TEST(finishes_without_a_writer(fifo, [&] { e = load_error(top); }));
    BOOST_TEST(e == top + ":1:11: policy " + fifo + " is a FIFO, not a regular file");
    BOOST_TEST(finishes_without_a_writer(fifo, [&] {
        try {
            burrow::seccomp::load_profile_file(fifo);
            e = "";
        } catch (const burrow::seccomp::ProfileError& x) {
            e = x.what();
        }
    }));
    BOOST_TEST(e == fifo + ": profile is a FIFO, not a regular file");
    // A directory and a device are refused the same way; a symlink to a
    // regular file (the caller's own choice of name) is followed.
    BOOST_TEST(load_error(d.path.string() + "/") == "--policy " + d.path.string() +
                                                        "/:1:1: policy " + d.path.string() +
                                                        "/ is a directory, not a regular file");
    const std::string zero = (d.path / "zero.toml").string();
    BOOST_REQUIRE(::symlink("/dev/zero", zero.c_str()) == 0);
    BOOST_TEST(load_error(zero).ends_with(" is a character device, not a regular file"));
    const auto real = d.write("real.toml", "network = \"loopback\"\n");
    const std::string link = (d.path / "link.toml").string();
    BOOST_REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);
    BOOST_TEST(load(link).network == "loopback");
}

BOOST_AUTO_TEST_CASE(ten_megabyte_file_refused) {
    TempDir d;
    const auto big = d.write("big.toml", "# " + std::string(10u << 20, 'x') + "\n");
    BOOST_TEST(load_error(big) == big + ":1:1: policy is too large (more than 1 MiB)");
}

BOOST_AUTO_TEST_CASE(set_edits_keys_and_variables) {
    const Policy p = load("agent", {"project=/src/app", "network=none", "limits.timeout=30"});
    BOOST_TEST(p.network == "none");
    BOOST_TEST(p.fs.back().dest == "/src/app");
    BOOST_TEST(*p.chdir == "/src/app");
    BOOST_TEST(*p.timeout_ms == 30000u);
    BOOST_TEST(load_error("agent", {"network=wifi"}) ==
               "--set network=wifi:1:1: network: expected \"none\", \"loopback\", \"private\", "
               "\"host\" or \"allowlist\", got \"wifi\"");
    BOOST_TEST(load_error("agent", {"limits.nofle=3"}) ==
               "--set limits.nofle=3:1:1: unknown key \"limits.nofle\" (did you mean \"nofile\"?)");
    BOOST_TEST(load_error("agent", {"noequals"}) == "--set noequals: expected KEY=VALUE");
}

BOOST_AUTO_TEST_CASE(builtins_decode) {
    for (const auto& name : builtin_policy_names()) {
        BOOST_TEST_CONTEXT(name) {
            const Policy p = load(name);
            BOOST_TEST(!p.fs.empty());
        }
    }
    BOOST_TEST(load("agent").network == "private");
    BOOST_TEST(*load("agent").seccomp_profile == "default");
    BOOST_TEST(load("ci").network == "none");
    BOOST_TEST(*load("ci").seccomp_profile == "ci");
    BOOST_TEST(load("ci").timeout_ms.has_value());
    BOOST_TEST(load("minimal").network == "none");
}

// show → parse → same, through both syntaxes, for every built-in and a
// policy that uses every section.
BOOST_AUTO_TEST_CASE(show_parse_round_trip) {
    TempDir d;
    const auto full = d.write(
        "full.toml",
        "description = \"all\"\nnetwork = \"loopback\"\nuid = 5\ngid = 6\nhostname = \"box\"\n"
        "[namespaces]\ncgroup = false\n"
        "[[fs]]\ntype = \"ro-bind\"\nsrc = \"/usr\"\ndest = \"/usr\"\n"
        "[[fs]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\nsize = \"64M\"\nmode = \"1777\"\n"
        "[[fs]]\ntype = \"file\"\ndest = \"/etc/motd\"\ncontent = \"hi "
        "\\\"there\\\"\\n\\u00e9\"\nmode = 0o644\n"
        "[[fs]]\ntype = \"symlink\"\ntarget = \"usr/lib\"\ndest = \"/lib\"\n"
        "[[fs]]\ntype = \"overlay\"\nsources = [\"/a\", \"/b\"]\nupper = \"/u\"\nwork = "
        "\"/w\"\ndest = \"/o\"\n"
        "[env]\nclear = true\ninherit = [\"PATH\"]\nset = { A = \"1\", B = \"${home}\" }\nunset = "
        "[\"C\"]\n"
        "[capabilities]\nadd = [\"CAP_NET_RAW\"]\n"
        "[seccomp]\nprofile = \"default\"\n[[seccomp.rules]]\nsyscalls = [\"ioctl\"]\n"
        "action = \"errno:EPERM\"\nargs = [{ index = 1, op = \"masked_eq\", value = 21522, mask = "
        "4294967295 }]\n"
        "[landlock]\nmin_abi = 2\npaths = [{ path = \"/usr\", access = [\"ro\"] }]\n"
        "ports = [{ port = 443, access = [\"connect\"] }]\n"
        "[limits]\nnofile = [100, 200]\ncore = 0\nas = \"unlimited\"\ntimeout = \"90s\"\n"
        "memory_max = \"1G\"\npids_max = 64\ncpu_max = \"50000 100000\"\n"
        "[process]\nnew_session = true\nchdir = \"/tmp\"\nargv0 = \"sh\"\n"
        "[status]\nfile = \"/tmp/s.json\"\n");
    std::vector<std::string> refs = builtin_policy_names();
    refs.push_back(full);
    // [network] in its table form comes back as a table, rules as written.
    refs.push_back(d.write("allow.toml", "[network]\nmode = \"allowlist\"\nallow = "
                                         "[\"API.example.com:443\", \"*.example.org\", "
                                         "\"10.1.2.3/24:5432\", \"[2001:db8::/32]:443\"]\n"
                                         "forward = [\"tcp:5432\"]\n"));
    refs.push_back(d.write("fwd.json", "{\"network\": {\"mode\": \"private\", \"forward\": "
                                       "[\"tcp:1\", \"tcp:65535\"]}}\n"));
    for (const auto& ref : refs) {
        BOOST_TEST_CONTEXT(ref) {
            const Policy p = load(ref);
            const std::string json = policy_to_json(p);
            const std::string toml = policy_to_toml(p);
            const Policy from_json = policy_test::decode(json, "shown.json");
            const Policy from_toml = policy_test::decode(toml, "shown.toml");
            BOOST_TEST(policy_to_json(from_json) == json);
            BOOST_TEST(policy_to_json(from_toml) == json);
        }
    }
    const Policy p = load(full);
    BOOST_TEST(*p.fs[2].content == "hi \"there\"\n\u00e9");
    BOOST_TEST(*p.fs[1].size == 64u << 20);
    BOOST_TEST(p.env_set[1].second == "/home/u");
}

// ---- [network]: the table form, show, and layering ----

BOOST_AUTO_TEST_CASE(network_table_decodes_and_shows) {
    Policy p = policy_test::decode("[network]\nallow = [\"a.test:443\", \"10.0.0.0/8\"]\n");
    BOOST_TEST(p.network == "allowlist");
    BOOST_TEST((p.network_allow == std::vector<std::string>{"a.test:443", "10.0.0.0/8"}));
    BOOST_TEST(p.network_allow_pos[1].str() == "p.toml:2:24");
    BOOST_TEST(policy_to_toml(p).find("\n[network]\nmode = \"allowlist\"\nallow = [\"a.test:443\", "
                                      "\"10.0.0.0/8\"]\n") != std::string::npos,
               policy_to_toml(p));
    BOOST_TEST(policy_to_json(p).find("\"network\": {\n    \"mode\": \"allowlist\",") !=
                   std::string::npos,
               policy_to_json(p));
    // Without rules or forwards: the string form, as before.
    p = policy_test::decode("[network]\nmode = \"private\"\n");
    BOOST_TEST(policy_to_toml(p).find("\nnetwork = \"private\"\n") != std::string::npos);
    // extends: the later file's table replaces a string, lists append.
    TempDir d;
    d.write("base.toml", "[network]\nallow = [\"a.test\"]\n");
    const Policy e = load(d.write("top.toml", "extends = \"base.toml\"\n[network]\n"
                                              "allow = [\"b.test\"]\n"));
    BOOST_TEST((e.network_allow == std::vector<std::string>{"a.test", "b.test"}));
    BOOST_TEST(
        load(d.write("none.toml", "extends = \"base.toml\"\nnetwork = \"none\"\n")).network ==
        "none");
}

namespace {

// `top` layered on `base` (both policy texts): the result's network as
// "mode allow... | forward...", or the error.
std::string layered(const std::string& base, const std::string& top) {
    Policy p = policy_test::decode(base, "base.toml");
    try {
        layer(p, policy_test::decode(top, "top.toml"));
    } catch (const PolicyError& e) {
        return e.what();
    }
    std::string out = p.network;
    for (const auto& r : p.network_allow) out += " " + r;
    if (!p.network_forward.empty()) out += " |";
    for (const auto& f : p.network_forward) out += " " + f;
    return out;
}

const char* const kAllowBase = "[network]\nallow = [\"*.github.com:443\", \"api.test\", "
                               "\"10.0.0.0/8\", \"[2001:db8::/32]\"]\nforward = [\"tcp:5432\"]\n";

} // namespace

BOOST_AUTO_TEST_CASE(layer_allowlist_only_narrows) {
    // Rank: none < loopback < allowlist < private < host.
    BOOST_TEST(layered("network = \"host\"", kAllowBase) ==
               "allowlist *.github.com:443 api.test 10.0.0.0/8 [2001:db8::/32] | tcp:5432");
    BOOST_TEST(layered(kAllowBase, "network = \"private\"") ==
               "allowlist *.github.com:443 api.test 10.0.0.0/8 [2001:db8::/32] | tcp:5432");
    BOOST_TEST(layered(kAllowBase, "network = \"host\"") ==
               "allowlist *.github.com:443 api.test 10.0.0.0/8 [2001:db8::/32] | tcp:5432");
    BOOST_TEST(layered(kAllowBase, "network = \"loopback\"") == "loopback");
    BOOST_TEST(layered("network = \"loopback\"", kAllowBase) == "loopback");
    BOOST_TEST(layered("network = \"none\"", kAllowBase) == "none");
    // Allowlist on allowlist: every rule inside the base's; the layer's list.
    BOOST_TEST(layered(kAllowBase, "[network]\nallow = [\"API.github.com:443\", "
                                   "\"*.x.github.com:443\", \"api.test:22\", \"10.1.2.3:5432\", "
                                   "\"[2001:db8:1::1]:443\"]\n") ==
               "allowlist API.github.com:443 *.x.github.com:443 api.test:22 10.1.2.3:5432 "
               "[2001:db8:1::1]:443");
    BOOST_TEST(layered(kAllowBase, "[network]\nallow = [\"*.github.com:443\"]\nforward = "
                                   "[\"tcp:5432\"]\n") == "allowlist *.github.com:443 | tcp:5432");
    BOOST_TEST(layered(kAllowBase, "[network]\nallow = [\"api.test\", \"github.com:443\"]\n") ==
               "top.toml:2:22: network.allow: \"github.com:443\" is not in the base policy's "
               "allowlist (a layer may only narrow it)");
    BOOST_TEST(layered(kAllowBase, "[network]\nallow = [\"api.github.com:80\"]\n") ==
               "top.toml:2:10: network.allow: \"api.github.com:80\" is not in the base policy's "
               "allowlist (a layer may only narrow it)");
    BOOST_TEST(layered(kAllowBase, "[network]\nallow = [\"*.test\"]\n") ==
               "top.toml:2:10: network.allow: \"*.test\" is not in the base policy's allowlist (a "
               "layer may only narrow it)");
    BOOST_TEST(layered(kAllowBase, "[network]\nallow = [\"0.0.0.0/0\"]\n") ==
               "top.toml:2:10: network.allow: \"0.0.0.0/0\" is not in the base policy's allowlist "
               "(a layer may only narrow it)");
    BOOST_TEST(
        layered(kAllowBase, "[network]\nallow = [\"api.test\"]\nforward = [\"tcp:6379\"]\n") ==
        "top.toml:3:12: network.forward: \"tcp:6379\" is not forwarded by the base policy (a "
        "layer may only narrow the network)");
    // Over private: anything but the caller's loopback, unless forwarded.
    const char* priv = "[network]\nmode = \"private\"\nforward = [\"tcp:5432\"]\n";
    BOOST_TEST(layered(priv, "[network]\nallow = [\"a.test\", \"127.0.0.1:5432\", "
                             "\"[::1]:5432\"]\n") == "allowlist a.test 127.0.0.1:5432 [::1]:5432");
    BOOST_TEST(layered(priv, "[network]\nallow = [\"a.test\", \"127.0.0.1:22\"]\n") ==
               "top.toml:2:20: network.allow: \"127.0.0.1:22\" reaches the caller's loopback, "
               "which the base policy's network (\"private\") does not");
    BOOST_TEST(layered(priv, "[network]\nallow = [\"0.0.0.0/0\"]\n") ==
               "top.toml:2:10: network.allow: \"0.0.0.0/0\" reaches the caller's loopback, which "
               "the base policy's network (\"private\") does not");
    BOOST_TEST(layered(priv, "[network]\nallow = [\"[::ffff:127.0.0.1]:5432\"]\n") ==
               "allowlist [::ffff:127.0.0.1]:5432");
    BOOST_TEST(
        layered("network = \"private\"", "[network]\nallow = [\"[::ffff:127.0.0.1]:80\"]\n") ==
        "top.toml:2:10: network.allow: \"[::ffff:127.0.0.1]:80\" reaches the caller's "
        "loopback, which the base policy's network (\"private\") does not");
    BOOST_TEST(layered(priv, "network = \"private\"") == "private");
    BOOST_TEST(layered("network = \"private\"", priv) ==
               "top.toml:3:12: network.forward: \"tcp:5432\" is not forwarded by the base policy "
               "(a layer may only narrow the network)");
    BOOST_TEST(layered("network = \"host\"", "[network]\nallow = [\"127.0.0.1\"]\n") ==
               "allowlist 127.0.0.1");
}

// The agent policy's commented allowlist example decodes as it stands.
BOOST_AUTO_TEST_CASE(agent_allowlist_example_decodes) {
    std::string text = builtin_policy_text("agent");
    const auto start = text.find("# [network]\n");
    BOOST_REQUIRE(start != std::string::npos);
    std::string table;
    std::size_t i = start;
    while (i < text.size() && text.compare(i, 2, "# ") == 0) {
        const auto nl = text.find('\n', i);
        table += text.substr(i + 2, nl - i - 1);
        i = nl + 1;
    }
    const std::string line = "network = \"private\"\n";
    const auto at = text.find(line);
    BOOST_REQUIRE(at != std::string::npos);
    text.replace(at, line.size(), table);
    const Policy p = policy_test::decode(text, "agent.toml");
    BOOST_TEST(p.network == "allowlist");
    BOOST_TEST(p.network_allow.size() == 7u);
    BOOST_TEST(p.network_allow[0] == "api.anthropic.com:443");
}
