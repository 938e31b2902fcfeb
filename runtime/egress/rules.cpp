#include "runtime/egress/rules.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace burrow::egress {

Addr from_sockaddr(const sockaddr_storage& ss, uint16_t* port) {
    Addr a;
    if (ss.ss_family == AF_INET) {
        const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
        a.family = AF_INET;
        std::memcpy(a.bytes.data(), &s->sin_addr, 4);
        if (port) *port = ntohs(s->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
        if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
            a.family = AF_INET;
            std::memcpy(a.bytes.data(), s->sin6_addr.s6_addr + 12, 4);
        } else {
            a.family = AF_INET6;
            std::memcpy(a.bytes.data(), s->sin6_addr.s6_addr, 16);
        }
        if (port) *port = ntohs(s->sin6_port);
    }
    return a;
}

sockaddr_storage to_sockaddr(const Addr& a, uint16_t port, socklen_t* len) {
    sockaddr_storage ss{};
    if (a.family == AF_INET) {
        auto* s = reinterpret_cast<sockaddr_in*>(&ss);
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        std::memcpy(&s->sin_addr, a.bytes.data(), 4);
        *len = sizeof(sockaddr_in);
    } else {
        auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        std::memcpy(&s->sin6_addr, a.bytes.data(), 16);
        *len = sizeof(sockaddr_in6);
    }
    return ss;
}

std::string to_string(const Addr& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(a.family == AF_INET ? AF_INET : AF_INET6, a.bytes.data(), buf, sizeof buf);
    return buf;
}

std::string to_string(const Addr& a, uint16_t port) {
    if (a.family == AF_INET) return to_string(a) + ":" + std::to_string(port);
    return "[" + to_string(a) + "]:" + std::to_string(port);
}

bool is_special(const Addr& a) {
    const uint8_t* b = a.bytes.data();
    if (a.family == AF_INET)
        return b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224;
    static const uint8_t zero[16] = {};
    if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true; // :: and ::1
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                       // fe80::/10
    if (b[0] == 0xff) return true;                                                // multicast
    // IPv4-compatible forms that could reach 127.0.0.1 another way.
    if (std::memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff) return true;
    return false;
}

std::string normal_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool name_matches(const EgressRule& rule, std::string_view name) {
    if (rule.name.empty()) return false;
    if (!rule.wildcard) return name == rule.name;
    // "*.example.com": strictly below example.com.
    return name.size() > rule.name.size() + 1 && name.ends_with(rule.name) &&
           name[name.size() - rule.name.size() - 1] == '.';
}

const EgressRule* name_allowed(const std::vector<EgressRule>& allow, std::string_view name,
                               uint16_t port) {
    for (const EgressRule& r : allow)
        if (name_matches(r, name) && (port == 0 || r.port == 0 || r.port == port)) return &r;
    return nullptr;
}

namespace {

bool in_prefix(const EgressRule& r, const Addr& a) {
    if (r.family != a.family) return false;
    const int bits = r.prefix;
    const int full = bits / 8, rest = bits % 8;
    if (std::memcmp(r.addr.data(), a.bytes.data(), static_cast<std::size_t>(full)) != 0)
        return false;
    if (rest == 0) return true;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (r.addr[static_cast<std::size_t>(full)] & mask) ==
           (a.bytes[static_cast<std::size_t>(full)] & mask);
}

} // namespace

const EgressRule* address_allowed(const std::vector<EgressRule>& allow, const Addr& a,
                                  uint16_t port) {
    for (const EgressRule& r : allow)
        if (r.name.empty() && in_prefix(r, a) && (r.port == 0 || r.port == port)) return &r;
    return nullptr;
}

Verdict steered_verdict(const Egress& e, const Addr& a, uint16_t port, bool name_known) {
    if (address_allowed(e.allow, a, port)) return Verdict::allow;
    // Loopback and the like only by an address rule, never through a name
    // (DNS rebinding) nor in open mode (the caller's loopback services).
    if (is_special(a)) return Verdict::refuse;
    if (e.open) return Verdict::allow;
    return name_known ? Verdict::sniff : Verdict::refuse;
}

bool dns_answered(const Egress& e, std::string_view name) {
    return e.dns_only || e.open || name_allowed(e.allow, name, 0) != nullptr;
}

} // namespace burrow::egress
