#include "tests/support/http_client.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace btest {
namespace {

using Clock = std::chrono::steady_clock;

bool write_all_fd(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

enum class Read { data, timeout, end };

// Reads more into buf: data, the deadline passed, or EOF/error.
Read read_some(int fd, std::string& buf, Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    struct pollfd p = {fd, POLLIN, 0};
    const int r = ::poll(&p, 1, std::max(0, static_cast<int>(left.count())));
    if (r == 0) return Read::timeout;
    if (r < 0) return errno == EINTR ? Read::timeout : Read::end;
    char tmp[65536];
    const ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n <= 0) return Read::end;
    buf.append(tmp, static_cast<size_t>(n));
    return Read::data;
}

bool read_more(int fd, std::string& buf, Clock::time_point deadline) {
    return read_some(fd, buf, deadline) == Read::data;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Parses a status line and headers from buf (up to the blank line).
bool parse_head(const std::string& buf, HttpReply& r, size_t& body_at) {
    const size_t end = buf.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    body_at = end + 4;
    size_t i = buf.find("\r\n");
    const std::string status = buf.substr(0, i);
    if (status.size() < 12) return false;
    r.status = std::atoi(status.c_str() + 9);
    while (i < end) {
        const size_t next = buf.find("\r\n", i + 2);
        const std::string line = buf.substr(i + 2, next - i - 2);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string v = line.substr(colon + 1);
            while (!v.empty() && v.front() == ' ') v.erase(0, 1);
            r.headers[lower(line.substr(0, colon))] = v;
        }
        i = next;
    }
    return true;
}

} // namespace

int connect_to(const Endpoint& ep) {
    if (ep.url.rfind("unix:", 0) == 0) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a {};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, ep.url.c_str() + 5, sizeof a.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    // http://A.B.C.D:PORT
    const std::string hp = ep.url.substr(7);
    const size_t colon = hp.rfind(':');
    struct sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::atoi(hp.c_str() + colon + 1)));
    ::inet_pton(AF_INET, hp.substr(0, colon).c_str(), &a.sin_addr);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

HttpReply http(const Endpoint& ep, const std::string& method, const std::string& target,
               const std::vector<std::string>& headers, const std::string& body,
               std::chrono::milliseconds timeout) {
    HttpReply r;
    const int fd = connect_to(ep);
    if (fd < 0) return r;
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    bool host = false, length = false;
    for (const auto& h : headers) {
        req += h + "\r\n";
        if (lower(h).rfind("host:", 0) == 0) host = true;
        if (lower(h).rfind("content-length:", 0) == 0) length = true;
    }
    if (!host) req += "Host: 127.0.0.1\r\n";
    req += "Connection: close\r\n";
    if (!length && (!body.empty() || method == "POST" || method == "PUT"))
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    const auto deadline = Clock::now() + timeout;
    if (!write_all_fd(fd, req)) {
        // The server may answer (413) before reading everything: read anyway.
    }
    std::string buf;
    while (read_more(fd, buf, deadline)) {
    }
    ::close(fd);
    size_t at = 0;
    HttpReply parsed;
    if (!parse_head(buf, parsed, at)) return r;
    parsed.body = buf.substr(at);
    return parsed;
}

WebSocket::~WebSocket() {
    if (fd_ >= 0) ::close(fd_);
}

int WebSocket::open(const Endpoint& ep, const std::string& target,
                    const std::vector<std::string>& headers, std::chrono::milliseconds timeout) {
    fd_ = connect_to(ep);
    if (fd_ < 0) return 0;
    std::string req =
        "GET " + target +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    req += "\r\n";
    if (!write_all_fd(fd_, req)) return 0;
    const auto deadline = Clock::now() + timeout;
    HttpReply r;
    size_t at = 0;
    while (!parse_head(buf_, r, at))
        if (!read_more(fd_, buf_, deadline)) return 0;
    buf_.erase(0, at);
    if (r.status != 101) closed_ = true;
    return r.status;
}

bool WebSocket::send(const std::string& data, bool binary) {
    std::string f;
    f += static_cast<char>(0x80 | (binary ? 2 : 1));
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (data.size() < 126) {
        f += static_cast<char>(0x80 | data.size());
    } else if (data.size() < 65536) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(data.size() >> 8);
        f += static_cast<char>(data.size() & 0xff);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((data.size() >> (8 * i)) & 0xff);
    }
    f.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < data.size(); ++i) f += static_cast<char>(data[i] ^ mask[i % 4]);
    return write_all_fd(fd_, f);
}

std::optional<std::string> WebSocket::receive(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (buf_.size() >= 2) {
            const unsigned char b0 = static_cast<unsigned char>(buf_[0]);
            const unsigned char b1 = static_cast<unsigned char>(buf_[1]);
            uint64_t len = b1 & 0x7f;
            size_t at = 2;
            if (len == 126) {
                if (buf_.size() < 4) goto more;
                len = (static_cast<unsigned char>(buf_[2]) << 8) |
                      static_cast<unsigned char>(buf_[3]);
                at = 4;
            } else if (len == 127) {
                if (buf_.size() < 10) goto more;
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | static_cast<unsigned char>(buf_[2 + i]);
                at = 10;
            }
            if (buf_.size() >= at + len) {
                std::string payload = buf_.substr(at, len);
                buf_.erase(0, at + len);
                const int op = b0 & 0x0f;
                if (op == 8) {
                    closed_ = true;
                    return std::nullopt;
                }
                if (op == 9 || op == 10) continue; // ping/pong
                if (op == 1 || op == 2) last_text_ = op == 1;
                return payload;
            }
        }
    more:
        switch (read_some(fd_, buf_, deadline)) {
        case Read::data:
            break;
        case Read::end:
            closed_ = true;
            return std::nullopt;
        case Read::timeout:
            return std::nullopt;
        }
    }
}

} // namespace btest
