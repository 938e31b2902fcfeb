// [landlock]: every filesystem right (and TCP port right when ports are
// given) is denied unless a rule grants it.
#include <array>
#include <map>

#include "policy/file/keys.hpp"
#include "runtime/landlock.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

constexpr const char* kFsRights[] = {"read",     "write", "execute",   "make-dir", "remove",
                                     "truncate", "refer", "ioctl-dev", "ro",       "rw"};

// The policy's access groups, in runtime/landlock's bits (the kernel's
// values, which Debian 12's <linux/landlock.h> does not have all of).
namespace lfs = landlock::fs;
constexpr uint64_t kRead = lfs::read_file | lfs::read_dir;
constexpr uint64_t kWrite =
    lfs::write_file | lfs::make_reg | lfs::make_sym | lfs::make_sock | lfs::make_fifo;
constexpr uint64_t kRemove = lfs::remove_dir | lfs::remove_file;

uint64_t fs_right(const std::string& name) {
    static const std::map<std::string, uint64_t> m{
        {"read", kRead},
        {"write", kWrite},
        {"execute", lfs::execute},
        {"make-dir", lfs::make_dir},
        {"remove", kRemove},
        {"truncate", lfs::truncate},
        {"refer", lfs::refer},
        {"ioctl-dev", lfs::ioctl_dev},
        {"ro", kRead | lfs::execute},
        {"rw", kRead | kWrite | kRemove | lfs::execute | lfs::make_dir | lfs::truncate |
                   lfs::refer | lfs::ioctl_dev},
    };
    return m.at(name); // decode accepted only these names
}

void decode_paths(const Decode& d, const Node& n, Policy& p, std::string_view) {
    for (const auto& e : n.array) {
        LandlockPath lp;
        const Node* pn = e.get("path");
        const Node* an = e.get("access");
        if (!pn || !an) Decode::fail(e, "landlock.paths: needs \"path\" and \"access\"");
        lp.path = d.path(*pn, "landlock.paths.path");
        for (const auto& a : an->array) {
            bool ok = false;
            for (const char* k : kFsRights) ok = ok || a.str == k;
            if (!ok) Decode::fail(a, "landlock.paths.access: unknown right \"" + a.str + "\"");
            lp.access.push_back(a.str);
        }
        if (const Node* o = e.get("optional")) lp.optional = o->boolean;
        p.landlock_paths.push_back(lp);
    }
}

void decode_ports(const Decode&, const Node& n, Policy& p, std::string_view) {
    for (const auto& e : n.array) {
        LandlockPort lp;
        const Node* pn = e.get("port");
        const Node* an = e.get("access");
        if (!pn || !an) Decode::fail(e, "landlock.ports: needs \"port\" and \"access\"");
        if (pn->integer < 0 || pn->integer > 65535)
            Decode::fail(*pn, "landlock.ports.port: out of range");
        lp.port = static_cast<uint16_t>(pn->integer);
        for (const auto& a : an->array) {
            if (a.str != "bind" && a.str != "connect")
                Decode::fail(a, "landlock.ports.access: expected \"bind\" or \"connect\"");
            lp.access.push_back(a.str);
        }
        p.landlock_ports.push_back(lp);
    }
}

// [landlock] written at all turns landlock on, unless `enabled` says
// otherwise (decoded after the section).
void decode_section(const Decode&, const Node&, Policy& p, std::string_view) {
    p.landlock = true;
}

// The same for a layer: the layer's `enabled`, else the base's, else on.
void layer_section(Policy& b, const Policy& t, std::string_view) {
    if (t.wrote("landlock.enabled"))
        b.landlock = t.landlock;
    else if (!b.wrote("landlock.enabled"))
        b.landlock = true;
}

