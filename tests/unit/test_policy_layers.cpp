// extends layering, cycles, --set, built-in policies, show → parse → same.
#define BOOST_TEST_MODULE policy_layers
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

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
               "--set network=wifi:1:1: network: expected \"none\", \"loopback\" or \"host\", got "
               "\"wifi\"");
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
    BOOST_TEST(load("agent").network == "host");
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
