// libFuzzer target: what a hostile sandbox sends the egress proxy
// (runtime/egress/): its first bytes on a TCP connection (sniff: TLS
// ClientHello SNI, HTTP Host) and its DNS queries (dns::parse_query,
// answer_with_rcode), and what an upstream resolver answers
// (dns::answer_addresses).
//
// Invariants beyond "no crash": a claimed name is a part of the input; sniff
// never asks for more at kSniffLimit bytes; every prefix of an input that
// sniff classified as TLS or HTTP was "need more" or the same verdict (the
// proxy decides on the bytes it has read so far); the refusal of a query is
// a response (never parsed as a query again) no longer than the query.
#include <string>

#include "runtime/egress/dns.hpp"
#include "runtime/egress/sniff.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace burrow::egress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_text(data, size);
    const Sniffed s = sniff(in);
    if (!s.name.empty())
        fuzz::check(in.find(s.name) != std::string_view::npos, "sniffed name not in the input");
    if (in.size() >= kSniffLimit)
        fuzz::check(s.kind != Sniffed::Kind::need_more, "need_more at the limit");
    if (s.kind == Sniffed::Kind::tls || s.kind == Sniffed::Kind::http)
        for (std::size_t n = 0; n < in.size(); n += 1 + n / 4) {
            const Sniffed p = sniff(in.substr(0, n));
            fuzz::check(p.kind == Sniffed::Kind::need_more || p.kind == s.kind,
                        "a prefix of a " +
                            std::string(s.kind == Sniffed::Kind::tls ? "TLS" : "HTTP") +
                            " head was classified otherwise");
        }
    if (const auto q = dns::parse_query(in)) {
        const std::string a = dns::answer_with_rcode(in, 3);
        fuzz::check(a.size() <= in.size(), "refusal longer than the query");
        fuzz::check(!dns::parse_query(a).has_value(), "refusal parses as a query");
        fuzz::check(!q->name.empty(), "empty question name");
    }
    (void)dns::answer_addresses(in);
    return 0;
}
