// The egress proxy's event loop (one thread, Boost.Asio): serves the
// listeners steer() made in the sandbox's namespace from the caller's side.
//
//  * resolver (UDP; TCP port 53 through the TCP listener): a query for an
//    allowed name goes to the caller's resolvers (c-ares, its resolv.conf,
//    with a fresh query id) and the answer back; its A/AAAA addresses are
//    remembered for that name. Any other name: NXDOMAIN, nothing sent.
//  * TCP: the original destination (SO_ORIGINAL_DST) is allowed when an
//    address rule covers it, or when the resolver handed that address out
//    for a name whose rule covers the port and, if the client's first
//    bytes name a host (TLS SNI, HTTP Host), that name is allowed and
//    resolved to that address too. Then the proxy connects out and splices
//    the bytes both ways (splice(2) through a pipe: no copy into user
//    space). Refused: a reset, and a denial record.
//  * forward listeners: spliced to the caller's loopback at the same port.
//  * open mode (Egress::open): every name resolved, every destination but
//    the special ones (loopback...) allowed and spliced at once.
//    (rules.hpp steered_verdict / dns_answered hold each decision.)
//
// Denials: "burrow: net: refused ..." on stderr, or one JSON object a line
// on the JSON status fd. Counts per destination are handed back at the end.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/egress/steer.hpp"
#include "runtime/runtime.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::egress {

struct ProxyConfig {
    const Egress* egress = nullptr;
    int log_fd = 2;            // where denials go
    bool json = false;         // log_fd is the JSON status fd
    int stop_fd = -1;          // readable (EOF) = the sandbox is over: return
    pid_t sandbox_pid = 0;     // the sandbox's first process: who made a refused connection
    std::string sandbox_netns; // "net:[INODE]" of the sandbox's network namespace
};

// Runs until stop_fd turns readable; returns the tallies.
std::vector<RunResult::NetTally> serve(const ProxyConfig& cfg, Listeners l);

} // namespace burrow::egress
