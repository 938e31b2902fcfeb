#include "policy/network/egress_rules.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace burrow::policy {

namespace {

[[noreturn]] void bad(const std::string& why) {
    throw EgressRuleError(why);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "1".."65535"; anything else is an error that quotes it.
uint16_t parse_port(std::string_view s) {
    if (s.empty()) bad("empty port after ':'");
    if (!all_digits(s)) bad("bad port \"" + std::string(s) + "\" (a number 1-65535)");
    // Leading zeros and long strings: compare by value without overflow.
    const std::string_view v = s.substr(std::min(s.find_first_not_of('0'), s.size()));
    if (v.empty() || v.size() > 5 || std::stoul(std::string(v)) > 65535)
        bad("port " + std::string(s) + " out of range 1-65535");
    return static_cast<uint16_t>(std::stoul(std::string(v)));
}

int parse_prefix(std::string_view s, int max) {
    if (s.empty()) bad("missing CIDR prefix after '/'");
    if (!all_digits(s) || s.size() > 3 || std::stoi(std::string(s)) > max)
        bad("bad CIDR prefix " + std::string(s) + " (0-" + std::to_string(max) + " for " +
            (max == 32 ? "IPv4" : "IPv6") + ")");
    return std::stoi(std::string(s));
}

void mask(EgressRule& r) {
    const int bytes = r.family == AF_INET ? 4 : 16;
    for (int i = 0; i < bytes; ++i) {
        const int keep = std::clamp(r.prefix - 8 * i, 0, 8);
        r.addr[i] &= static_cast<uint8_t>(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
    }
}

// ADDR[/PREFIX] of `family`; `shown` is how the address is named in errors.
void parse_address(EgressRule& r, std::string_view a, int family) {
    const int max = family == AF_INET ? 32 : 128;
    std::string_view addr = a;
    r.prefix = max;
    if (const auto slash = a.find('/'); slash != std::string_view::npos) {
        addr = a.substr(0, slash);
        r.prefix = parse_prefix(a.substr(slash + 1), max);
    }
    const std::string s(addr);
    r.family = family;
    if (::inet_pton(family, s.c_str(), r.addr.data()) != 1)
        bad(std::string("bad ") + (family == AF_INET ? "IPv4" : "IPv6") + " address \"" + s + "\"");
    mask(r);
}

// LDH labels, 1-63 characters each, 253 in all; stored lower case.
std::string parse_name(std::string_view n) {
    if (n.size() > 1 && n.back() == '.') n.remove_suffix(1);
    if (n.empty()) bad("empty host name");
    if (n.size() > 253) bad("host name longer than 253 characters");
    std::string out;
    std::size_t start = 0;
    while (true) {
        const auto dot = n.find('.', start);
        const std::string_view label =
            n.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty()) bad("empty label in host name \"" + std::string(n) + "\"");
        if (label.size() > 63)
            bad("label \"" + std::string(label) + "\" longer than 63 characters");
        for (const char c : label) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-';
            if (c == '*') bad("wildcard only as the first label: *.example.com");
            if (!ok) {
                char buf[8];
                std::snprintf(buf, sizeof buf, c >= 0x20 && c < 0x7f ? "'%c'" : "\\x%02x",
                              static_cast<unsigned char>(c));
                bad(std::string("bad character ") + buf +
                    " in host name (letters, digits, '-' "
                    "and '.')");
            }
        }
        if (label.front() == '-' || label.back() == '-')
            bad("label \"" + std::string(label) + "\" starts or ends with '-'");
        for (const char c : label)
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (dot == std::string_view::npos) break;
        out += '.';
        start = dot + 1;
    }
    return out;
}

// Digits and dots before any '/': an IPv4 address (or a typo of one),
// never a name.
bool looks_like_ipv4(std::string_view s) {
    s = s.substr(0, s.find('/'));
    return !s.empty() && s.find_first_not_of("0123456789.") == std::string_view::npos;
}

} // namespace

