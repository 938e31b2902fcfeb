// Every error path of policy decoding names file:line:column exactly.
#define BOOST_TEST_MODULE policy_errors
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <random>

#include "policy/network/egress_rules.hpp"
#include "policy_test_support.hpp"

using policy_test::error_of;

BOOST_AUTO_TEST_CASE(valid_policy_has_no_error) {
    BOOST_TEST(error_of("network = \"loopback\"\n[[fs]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n") ==
               "");
}

BOOST_AUTO_TEST_CASE(unknown_top_level_key_with_hint) {
    BOOST_TEST(error_of("netwrk = \"none\"\n") ==
               "p.toml:1:10: unknown key \"netwrk\" (did you mean \"network\"?)");
}

BOOST_AUTO_TEST_CASE(unknown_key_in_section) {
    BOOST_TEST(error_of("[limits]\nnofile = 10\ntimeot = \"5s\"\n") ==
               "p.toml:3:10: unknown key \"limits.timeot\" (did you mean \"timeout\"?)");
}

BOOST_AUTO_TEST_CASE(unknown_key_in_fs_entry) {
    BOOST_TEST(error_of("[[fs]]\ntype = \"bind\"\ndest = \"/usr\"\nsorce = \"/usr\"\n") ==
               "p.toml:4:9: unknown key \"fs[].sorce\" (did you mean \"src\"?)");
}

// A quoted key with a dot used to pass the check as the nested key and then
// be ignored (with any value, "relative" as a chdir too).
BOOST_AUTO_TEST_CASE(quoted_key_with_a_dot) {
    BOOST_TEST(error_of("\"process.chdir\" = \"relative\"\n") ==
               "p.toml:1:19: key \"process.chdir\": a key name cannot contain \".\" (nest it: "
               "[process] in TOML, an object in JSON)");
    BOOST_TEST(error_of("\"nix.daemon\" = true\n") ==
               "p.toml:1:16: key \"nix.daemon\": a key name cannot contain \".\" (nest it: [nix] "
               "in TOML, an object in JSON)");
    // Not a key of the schema either way: the unknown key it always was.
    BOOST_TEST(error_of("\"ex.tends\" = \"x\"\n") == "p.toml:1:14: unknown key \"ex.tends\"");
}

BOOST_AUTO_TEST_CASE(unknown_key_without_hint) {
    BOOST_TEST(error_of("zzzzzzzz = 1\n") == "p.toml:1:12: unknown key \"zzzzzzzz\"");
}

BOOST_AUTO_TEST_CASE(wrong_type) {
    BOOST_TEST(error_of("\n\nuid = \"root\"\n") ==
               "p.toml:3:7: uid: expected an integer, got a string");
    BOOST_TEST(error_of("[process]\nnew_session = 1\n") ==
               "p.toml:2:15: process.new_session: expected a boolean, got an integer");
    BOOST_TEST(error_of("[env]\nunset = [\"A\", 3]\n") ==
               "p.toml:2:15: env.unset item: expected a string, got an integer");
}

BOOST_AUTO_TEST_CASE(bad_enum_value) {
    BOOST_TEST(error_of("network = \"wifi\"\n") ==
               "p.toml:1:11: network: expected \"none\", \"loopback\", \"private\", \"host\" or "
               "\"allowlist\", got \"wifi\"");
}

BOOST_AUTO_TEST_CASE(bad_paths) {
    BOOST_TEST(error_of("[[fs]]\ntype = \"tmpfs\"\ndest = \"tmp\"\n") ==
               "p.toml:3:8: fs.dest: path must be absolute: \"tmp\"");
    BOOST_TEST(error_of("[[fs]]\ntype = \"bind\"\nsrc = \"/a/../../etc\"\ndest = \"/x\"\n") ==
               "p.toml:3:7: fs.src: \"..\" is not allowed in a path: \"/a/../../etc\"");
    BOOST_TEST(error_of("[[fs]]\ntype = \"dir\"\ndest = \"/a\\u0000b\"\n") ==
               "p.toml:3:8: fs.dest: path contains a NUL byte");
    BOOST_TEST(error_of("[process]\nchdir = \"${nope}/x\"\n") ==
               "p.toml:2:9: unknown variable ${nope}");
}

