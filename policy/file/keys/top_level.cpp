// Top-level keys: description, extends/replace/vars (spent when the file
// loads), the network, the ids and the host name.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <sstream>

#include "policy/file/keys.hpp"
#include "runtime/io.hpp"
#include "policy/network/egress_rules.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

// host > private > allowlist > loopback > none: a layer may only make the
// network stricter. private reaches outside, but not the host's loopback
// services nor its abstract unix sockets, as host does; allowlist reaches
// only what its rules name.
int network_rank(const std::string& n) {
    return n == "host" ? 4 : n == "private" ? 3 : n == "allowlist" ? 2 : n == "loopback" ? 1 : 0;
}

void check_mode(const Node& n, std::string_view key) {
    if (network_rank(n.str) == 0 && n.str != "none")
        Decode::fail(n, std::string(key) +
                            ": expected \"none\", \"loopback\", \"private\", \"host\" or "
                            "\"allowlist\", got \"" +
                            n.str + "\"");
}

// network = "MODE", or [network] mode, allow, forward. Everything is checked
// here, where the whole table is at hand: each rule (policy/network's
// grammar), and which mode may carry which list. A table without mode
// that has allow means "allowlist".
void decode_network(const Decode&, const Node& n, Policy& p, std::string_view) {
    if (n.kind == Node::Kind::string) {
        check_mode(n, "network");
        if (n.str == "allowlist")
            Decode::fail(n, "network: \"allowlist\" needs its rules: [network] mode = "
                            "\"allowlist\", allow = [\"api.example.com:443\", ...]");
        p.network = n.str;
        return;
    }
    const Node* mode = n.get("mode");
    const Node* allow = n.get("allow");
    const Node* forward = n.get("forward");
    if (mode != nullptr) {
        check_mode(*mode, "network.mode");
        p.network = mode->str;
    } else if (allow != nullptr) {
        p.network = "allowlist";
    } else {
        Decode::fail(n, "network: the table needs mode (\"none\", \"loopback\", \"private\", "
                        "\"host\" or \"allowlist\")");
    }
    const std::string shown = "(mode is \"" + p.network + "\")";
    if (allow != nullptr && p.network != "allowlist")
        Decode::fail(*allow, "network.allow: only with mode = \"allowlist\" " + shown);
    if (p.network == "allowlist" && (allow == nullptr || allow->array.empty()))
        Decode::fail(allow != nullptr ? *allow : *mode,
                     "network.allow: mode \"allowlist\" needs at least one rule (for no way "
                     "out at all: mode = \"loopback\")");
    if (forward != nullptr && p.network != "private" && p.network != "allowlist")
        Decode::fail(*forward,
                     "network.forward: only with mode = \"private\" or \"allowlist\" " + shown);
    p.network_allow.clear();
    p.network_allow_pos.clear();
    p.network_forward.clear();
    p.network_forward_pos.clear();
    for (const Node* list : {allow, forward}) {
        if (list == nullptr) continue;
        const bool is_allow = list == allow;
        for (const Node& item : list->array) {
            try {
                if (is_allow)
                    (void)parse_egress_rule(item.str);
                else
                    (void)parse_forward(item.str);
            } catch (const EgressRuleError& e) {
                Decode::fail(item, std::string(is_allow ? "network.allow" : "network.forward") +
                                       ": \"" + item.str + "\": " + e.what());
            }
            (is_allow ? p.network_allow : p.network_forward).push_back(item.str);
            (is_allow ? p.network_allow_pos : p.network_forward_pos).push_back(item.pos);
        }
    }
}

// The sandbox's user namespace owns its network namespace and with it the
// nftables rules that steer its traffic to the proxy.
void check_network(const Node& n, const Policy& p) {
    if (p.network == "allowlist" && !p.ns_user)
        Decode::fail(n, "network: mode \"allowlist\" needs namespaces.user = true (the "
                        "sandbox's own user namespace holds its nftables rules)");
}

// The table form whenever there are rules or forwards, so that show ->
// decode gives them back; the string form otherwise.
void show_network(const Policy& p, Json& t, std::string_view leaf) {
    if (p.network_allow.empty() && p.network_forward.empty()) {
        t[std::string(leaf)] = p.network;
        return;
    }
    Json n = Json::object();
    n["mode"] = p.network;
    if (!p.network_allow.empty()) n["allow"] = p.network_allow;
    if (!p.network_forward.empty()) n["forward"] = p.network_forward;
    t[std::string(leaf)] = n;
}

std::string at(const std::vector<Pos>& pos, std::size_t i) {
    return i < pos.size() && pos[i].line != 0 ? pos[i].str() + ": " : "";
}

bool is_forwarded(const Policy& b, uint16_t port) {
    for (const auto& f : b.network_forward)
        if (parse_forward(f).port == port) return true;
    return false;
}

