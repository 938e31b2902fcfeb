// policy_to_bwrap (the argv every policy goes through), shell quoting, and
// the man page documenting every schema key.
#define BOOST_TEST_MODULE policy_tools
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "policy/file/schema.hpp"
#include "policy/file/to_bwrap.hpp"
#include "policy_test_support.hpp"

using namespace burrow::policy;

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_fs_type_to_bwrap_options) {
    const Policy p = policy_test::decode(
        "network = \"host\"\n[namespaces]\nuser = false\nipc = false\npid = false\nuts = false\n"
        "cgroup = false\n[process]\ndie_with_parent = false\n"
        "[[fs]]\ntype = \"ro-bind-try\"\nsrc = \"/a\"\ndest = \"/b\"\n"
        "[[fs]]\ntype = \"dev-bind\"\ndest = \"/dev\"\n"
        "[[fs]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = \"1k\"\nmode = \"1777\"\n"
        "[[fs]]\ntype = \"proc\"\ndest = \"/proc\"\n"
        "[[fs]]\ntype = \"mqueue\"\ndest = \"/mq\"\n"
        "[[fs]]\ntype = \"dir\"\ndest = \"/d\"\nmode = 0o700\n"
        "[[fs]]\ntype = \"symlink\"\ntarget = \"../x\"\ndest = \"/l\"\n"
        "[[fs]]\ntype = \"file\"\ndest = \"/f\"\ncontent = \"abc\"\n"
        "[[fs]]\ntype = \"ro-bind-data\"\ndest = \"/g\"\ncontent = \"def\"\nmode = \"0400\"\n"
        "[[fs]]\ntype = \"chmod\"\ndest = \"/d\"\nmode = \"0755\"\n"
        "[[fs]]\ntype = \"remount-ro\"\ndest = \"/t\"\n"
        "[[fs]]\ntype = \"tmp-overlay\"\nsources = [\"/l1\", \"/l2\"]\ndest = \"/o\"\n");
    std::vector<std::string> contents;
    const BwrapPlan plan = policy_to_bwrap(p, {}, [&](const std::string& c) {
        contents.push_back(c);
        return 40 + static_cast<int>(contents.size());
    });
    BOOST_TEST(joined(plan.args) ==
               "--ro-bind-try /a /b --dev-bind /dev /dev --perms 01777 --size 1024 --tmpfs /t "
               "--proc /proc --mqueue /mq --perms 0700 --dir /d --symlink ../x /l --file 41 /f "
               "--perms 0400 --ro-bind-data 42 /g --chmod 0755 /d --remount-ro /t "
               "--overlay-src /l1 --overlay-src /l2 --tmp-overlay /o");
    BOOST_TEST((contents == std::vector<std::string>{"abc", "def"}));
    BOOST_TEST(plan.fs_entry_of_op.size() == p.fs.size());
    BOOST_TEST(joined(plan.unexpressed) == "fs tmp-overlay /o needs bwrap 0.11 or later");
}

BOOST_AUTO_TEST_CASE(environment_and_process_options) {
    const Policy p = policy_test::decode(
        "network = \"none\"\nuid = 0\nhostname = \"h\"\n[env]\nclear = true\n"
        "inherit = [\"KEEP\", \"MISSING\"]\nset = { A = \"1\" }\nunset = [\"B\"]\n"
        "[capabilities]\nadd = [\"CAP_CHOWN\"]\n[process]\nnew_session = true\nchdir = \"/\"\n"
        "[limits]\ntimeout = 5\n[landlock]\n[seccomp]\nprofile = \"ci\"\n");
    const BwrapPlan plan =
        policy_to_bwrap(p, {"KEEPX=no", "KEEP=yes", "B=2"}, [](const std::string&) { return 3; });
    BOOST_TEST(joined(plan.args) ==
               "--unshare-user --unshare-ipc --unshare-pid --unshare-uts --unshare-cgroup-try "
               "--unshare-net --uid 0 --hostname h --die-with-parent --new-session --chdir / "
               "--clearenv --setenv KEEP yes --setenv A 1 --unsetenv B --cap-add CAP_CHOWN");
    const std::string w = joined(plan.unexpressed);
    BOOST_TEST(w.find("network = \"none\"") != std::string::npos);
    BOOST_TEST(w.find("seccomp profile \"ci\"") != std::string::npos);
    BOOST_TEST(w.find("landlock") != std::string::npos);
    BOOST_TEST(w.find("limits.timeout") != std::string::npos);
}

