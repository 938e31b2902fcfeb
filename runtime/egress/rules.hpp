// Matching the original destination of a sandbox's connection, and the names
// it looks up, against Sandbox::egress.allow (runtime/sandbox.hpp). Plain
// functions over plain data: the proxy (proxy.hpp) decides with them, the
// unit tests pin them down.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow::egress {

// An IPv4 or IPv6 address; IPv4 also when it came as ::ffff:a.b.c.d.
struct Addr {
    int family = 0; // AF_INET / AF_INET6
    std::array<uint8_t, 16> bytes{};
    bool operator==(const Addr&) const = default;
    auto operator<=>(const Addr&) const = default;
};

Addr from_sockaddr(const sockaddr_storage& ss, uint16_t* port = nullptr);
sockaddr_storage to_sockaddr(const Addr& a, uint16_t port, socklen_t* len);
// "10.0.0.1", "2001:db8::1"; with a port "10.0.0.1:443", "[2001:db8::1]:443".
std::string to_string(const Addr& a);
std::string to_string(const Addr& a, uint16_t port);

// 127/8, ::1, 0.0.0.0/8, ::, link-local, multicast, broadcast: the sandbox
// reaches these only through an address rule naming them (or a forward), never
// through a name (DNS rebinding).
bool is_special(const Addr& a);

// DNS names compare case-insensitively and without a trailing dot.
std::string normal_name(std::string_view name);

// Whether `rule` (a name rule) covers `name` (normal_name'd).
bool name_matches(const EgressRule& rule, std::string_view name);
// Whether any name rule covers name, at `port` (0: at some port).
const EgressRule* name_allowed(const std::vector<EgressRule>& allow, std::string_view name,
                               uint16_t port);
// Whether an address rule covers a:port.
const EgressRule* address_allowed(const std::vector<EgressRule>& allow, const Addr& a,
                                  uint16_t port);

// What the proxy does with a steered connection to a:port before the
// client sends anything: connect and splice at once, refuse it, or connect
// while it waits for the client's name claim (TLS SNI, HTTP Host).
// name_known: the resolver handed `a` out for a name allowed at `port`.
// Egress::open allows every destination that is not special.
enum class Verdict { allow, refuse, sniff };
Verdict steered_verdict(const Egress& e, const Addr& a, uint16_t port, bool name_known);
// Whether the resolver answers `name` from the caller's side (else NXDOMAIN).
bool dns_answered(const Egress& e, std::string_view name);

} // namespace burrow::egress
