// A deliberately small HTTP/1.1 and WebSocket client on plain sockets, for
// the manager's tests and bench: it shares no code with the daemon (which
// uses Boost.Beast), so a misreading of the protocols on one side is not
// hidden by the same misreading on the other.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace btest {

// "http://127.0.0.1:PORT" or "unix:/path".
struct Endpoint {
    std::string url;
};

int connect_to(const Endpoint& ep); // a connected socket fd, or -1

struct HttpReply {
    int status = 0;                             // 0: no reply (connection closed, timeout)
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};

// One request on a fresh connection (Connection: close). headers: extra
// "Name: value" lines. Host is "127.0.0.1" unless given.
HttpReply http(const Endpoint& ep, const std::string& method, const std::string& target,
               const std::vector<std::string>& headers = {}, const std::string& body = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A WebSocket client connection (RFC 6455; masked frames as a client must).
class WebSocket {
  public:
    WebSocket() = default;
    ~WebSocket();
    WebSocket(const WebSocket&) = delete;
    WebSocket& operator=(const WebSocket&) = delete;
    // The handshake; returns the HTTP status (101 on success).
    int open(const Endpoint& ep, const std::string& target, const std::vector<std::string>& headers,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
    bool send(const std::string& data, bool binary);
    // The next data frame's payload; nullopt on close, error or timeout
    // (closed() says which).
    std::optional<std::string> receive(std::chrono::milliseconds timeout);
    bool closed() const { return closed_; }
    // Whether the last data frame received was a text frame.
    bool last_text() const { return last_text_; }
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    bool closed_ = false;
    bool last_text_ = false;
    std::string buf_;
};

} // namespace btest
