#include "runtime/egress/dns.hpp"

#include <arpa/inet.h>
#include <ares.h>

#include <cstring>

namespace burrow::egress::dns {

namespace {

constexpr std::size_t kHeader = 12;

uint16_t be16(std::string_view m, std::size_t at) {
    return static_cast<uint16_t>((static_cast<uint8_t>(m[at]) << 8) |
                                 static_cast<uint8_t>(m[at + 1]));
}

const unsigned char* bytes(std::string_view m) {
    return reinterpret_cast<const unsigned char*>(m.data());
}

} // namespace

std::optional<Question> parse_query(std::string_view msg) {
    if (msg.size() < kHeader + 5 || msg.size() > 65535) return std::nullopt;
    const uint8_t flags = static_cast<uint8_t>(msg[2]);
    if ((flags & 0x80) != 0 || ((flags >> 3) & 0x0f) != 0) return std::nullopt; // QR, OPCODE
    if (be16(msg, 4) != 1) return std::nullopt;
    char* name = nullptr;
    long enclen = 0;
    if (ares_expand_name(bytes(msg) + kHeader, bytes(msg), static_cast<int>(msg.size()), &name,
                         &enclen) != ARES_SUCCESS)
        return std::nullopt;
    Question q;
    q.name = normal_name(name);
    ares_free_string(name);
    const std::size_t after = kHeader + static_cast<std::size_t>(enclen);
    if (after + 4 > msg.size() || q.name.empty()) return std::nullopt;
    q.type = be16(msg, after);
    return q;
}

std::string answer_with_rcode(std::string_view query, int rcode) {
    // Header and question only (parse_query() checked the question fits).
    char* name = nullptr;
    long enclen = 0;
    std::size_t end = kHeader;
    if (ares_expand_name(bytes(query) + kHeader, bytes(query), static_cast<int>(query.size()),
                         &name, &enclen) == ARES_SUCCESS) {
        ares_free_string(name);
        end = std::min(query.size(), kHeader + static_cast<std::size_t>(enclen) + 4);
    }
    std::string out(query.substr(0, end));
    out[2] = static_cast<char>(0x80 | (static_cast<uint8_t>(query[2]) & 0x01)); // QR, keep RD
    out[3] = static_cast<char>(0x80 | (rcode & 0x0f));                          // RA, RCODE
    const bool has_question = end > kHeader;
    out[4] = 0;
    out[5] = has_question ? 1 : 0;
    std::memset(out.data() + 6, 0, 6); // no answer, authority or additional records
    return out;
}

std::vector<Addr> answer_addresses(std::string_view answer) {
    std::vector<Addr> out;
    if (answer.size() < kHeader || answer.size() > 65535) return out;
    const int len = static_cast<int>(answer.size());
    ares_addrttl v4[64];
    int n4 = 64;
    if (ares_parse_a_reply(bytes(answer), len, nullptr, v4, &n4) == ARES_SUCCESS)
        for (int i = 0; i < n4; ++i) {
            Addr a;
            a.family = AF_INET;
            std::memcpy(a.bytes.data(), &v4[i].ipaddr, 4);
            out.push_back(a);
        }
    ares_addr6ttl v6[64];
    int n6 = 64;
    if (ares_parse_aaaa_reply(bytes(answer), len, nullptr, v6, &n6) == ARES_SUCCESS)
        for (int i = 0; i < n6; ++i) {
            Addr a;
            a.family = AF_INET6;
            std::memcpy(a.bytes.data(), &v6[i].ip6addr, 16);
            out.push_back(a);
        }
    return out;
}

} // namespace burrow::egress::dns