BOOST_AUTO_TEST_CASE(bad_sizes_durations_modes) {
    BOOST_TEST(error_of("[[fs]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = \"12Q\"\n") ==
               "p.toml:4:8: fs.size: bad size \"12Q\" (use a number with k, M, G or T)");
    BOOST_TEST(error_of("[[fs]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = -1\n") ==
               "p.toml:4:8: fs.size: size must not be negative");
    BOOST_TEST(error_of("[limits]\ntimeout = \"5 minutes\"\n") ==
               "p.toml:2:11: limits.timeout: bad duration \"5 minutes\" (use ms, s, m or h)");
    BOOST_TEST(error_of("[[fs]]\ntype = \"dir\"\ndest = \"/d\"\nmode = \"0789\"\n") ==
               "p.toml:4:8: fs.mode: bad mode \"0789\" (octal)");
    BOOST_TEST(error_of("[limits]\nnofile = [10, 5]\n") ==
               "p.toml:2:10: limits.nofile: soft limit above the hard limit");
}

BOOST_AUTO_TEST_CASE(conflicting_options) {
    BOOST_TEST(error_of("hostname = \"box\"\n[namespaces]\nuts = false\n") ==
               "p.toml:1:12: hostname: needs namespaces.uts = true");
    BOOST_TEST(error_of("[[fs]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsrc = \"/x\"\n") ==
               "p.toml:4:7: fs: \"src\" does not apply to \"tmpfs\"");
    BOOST_TEST(error_of("[[fs]]\ntype = \"chmod\"\ndest = \"/t\"\n") ==
               "p.toml:1:1: fs: chmod needs \"mode\"");
    BOOST_TEST(error_of("[env]\ninherit = [\"PATH\"]\n") ==
               "p.toml:2:11: env.inherit: only meaningful with env.clear = true");
    BOOST_TEST(error_of("[namespaces]\npid = false\n[process]\nas_pid_1 = true\n") ==
               "p.toml:4:12: process.as_pid_1: needs namespaces.pid = true");
    BOOST_TEST(error_of("[[fs]]\ntype = \"mount\"\ndest = \"/t\"\n") ==
               "p.toml:2:8: fs.type: unknown operation \"mount\"");
}

BOOST_AUTO_TEST_CASE(malformed_toml) {
    const std::string e = error_of("network = \"none\nuid = 1\n");
    BOOST_TEST(e.starts_with("p.toml:1:"));
    BOOST_TEST(error_of("a = 1\na = 2\n").starts_with("p.toml:2:"));
}

BOOST_AUTO_TEST_CASE(json_positions) {
    BOOST_TEST(error_of("{\n  \"network\": \"none\",\n  \"uid\": \"x\"\n}\n", "p.json") ==
               "p.json:3:10: uid: expected an integer, got a string");
    BOOST_TEST(
        error_of("{\n  \"fs\": [ { \"type\": \"tmpfs\", \"dest\": \"/t\", \"szie\": 1 } ]\n}",
                 "p.json") == "p.json:2:52: unknown key \"fs[].szie\" (did you mean \"size\"?)");
}

BOOST_AUTO_TEST_CASE(malformed_json) {
    BOOST_TEST(error_of("{\n  \"network\": \"none\"\n  \"uid\": 1\n}", "p.json") ==
               "p.json:3:3: expected ',' or '}'");
    BOOST_TEST(error_of("{\"a\": 1, \"a\": 2}", "p.json") == "p.json:1:10: duplicate key \"a\"");
    BOOST_TEST(error_of("{\"uid\": null}", "p.json") ==
               "p.json:1:9: null is not a policy value (leave the key out)");
    BOOST_TEST(error_of("[1]", "p.json") == "p.json:1:1: the policy must be an object");
    BOOST_TEST(error_of(std::string(1000, '['), "p.json") == "p.json:1:66: nested too deeply");
}

BOOST_AUTO_TEST_CASE(ten_megabyte_policy) {
    std::string big = "description = \"" + std::string(10u << 20, 'x') + "\"\n";
    BOOST_TEST(error_of(big) ==
               "p.toml:1:1: policy is too large (10485777 bytes, the limit is 1 MiB)");
}

