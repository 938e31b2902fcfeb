#include "launcher/manager/client.hpp"

#include <pwd.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "runtime/io.hpp"

namespace burrow::manager {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string default_state_dir() {
    const char* s = std::getenv("XDG_STATE_HOME");
    if (s && s[0] == '/') return std::string(s) + "/burrow/manager";
    const char* home = std::getenv("HOME");
    std::string h = home && home[0] == '/' ? home : "";
    if (h.empty()) {
        const passwd* pw = ::getpwuid(::getuid());
        if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
            throw std::runtime_error("no home directory (set HOME or --state-dir)");
        h = pw->pw_dir;
    }
    return h + "/.local/state/burrow/manager";
}

std::string default_socket(const std::string& state_dir) {
    return state_dir + "/manager.sock";
}

std::string read_token(const std::string& state_dir) {
    const std::string path = state_dir + "/token";
    std::string data, why;
    if (read_regular_file(path, 4096, data, why) != ReadFileError::none)
        throw std::runtime_error(path + ": " + why);
    while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
    bool hex = data.size() == 64;
    for (char c : data) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!hex) throw std::runtime_error(path + ": not a token (64 hex digits)");
    return data;
}

std::string Address::describe() const {
    if (!socket.empty()) return "unix:" + socket;
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Address manager_address(const std::string& state_dir) {
    Address a;
    std::string text, why;
    if (read_regular_file(state_dir + "/listening", 4096, text, why) == ReadFileError::none) {
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        if (text.rfind("unix:", 0) == 0 && text.size() > 5 && text[5] == '/') {
            a.socket = text.substr(5);
            return a;
        }
        if (text.rfind("http://", 0) == 0) {
            std::string hp = text.substr(7);
            const auto colon = hp.rfind(':');
            if (colon != std::string::npos && colon > 0) {
                std::string host = hp.substr(0, colon);
                if (host.size() > 2 && host.front() == '[' && host.back() == ']')
                    host = host.substr(1, host.size() - 2);
                const std::string port = hp.substr(colon + 1);
                char* end = nullptr;
                const unsigned long p = std::strtoul(port.c_str(), &end, 10);
                if (!port.empty() && *end == '\0' && p > 0 && p < 65536) {
                    a.host = host;
                    a.port = static_cast<unsigned>(p);
                    return a;
                }
            }
        }
        // Anything else: not what a manager writes; the default below.
    }
    a.socket = default_socket(state_dir);
    return a;
}

namespace {

// One exchange over a connected-to-be stream of PROTOCOL.
template <class Protocol>
ClientResponse exchange(const typename Protocol::endpoint& ep, const std::string& where,
                        http::request<http::string_body>& req, unsigned timeout_s) {
    asio::io_context ioc;
    beast::basic_stream<Protocol> stream(ioc);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    // Logs can be large; memory is the only bound worth having here.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::error_code failure;
    const char* stage = "connect";

    // One deadline for the whole exchange (beast's basic_stream closes the
    // socket when it passes): a wedged manager must not hang the caller.
    stream.expires_after(std::chrono::seconds(timeout_s));
    stream.async_connect(ep, [&](beast::error_code ec) {
        if (ec) {
            failure = ec;
            return;
        }
        stage = "write";
        http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
            if (ec2) {
                failure = ec2;
                return;
            }
            stage = "read";
            http::async_read(stream, buffer, parser, [&](beast::error_code ec3, std::size_t) {
                if (ec3) failure = ec3;
            });
        });
    });
    ioc.run();
    if (failure) {
        const std::string why = failure == beast::error::timeout
                                    ? "no answer within " + std::to_string(timeout_s) + " s"
                                    : failure.message();
        throw std::runtime_error(where + ": " + stage + ": " + why);
    }
    beast::error_code ignored;
    stream.socket().shutdown(Protocol::socket::shutdown_both, ignored);

    auto res = parser.release();
    ClientResponse out;
    out.status = res.result_int();
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    return out;
}

} // namespace

ClientResponse http_request(const Address& address, const std::string& token,
                            const std::string& method, const std::string& target,
                            const std::string& body, unsigned timeout_s) {
    const http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) throw std::runtime_error("unknown HTTP method " + method);

    http::request<http::string_body> req{verb, target, 11};
    // The manager compares Host with Origin only; a client without an
    // Origin may say what it connects to.
    req.set(http::field::host, address.socket.empty() ? address.describe() : "localhost");
    req.set(http::field::user_agent, "burrow-manager-client");
    req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();

    if (!address.socket.empty()) {
        // A unix socket path longer than sun_path would be cut by the kernel.
        if (address.socket.size() >= sizeof(sockaddr_un::sun_path))
            throw std::runtime_error(address.socket + ": socket path too long");
        return exchange<asio::local::stream_protocol>(
            asio::local::stream_protocol::endpoint(address.socket), address.socket, req, timeout_s);
    }
    beast::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (ec) throw std::runtime_error(address.host + ": not an IP address");
    return exchange<asio::ip::tcp>(
        asio::ip::tcp::endpoint(ip, static_cast<unsigned short>(address.port)), address.describe(),
        req, timeout_s);
}

} // namespace burrow::manager
