// The egress proxy's pure parts (runtime/egress/): matching destinations
// and names against the allowlist, the name a client's first bytes claim
// (TLS SNI, HTTP Host), DNS messages, and the nftables ruleset text. The
// proxy itself runs for real in tests/integration/net_allow.sh.
#define BOOST_TEST_MODULE egress
#include <arpa/inet.h>
#include <ares.h>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/egress/dns.hpp"
#include "runtime/egress/rules.hpp"
#include "runtime/egress/sniff.hpp"
#include "runtime/egress/steer.hpp"

using namespace burrow;
using namespace burrow::egress;

namespace {

EgressRule name_rule(const std::string& name, uint16_t port) {
    EgressRule r;
    r.wildcard = name.rfind("*.", 0) == 0;
    r.name = r.wildcard ? name.substr(2) : name;
    r.port = port;
    r.text = name;
    return r;
}

EgressRule addr_rule(const char* addr, int prefix, uint16_t port) {
    EgressRule r;
    r.family = std::strchr(addr, ':') ? AF_INET6 : AF_INET;
    BOOST_REQUIRE(::inet_pton(r.family, addr, r.addr.data()) == 1);
    r.prefix = prefix;
    r.port = port;
    r.text = addr;
    return r;
}

Addr addr(const char* text) {
    Addr a;
    a.family = std::strchr(text, ':') ? AF_INET6 : AF_INET;
    BOOST_REQUIRE(::inet_pton(a.family, text, a.bytes.data()) == 1);
    return a;
}

void put16(std::string& s, std::size_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
}

// A ClientHello in one record, with a server_name extension when sni is
// non-empty (and another extension before it, as real clients send).
std::string client_hello(const std::string& sni) {
    std::string exts;
    put16(exts, 0x000a); // supported_groups
    put16(exts, 4);
    put16(exts, 2);
    put16(exts, 0x001d);
    if (!sni.empty()) {
        std::string list;
        list.push_back(0);
        put16(list, sni.size());
        list += sni;
        put16(exts, 0);
        put16(exts, list.size() + 2);
        put16(exts, list.size());
        exts += list;
    }
    std::string body;
    put16(body, 0x0303);
    body += std::string(32, 'r');
    body.push_back(0); // session id
    put16(body, 2);
    put16(body, 0x1301);
    body.push_back(1);
    body.push_back(0);
    put16(body, exts.size());
    body += exts;
    std::string hs;
    hs.push_back(1);
    hs.push_back(0);
    put16(hs, body.size());
    hs += body;
    std::string rec;
    rec.push_back(0x16);
    put16(rec, 0x0301);
    put16(rec, hs.size());
    return rec + hs;
}

} // namespace

BOOST_AUTO_TEST_CASE(names_match_exactly_or_strictly_below_a_wildcard) {
    const std::vector<EgressRule> allow{name_rule("api.example.com", 443),
                                        name_rule("*.github.com", 0)};
    BOOST_TEST(name_allowed(allow, "api.example.com", 443) != nullptr);
    BOOST_TEST(name_allowed(allow, "api.example.com", 0) != nullptr); // some port
    BOOST_TEST(name_allowed(allow, "api.example.com", 80) == nullptr);
    BOOST_TEST(name_allowed(allow, "x.api.example.com", 443) == nullptr);
    BOOST_TEST(name_allowed(allow, "codeload.github.com", 22) != nullptr);
    BOOST_TEST(name_allowed(allow, "a.b.github.com", 443) != nullptr);
    BOOST_TEST(name_allowed(allow, "github.com", 443) == nullptr);
    BOOST_TEST(name_allowed(allow, "evilgithub.com", 443) == nullptr);
    BOOST_TEST(name_allowed(allow, ".github.com", 443) == nullptr); // an empty label is no name
    BOOST_TEST(normal_name("API.Example.COM.") == "api.example.com");
}