// env.inherit "NAME*" keeps every variable whose name starts with NAME, in
// the caller's order; a plain name only that variable.
BOOST_AUTO_TEST_CASE(environment_inherit_prefixes) {
    const Policy p = policy_test::decode("[env]\nclear = true\ninherit = [\"LC_*\", \"PATH\"]\n");
    const BwrapPlan plan = policy_to_bwrap(
        p, {"LC_TIME=C", "PATHX=no", "LC=no", "PATH=/bin", "LC_ALL=C.UTF-8", "XLC_A=no", "=x"},
        [](const std::string&) { return 3; });
    const std::string a = joined(plan.args);
    BOOST_TEST(a.ends_with("--clearenv --setenv LC_TIME C --setenv LC_ALL C.UTF-8 --setenv PATH "
                           "/bin"));
}

// Issue 13 item 10: the built-in policies clear the caller's environment
// and pass an allowlist; agent and ci confine writes with landlock.
BOOST_AUTO_TEST_CASE(builtin_policies_clear_the_environment) {
    const std::vector<std::string> host_env{"PATH=/usr/bin",   "AWS_SECRET_ACCESS_KEY=s",
                                            "GITHUB_TOKEN=t",  "LC_CTYPE=C.UTF-8",
                                            "TERM=xterm",      "CC=clang",
                                            "HOME=/home/real", "CI=true"};
    for (const std::string name : {"agent", "ci", "minimal"}) {
        BOOST_TEST_CONTEXT(name) {
            LoadOptions lo;
            lo.vars = policy_test::fixed_vars();
            const Policy p = load_policy(name, lo);
            BOOST_TEST(p.env_clear);
            const std::string a =
                joined(policy_to_bwrap(p, host_env, [](const std::string&) { return 3; }).args);
            BOOST_TEST(a.find("--clearenv") != std::string::npos);
            BOOST_TEST(a.find("AWS_SECRET_ACCESS_KEY") == std::string::npos);
            BOOST_TEST(a.find("GITHUB_TOKEN") == std::string::npos);
            for (const char* kept : {"--setenv PATH /usr/bin", "--setenv LC_CTYPE C.UTF-8",
                                     "--setenv TERM xterm", "--setenv CC clang"})
                BOOST_TEST(a.find(kept) != std::string::npos, kept);
            // HOME: the tmpfs home, or (ci) the caller's, read-only.
            BOOST_TEST(a.find(name == "ci" ? "--setenv HOME /home/real"
                                           : "--setenv HOME /home/u") != std::string::npos);
            BOOST_TEST(p.landlock == (name != "minimal"));
            if (p.landlock) {
                std::string rules;
                for (const auto& lp : p.landlock_paths) rules += lp.path + ":" + lp.access[0] + " ";
                BOOST_TEST(rules == (name == "agent" ? "/:ro /work:rw /tmp:rw /home/u:rw /dev:rw "
                                                     : "/:ro /work:rw /tmp:rw /dev:rw "));
                BOOST_TEST(p.landlock_min_abi == 0); // best effort
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(shell_quoting) {
    BOOST_TEST(shell_quote("/usr/bin") == "/usr/bin");
    BOOST_TEST(shell_quote("") == "''");
    BOOST_TEST(shell_quote("a b") == "'a b'");
    BOOST_TEST(shell_quote("it's") == "'it'\\''s'");
    BOOST_TEST(shell_quote("$HOME;`x`") == "'$HOME;`x`'");
}

// Every key of the schema has its place in burrow-policy(5).
BOOST_AUTO_TEST_CASE(man_page_documents_every_key) {
    std::ifstream f(BURROW_SOURCE_DIR "/man/burrow-policy.5");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string page = ss.str();
    // roff escapes "-" as "\-"; keys are compared as they print.
    for (std::size_t i; (i = page.find("\\-")) != std::string::npos;) page.replace(i, 2, "-");
    BOOST_REQUIRE(!page.empty());
    for (const auto& k : policy_schema()) {
        std::string leaf(
            k.key.substr(k.key.rfind('.') == std::string_view::npos ? 0 : k.key.rfind('.') + 1));
        if (const auto b = leaf.find("[]"); b != std::string::npos) leaf.erase(b);
        BOOST_TEST_CONTEXT(k.key) {
            BOOST_TEST(page.find(leaf) != std::string::npos);
        }
    }
}
