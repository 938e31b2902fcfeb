// Every error path of policy decoding names file:line:column exactly.
#define BOOST_TEST_MODULE policy_errors
#include <boost/test/unit_test.hpp>

#include <random>

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
               "p.toml:1:11: network: expected \"none\", \"loopback\", \"private\" or \"host\", "
               "got \"wifi\"");
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