BOOST_AUTO_TEST_CASE(address_rules_cover_their_prefix_and_port) {
    const std::vector<EgressRule> allow{addr_rule("10.1.2.0", 24, 5432),
                                        addr_rule("2001:db8::", 32, 0),
                                        addr_rule("192.0.2.7", 32, 0)};
    BOOST_TEST(address_allowed(allow, addr("10.1.2.200"), 5432) != nullptr);
    BOOST_TEST(address_allowed(allow, addr("10.1.3.1"), 5432) == nullptr);
    BOOST_TEST(address_allowed(allow, addr("10.1.2.200"), 5433) == nullptr);
    BOOST_TEST(address_allowed(allow, addr("2001:db8:ffff::1"), 1) != nullptr);
    BOOST_TEST(address_allowed(allow, addr("2001:db9::1"), 1) == nullptr);
    BOOST_TEST(address_allowed(allow, addr("192.0.2.7"), 9) != nullptr);
    BOOST_TEST(address_allowed(allow, addr("192.0.2.8"), 9) == nullptr);
    // An IPv4 rule never covers an IPv6 address and the other way round.
    BOOST_TEST(address_allowed({addr_rule("0.0.0.0", 0, 0)}, addr("::1"), 1) == nullptr);
}

BOOST_AUTO_TEST_CASE(v4_mapped_addresses_count_as_ipv4) {
    sockaddr_storage ss{};
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(443);
    BOOST_REQUIRE(::inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6->sin6_addr) == 1);
    uint16_t port = 0;
    const Addr a = from_sockaddr(ss, &port);
    BOOST_TEST(a.family == AF_INET);
    BOOST_TEST(port == 443);
    BOOST_TEST(to_string(a, port) == "127.0.0.1:443");
    BOOST_TEST(is_special(a));
}

BOOST_AUTO_TEST_CASE(special_addresses_are_reached_only_by_address_rules) {
    for (const char* s : {"127.0.0.1", "127.255.0.9", "0.0.0.0", "169.254.1.1", "224.0.0.1",
                          "255.255.255.255", "::1", "::", "fe80::1", "ff02::1", "::ffff:10.0.0.1"})
        BOOST_TEST(is_special(addr(s)), s);
    for (const char* s : {"10.0.0.1", "192.0.2.1", "2001:db8::1", "fd00::1"})
        BOOST_TEST(!is_special(addr(s)), s);
    BOOST_TEST(to_string(addr("2001:db8::1"), 443) == "[2001:db8::1]:443");
}

// The allowlist: an address rule lets through at once; an address the
// resolver handed out for an allowed name waits for the client's name
// claim; anything else, and a special address without an address rule, is
// refused. Open mode (the container's private network): every ordinary
// destination at once, special ones still only by an address rule, every
// name resolved.
BOOST_AUTO_TEST_CASE(steered_verdicts_allowlist_and_open) {
    Egress e;
    e.enabled = true;
    e.allow = {name_rule("api.example.com", 443), addr_rule("10.1.2.0", 24, 5432),
               addr_rule("127.0.0.1", 32, 8080)};
    BOOST_TEST((steered_verdict(e, addr("10.1.2.9"), 5432, false) == Verdict::allow));
    BOOST_TEST((steered_verdict(e, addr("10.1.2.9"), 5433, false) == Verdict::refuse));
    BOOST_TEST((steered_verdict(e, addr("192.0.2.1"), 443, true) == Verdict::sniff));
    BOOST_TEST((steered_verdict(e, addr("192.0.2.1"), 443, false) == Verdict::refuse));
    BOOST_TEST((steered_verdict(e, addr("127.0.0.1"), 443, true) == Verdict::refuse));
    BOOST_TEST((steered_verdict(e, addr("127.0.0.1"), 8080, false) == Verdict::allow));
    BOOST_TEST(dns_answered(e, "api.example.com"));
    BOOST_TEST(!dns_answered(e, "other.test"));

    e.open = true;
    BOOST_TEST((steered_verdict(e, addr("192.0.2.1"), 443, false) == Verdict::allow));
    BOOST_TEST((steered_verdict(e, addr("2001:db8::1"), 22, false) == Verdict::allow));
    BOOST_TEST((steered_verdict(e, addr("10.1.2.9"), 5433, false) == Verdict::allow));
    for (const char* s : {"127.0.0.1", "127.0.0.53", "::1", "0.0.0.0", "169.254.169.254",
                          "224.0.0.251", "fe80::1", "::ffff:127.0.0.1"})
        BOOST_TEST((steered_verdict(e, addr(s), 80, true) == Verdict::refuse), s);
    BOOST_TEST((steered_verdict(e, addr("127.0.0.1"), 8080, false) == Verdict::allow));
    BOOST_TEST(dns_answered(e, "other.test"));
    e.allow.clear();
    BOOST_TEST((steered_verdict(e, addr("198.51.100.7"), 443, false) == Verdict::allow));
    BOOST_TEST((steered_verdict(e, addr("127.0.0.1"), 8080, false) == Verdict::refuse));
}

