// [limits]: resource limits (limits.NAME, one key per rlimit the runtime
// knows), the wall-clock timeout and the cgroup limits.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <map>

#include "policy/file/keys.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

std::string_view limit_name(std::string_view key) {
    return key.substr(key.find('.') + 1);
}

const Rlimit* find_limit(const std::vector<Rlimit>& v, std::string_view name) {
    auto it = std::find_if(v.begin(), v.end(), [&](const Rlimit& r) { return r.name == name; });
    return it == v.end() ? nullptr : &*it;
}

// A number, a size, "unlimited" (UINT64_MAX), or [soft, hard].
void decode_rlimit(const Decode&, const Node& n, Policy& p, std::string_view key) {
    Rlimit r;
    r.name = std::string(limit_name(key));
    const std::string k(key);
    auto one = [&](const Node& v) -> uint64_t {
        if (v.kind == Node::Kind::string && v.str == "unlimited") return UINT64_MAX;
        if (v.kind != Node::Kind::string && v.kind != Node::Kind::integer)
            Decode::fail(v, k + ": expected a number or \"unlimited\"");
        return Decode::size(v, k);
    };
    if (n.kind == Node::Kind::array) {
        r.soft = one(n.array[0]);
        r.hard = one(n.array[1]);
        if (r.soft > r.hard) Decode::fail(n, k + ": soft limit above the hard limit");
    } else {
        r.soft = r.hard = one(n);
    }
    p.rlimits.push_back(r);
}

void show_rlimit(const Policy& p, Json& t, std::string_view leaf) {
    const Rlimit* r = find_limit(p.rlimits, leaf);
    if (r == nullptr) return;
    auto value = [](uint64_t v) -> Json {
        if (v == UINT64_MAX) return "unlimited";
        return v;
    };
    t[std::string(leaf)] =
        r->soft == r->hard ? value(r->soft) : Json::array({value(r->soft), value(r->hard)});
}

// The layer's limit replaces the base's, in the table's order (the order
// decoding gives).
void layer_rlimit(Policy& b, const Policy& t, std::string_view key) {
    const std::string_view name = limit_name(key);
    std::vector<Rlimit> out;
    for (const std::string& n : rlimits::names())
        if (const Rlimit* r = find_limit(n == name ? t.rlimits : b.rlimits, n)) out.push_back(*r);
    b.rlimits = std::move(out);
}

// The rlimits as a whole: one warning, and the runtime's list.
void section_to_bwrap(const Policy& p, BwrapOut& o) {
    if (!p.rlimits.empty()) o.cannot("limits (rlimits): use prlimit(1) or ulimit");
}

void resolve_section(const Policy& p, Sandbox& sb) {
    for (const auto& r : p.rlimits) {
        burrow::Rlimit rl;
        rl.resource = *rlimits::from_name(r.name); // decode checked the name
        rl.soft = r.soft == UINT64_MAX ? RLIM_INFINITY : r.soft;
        rl.hard = r.hard == UINT64_MAX ? RLIM_INFINITY : r.hard;
        sb.limits.rlimits.push_back(rl);
    }
}

void cgroup_to_bwrap(const Policy& p, BwrapOut& o) {
    if (p.memory_max || p.pids_max || p.cpu_max)
        o.cannot("cgroup limits (memory_max, pids_max, cpu_max)");
}

