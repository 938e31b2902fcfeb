// The name a client's first bytes claim: the server_name of a TLS
// ClientHello or the Host header of an HTTP/1 request. The proxy checks it
// against the allowlist and against the address the client connected to, so
// a connection to an allowed name's address cannot carry another name.
// Bounded and copy-free over untrusted bytes (fuzzed: tests/fuzz).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace burrow::egress {

struct Sniffed {
    enum class Kind {
        need_more, // a prefix of a ClientHello or of a request head: read on
        tls,       // a ClientHello; name = its server_name ("" when it has none)
        http,      // an HTTP/1 request head; name = its Host, port removed ("" when none)
        other,     // something else: the address alone decides
    };
    Kind kind = Kind::need_more;
    std::string name;
};

// The most the proxy reads before it decides (a ClientHello with
// post-quantum key shares is ~2 KiB; a request head rarely more than 8).
constexpr std::size_t kSniffLimit = 16384;

// What `data` (the first bytes the client sent) is. At kSniffLimit bytes or
// more, never need_more.
Sniffed sniff(std::string_view data);

} // namespace burrow::egress
