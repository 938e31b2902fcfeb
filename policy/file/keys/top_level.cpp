// Top-level keys: description, extends/replace/vars (spent when the file
// loads), the network, the ids and the host name.
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "policy/file/keys.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

// host > private > loopback > none: a layer may only make the network
// stricter. private reaches outside, but not the host's loopback services
// nor its abstract unix sockets, as host does.
int network_rank(const std::string& n) {
    return n == "host" ? 3 : n == "private" ? 2 : n == "loopback" ? 1 : 0;
}

void decode_network(const Decode&, const Node& n, Policy& p, std::string_view) {
    if (n.str != "none" && n.str != "loopback" && n.str != "private" && n.str != "host")
        Decode::fail(n,
                     "network: expected \"none\", \"loopback\", \"private\" or \"host\", got \"" +
                         n.str + "\"");
    p.network = n.str;
}

void layer_network(Policy& b, const Policy& t, std::string_view) {
    if (network_rank(t.network) < network_rank(b.network)) b.network = t.network;
}

void network_to_bwrap(const Policy& p, BwrapOut& o) {
    if (p.network != "host") o.add({"--unshare-net"});
    if (p.network == "none")
        o.cannot("network = \"none\": bwrap always brings lo up (as \"loopback\")");
    if (p.network == "private")
        o.cannot("network = \"private\": bwrap has no user-mode network stack (as \"loopback\"; "
                 "attach pasta or slirp4netns yourself)");
}

// network = "private": pasta (faster, maintained), else slirp4netns, from a
// fixed list of directories rather than the caller's PATH. Missing both is
// an error, never a silent fall back to the host's network.
UserNet private_network_helper() {
    static const char* const dirs[] = {"/usr/bin",
                                       "/usr/sbin",
                                       "/bin",
                                       "/sbin",
                                       "/usr/local/bin",
                                       "/usr/local/sbin",
                                       "/run/current-system/sw/bin"};
    for (NetStack s : {NetStack::pasta, NetStack::slirp4netns})
        for (const char* d : dirs) {
            std::string path = std::string(d) + (s == NetStack::pasta ? "/pasta" : "/slirp4netns");
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                ::access(path.c_str(), X_OK) == 0)
                return UserNet{s, path};
        }
    std::string where;
    for (const char* d : dirs) where += std::string(where.empty() ? "" : ", ") + d;
    throw PolicyError("network = \"private\": neither pasta nor slirp4netns found in " + where +
                      " (Debian: apt install passt, or slirp4netns)");
}

// bwrap always brings lo up in a new network namespace; "none" means no
// interface at all; "private" adds a user-mode stack behind it.
void resolve_network(const Policy& p, Sandbox& sb) {
    sb.ns.net_loopback = p.network != "none";
    if (p.network == "private") sb.user_net = private_network_helper();
}

template <auto M> void id(const Decode&, const Node& n, Policy& p, std::string_view k) {
    if (n.integer < 0 || n.integer > 0xfffffffe) Decode::fail(n, std::string(k) + ": out of range");
    p.*M = static_cast<uint32_t>(n.integer);
}

constexpr std::array kKeys{
    KeyDoc{"description",
           K::string,
           "",
           "One line saying what the policy is for.",
           {.decode = key::verbatim<&Policy::description>,
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    if (!p.description.empty()) t[std::string(leaf)] = p.description;
                },
            .layer = key::later<&Policy::description>}},
    KeyDoc{"extends",
           K::string,
           "",
           "A built-in policy name or a file (relative to this file) this policy layers on. "
           "Later keys win; arrays append unless named in replace.",
           {.layer = key::consumed}},
    KeyDoc{"replace",
           K::strings,
           "[]",
           "Dotted keys whose arrays this layer replaces instead of appending to (\"fs\", "
           "\"env.inherit\").",
           {.layer = key::consumed}},
    KeyDoc{"vars",
           K::free_table,
           "",
           "Variables for ${NAME} in strings. Predefined: cwd, home, user, uid, gid, project "
           "(default: cwd). --set NAME=VALUE sets one.",
           {.layer = key::consumed}},
    KeyDoc{"network",
           K::string,
           "none",
           "none (new network namespace, no interface up), loopback (new namespace, lo up), "
           "private (new namespace with outbound connectivity through pasta, else slirp4netns; "
           "not the host's loopback services nor its abstract sockets) or host (the host's "
           "network).",
           {.decode = decode_network,
            .show = key::show<&Policy::network>,
            .layer = layer_network,
            .bwrap = network_to_bwrap,
            .resolve = resolve_network}},
    KeyDoc{"uid",
           K::integer,
           "caller's uid",
           "User id inside the sandbox.",
           {.decode = id<&Policy::uid>,
            .show = key::show<&Policy::uid>,
            .layer = key::later<&Policy::uid>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.uid) o.add({"--uid", std::to_string(*p.uid)});
                }}},
    KeyDoc{"gid",
           K::integer,
           "caller's gid",
           "Group id inside the sandbox.",
           {.decode = id<&Policy::gid>,
            .show = key::show<&Policy::gid>,
            .layer = key::later<&Policy::gid>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.gid) o.add({"--gid", std::to_string(*p.gid)});
                }}},
    KeyDoc{"hostname",
           K::string,
           "",
           "Host name inside the sandbox (needs namespaces.uts).",
           {.decode = key::text<&Policy::hostname>,
            .check =
                [](const Node& n, const Policy& p) {
                    if (!p.ns_uts) Decode::fail(n, "hostname: needs namespaces.uts = true");
                },
            .show = key::show_lit<&Policy::hostname>,
            .layer = key::later<&Policy::hostname>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.hostname) o.add({"--hostname", *p.hostname});
                }}},
};

} // namespace

std::span<const KeyDoc> top_level_keys() {
    return kKeys;
}

} // namespace burrow::policy