BOOST_AUTO_TEST_CASE(unknown_capability) {
    BOOST_TEST(error_of("[capabilities]\nadd = [\"CAP_NET_RAW\", \"CAP_FLY\"]\n") ==
               "p.toml:2:23: capabilities.add: unknown capability \"CAP_FLY\"");
    BOOST_TEST(error_of("[capabilities]\ndrop = [\"ALL\"]\n") == "");
}

// Mutated policies (bytes flipped, inserted, cut) either decode or fail
// with a PolicyError whose message starts with the file name: never another
// exception or a crash.
BOOST_AUTO_TEST_CASE(mutated_policies_fail_cleanly) {
    const std::string toml =
        "network = \"loopback\"\n[[fs]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n"
        "size = \"64M\"\n[limits]\nnofile = [1, 2]\ntimeout = \"5s\"\n[env]\nset = { A = "
        "\"${home}\" }\n";
    const std::string json =
        "{\"network\": \"host\", \"fs\": [{\"type\": \"dir\", \"dest\": \"/d\","
        " \"mode\": \"0755\"}], \"limits\": {\"core\": 0}}";
    std::mt19937 rng(4242);
    const std::string alphabet = "{}[]\",=:.\\/$ \n#0123456789abcdefxyz\x00\xff";
    int failed_cleanly = 0;
    for (int i = 0; i < 4000; ++i) {
        const bool is_json = i % 2;
        std::string text = is_json ? json : toml;
        for (int m = 0; m < 1 + static_cast<int>(rng() % 4); ++m) {
            const std::size_t at = rng() % (text.size() + 1);
            switch (rng() % 3) {
            case 0:
                text.insert(at, 1, alphabet[rng() % alphabet.size()]);
                break;
            case 1:
                if (at < text.size()) text.erase(at, 1 + rng() % 5);
                break;
            default:
                if (at < text.size()) text[at] = alphabet[rng() % alphabet.size()];
            }
        }
        const std::string name = is_json ? "m.json" : "m.toml";
        try {
            policy_test::decode(text, name);
        } catch (const burrow::policy::PolicyError& e) {
            ++failed_cleanly;
            if (!std::string(e.what()).starts_with(name + ":"))
                BOOST_TEST(e.what() == "starts with " + name);
        }
    }
    BOOST_TEST(failed_cleanly > 1000); // the mutations do reach the error paths
}

// ---- [network] allowlist rules (policy/network/egress_rules.hpp) ----

namespace {

using burrow::EgressRule;
using burrow::policy::EgressRuleError;
using burrow::policy::parse_egress_rule;
using burrow::policy::parse_forward;

std::string rule_error(const std::string& r) {
    try {
        parse_egress_rule(r);
    } catch (const EgressRuleError& e) {
        return e.what();
    }
    return "";
}

std::string forward_error(const std::string& r) {
    try {
        parse_forward(r);
    } catch (const EgressRuleError& e) {
        return e.what();
    }
    return "";
}

std::string addr_of(const EgressRule& r) {
    char buf[INET6_ADDRSTRLEN] = "";
    ::inet_ntop(r.family, r.addr.data(), buf, sizeof buf);
    return buf;
}

} // namespace

BOOST_AUTO_TEST_CASE(egress_rules_parse) {
    EgressRule r = parse_egress_rule("API.Anthropic.com:443");
    BOOST_TEST(r.name == "api.anthropic.com");
    BOOST_TEST(!r.wildcard);
    BOOST_TEST(r.port == 443);
    BOOST_TEST(r.text == "API.Anthropic.com:443");
    r = parse_egress_rule("*.github.com");
    BOOST_TEST(r.name == "github.com");
    BOOST_TEST(r.wildcard);
    BOOST_TEST(r.port == 0);
    r = parse_egress_rule("registry.npmjs.org.");
    BOOST_TEST(r.name == "registry.npmjs.org");
    r = parse_egress_rule("10.1.2.3/24:5432");
    BOOST_TEST(r.name.empty());
    BOOST_TEST(r.family == AF_INET);
    BOOST_TEST(addr_of(r) == "10.1.2.0"); // masked; the text keeps what was written
    BOOST_TEST(r.prefix == 24);
    BOOST_TEST(r.port == 5432);
    BOOST_TEST(r.text == "10.1.2.3/24:5432");
    r = parse_egress_rule("10.1.2.3:22");
    BOOST_TEST(addr_of(r) == "10.1.2.3");
    BOOST_TEST(r.prefix == 32);
    r = parse_egress_rule("[2001:db8::1/32]:443");
    BOOST_TEST(r.family == AF_INET6);
    BOOST_TEST(addr_of(r) == "2001:db8::");
    BOOST_TEST(r.prefix == 32);
    BOOST_TEST(r.port == 443);
    r = parse_egress_rule("[::1]");
    BOOST_TEST(r.prefix == 128);
    BOOST_TEST(r.port == 0);
    r = parse_egress_rule("0.0.0.0/0");
    BOOST_TEST(r.prefix == 0);
    BOOST_TEST(parse_egress_rule(std::string(63, 'a') + ".example").name.size() == 71u);
    BOOST_TEST(parse_forward("tcp:5432").port == 5432);
}