BOOST_AUTO_TEST_CASE(sni_of_a_client_hello) {
    const std::string hello = client_hello("API.example.com");
    Sniffed s = sniff(hello);
    BOOST_TEST((s.kind == Sniffed::Kind::tls));
    BOOST_TEST(s.name == "API.example.com");
    // Every proper prefix asks for more bytes.
    for (std::size_t n = 1; n < hello.size(); ++n)
        BOOST_TEST((sniff(hello.substr(0, n)).kind == Sniffed::Kind::need_more), n);
    s = sniff(client_hello(""));
    BOOST_TEST((s.kind == Sniffed::Kind::tls));
    BOOST_TEST(s.name.empty());
}

BOOST_AUTO_TEST_CASE(client_hello_split_over_two_records) {
    const std::string one = client_hello("split.example");
    const std::string hs = one.substr(5);
    std::string two;
    for (const std::string& part : {hs.substr(0, 20), hs.substr(20)}) {
        two.push_back(0x16);
        put16(two, 0x0303);
        put16(two, part.size());
        two += part;
    }
    const Sniffed s = sniff(two);
    BOOST_TEST((s.kind == Sniffed::Kind::tls));
    BOOST_TEST(s.name == "split.example");
}

BOOST_AUTO_TEST_CASE(damaged_client_hellos_are_other_never_a_crash) {
    std::string hello = client_hello("x.example");
    hello[5] = 2; // ServerHello
    BOOST_TEST((sniff(hello).kind == Sniffed::Kind::other));
    hello = client_hello("x.example");
    hello[1] = 9; // not TLS 1.x
    BOOST_TEST((sniff(hello).kind == Sniffed::Kind::other));
    // A server_name list that claims more than it holds.
    hello = client_hello("x.example");
    const auto at = hello.find("x.example");
    hello[at - 1] = 0x7f;
    BOOST_TEST((sniff(hello).kind != Sniffed::Kind::tls || sniff(hello).name.empty()));
    // Beyond the limit without completing: other.
    std::string big;
    big.push_back(0x16);
    put16(big, 0x0301);
    put16(big, 16384);
    big.push_back(1);
    big += std::string(3, '\x7f');
    big += std::string(kSniffLimit, 'a');
    BOOST_TEST((sniff(big).kind == Sniffed::Kind::other));
}

