// [seccomp]: a profile (built-in name or file) and the policy's own rules,
// checked before the profile's. Resolution compiles them into one program.
#include <array>

#include "policy/file/keys.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/log.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

void decode_rules(const Decode& d, const Node& rules, Policy& p, std::string_view) {
    for (const auto& r : rules.array) {
        SeccompRule rule;
        rule.pos = r.pos;
        const Node* sc = r.get("syscalls");
        const Node* act = r.get("action");
        if (!sc || !act) Decode::fail(r, "seccomp.rules: needs \"syscalls\" and \"action\"");
        rule.syscalls = d.strings(*sc);
        rule.action = act->str;
        if (const Node* args = r.get("args"))
            for (const auto& a : args->array) {
                SeccompRule::Arg arg;
                const Node* idx = a.get("index");
                const Node* val = a.get("value");
                if (!idx || !val)
                    Decode::fail(a, "seccomp.rules.args: needs \"index\" and \"value\"");
                if (idx->integer < 0 || idx->integer > 5)
                    Decode::fail(*idx, "seccomp.rules.args.index: must be 0 to 5");
                arg.index = static_cast<unsigned>(idx->integer);
                arg.value = static_cast<uint64_t>(val->integer);
                if (const Node* op = a.get("op")) arg.op = op->str;
                if (const Node* m = a.get("mask")) arg.mask = static_cast<uint64_t>(m->integer);
                rule.args.push_back(arg);
            }
        p.seccomp_rules.push_back(std::move(rule));
    }
}

void show_rules(const Policy& p, Json& t, std::string_view leaf) {
    Json rules = Json::array();
    for (const auto& r : p.seccomp_rules) {
        Json o{{"syscalls", lit(r.syscalls)}, {"action", r.action}};
        Json args = Json::array();
        for (const auto& a : r.args) {
            Json aj{{"index", a.index}, {"op", a.op}, {"value", a.value}};
            if (a.mask) aj["mask"] = *a.mask;
            args.push_back(aj);
        }
        if (!args.empty()) o["args"] = args;
        rules.push_back(o);
    }
    t[std::string(leaf)] = rules;
}

// Rules and denial logging mean nothing without a profile to fall back on.
void check_section(const Node& s, const Policy& p) {
    if (p.seccomp_log_denials && !p.seccomp_profile)
        Decode::fail(s, "seccomp: log_denials needs a \"profile\"");
    if (!p.seccomp_rules.empty() && !p.seccomp_profile)
        Decode::fail(
            s, "seccomp: rules need a \"profile\" to fall back on (\"none\" allows the rest)");
}

seccomp::CmpOp cmp_op(const SeccompRule& r, const std::string& op) {
    const auto parsed = seccomp::parse_cmp_op(op);
    if (!parsed) throw PolicyError(r.pos, "seccomp.rules.args.op: unknown operator \"" + op + "\"");
    return *parsed;
}

// The profile with the policy's rules in front (the first matching rule
// decides), compiled into the sandbox's one filter.
void resolve_section(const Policy& p, Sandbox& sb) {
    if (!p.seccomp_profile) return;
    try {
        seccomp::Profile prof;
        try {
            prof = seccomp::load_profile(*p.seccomp_profile);
        } catch (const seccomp::ProfileError& e) {
            throw PolicyError(p.seccomp_profile_pos, std::string("seccomp.profile: ") + e.what());
        }
        std::vector<seccomp::Rule> rules;
        for (const auto& r : p.seccomp_rules) {
            seccomp::Rule rule;
            rule.syscalls = r.syscalls;
            auto act = seccomp::parse_action(r.action);
            if (!act)
                throw PolicyError(r.pos,
                                  "seccomp.rules.action: unknown action \"" + r.action + "\"");
            rule.action = *act;
            rule.origin = r.pos.str();
            for (const auto& a : r.args) {
                seccomp::ArgCondition c;
                c.index = a.index;
                c.op = cmp_op(r, a.op);
                c.value = a.value;
                if (a.mask) c.mask = *a.mask;
                rule.args.push_back(c);
            }
            rules.push_back(std::move(rule));
        }
        rules.insert(rules.end(), prof.rules.begin(), prof.rules.end());
        prof.rules = std::move(rules);
        if (prof.rules.empty() && prof.default_action == seccomp::allow_action) return;
        sb.seccomp_programs.push_back(seccomp::compile_profile(prof));
        // The policy's profile is the only program: the one logged.
        if (p.seccomp_log_denials) seccomp::log_denials(sb, sb.seccomp_programs.size() - 1);
    } catch (const seccomp::ProfileError& e) {
        throw PolicyError(std::string("seccomp: ") + e.what());
    }
}

