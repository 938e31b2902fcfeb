// Bugs found by the fuzz targets in tests/fuzz, kept fixed here in plain
// unit tests (the inputs that found them are in tests/fuzz/regressions/).
#define BOOST_TEST_MODULE fuzz_findings
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "policy/file/show.hpp"
#include "policy/oci/bundle.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "policy_test_support.hpp"

using namespace burrow::policy;

namespace {

Policy reparse(const std::string& text, const std::string& name) {
    return decode_policy(parse_document(text, name), policy_test::fixed_vars());
}

} // namespace

// "$$" is a literal '$'; show must write it back doubled, or the value is
// substituted a second time when the output is read ("$${user}" became
// "${user}", then "u").
BOOST_AUTO_TEST_CASE(show_round_trip_keeps_literal_dollars) {
    const Policy p =
        policy_test::decode("hostname = \"h$$x\"\n[namespaces]\nuts = true\n"
                            "[[fs]]\ntype = \"bind\"\nsrc = \"/t/$${user}{cwd}\"\ndest = \"/x\"\n"
                            "[[fs]]\ntype = \"file\"\ndest = \"/f\"\ncontent = \"cost: $$5\"\n"
                            "[env]\nset = { A = \"$${home}\" }\n[process]\nargv0 = \"$$0\"\n");
    BOOST_TEST(p.fs[0].src == "/t/${user}{cwd}");
    BOOST_TEST(*p.hostname == "h$x");
    for (const bool json : {true, false}) {
        const Policy q = json ? reparse(policy_to_json(p), "show.json")
                              : reparse(policy_to_toml(p), "show.toml");
        BOOST_TEST(q.fs[0].src == "/t/${user}{cwd}");
        BOOST_TEST(*q.fs[1].content == "cost: $5");
        BOOST_TEST(q.env_set.at(0).second == "${home}");
        BOOST_TEST(*q.argv0 == "$0");
        BOOST_TEST(*q.hostname == "h$x");
        BOOST_TEST(policy_to_json(q) == policy_to_json(p));
    }
}

// JSON text must be UTF-8: a stray byte used to be copied into the policy,
// and `policy show` then died on an uncaught nlohmann type_error.
BOOST_AUTO_TEST_CASE(json_strings_must_be_utf8) {
    const std::string e = policy_test::error_of("{\"description\": \"a\xfc\"}", "p.json");
    BOOST_TEST(e == "p.json:1:19: invalid UTF-8 in string");
    // Overlong '/', an encoded UTF-16 surrogate, past U+10FFFF, truncated.
    for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
        BOOST_TEST(
            policy_test::error_of(std::string("{\"description\": \"") + bad + "\"}", "p.json")
                .ends_with("invalid UTF-8 in string"));
    BOOST_TEST(policy_test::error_of("{\"description\": \"\\udc00\"}", "p.json")
                   .ends_with("unpaired surrogate"));
    const Policy ok = policy_test::decode(
        "{\"description\": \"\xc3\xa9 \xf0\x9f\x98\x80 \\ud83d\\ude00\"}", "p.json");
    BOOST_TEST(ok.description == "\xc3\xa9 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80");
    BOOST_TEST(!policy_to_json(ok).empty());
}

// JSON allows a raw DEL in strings, TOML does not: show's TOML output
// escapes it.
BOOST_AUTO_TEST_CASE(toml_show_escapes_del) {
    const Policy p = policy_test::decode("{\"namespaces\": {\"uts\": true}, \"hostname\": \"a\x7f"
                                         "b\"}",
                                         "p.json");
    const std::string toml = policy_to_toml(p);
    BOOST_TEST(toml.find('\x7f') == std::string::npos);
    BOOST_TEST(*reparse(toml, "show.toml").hostname == "a\x7f"
                                                       "b");
}

// fuzz_policy_json (issue 12): toml++ keeps a table as a map sorted by key,
// so `policy show` of a JSON policy, read back as TOML, listed env.set in
// another order than the JSON side ("on" before " spaced key" became the
// reverse). The TOML reader now orders every table by where its keys were
// written, as the JSON reader does.
BOOST_AUTO_TEST_CASE(show_round_trip_keeps_env_set_order) {
    const Policy p = policy_test::decode(
        "{\"env\": {\"set\": {\"on\": \"x\", \" spaced key\": \"y\"}}}", "p.json");
    BOOST_TEST_REQUIRE(p.env_set.size() == 2u);
    BOOST_TEST(p.env_set[0].first == "on");
    for (const bool json : {true, false}) {
        const Policy q = json ? reparse(policy_to_json(p), "show.json")
                              : reparse(policy_to_toml(p), "show.toml");
        BOOST_TEST_REQUIRE(q.env_set.size() == 2u);
        BOOST_TEST(q.env_set[0].first == "on");
        BOOST_TEST(q.env_set[1].first == " spaced key");
        BOOST_TEST(policy_to_json(q) == policy_to_json(p));
    }
}

