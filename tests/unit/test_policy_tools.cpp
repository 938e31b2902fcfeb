// policy_to_bwrap (the argv every policy goes through), shell quoting, and
// the man page documenting every schema key.
#define BOOST_TEST_MODULE policy_tools
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "policy/file/schema.hpp"
#include "policy/file/to_bwrap.hpp"
#include "policy_test_support.hpp"
#include "runtime/rlimits.hpp"

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
               "--unshare-net --uid 0 --hostname h --unshare-user --unshare-ipc --unshare-pid "
               "--unshare-uts --unshare-cgroup-try --clearenv --setenv KEEP yes --setenv A 1 "
               "--unsetenv B --cap-add CAP_CHOWN --die-with-parent --new-session --chdir /");
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
    BOOST_TEST(a.find("--clearenv --setenv LC_TIME C --setenv LC_ALL C.UTF-8 --setenv PATH "
                      "/bin --die-with-parent") != std::string::npos);
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

namespace {

// roff escapes as the page prints them.
std::string unroff(std::string s) {
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"\\-", "-"},
                                   {"\\(dq", "\""},
                                   {"\\fR", ""},
                                   {"\\fB", ""},
                                   {"\\fI", ""}}) {
        for (std::size_t i; (i = s.find(from)) != std::string::npos;) s.replace(i, from.size(), to);
    }
    return s;
}

// The names a term line (after .TP) gives: ".B name \fR(type)" gives the
// first word; ".BR a ", " b " \fR(...)"" gives its unquoted words.
std::vector<std::string> term_names(const std::string& line) {
    std::vector<std::string> out;
    if (line.starts_with(".B ")) {
        std::string rest = unroff(line.substr(3, line.find("\\fR") - 3));
        std::istringstream in(rest);
        std::string w;
        if (in >> w) out.push_back(w);
    } else if (line.starts_with(".BR ")) {
        for (std::size_t i = 4; i < line.size();) {
            if (line[i] == ' ') {
                ++i;
            } else if (line[i] == '"') {
                const auto close = line.find('"', i + 1);
                i = close == std::string::npos ? line.size() : close + 1;
            } else {
                const auto end = std::min(line.find_first_of(" \"", i), line.size());
                out.push_back(unroff(line.substr(i, end - i)));
                i = end;
            }
        }
    }
    return out;
}

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// `word` as a whole word of `text`.
bool has_word(const std::string& text, const std::string& word) {
    for (std::size_t i = text.find(word); i != std::string::npos; i = text.find(word, i + 1)) {
        const bool left = i == 0 || !is_word_char(text[i - 1]);
        const bool right = i + word.size() == text.size() || !is_word_char(text[i + word.size()]);
        if (left && right) return true;
    }
    return false;
}

struct ManPage {
    std::string all;                            // the whole page, unroffed
    std::map<std::string, std::string> section; // "env" -> text of .SS [env] ("" top level)
    std::vector<std::pair<std::string, std::string>> terms; // (section, name) of .TP terms
    std::vector<std::pair<std::string, std::string>> items; // (section, name) from "{ a, b }"
};

// burrow-policy(5): the terms of LAYERING and KEYS, by section.
ManPage read_man_page() {
    std::ifstream f(BURROW_SOURCE_DIR "/man/burrow-policy.5");
    ManPage m;
    std::string line, sec;
    bool keys = false, term_next = false;
    while (std::getline(f, line)) {
        m.all += unroff(line) + "\n";
        if (line.starts_with(".SH ")) {
            keys = line == ".SH LAYERING" || line == ".SH KEYS";
            sec.clear();
            continue;
        }
        if (!keys) continue;
        if (line.starts_with(".SS ")) {
            const std::string t = unroff(line.substr(4));
            const auto open = t.find_first_not_of('[');
            sec = t == "Top level" ? "" : t.substr(open, t.find(']') - open);
            continue;
        }
        m.section[sec] += unroff(line) + "\n";
        if (line == ".TP") {
            term_next = true;
            continue;
        }
        if (term_next) {
            for (const auto& n : term_names(line)) m.terms.emplace_back(sec, n);
            term_next = false;
        }
        if (const auto open = line.find("\"{ "); open != std::string::npos) {
            std::istringstream in(line.substr(open + 3, line.find(" }") - open - 3));
            for (std::string w; std::getline(in, w, ',');)
                m.items.emplace_back(sec, w.substr(w.find_first_not_of(' ')));
        }
    }
    return m;
}

} // namespace

