// DNS messages for the egress resolver (proxy.hpp), through c-ares: the
// question of a sandbox's query, the NXDOMAIN answer for a name that is not
// allowed, and the addresses an upstream answer hands out (which the proxy
// then lets the sandbox connect to, for that name). Untrusted input both
// ways: every function is bounded by the message it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/egress/rules.hpp"

namespace burrow::egress::dns {

struct Question {
    std::string name; // normal_name()'d
    uint16_t type = 0;
};

// The one question of a standard query (QR=0, OPCODE=0, QDCOUNT=1), or none.
std::optional<Question> parse_query(std::string_view msg);

// The answer to `query` (parse_query() accepted it) with RCODE rcode and no
// records: 3 NXDOMAIN for names not allowed, 2 SERVFAIL when upstream failed.
std::string answer_with_rcode(std::string_view query, int rcode);

// The A and AAAA addresses of an upstream answer (CNAME chains followed).
std::vector<Addr> answer_addresses(std::string_view answer);

} // namespace burrow::egress::dns