// A layer narrows the network or leaves it: a looser mode keeps the base;
// otherwise the layer's mode and lists win, but each of its rules must be
// allowed by the base already (an allowlist base: a rule of it covers the
// layer's; private: everything but the caller's loopback, which a
// forward of the base may open for its port), and so must each forward.
void layer_network(Policy& b, const Policy& t, std::string_view) {
    if (network_rank(t.network) > network_rank(b.network)) return;
    if (b.network != "host") {
        std::vector<EgressRule> base_rules;
        for (const auto& r : b.network_allow) base_rules.push_back(parse_egress_rule(r));
        for (std::size_t i = 0; i < t.network_allow.size(); ++i) {
            const EgressRule r = parse_egress_rule(t.network_allow[i]);
            if (b.network == "allowlist" && !covered_by_any(r, base_rules))
                throw PolicyError(at(t.network_allow_pos, i) + "network.allow: \"" + r.text +
                                  "\" is not in the base policy's allowlist (a layer may only "
                                  "narrow it)");
            const bool one_host =
                r.port != 0 && r.prefix == (r.family == AF_INET ? 32 : 128) && reaches_loopback(r);
            if (b.network == "private" && reaches_loopback(r) &&
                !(one_host && is_forwarded(b, r.port)))
                throw PolicyError(at(t.network_allow_pos, i) + "network.allow: \"" + r.text +
                                  "\" reaches the caller's loopback, which the base policy's "
                                  "network (\"private\") does not");
        }
        for (std::size_t i = 0; i < t.network_forward.size(); ++i)
            if (!is_forwarded(b, parse_forward(t.network_forward[i]).port))
                throw PolicyError(at(t.network_forward_pos, i) + "network.forward: \"" +
                                  t.network_forward[i] +
                                  "\" is not forwarded by the base policy (a layer may only "
                                  "narrow the network)");
    }
    b.network = t.network;
    b.network_allow = t.network_allow;
    b.network_allow_pos = t.network_allow_pos;
    b.network_forward = t.network_forward;
    b.network_forward_pos = t.network_forward_pos;
}

void network_to_bwrap(const Policy& p, BwrapOut& o) {
    if (p.network != "host") o.add({"--unshare-net"});
    if (p.network == "none")
        o.cannot("network = \"none\": bwrap always brings lo up (as \"loopback\")");
    if (p.network == "private")
        o.cannot("network = \"private\": bwrap has no user-mode network stack (as \"loopback\"; "
                 "attach pasta or slirp4netns yourself)");
    if (p.network == "allowlist")
        o.cannot("network = \"allowlist\": bwrap has no egress allowlist (as \"loopback\": "
                 "nothing gets out)");
    if (!p.network_forward.empty())
        o.cannot("network.forward: bwrap cannot forward the caller's loopback ports");
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
// "allowlist": no user-mode stack; the runtime's egress proxy (runtime/egress/)
// is the only way out, for what the rules name. "private" with forward: the
// stack's own way out, plus the forwarded ports (egress stays disabled).
// The CONNECT endpoint and its variables: offer_connect_proxy
// (policy/network/egress_rules.hpp), shared with the container backend.

// Whether the caller's resolver is on its loopback (systemd-resolved's
// 127.0.0.53, a local dnsmasq): a user-mode stack cannot reach it from the
// sandbox (no host loopback, by design), so the sandbox would have no DNS.
bool resolver_on_loopback() {
    std::string text, why;
    if (read_regular_file("/etc/resolv.conf", 1 << 16, text, why) != ReadFileError::none)
        return false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string key, addr;
        if (!(f >> key >> addr) || key != "nameserver") continue;
        if (addr.rfind("127.", 0) == 0 || addr == "::1") return true;
    }
    return false;
}

void resolve_network(const Policy& p, Sandbox& sb) {
    sb.ns.net_loopback = p.network != "none";
    if (p.network == "private") {
        sb.user_net = private_network_helper();
        // burrow's resolver answers from the caller's side instead.
        sb.egress.dns_only = resolver_on_loopback();
    }
    if (p.network == "allowlist") {
        if (!sb.ns.net || !sb.ns.user)
            throw PolicyError("network = \"allowlist\": needs its own network and user "
                              "namespaces");
        sb.egress.enabled = true;
        for (const auto& r : p.network_allow) sb.egress.allow.push_back(parse_egress_rule(r));
    }
    for (const auto& f : p.network_forward) sb.egress.forward.push_back(parse_forward(f));
    if (sb.egress.enabled) offer_connect_proxy(sb.egress, sb.proc.env);
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
           K::string_or_table,
           "none",
           "The mode as a string, or a table of mode, allow and forward. none (new network "
           "namespace, no interface up), loopback (new namespace, lo up), private (new "
           "namespace with outbound connectivity through pasta, else slirp4netns; not the "
           "host's loopback services nor its abstract sockets), allowlist (new namespace whose "
           "only way out is burrow's egress proxy, for what network.allow names; table form "
           "only) or host (the host's network).",
           {.decode = decode_network,
            .check = check_network,
            .show = show_network,
            .layer = layer_network,
            .bwrap = network_to_bwrap,
            .resolve = resolve_network}},
    KeyDoc{"network.mode",
           K::string,
           "allowlist when allow is set",
           "none, loopback, private, host or allowlist, as the string form.",
           {.layer = key::item}},
    KeyDoc{"network.allow",
           K::strings,
           "[]",
           "mode allowlist: the destinations the sandbox may reach. NAME[:PORT], *.NAME[:PORT] "
           "(every name strictly below NAME), IPv4[/PREFIX][:PORT], [IPv6[/PREFIX]][:PORT]; "
           "no port: every port. Not substituted.",
           {.layer = key::item}},
    KeyDoc{"network.forward",
           K::strings,
           "[]",
           "modes private and allowlist: \"tcp:PORT\" makes the caller's 127.0.0.1:PORT the "
           "sandbox's own 127.0.0.1:PORT (and [::1]:PORT).",
           {.layer = key::item}},
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