int signal_number(const std::string& name) {
    static const std::map<std::string, int> m{
        {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"KILL", SIGKILL},
        {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
    return m.at(name); // decode accepted only these names
}

constexpr KeyOps kRlimit{.decode = decode_rlimit, .show = show_rlimit, .layer = layer_rlimit};

constexpr std::array kKeys{
    KeyDoc{"limits",
           K::table,
           "",
           "Resource limits and the wall-clock timeout.",
           {.layer = key::section, .bwrap = section_to_bwrap, .resolve = resolve_section}},
    // Every name of runtime/rlimits.cpp, in its order (a unit test checks).
    KeyDoc{"limits.nofile", K::rlimit, "",
           "RLIMIT_NOFILE: a number, \"unlimited\" or [soft, hard].", kRlimit},
    KeyDoc{"limits.nproc", K::rlimit, "", "RLIMIT_NPROC.", kRlimit},
    KeyDoc{"limits.as", K::rlimit, "", "RLIMIT_AS (bytes, sizes like \"4G\" allowed).", kRlimit},
    KeyDoc{"limits.data", K::rlimit, "", "RLIMIT_DATA (bytes).", kRlimit},
    KeyDoc{"limits.stack", K::rlimit, "", "RLIMIT_STACK (bytes).", kRlimit},
    KeyDoc{"limits.cpu", K::rlimit, "", "RLIMIT_CPU (seconds).", kRlimit},
    KeyDoc{"limits.fsize", K::rlimit, "", "RLIMIT_FSIZE (bytes).", kRlimit},
    KeyDoc{"limits.core", K::rlimit, "", "RLIMIT_CORE (bytes).", kRlimit},
    KeyDoc{"limits.memlock", K::rlimit, "", "RLIMIT_MEMLOCK (bytes).", kRlimit},
    KeyDoc{"limits.timeout",
           K::duration,
           "",
           "Wall-clock limit of the whole sandbox; on expiry burrow exits 124.",
           {.decode =
                [](const Decode&, const Node& n, Policy& p, std::string_view k) {
                    p.timeout_ms = Decode::duration_ms(n, k);
                    if (*p.timeout_ms == 0) Decode::fail(n, "limits.timeout: must be more than 0");
                },
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    if (p.timeout_ms) t[std::string(leaf)] = std::to_string(*p.timeout_ms) + "ms";
                },
            .layer = key::later<&Policy::timeout_ms>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.timeout_ms) o.cannot("limits.timeout: use timeout(1)");
                },
            .resolve = [](const Policy& p, Sandbox& sb) { sb.limits.timeout_ms = p.timeout_ms; }}},
    KeyDoc{
        "limits.grace",
        K::duration,
        "2s",
        "Time between timeout_signal and SIGKILL.",
        {.decode = key::duration<&Policy::grace_ms>,
         .show =
             [](const Policy& p, Json& t, std::string_view leaf) {
                 t[std::string(leaf)] = std::to_string(p.grace_ms) + "ms";
             },
         .layer = key::later<&Policy::grace_ms>,
         .resolve = [](const Policy& p, Sandbox& sb) { sb.limits.timeout_grace_ms = p.grace_ms; }}},
    KeyDoc{"limits.timeout_signal",
           K::string,
           "TERM",
           "Signal sent first on timeout.",
           {.decode =
                [](const Decode&, const Node& n, Policy& p, std::string_view) {
                    std::string s = n.str.starts_with("SIG") ? n.str.substr(3) : n.str;
                    if (s != "TERM" && s != "INT" && s != "HUP" && s != "KILL" && s != "QUIT" &&
                        s != "USR1" && s != "USR2")
                        Decode::fail(n, "limits.timeout_signal: expected TERM, INT, HUP, QUIT, "
                                        "USR1, USR2 or KILL");
                    p.timeout_signal = s;
                },
            .show = key::show<&Policy::timeout_signal>,
            .layer = key::later<&Policy::timeout_signal>,
            .resolve =
                [](const Policy& p, Sandbox& sb) {
                    sb.limits.timeout_signal = signal_number(p.timeout_signal);
                }}},
    KeyDoc{"limits.memory_max",
           K::size,
           "",
           "cgroup v2 memory.max.",
           {.decode = key::size<&Policy::memory_max>,
            .show = key::show<&Policy::memory_max>,
            .layer = key::later<&Policy::memory_max>,
            .bwrap = cgroup_to_bwrap,
            .resolve = [](const Policy& p, Sandbox& sb) { sb.limits.memory_max = p.memory_max; }}},
    KeyDoc{"limits.pids_max",
           K::integer,
           "",
           "cgroup v2 pids.max.",
           {.decode =
                [](const Decode&, const Node& n, Policy& p, std::string_view) {
                    if (n.integer <= 0) Decode::fail(n, "limits.pids_max: must be more than 0");
                    p.pids_max = static_cast<uint64_t>(n.integer);
                },
            .show = key::show<&Policy::pids_max>,
            .layer = key::later<&Policy::pids_max>,
            .bwrap = cgroup_to_bwrap,
            .resolve = [](const Policy& p, Sandbox& sb) { sb.limits.pids_max = p.pids_max; }}},
    KeyDoc{"limits.cpu_max",
           K::string,
           "",
           "cgroup v2 cpu.max (\"QUOTA PERIOD\").",
           {.decode = key::verbatim<&Policy::cpu_max>,
            .show = key::show<&Policy::cpu_max>,
            .layer = key::later<&Policy::cpu_max>,
            .bwrap = cgroup_to_bwrap,
            .resolve = [](const Policy& p, Sandbox& sb) { sb.limits.cpu_max = p.cpu_max; }}},
    KeyDoc{"limits.cgroup_required",
           K::boolean,
           "false",
           "Fail instead of reporting the cgroup limits unavailable.",
           {.decode = key::boolean<&Policy::cgroup_required>,
            .show = key::show<&Policy::cgroup_required>,
            .layer = key::later<&Policy::cgroup_required>,
            .resolve = [](const Policy& p,
                          Sandbox& sb) { sb.limits.cgroup_required = p.cgroup_required; }}},
};

} // namespace

std::span<const KeyDoc> limits_keys() {
    return kKeys;
}

} // namespace burrow::policy