void profile_to_bwrap(const Policy& p, BwrapOut& o) {
    if (p.seccomp_profile && (*p.seccomp_profile != "none" || !p.seccomp_rules.empty()))
        o.cannot("seccomp profile \"" + *p.seccomp_profile +
                 "\": stock bwrap takes only compiled BPF; add: --seccomp 9 9< <(burrow seccomp "
                 "export " +
                 *p.seccomp_profile + ")" +
                 (p.seccomp_rules.empty() ? "" : " (the policy's extra rules are lost)"));
}

constexpr std::array kKeys{
    KeyDoc{"seccomp",
           K::table,
           "",
           "System call filter.",
           {.check = check_section,
            .shown = [](const Policy& p) { return p.seccomp_profile.has_value(); },
            .layer = key::section,
            .resolve = resolve_section}},
    KeyDoc{"seccomp.profile",
           K::string,
           "",
           "Built-in profile (default, strict, ci, none) or profile file (see burrow-seccomp(7)).",
           {.decode =
                [](const Decode& d, const Node& n, Policy& p, std::string_view) {
                    p.seccomp_profile = d.subst(n);
                    p.seccomp_profile_pos = n.pos;
                },
            .show = key::show_lit<&Policy::seccomp_profile>,
            .layer = key::later<&Policy::seccomp_profile, &Policy::seccomp_profile_pos>,
            .bwrap = profile_to_bwrap}},
    KeyDoc{"seccomp.log_denials",
           K::boolean,
           "false",
           "Report each call the filter refuses with an errno (stderr, or the JSON status fd); "
           "the payload gets the same errno.",
           {.decode =
                [](const Decode&, const Node& n, Policy& p, std::string_view) {
                    p.seccomp_log_denials = n.boolean;
                    p.seccomp_log_denials_pos = n.pos;
                },
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    if (p.seccomp_log_denials) t[std::string(leaf)] = true;
                },
            .layer = key::later<&Policy::seccomp_log_denials, &Policy::seccomp_log_denials_pos>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.seccomp_log_denials)
                        o.cannot("seccomp.log_denials: burrow bwrap --seccomp-log-denials only");
                }}},
    KeyDoc{
        "seccomp.rules",
        K::tables,
        "[]",
        "Rules checked before the profile's.",
        {.decode = decode_rules, .show = show_rules, .layer = key::append<&Policy::seccomp_rules>}},
    KeyDoc{"seccomp.rules[].syscalls",
           K::strings,
           "",
           "System call names and @groups.",
           {.layer = key::item}},
    KeyDoc{"seccomp.rules[].action",
           K::string,
           "",
           "allow, errno:NAME, kill-process, kill-thread, trap, log.",
           {.layer = key::item}},
    KeyDoc{"seccomp.rules[].args",
           K::tables,
           "[]",
           "Argument conditions, all must hold.",
           {.layer = key::item}},
    KeyDoc{"seccomp.rules[].args[].index",
           K::integer,
           "",
           "Argument number 0-5.",
           {.layer = key::item}},
    KeyDoc{"seccomp.rules[].args[].op",
           K::string,
           "eq",
           "eq ne lt le gt ge masked_eq.",
           {.layer = key::item}},
    KeyDoc{"seccomp.rules[].args[].value",
           K::integer,
           "",
           "Value compared with.",
           {.layer = key::item}},
    KeyDoc{
        "seccomp.rules[].args[].mask", K::integer, "", "Mask for masked_eq.", {.layer = key::item}},
};

} // namespace

std::span<const KeyDoc> seccomp_keys() {
    return kKeys;
}

} // namespace burrow::policy