EgressRule parse_egress_rule(std::string_view text) {
    EgressRule r;
    r.text = std::string(text);
    if (text.empty()) bad("empty rule");
    std::string_view host = text;
    std::string_view port;
    bool has_port = false;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) bad("missing ']' after the IPv6 address");
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') bad("expected ':PORT' after ']'");
            port = rest.substr(1);
            has_port = true;
        }
        parse_address(r, text.substr(1, close - 1), AF_INET6);
    } else {
        const auto colons = std::count(text.begin(), text.end(), ':');
        if (colons > 1) bad("an IPv6 address goes in brackets: [2001:db8::1], [2001:db8::/32]:443");
        if (const auto c = text.find(':'); c != std::string_view::npos) {
            host = text.substr(0, c);
            port = text.substr(c + 1);
            has_port = true;
        }
        if (host.empty()) bad("missing host before ':'");
        if (looks_like_ipv4(host)) {
            parse_address(r, host, AF_INET);
        } else if (host.find('/') != std::string_view::npos) {
            bad("a CIDR prefix needs an address, not a name: 10.0.0.0/8");
        } else if (host.starts_with("*.")) {
            r.wildcard = true;
            r.name = parse_name(host.substr(2));
        } else if (host == "*") {
            bad("wildcard needs a name below it: *.example.com");
        } else {
            r.name = parse_name(host);
        }
    }
    if (has_port) r.port = parse_port(port);
    return r;
}

PortForward parse_forward(std::string_view text) {
    const auto c = text.find(':');
    const std::string_view proto = text.substr(0, c);
    if (c == std::string_view::npos || proto.empty())
        bad("expected tcp:PORT (the caller's 127.0.0.1:PORT at the sandbox's own)");
    if (proto != "tcp") bad("only tcp forwards: tcp:PORT, not \"" + std::string(proto) + "\"");
    return PortForward{parse_port(text.substr(c + 1))};
}

bool rule_covers(const EgressRule& base, const EgressRule& rule) {
    if (base.port != 0 && base.port != rule.port) return false;
    if (!base.name.empty() || !rule.name.empty()) {
        if (base.name.empty() || rule.name.empty()) return false;
        if (!base.wildcard) return !rule.wildcard && rule.name == base.name;
        // *.b.c covers a.b.c and *.a.b.c, and *.b.c itself.
        if (rule.wildcard && rule.name == base.name) return true;
        return rule.name.size() > base.name.size() + 1 && rule.name.ends_with("." + base.name);
    }
    if (base.family != rule.family || base.prefix > rule.prefix) return false;
    EgressRule narrowed = rule;
    narrowed.prefix = base.prefix;
    mask(narrowed);
    return narrowed.addr == base.addr;
}

bool covered_by_any(const EgressRule& rule, const std::vector<EgressRule>& base) {
    return std::any_of(base.begin(), base.end(),
                       [&](const EgressRule& b) { return rule_covers(b, rule); });
}

bool reaches_loopback(const EgressRule& rule) {
    if (!rule.name.empty()) return false;
    // 127.0.0.0/8 and 0.0.0.0/8 (Linux connects 0.0.0.0 to itself), ::1, ::
    // and both IPv4 ranges mapped into IPv6 (::ffff:127.0.0.1 is loopback).
    static const char* const kLoopback[] = {
        "127.0.0.0/8", "0.0.0.0/8", "[::1]", "[::]", "[::ffff:7f00:0/104]", "[::ffff:0:0/104]"};
    EgressRule r = rule;
    r.port = 0;
    for (const char* l : kLoopback) {
        const EgressRule lo = parse_egress_rule(l);
        // CIDR ranges are nested or apart: they meet when one covers the other.
        if (rule_covers(lo, r) || rule_covers(r, lo)) return true;
    }
    return false;
}

// Programs steer through the allowlist without any setting; the variables
// are for those that would otherwise try to go direct and wait. A variable
// the policy sets itself is left alone.
void offer_connect_proxy(Egress& egress, std::vector<std::string>& env) {
    uint16_t port = 3128;
    auto taken = [&](uint16_t q) {
        for (const auto& f : egress.forward)
            if (f.port == q) return true;
        return false;
    };
    while (taken(port)) ++port;
    egress.connect_proxy_port = port;
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    auto set_default = [&](const std::string& name, const std::string& value) {
        for (const auto& e : env)
            if (e.compare(0, name.size() + 1, name + "=") == 0) return;
        env.push_back(name + "=" + value);
    };
    set_default("HTTPS_PROXY", url);
    set_default("https_proxy", url);
    // Plain http through the same endpoint (absolute-form requests), for
    // programs that send http:// URLs to a proxy when they have one.
    set_default("HTTP_PROXY", url);
    set_default("http_proxy", url);
    set_default("NO_PROXY", "localhost,127.0.0.1,::1");
    set_default("no_proxy", "localhost,127.0.0.1,::1");
}

} // namespace burrow::policy
