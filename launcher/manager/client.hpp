// The manager's own client: one HTTP/1.1 request to `burrow manager` over
// its unix socket (or its loopback port), authenticated with the token of
// its state dir. Used by
// `burrow manager request|token|attach` (launcher/cli/manager_client_cmd),
// which `burrow remote` runs on the far side of ssh.
#pragma once

#include <string>

namespace burrow::manager {

// ${XDG_STATE_HOME:-$HOME/.local/state}/burrow/manager (API.md).
std::string default_state_dir();
// STATE/manager.sock.
std::string default_socket(const std::string& state_dir);

// The 64 hex digits of STATE/token. Throws std::runtime_error
// ("STATE/token: No such file or directory") when it cannot be read, or
// when it is not a token.
std::string read_token(const std::string& state_dir);

// Where a manager listens: a unix socket, or a loopback TCP address.
struct Address {
    std::string socket; // unix socket path, or empty
    std::string host;   // TCP: an IP address (no name lookup), "::1" unbracketed
    unsigned port = 0;
    // "unix:PATH" or "HOST:PORT" ("[::1]:PORT" for IPv6).
    std::string describe() const;
};

// The address of the manager of STATE_DIR: what it wrote to
// STATE/listening when it started ("unix:PATH" or "http://ADDR:PORT"),
// else STATE/manager.sock (a manager that is not running, or older).
Address manager_address(const std::string& state_dir);

struct ClientResponse {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

// METHOD TARGET with BODY (content type application/json when not empty)
// and `Authorization: Bearer TOKEN`, to the manager at ADDRESS; the whole
// response. A connection, write or read error, or no answer within
// TIMEOUT_S seconds, throws std::runtime_error naming the address.
ClientResponse http_request(const Address& address, const std::string& token,
                            const std::string& method, const std::string& target,
                            const std::string& body, unsigned timeout_s = 60);

} // namespace burrow::manager