BOOST_AUTO_TEST_CASE(host_of_an_http_request) {
    Sniffed s = sniff("GET / HTTP/1.1\r\nUser-Agent: x\r\nhOsT:  Example.com:8080 \r\n\r\n");
    BOOST_TEST((s.kind == Sniffed::Kind::http));
    BOOST_TEST(s.name == "Example.com");
    s = sniff("POST /x HTTP/1.0\r\nHost: [2001:db8::1]:80\r\n\r\nbody");
    BOOST_TEST(s.name == "2001:db8::1");
    s = sniff("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
    BOOST_TEST((s.kind == Sniffed::Kind::http));
    BOOST_TEST(s.name.empty());
    BOOST_TEST((sniff("GET / HTTP/1.1\r\nHost: a").kind == Sniffed::Kind::need_more));
    BOOST_TEST((sniff("GE").kind == Sniffed::Kind::need_more));
    BOOST_TEST((sniff("SSH-2.0-OpenSSH_9.2\r\n").kind == Sniffed::Kind::other));
    BOOST_TEST((sniff("get / HTTP/1.1\r\n\r\n").kind == Sniffed::Kind::other));
    BOOST_TEST((sniff(std::string(kSniffLimit + 10, 'A')).kind == Sniffed::Kind::other));
}

namespace {

std::string query(const char* name, int type, unsigned short id) {
    unsigned char* buf = nullptr;
    int len = 0;
    BOOST_REQUIRE(ares_create_query(name, 1 /* IN */, type, id, 1, &buf, &len, 0) == ARES_SUCCESS);
    std::string q(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
    ares_free_string(buf);
    return q;
}

} // namespace

BOOST_AUTO_TEST_CASE(dns_question_and_refusal) {
    const std::string q = query("Other.TEST.", 1, 0x1234);
    const auto question = dns::parse_query(q);
    BOOST_REQUIRE(question.has_value());
    BOOST_TEST(question->name == "other.test");
    BOOST_TEST(question->type == 1);
    const std::string a = dns::answer_with_rcode(q, 3);
    BOOST_TEST(a.size() == q.size());
    BOOST_TEST(a.substr(0, 2) == q.substr(0, 2));         // the client's id
    BOOST_TEST((static_cast<uint8_t>(a[2]) & 0x80) != 0); // a response
    BOOST_TEST((static_cast<uint8_t>(a[3]) & 0x0f) == 3); // NXDOMAIN
    BOOST_TEST(a.substr(6, 6) == std::string(6, '\0'));
    // The refusal parses as an answer with no addresses.
    BOOST_TEST(dns::answer_addresses(a).empty());
    // A response is not a query; neither is garbage.
    BOOST_TEST(!dns::parse_query(a).has_value());
    BOOST_TEST(!dns::parse_query(std::string(40, '\xff')).has_value());
    BOOST_TEST(!dns::parse_query("").has_value());
}

BOOST_AUTO_TEST_CASE(dns_answer_addresses) {
    std::string a = query("allowed.test", 1, 7);
    a[2] = static_cast<char>(0x81);
    a[3] = static_cast<char>(0x80);
    a[7] = 2; // ANCOUNT 2
    for (const char* ip : {"10.77.0.2", "10.77.0.9"}) {
        put16(a, 0xc00c); // the question's name
        put16(a, 1);      // A
        put16(a, 1);      // IN
        put16(a, 0);
        put16(a, 60); // TTL
        put16(a, 4);
        in_addr in{};
        ::inet_pton(AF_INET, ip, &in);
        a.append(reinterpret_cast<const char*>(&in), 4);
    }
    const auto addrs = dns::answer_addresses(a);
    BOOST_REQUIRE(addrs.size() == 2u);
    BOOST_TEST(to_string(addrs[0]) == "10.77.0.2");
    BOOST_TEST(to_string(addrs[1]) == "10.77.0.9");
    // Cut anywhere: no crash, at most the complete records.
    for (std::size_t n = 0; n < a.size(); ++n)
        BOOST_TEST(dns::answer_addresses(a.substr(0, n)).size() <= 2u);
}

BOOST_AUTO_TEST_CASE(ruleset_steers_dns_and_tcp_and_drops_the_rest) {
    const std::string r = ruleset(40001, 40002, true);
    BOOST_TEST(r.find("udp dport 53 redirect to :40002") != std::string::npos);
    BOOST_TEST(r.find("tcp dport 53 redirect to :40001") != std::string::npos);
    BOOST_TEST(r.find("meta l4proto tcp redirect to :40001") != std::string::npos);
    BOOST_TEST(r.find("policy drop") != std::string::npos);
    BOOST_TEST(r.find("ip6 daddr ::1 accept") != std::string::npos);
    BOOST_TEST(ruleset(1, 2, false).find("ip6") == std::string::npos);
    // DNS is redirected before the loopback exemption: a resolv.conf naming
    // 127.0.0.53 reaches burrow's resolver too.
    BOOST_TEST(r.find("udp dport 53") < r.find("ip daddr 127.0.0.0/8 return"));
    // DNS only (beside a user-mode stack): the two DNS redirects, nothing
    // else steered or dropped.
    const std::string d = ruleset(40001, 40002, true, true);
    BOOST_TEST(d.find("udp dport 53 redirect to :40002") != std::string::npos);
    BOOST_TEST(d.find("tcp dport 53 redirect to :40001") != std::string::npos);
    BOOST_TEST(d.find("meta l4proto") == std::string::npos);
    BOOST_TEST(d.find("drop") == std::string::npos);
}
