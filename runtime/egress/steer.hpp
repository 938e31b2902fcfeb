// The sandbox's side of the egress allowlist: run by a short-lived process
// of the proxy's that has entered the sandbox's user and network namespaces
// (before the payload runs). It brings lo up, routes everything through lo
// (so a connect() to any address reaches the nat hook instead of failing
// with ENETUNREACH), creates the proxy's listeners there, and installs the
// nftables rules (through libnftables, loaded only here) that steer the
// sandbox's traffic to them:
//
//   DNS (UDP and TCP port 53, to any address) -> the resolver / the proxy
//   TCP to anything but the sandbox's own loopback -> the proxy's listener
//   everything else leaving lo's 127.0.0.0/8 and ::1 -> dropped
//
// The namespace has no other interface, so the rules steer but are not the
// boundary: a payload that flushed them (it has no CAP_NET_ADMIN there
// unless a policy grants it) would only lose its network, not reach out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::egress {

struct Listeners {
    Fd tcp; // [::]:port (dual-stack; 0.0.0.0:port without IPv6): steered TCP
    uint16_t tcp_port = 0;
    Fd dns4, dns6; // 127.0.0.1:port, [::1]:port (same port; dns6 absent without IPv6)
    uint16_t dns_port = 0;
    struct Forward {
        Fd fd; // a listener on 127.0.0.1:port or [::1]:port
        uint16_t port = 0;
        bool connect_proxy = false; // Egress::connect_proxy_port, not a forward
    };
    std::vector<Forward> forward;
    bool ipv6 = false;
};

// The nftables ruleset for these ports (a table "inet burrow"); dns_only:
// the DNS redirects alone (Egress::dns_only).
std::string ruleset(uint16_t tcp_port, uint16_t dns_port, bool ipv6, bool dns_only = false);

// Does all of the above in the current network namespace. Throws SetupError
// (one line) when any step fails.
Listeners steer(const Egress& egress);

// Hands `l` over a unix socket / takes it from one (SCM_RIGHTS).
void send_listeners(int sock, const Listeners& l);
Listeners receive_listeners(int sock);

} // namespace burrow::egress