// Every kind of key and value env.set may hold, in an order that is neither
// sorted nor reverse-sorted, written as TOML (plain, inline and dotted keys)
// and as JSON: both read in document order, and show's output in either
// syntax reads back to the same policy.
BOOST_AUTO_TEST_CASE(show_round_trip_awkward_keys_and_values) {
    const std::string toml = "[env]\n"
                             "set.zz = \"last-sorted\"\n"
                             "set.\"a b\" = \"tab\\there\"\n"
                             "set.\"\u00e9t\u00e9\" = \"\u00e9 \U0001F600\"\n"
                             "set.\"$HOME\" = \"$$ and $${user} and ${user}\"\n"
                             "set.\"q\\\"uote\" = \"back\\\\slash \\\"q\\\"\"\n"
                             "set.\"ctl\\u0001\" = \"\\u0001\\u001f\\u007f\\b\\f\\n\\r\"\n"
                             "set.A = \"\"\n"
                             "set.\"1-x.y\" = \"dot\"\n";
    const Policy p = policy_test::decode(toml, "p.toml");
    const std::vector<std::string> keys = {"zz",      "a b", "\u00e9t\u00e9", "$HOME", "q\"uote",
                                           "ctl\x01", "A",   "1-x.y"};
    BOOST_TEST_REQUIRE(p.env_set.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) BOOST_TEST(p.env_set[i].first == keys[i]);
    BOOST_TEST(p.env_set[3].second == "$ and ${user} and u");
    BOOST_TEST(p.env_set[5].second == "\x01\x1f\x7f\b\f\n\r");
    // The same document as JSON reads to the same policy.
    const Policy pj = reparse(policy_to_json(p), "p.json");
    BOOST_TEST(policy_to_json(pj) == policy_to_json(p));
    // Twice round: TOML output of the TOML-read policy, and of that again.
    Policy q = p;
    for (int round = 0; round < 2; ++round) {
        for (const bool json : {true, false}) {
            const Policy r = json ? reparse(policy_to_json(q), "show.json")
                                  : reparse(policy_to_toml(q), "show.toml");
            BOOST_TEST(policy_to_json(r) == policy_to_json(p));
            q = r;
        }
    }
}

// Tables other than env.set keep document order too: [limits] in TOML
// written against the sorted order lists its rlimits as written.
BOOST_AUTO_TEST_CASE(toml_tables_read_in_document_order) {
    const Node n = parse_toml("[b]\nz = 1\na = 2\n[a]\ny = 1\n[b.c]\nx = 1\n", "t.toml");
    BOOST_TEST_REQUIRE(n.table.size() == 2u);
    BOOST_TEST(n.table[0].first == "b");
    BOOST_TEST(n.table[1].first == "a");
    const Node& b = n.table[0].second;
    BOOST_TEST_REQUIRE(b.table.size() == 3u);
    BOOST_TEST(b.table[0].first == "z");
    BOOST_TEST(b.table[1].first == "a");
    BOOST_TEST(b.table[2].first == "c");
}

// fuzz_seccomp_profile: range conditions on two arguments of one call,
// overlapping earlier rules of other actions, made plan_profile() run for
// minutes (quadratic normalization of up to |a|*|b| terms) although every
// set stayed below the term limit. A work budget now refuses it at once.
BOOST_AUTO_TEST_CASE(seccomp_overlapping_ranges_are_refused_quickly) {
    const std::string text =
        "default_action = \"errno:EPERM\"\n"
        "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"errno:EACCES\"\n"
        "args = [{index = 1, op = \"masked_eq\", mask = 0xffffffff, value = 0x5412}]\n"
        "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"allow\"\n"
        "args = [{index = 1, op = \"eq\", value = 0x5413}]\n"
        "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"errno:EIO\"\n"
        "args = [{index = 0, op = \"ge\", value = 0x5400}, {index = 1, op = \"le\", value = "
        "0x54ff}]\n"
        "[[rule]]\nsyscalls = [\"ioctl\", \"read\"]\naction = \"allow\"\n";
    namespace sc = burrow::seccomp;
    const sc::Profile p = sc::parse_profile_toml(text, "slow.toml");
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    try {
        (void)sc::plan_profile(p);
    } catch (const sc::ProfileError& e) {
        error = e.what();
    }
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(error.find("too complex to compile") != std::string::npos);
    // Not a speed target: minutes before the fix, so a generous bound that
    // cannot flake still tells the two apart.
    BOOST_TEST(took < std::chrono::seconds(30));
}

// fuzz_seccomp_profile: a profile whose plan has about 2,900 terms kept
// libseccomp's export busy for 9 s, only to produce a program the kernel
// refuses (11,342 instructions). compile_plan now refuses it up front.
BOOST_AUTO_TEST_CASE(seccomp_too_many_terms_refused_before_libseccomp) {
    const std::string text =
        "default_action = \"errno:EPERM\"\n"
        "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"errno:EACCES\"\n"
        "args = [{index = 2, op = \"masked_eq\", mask = 0xffffffff, value = 0x5412}]\n"
        "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"allow\"\n"
        "args = [{index = 2, op = \"eq\", value = 0x5413}]\n"
        "[[rule]]\nsyscalls = [\"ioctl\"]\naction = \"errno:EIO\"\n"
        "args = [{index = 1, op = \"ge\", value = 0x5400}, {index = 1, op = \"le\", value = "
        "0x54ff}]\n"
        "[[rule]]\nsyscalls = [\"ioctl\", \"read\"]\naction = \"allow\"\n";
    namespace sc = burrow::seccomp;
    const sc::Plan plan = sc::plan_profile(sc::parse_profile_toml(text, "slow.toml"));
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    try {
        (void)sc::compile_plan(plan);
    } catch (const sc::ProfileError& e) {
        error = e.what();
    }
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(error.find("fit in one BPF program") != std::string::npos);
    BOOST_TEST(took < std::chrono::seconds(5));
}

// fuzz_oci_config: a number nlohmann cannot represent (1E666) is its
// out_of_range, not a parse_error; it escaped parse_config as a foreign
// exception (burrow oci printed nlohmann's own message, without the file).
BOOST_AUTO_TEST_CASE(oci_config_number_overflow_is_a_config_error) {
    try {
        burrow::oci::parse_config(R"({"ociVersion":"1.0.2","process":{"oomScoreAdj":1E666}})", "/",
                                  {});
        BOOST_FAIL("accepted");
    } catch (const burrow::oci::ConfigError& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "config.json: malformed JSON: number overflow parsing '1E666'");
    }
}