// Every class of bad rule, with its reason.
BOOST_AUTO_TEST_CASE(egress_rules_bad_input) {
    BOOST_TEST(rule_error("") == "empty rule");
    BOOST_TEST(rule_error("10.0.0.0/33") == "bad CIDR prefix 33 (0-32 for IPv4)");
    BOOST_TEST(rule_error("[2001:db8::/129]") == "bad CIDR prefix 129 (0-128 for IPv6)");
    BOOST_TEST(rule_error("10.0.0.0/") == "missing CIDR prefix after '/'");
    BOOST_TEST(rule_error("10.0.0.0/x") == "bad CIDR prefix x (0-32 for IPv4)");
    BOOST_TEST(rule_error("example.com/8") ==
               "a CIDR prefix needs an address, not a name: 10.0.0.0/8");
    BOOST_TEST(rule_error("10.1.2.300") == "bad IPv4 address \"10.1.2.300\"");
    BOOST_TEST(rule_error("10.1.2") == "bad IPv4 address \"10.1.2\"");
    BOOST_TEST(rule_error("[2001:db8::g]") == "bad IPv6 address \"2001:db8::g\"");
    BOOST_TEST(rule_error("2001:db8::1") ==
               "an IPv6 address goes in brackets: [2001:db8::1], [2001:db8::/32]:443");
    BOOST_TEST(rule_error("[::1") == "missing ']' after the IPv6 address");
    BOOST_TEST(rule_error("[::1]443") == "expected ':PORT' after ']'");
    BOOST_TEST(rule_error("example.com:70000") == "port 70000 out of range 1-65535");
    BOOST_TEST(rule_error("example.com:0") == "port 0 out of range 1-65535");
    BOOST_TEST(rule_error("example.com:") == "empty port after ':'");
    BOOST_TEST(rule_error("example.com:https") == "bad port \"https\" (a number 1-65535)");
    BOOST_TEST(rule_error(":443") == "missing host before ':'");
    BOOST_TEST(rule_error("api.*.example.com") ==
               "wildcard only as the first label: *.example.com");
    BOOST_TEST(rule_error("*example.com") == "wildcard only as the first label: *.example.com");
    BOOST_TEST(rule_error("*") == "wildcard needs a name below it: *.example.com");
    BOOST_TEST(rule_error("a..example") == "empty label in host name \"a..example\"");
    BOOST_TEST(rule_error(std::string(64, 'a') + ".example") ==
               "label \"" + std::string(64, 'a') + "\" longer than 63 characters");
    std::string long_name;
    for (int i = 0; i < 50; ++i) long_name += "abcd.";
    long_name += "example"; // 257 characters
    BOOST_TEST(rule_error(long_name) == "host name longer than 253 characters");
    BOOST_TEST(rule_error("-a.example") == "label \"-a\" starts or ends with '-'");
    BOOST_TEST(rule_error("a_b.example") ==
               "bad character '_' in host name (letters, digits, '-' and '.')");
    BOOST_TEST(rule_error("a b.example") ==
               "bad character ' ' in host name (letters, digits, '-' and '.')");
    BOOST_TEST(forward_error("5432") ==
               "expected tcp:PORT (the caller's 127.0.0.1:PORT at the sandbox's own)");
    BOOST_TEST(forward_error("udp:53") == "only tcp forwards: tcp:PORT, not \"udp\"");
    BOOST_TEST(forward_error("tcp:65536") == "port 65536 out of range 1-65535");
}