void resolve_section(const Policy& p, Sandbox& sb) {
    if (!p.landlock) return;
    Landlock& ll = sb.landlock;
    ll.enabled = true;
    ll.min_abi = p.landlock_min_abi;
    ll.handled_fs = landlock::fs_rights_for_abi(landlock::known_abi);
    for (const auto& lp : p.landlock_paths) {
        LandlockPathRule r;
        r.path = lp.path;
        r.optional = lp.optional;
        for (const auto& a : lp.access) r.access |= fs_right(a);
        ll.paths.push_back(r);
    }
    if (!p.landlock_ports.empty())
        ll.handled_net = landlock::net::bind_tcp | landlock::net::connect_tcp;
    for (const auto& lp : p.landlock_ports) {
        LandlockPortRule r;
        r.port = lp.port;
        for (const auto& a : lp.access)
            r.access |= a == "bind" ? landlock::net::bind_tcp : landlock::net::connect_tcp;
        ll.ports.push_back(r);
    }
}

constexpr std::array kKeys{
    KeyDoc{"landlock",
           K::table,
           "",
           "Landlock: every filesystem right (and TCP port right when ports are given) is "
           "denied unless a rule grants it.",
           {.decode = decode_section,
            .shown =
                [](const Policy& p) {
                    return p.landlock || !p.landlock_paths.empty() || !p.landlock_ports.empty();
                },
            .layer = layer_section,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.landlock) o.cannot("landlock rules");
                },
            .resolve = resolve_section}},
    KeyDoc{"landlock.enabled",
           K::boolean,
           "true when [landlock] is present",
           "Apply landlock.",
           {.decode = key::boolean<&Policy::landlock>,
            .show = key::show<&Policy::landlock>,
            .layer = key::later<&Policy::landlock>}},
    KeyDoc{"landlock.min_abi",
           K::integer,
           "0",
           "Fail unless the kernel offers this landlock ABI; 0: best effort.",
           {.decode =
                [](const Decode&, const Node& n, Policy& p, std::string_view) {
                    if (n.integer < 0 || n.integer > 100)
                        Decode::fail(n, "landlock.min_abi: out of range");
                    p.landlock_min_abi = static_cast<int>(n.integer);
                },
            .show = key::show<&Policy::landlock_min_abi>,
            .layer = key::later<&Policy::landlock_min_abi>}},
    KeyDoc{"landlock.paths",
           K::tables,
           "[]",
           "Path rules.",
           {.decode = decode_paths,
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    Json paths = Json::array();
                    for (const auto& lp : p.landlock_paths)
                        paths.push_back({{"path", lit(lp.path)},
                                         {"access", lp.access},
                                         {"optional", lp.optional}});
                    t[std::string(leaf)] = paths;
                },
            .layer = key::append<&Policy::landlock_paths>}},
    KeyDoc{
        "landlock.paths[].path", K::string, "", "Path inside the sandbox.", {.layer = key::item}},
    KeyDoc{"landlock.paths[].access",
           K::strings,
           "",
           "read, write, execute, make-dir, remove, truncate, refer, ioctl-dev, or the "
           "shorthands ro (read+execute) and rw (everything).",
           {.layer = key::item}},
    KeyDoc{"landlock.paths[].optional",
           K::boolean,
           "false",
           "Skip the rule if the path is missing.",
           {.layer = key::item}},
    KeyDoc{"landlock.ports",
           K::tables,
           "[]",
           "TCP port rules.",
           {.decode = decode_ports,
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    Json ports = Json::array();
                    for (const auto& lp : p.landlock_ports)
                        ports.push_back({{"port", lp.port}, {"access", lp.access}});
                    t[std::string(leaf)] = ports;
                },
            .layer = key::append<&Policy::landlock_ports>}},
    KeyDoc{"landlock.ports[].port", K::integer, "", "TCP port.", {.layer = key::item}},
    KeyDoc{"landlock.ports[].access", K::strings, "", "bind, connect.", {.layer = key::item}},
};

} // namespace

std::span<const KeyDoc> landlock_keys() {
    return kKeys;
}

} // namespace burrow::policy
