// [env] (the payload's environment) and [capabilities].
#include <strings.h>

#include <algorithm>
#include <array>

#include "policy/bwrap/caps_names.hpp"
#include "policy/file/keys.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

void decode_set(const Decode& d, const Node& n, Policy& p, std::string_view) {
    for (const auto& [k, v] : n.table) {
        if (k.empty() || k.find('=') != std::string::npos)
            Decode::fail(v, "env.set: bad variable name \"" + k + "\"");
        p.env_set.emplace_back(k, d.subst(v));
    }
}

void show_set(const Policy& p, Json& t, std::string_view leaf) {
    Json set = Json::object();
    for (const auto& [k, v] : p.env_set) set[k] = lit(v);
    t[std::string(leaf)] = set;
}

// A table of strings merges name by name (a name keeps its place).
void layer_set(Policy& b, const Policy& t, std::string_view) {
    for (const auto& kv : t.env_set) {
        auto it = std::find_if(b.env_set.begin(), b.env_set.end(),
                               [&](const auto& e) { return e.first == kv.first; });
        if (it == b.env_set.end())
            b.env_set.push_back(kv);
        else
            it->second = kv.second;
    }
}

// After --clearenv: "LC_*" copies every variable of the caller whose name
// starts with "LC_"; a plain name copies that one.
void inherit_to_bwrap(const Policy& p, BwrapOut& o) {
    if (!p.env_clear) return;
    for (const auto& name : p.env_inherit) {
        const bool prefix = name.ends_with('*');
        const std::string_view want =
            prefix ? std::string_view(name).substr(0, name.size() - 1) : name;
        for (const auto& e : o.host_env) {
            const auto eq = e.find('=');
            if (eq == std::string::npos || eq == 0) continue;
            const std::string_view var(e.data(), eq);
            if (prefix ? !var.starts_with(want) : var != want) continue;
            o.add({"--setenv", std::string(var), e.substr(eq + 1)});
            if (!prefix) break;
        }
    }
}

// Checked here, where the position is known (resolve would say it through
// the bwrap front end without one). Names are kept as written.
template <auto M> void decode_caps(const Decode&, const Node& n, Policy& p, std::string_view k) {
    for (const auto& e : n.array) {
        if (::strcasecmp(e.str.c_str(), "ALL") != 0 && !capability_from_name(e.str))
            Decode::fail(e, std::string(k) + ": unknown capability \"" + e.str + "\"");
        (p.*M).push_back(e.str);
    }
}

template <auto M, const char* Option> void each_to_bwrap(const Policy& p, BwrapOut& o) {
    for (const auto& v : p.*M) o.add({Option, v});
}

constexpr char kUnsetenv[] = "--unsetenv";
constexpr char kCapAdd[] = "--cap-add";
constexpr char kCapDrop[] = "--cap-drop";

constexpr std::array kKeys{
    KeyDoc{"env", K::table, "", "The payload's environment.", {.layer = key::section}},
    KeyDoc{"env.clear",
           K::boolean,
           "false",
           "Start from an empty environment (only env.inherit and env.set pass).",
           {.decode = key::boolean<&Policy::env_clear>,
            .show = key::show<&Policy::env_clear>,
            .layer = key::later<&Policy::env_clear>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.env_clear) o.add({"--clearenv"});
                }}},
    KeyDoc{"env.inherit",
           K::strings,
           "[]",
           "Variables kept from the caller when env.clear; NAME* keeps every variable whose "
           "name starts with NAME. burrow run --env NAME adds one.",
           {.decode = key::texts<&Policy::env_inherit>,
            .check =
                [](const Node& n, const Policy& p) {
                    if (!p.env_clear)
                        Decode::fail(n, "env.inherit: only meaningful with env.clear = true");
                },
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    if (p.env_clear) t[std::string(leaf)] = lit(p.env_inherit);
                },
            .layer = key::append<&Policy::env_inherit>,
            .bwrap = inherit_to_bwrap}},
    KeyDoc{"env.set",
           K::free_table,
           "",
           "Variables to set (NAME = \"value\").",
           {.decode = decode_set,
            .show = show_set,
            .layer = layer_set,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    for (const auto& [k, v] : p.env_set) o.add({"--setenv", k, v});
                }}},
    KeyDoc{"env.unset",
           K::strings,
           "[]",
           "Variables to remove.",
           {.decode = key::texts<&Policy::env_unset>,
            .show = key::show_lit<&Policy::env_unset>,
            .layer = key::append<&Policy::env_unset>,
            .bwrap = each_to_bwrap<&Policy::env_unset, kUnsetenv>}},
};

constexpr std::array kCapabilityKeys{
    KeyDoc{"capabilities",
           K::table,
           "",
           "Capabilities in the sandbox (default: none).",
           {.layer = key::section}},
    KeyDoc{"capabilities.add",
           K::strings,
           "[]",
           "Capability names to keep (CAP_NET_RAW, ALL).",
           {.decode = decode_caps<&Policy::caps_add>,
            .show = key::show<&Policy::caps_add>,
            .layer = key::append<&Policy::caps_add>,
            .bwrap = each_to_bwrap<&Policy::caps_add, kCapAdd>}},
    KeyDoc{"capabilities.drop",
           K::strings,
           "[]",
           "Capability names to drop.",
           {.decode = decode_caps<&Policy::caps_drop>,
            .show = key::show<&Policy::caps_drop>,
            .layer = key::append<&Policy::caps_drop>,
            .bwrap = each_to_bwrap<&Policy::caps_drop, kCapDrop>}},
};

} // namespace

std::span<const KeyDoc> env_keys() {
    return kKeys;
}

std::span<const KeyDoc> capabilities_keys() {
    return kCapabilityKeys;
}

} // namespace burrow::policy