// In a policy file: the position of the offending element, and which mode
// may carry which list.
BOOST_AUTO_TEST_CASE(network_table_errors) {
    BOOST_TEST(
        error_of("[network]\nmode = \"allowlist\"\nallow = [\"a.test\", \"10.0.0.0/33\"]\n") ==
        "p.toml:3:20: network.allow: \"10.0.0.0/33\": bad CIDR prefix 33 (0-32 for IPv4)");
    BOOST_TEST(error_of("[network]\nmode = \"allowlist\"\nallow = [\"a.test:70000\"]\n") ==
               "p.toml:3:10: network.allow: \"a.test:70000\": port 70000 out of range 1-65535");
    BOOST_TEST(error_of("[network]\nmode = \"allowlist\"\nallow = [\"a.*.test\"]\n") ==
               "p.toml:3:10: network.allow: \"a.*.test\": wildcard only as the first label: "
               "*.example.com");
    BOOST_TEST(error_of("[network]\nmode = \"allowlist\"\nallow = []\n") ==
               "p.toml:3:9: network.allow: mode \"allowlist\" needs at least one rule (for no way "
               "out at all: mode = \"loopback\")");
    BOOST_TEST(error_of("[network]\nmode = \"allowlist\"\n") ==
               "p.toml:2:8: network.allow: mode \"allowlist\" needs at least one rule (for no way "
               "out at all: mode = \"loopback\")");
    BOOST_TEST(error_of("network = \"allowlist\"\n") ==
               "p.toml:1:11: network: \"allowlist\" needs its rules: [network] mode = "
               "\"allowlist\", allow = [\"api.example.com:443\", ...]");
    BOOST_TEST(error_of("[network]\nmode = \"private\"\nallow = [\"a.test\"]\n") ==
               "p.toml:3:9: network.allow: only with mode = \"allowlist\" (mode is \"private\")");
    BOOST_TEST(error_of("[network]\nmode = \"loopback\"\nforward = [\"tcp:5432\"]\n") ==
               "p.toml:3:11: network.forward: only with mode = \"private\" or \"allowlist\" (mode "
               "is \"loopback\")");
    BOOST_TEST(
        error_of("[network]\nmode = \"private\"\nforward = [\"udp:53\"]\n") ==
        "p.toml:3:12: network.forward: \"udp:53\": only tcp forwards: tcp:PORT, not \"udp\"");
    BOOST_TEST(
        error_of("[network]\nmode = \"wifi\"\n") ==
        "p.toml:2:8: network.mode: expected \"none\", \"loopback\", \"private\", \"host\" or "
        "\"allowlist\", got \"wifi\"");
    BOOST_TEST(error_of("[network]\nforward = [\"tcp:1\"]\n") ==
               "p.toml:1:2: network: the table needs mode (\"none\", \"loopback\", \"private\", "
               "\"host\" or \"allowlist\")");
    BOOST_TEST(error_of("[network]\nmode = \"allowlist\"\nalow = [\"a.test\"]\n") ==
               "p.toml:3:8: unknown key \"network.alow\" (did you mean \"allow\"?)");
    BOOST_TEST(error_of("network = 1\n") == "p.toml:1:11: network: expected a string or a table, "
                                            "got an integer");
    BOOST_TEST(error_of("[network]\nallow = [\"a.test\"]\n[namespaces]\nuser = false\n") ==
               "p.toml:1:2: network: mode \"allowlist\" needs namespaces.user = true (the "
               "sandbox's own user namespace holds its nftables rules)");
    // JSON: the same messages at the JSON positions.
    BOOST_TEST(error_of("{\"network\": {\"mode\": \"allowlist\",\n \"allow\": [\"*.\"]}}\n",
                        "p.json") == "p.json:2:12: network.allow: \"*.\": empty host name");
    // Valid: allow without mode means allowlist; private with forward.
    BOOST_TEST(error_of("[network]\nallow = [\"a.test:443\", \"[::1]:8080\"]\n") == "");
    BOOST_TEST(error_of("[network]\nmode = \"private\"\nforward = [\"tcp:5432\"]\n") == "");
}
