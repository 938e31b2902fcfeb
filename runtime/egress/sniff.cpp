#include "runtime/egress/sniff.hpp"

#include <cstdint>

namespace burrow::egress {

namespace {

using Kind = Sniffed::Kind;

// Reads big-endian integers from a bounded span; any read past the end
// makes it "short", which the caller turns into need_more or other.
class Reader {
  public:
    explicit Reader(std::string_view d) : d_(d) {}
    bool short_ = false;
    std::size_t left() const { return d_.size() - pos_; }
    uint32_t num(std::size_t bytes) {
        if (left() < bytes) {
            short_ = true;
            pos_ = d_.size();
            return 0;
        }
        uint32_t v = 0;
        for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(d_[pos_ + i]);
        pos_ += bytes;
        return v;
    }
    std::string_view take(std::size_t n) {
        if (left() < n) {
            short_ = true;
            pos_ = d_.size();
            return {};
        }
        std::string_view s = d_.substr(pos_, n);
        pos_ += n;
        return s;
    }

  private:
    std::string_view d_;
    std::size_t pos_ = 0;
};

// The handshake bytes carried by the leading TLS handshake records
// (a ClientHello may span records).
struct Records {
    std::string handshake;
    bool truncated = false; // the data ends inside a record
    bool bad = false;       // not TLS handshake records
};

Records tls_records(std::string_view data) {
    Records out;
    Reader r(data);
    while (r.left() > 0) {
        if (r.left() < 5) {
            out.truncated = true;
            break;
        }
        const uint32_t type = r.num(1);
        const uint32_t major = r.num(1);
        r.num(1);
        const uint32_t len = r.num(2);
        if (type != 0x16 || major != 3 || len == 0 || len > 16384 + 2048) {
            // A later non-handshake record just ends the ClientHello's bytes.
            out.bad = out.handshake.empty();
            break;
        }
        std::string_view body = r.take(len);
        if (r.short_) {
            out.truncated = true;
            break;
        }
        out.handshake.append(body);
    }
    return out;
}

Sniffed client_hello(std::string_view data) {
    Records rec = tls_records(data);
    if (rec.bad) return {Kind::other, ""};
    Reader h(rec.handshake);
    const uint32_t msg = h.num(1);
    const uint32_t len = h.num(3);
    // Incomplete: more records (or more of one) may follow, up to the limit.
    const Kind more = data.size() < kSniffLimit ? Kind::need_more : Kind::other;
    if (h.short_) return {more, ""};
    if (msg != 1) return {Kind::other, ""};
    if (h.left() < len) return {more, ""};
    Reader b(h.take(len));
    b.num(2);         // legacy_version
    b.take(32);       // random
    b.take(b.num(1)); // legacy_session_id
    b.take(b.num(2)); // cipher_suites
    b.take(b.num(1)); // legacy_compression_methods
    if (b.short_) return {Kind::other, ""};
    if (b.left() == 0) return {Kind::tls, ""}; // no extensions at all
    Reader exts(b.take(b.num(2)));
    if (b.short_) return {Kind::other, ""};
    while (exts.left() > 0) {
        const uint32_t type = exts.num(2);
        std::string_view ext = exts.take(exts.num(2));
        if (exts.short_) return {Kind::other, ""};
        if (type != 0) continue; // server_name
        Reader list(ext);
        Reader names(list.take(list.num(2)));
        while (names.left() > 0) {
            const uint32_t name_type = names.num(1);
            std::string_view name = names.take(names.num(2));
            if (names.short_) return {Kind::other, ""};
            if (name_type == 0) return {Kind::tls, std::string(name)};
        }
        return {Kind::tls, ""};
    }
    return {Kind::tls, ""};
}

bool is_token_char(char c) {
    return c >= 'A' && c <= 'Z';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(s[i]) != prefix[i]) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// "example.com:8080" -> "example.com"; "[::1]:80" -> "::1".
std::string_view strip_port(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return close == std::string_view::npos ? host : host.substr(1, close - 1);
    }
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(':') == colon) return host.substr(0, colon);
    return host;
}

Sniffed http_request(std::string_view data) {
    const auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return {data.size() < kSniffLimit ? Kind::need_more : Kind::other, ""};
    std::string_view head = data.substr(0, end + 2);
    const auto first_eol = head.find("\r\n");
    // The request line: METHOD SP target SP HTTP/1.x
    std::string_view line = head.substr(0, first_eol);
    if (line.find(" HTTP/1.") == std::string_view::npos) return {Kind::other, ""};
    std::string_view rest = head.substr(first_eol + 2);
    while (!rest.empty()) {
        const auto eol = rest.find("\r\n");
        std::string_view field = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
        if (starts_with_nocase(field, "host:"))
            return {Kind::http, std::string(strip_port(trim(field.substr(5))))};
    }
    return {Kind::http, ""};
}

} // namespace

Sniffed sniff(std::string_view data) {
    if (data.size() > kSniffLimit) data = data.substr(0, kSniffLimit);
    if (data.empty()) return {Kind::need_more, ""};
    if (static_cast<uint8_t>(data[0]) == 0x16) return client_hello(data);
    // An HTTP method: upper-case letters and a space.
    std::size_t i = 0;
    while (i < data.size() && i < 16 && is_token_char(data[i])) ++i;
    if (i == data.size() && i < 16)
        return {data.size() < kSniffLimit ? Kind::need_more : Kind::other, ""};
    if (i == 0 || i >= 16 || data[i] != ' ') return {Kind::other, ""};
    return http_request(data);
}

} // namespace burrow::egress