// Every key of the schema has its place in burrow-policy(5): a top-level
// key as a term or as its [section]; any other key as a word of its
// section's text.
BOOST_AUTO_TEST_CASE(man_page_documents_every_key) {
    const ManPage m = read_man_page();
    BOOST_REQUIRE(!m.terms.empty());
    for (const auto& k : policy_schema()) {
        const std::string key(k.key);
        const auto cut = key.find_first_of(".[");
        BOOST_TEST_CONTEXT(key) {
            if (cut == std::string::npos) {
                bool term = false;
                for (const auto& [sec, n] : m.terms) term = term || (sec.empty() && n == key);
                BOOST_TEST((term || m.all.find("[" + key + "]") != std::string::npos));
            } else {
                std::string leaf =
                    key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
                if (const auto b = leaf.find("[]"); b != std::string::npos) leaf.erase(b);
                const auto sec = m.section.find(key.substr(0, cut));
                BOOST_TEST_REQUIRE((sec != m.section.end()));
                BOOST_TEST(has_word(sec->second, leaf));
            }
        }
    }
}

// And every key the page documents is in the schema: the terms of each
// section, the "{ a, b }" item keys, and in [[fs]] the operation types.
BOOST_AUTO_TEST_CASE(man_page_documents_no_key_the_schema_lacks) {
    const ManPage m = read_man_page();
    const std::string types(find_schema_key("fs[].type")->doc);
    for (const auto& [sec, name] : m.terms) {
        BOOST_TEST_CONTEXT(sec << " " << name) {
            if (sec == "fs") {
                BOOST_TEST(has_word(types, name));
                continue;
            }
            // [[seccomp.rules]]: a bracketed term names its key in full.
            std::string key = name;
            if (key.starts_with("[")) {
                key = key.substr(key.find_first_not_of('['));
                key.erase(key.find(']'));
            } else if (!sec.empty()) {
                key = sec + "." + name;
            }
            BOOST_TEST(find_schema_key(key) != nullptr);
        }
    }
    BOOST_TEST(!m.items.empty());
    for (const auto& [sec, name] : m.items) {
        BOOST_TEST_CONTEXT(sec << " { " << name << " }") {
            bool found = false;
            for (const auto& k : policy_schema())
                found = found || (k.key.starts_with(sec + ".") && k.key.ends_with("[]." + name));
            BOOST_TEST(found);
        }
    }
}

// The table is the one place a key lives: every key a document can write
// is decoded and shown by its own entry, or travels with its array item
// (fs[].dest), or is spent when the file loads (extends); sections print
// their keys. The limits are exactly the runtime's, in its order.
BOOST_AUTO_TEST_CASE(every_key_carries_its_operations) {
    const std::set<std::string_view> consumed{"extends", "replace", "vars"};
    std::vector<std::string> limits;
    for (const auto& k : policy_schema()) {
        BOOST_TEST_CONTEXT(k.key) {
            BOOST_TEST(k.ops.layer != nullptr);
            if (k.key.find('[') != std::string_view::npos || consumed.count(k.key) == 1) {
                BOOST_TEST(k.ops.decode == nullptr);
                BOOST_TEST(k.ops.show == nullptr);
            } else if (k.type == KeyType::table) {
                BOOST_TEST(k.ops.show == nullptr);
            } else if (const auto dot = k.key.rfind('.');
                       dot != std::string_view::npos && find_schema_key(k.key.substr(0, dot)) &&
                       find_schema_key(k.key.substr(0, dot))->type == KeyType::string_or_table) {
                // [network] mode, allow, forward: decoded and shown by "network".
                BOOST_TEST(k.ops.decode == nullptr);
                BOOST_TEST(k.ops.show == nullptr);
            } else {
                BOOST_TEST(k.ops.decode != nullptr);
                BOOST_TEST(k.ops.show != nullptr);
                BOOST_TEST(k.ops.shown == nullptr);
            }
            if (k.type == KeyType::rlimit) limits.emplace_back(k.key.substr(k.key.find('.') + 1));
        }
    }
    BOOST_TEST(limits == burrow::rlimits::names(), boost::test_tools::per_element());
}
