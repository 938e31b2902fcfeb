// libFuzzer target: policy documents, TOML (fuzz_policy_toml) or JSON
// (fuzz_policy_json, built with FUZZ_POLICY_JSON): the syntax reader, the
// schema decoder, `burrow policy show` and resolution to a Sandbox.
//
// Invariant beyond "no crash": what `policy show` prints parses back to the
// same policy (policy_show.hpp promises show -> parse -> same), in both
// output syntaxes.
//
// Kept out of resolution, because it is not parsing: [nix] (may run
// nix-store or open a store database) and a seccomp profile named by path
// (could name a FIFO or /dev/stdin); built-in profile names stay.
#include <string>

#include "policy/bwrap/args.hpp"
#include "policy/file/policy.hpp"
#include "policy/file/resolve.hpp"
#include "policy/file/show.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace burrow::policy;

const Vars& vars() {
    static const Vars v = [] {
        Vars x;
        x.values = {{"cwd", "/work/project"}, {"project", "/work/project"},
                    {"home", "/home/fuzz"},   {"user", "fuzz"},
                    {"uid", "1000"},          {"gid", "1000"}};
        return x;
    }();
    return v;
}

const burrow::HostFacts& host() {
    static const burrow::HostFacts h = [] {
        burrow::HostFacts x;
        x.uid = 1000;
        x.gid = 1000;
        x.env = {"PATH=/usr/bin:/bin", "HOME=/home/fuzz", "TERM=dumb"};
        return x;
    }();
    return h;
}

// show -> parse -> decode gives the same policy (compared through show).
void check_round_trip(const Policy& p) {
    const std::string json = policy_to_json(p);
    const std::string toml = policy_to_toml(p);
    for (const bool as_json : {true, false}) {
        const std::string& text = as_json ? json : toml;
        Policy again;
        try {
            Node n = as_json ? parse_json(text, "show.json") : parse_toml(text, "show.toml");
            again = decode_policy(n, vars());
        } catch (const PolicyError& e) {
            fuzz::fail(std::string("policy show output does not parse back: ") + e.what() +
                       "\n--- output ---\n" + text);
        }
        const std::string json2 = policy_to_json(again);
        if (json2 != json)
            fuzz::fail(std::string("policy show round trip (") + (as_json ? "json" : "toml") +
                       ") changes the policy\n--- first ---\n" + json + "--- then ---\n" + json2);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FdLeakCheck leaks;
    const std::string_view text = fuzz::as_text(data, size);
    if (text.size() > kMaxPolicyBytes) return 0; // load_policy refuses these before parsing
    Policy p;
    try {
#ifdef FUZZ_POLICY_JSON
        const Node root = parse_json(text, "fuzz.json");
#else
        const Node root = parse_toml(text, "fuzz.toml");
#endif
        p = decode_policy(root, vars());
    } catch (const PolicyError&) {
        return 0;
    }
    check_round_trip(p);
    p.has_nix = false;
    if (p.seccomp_profile && p.seccomp_profile->find('/') != std::string::npos)
        p.seccomp_profile = "default";
    try {
        Resolved r = resolve_policy(p, {"/bin/true"}, host());
        (void)r;
    } catch (const PolicyError&) {
    }
    return 0;
}
