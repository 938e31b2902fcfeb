#include "runtime/egress/proxy.hpp"

#include <ares.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "runtime/egress/culprit.hpp"
#include "runtime/egress/dns.hpp"
#include "runtime/egress/rules.hpp"
#include "runtime/egress/sniff.hpp"
#include "runtime/io.hpp"
#include "runtime/status.hpp"

namespace burrow::egress {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

// linux/netfilter_ipv4.h and netfilter_ipv6/ip6_tables.h clash with glibc's
// headers; both constants are 80.
constexpr int kSoOriginalDst = 80;
constexpr int kIp6tSoOriginalDst = 80;

// How long the proxy waits for a client's first bytes (its name claim)
// before it decides by the address alone; a server that speaks first ends
// the wait at once. Generous for a loaded machine, short for a person.
constexpr auto kSniffWait = 1s;
constexpr auto kConnectTimeout = 15s;
// A client of the CONNECT endpoint has this long to send its request head.
constexpr auto kRequestWait = 10s;
constexpr std::size_t kMaxTallies = 256;
constexpr std::size_t kMaxNames = 4096;
constexpr std::size_t kMaxAddrsPerName = 64;
constexpr std::size_t kMaxDnsTcpMessage = 65535;
constexpr std::size_t kMaxCulpritLookups = 64;
constexpr std::size_t kMaxPendingQueries = 256;

class Proxy;

// ---- denials and counts -----------------------------------------------------

class Record {
  public:
    Record(int fd, bool json) : fd_(fd), json_(json) {}

    void count(const std::string& dest, bool allowed) {
        auto it = index_.find(dest);
        if (it == index_.end()) {
            const std::string key = tallies_.size() < kMaxTallies ? dest : "other";
            it = index_.find(key);
            if (it == index_.end()) {
                it = index_.emplace(key, tallies_.size()).first;
                tallies_.push_back({key, 0, 0});
            }
        }
        auto& t = tallies_[it->second];
        (allowed ? t.allowed : t.refused) += 1;
    }

    // what: "connect" or "dns"; dest: "10.0.0.1:443" or a name; who: the
    // process that asked, when found.
    void refused(const char* what, const std::string& dest, const std::string& reason,
                 const std::string& tally_key, const Culprit& who) {
        count(tally_key, false);
        std::string line;
        if (json_) {
            line = "{\"net\":\"refused\",\"what\":\"" + std::string(what) +
                   "\",\"dest\":" + status::json_quote(dest) +
                   ",\"reason\":" + status::json_quote(reason);
            if (who.pid)
                line += ",\"pid\":" + std::to_string(who.pid) +
                        ",\"comm\":" + status::json_quote(who.comm);
            line += "}\n";
        } else {
            line = "burrow: net: refused " + std::string(what) + " " + printable(dest) + " (" +
                   printable(reason) + ")";
            if (who.pid) line += " pid=" + std::to_string(who.pid) + " comm=" + printable(who.comm);
            line += "\n";
        }
        (void)write_all(fd_, line);
    }

    std::vector<RunResult::NetTally> take() { return std::move(tallies_); }

  private:
    // Names come from the sandbox: no control characters on a terminal.
    static std::string printable(const std::string& s) {
        std::string out;
        for (unsigned char c : s.substr(0, 300))
            out += (c < 0x20 || c == 0x7f || c >= 0x80) ? '?' : static_cast<char>(c);
        return out;
    }

    int fd_;
    bool json_;
    std::vector<RunResult::NetTally> tallies_;
    std::unordered_map<std::string, std::size_t> index_;
};

// ---- c-ares on the io_context ---------------------------------------------

class Upstream {
  public:
    using Done = std::function<void(int status, std::string_view answer)>;

    explicit Upstream(asio::io_context& io) : io_(io), timer_(io) {
        ares_options o{};
        o.sock_state_cb = &Upstream::sock_state;
        o.sock_state_cb_data = this;
        // The caller's resolv.conf (this process is in the caller's mount
        // and network namespaces), so also a resolver on its loopback.
        if (const int rc = ares_init_options(&ch_, &o, ARES_OPT_SOCK_STATE_CB); rc != ARES_SUCCESS)
            throw std::runtime_error(std::string("c-ares: ") + ares_strerror(rc));
    }
    ~Upstream() {
        closing_ = true;
        for (auto& [fd, w] : watches_) {
            w->gone = true;
            w->desc.cancel();
            (void)w->desc.release();
        }
        ares_destroy(ch_); // pending callbacks run with ARES_EDESTRUCTION
    }

    void send(std::string_view query, Done done) {
        auto* arg = new Done(std::move(done));
        ares_send(ch_, reinterpret_cast<const unsigned char*>(query.data()),
                  static_cast<int>(query.size()), &Upstream::answered, arg);
        rearm_timer();
    }

    // The addresses of `name` (the caller's /etc/hosts, then its resolvers).
    using Resolved = std::function<void(int status, std::vector<Addr> addrs)>;
    void resolve(const std::string& name, Resolved done) {
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;
        auto* arg = new Resolved(std::move(done));
        ares_getaddrinfo(ch_, name.c_str(), nullptr, &hints, &Upstream::resolved, arg);
        rearm_timer();
    }

  private:
    static void resolved(void* arg, int status, int, ares_addrinfo* res) {
        std::unique_ptr<Resolved> done(static_cast<Resolved*>(arg));
        std::vector<Addr> out;
        if (status == ARES_SUCCESS && res)
            for (const ares_addrinfo_node* n = res->nodes; n && out.size() < kMaxAddrsPerName;
                 n = n->ai_next) {
                sockaddr_storage ss{};
                std::memcpy(&ss, n->ai_addr, std::min<std::size_t>(n->ai_addrlen, sizeof ss));
                out.push_back(from_sockaddr(ss));
            }
        if (res) ares_freeaddrinfo(res);
        (*done)(status, std::move(out));
    }

    struct Watch {
        explicit Watch(asio::io_context& io, int fd) : desc(io, fd), fd(fd) {}
        asio::posix::stream_descriptor desc;
        int fd;
        bool want_read = false, want_write = false, reading = false, writing = false, gone = false;
    };

    static void answered(void* arg, int status, int, unsigned char* abuf, int alen) {
        std::unique_ptr<Done> done(static_cast<Done*>(arg));
        (*done)(status, status == ARES_SUCCESS && abuf
                            ? std::string_view(reinterpret_cast<const char*>(abuf),
                                               static_cast<std::size_t>(alen))
                            : std::string_view());
    }

    static void sock_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<Upstream*>(data);
        if (self->closing_) return;
        auto it = self->watches_.find(fd);
        if (!readable && !writable) {
            if (it != self->watches_.end()) {
                it->second->gone = true;
                it->second->desc.cancel();
                (void)it->second->desc.release(); // c-ares closes it
                self->watches_.erase(it);
            }
            return;
        }
        if (it == self->watches_.end())
            it = self->watches_.emplace(fd, std::make_shared<Watch>(self->io_, fd)).first;
        it->second->want_read = readable;
        it->second->want_write = writable;
        self->arm(it->second);
    }

    void arm(const std::shared_ptr<Watch>& w) {
        if (w->gone) return;
        if (w->want_read && !w->reading) {
            w->reading = true;
            w->desc.async_wait(asio::posix::stream_descriptor::wait_read, [this, w](error_code ec) {
                w->reading = false;
                if (ec || w->gone) return;
                ares_process_fd(ch_, w->fd, ARES_SOCKET_BAD);
                arm(w);
                rearm_timer();
            });
        }
        if (w->want_write && !w->writing) {
            w->writing = true;
            w->desc.async_wait(asio::posix::stream_descriptor::wait_write,
                               [this, w](error_code ec) {
                                   w->writing = false;
                                   if (ec || w->gone) return;
                                   ares_process_fd(ch_, ARES_SOCKET_BAD, w->fd);
                                   arm(w);
                                   rearm_timer();
                               });
        }
    }

    void rearm_timer() {
        timeval tv{};
        if (!ares_timeout(ch_, nullptr, &tv)) {
            timer_.cancel();
            return;
        }
        timer_.expires_after(std::chrono::seconds(tv.tv_sec) +
                             std::chrono::microseconds(tv.tv_usec));
        timer_.async_wait([this](error_code ec) {
            if (ec) return;
            ares_process_fd(ch_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            rearm_timer();
        });
    }

    asio::io_context& io_;
    asio::steady_timer timer_;
    ares_channel ch_ = nullptr;
    bool closing_ = false;
    std::map<int, std::shared_ptr<Watch>> watches_;
};

// ---- the proxy -----------------------------------------------------------------

class Proxy {
  public:
    Proxy(const ProxyConfig& cfg, asio::io_context& io)
        : cfg_(cfg), allow_(cfg.egress->allow), io_(io), record_(cfg.log_fd, cfg.json),
          upstream_(io) {}

    const ProxyConfig& cfg_;
    const std::vector<EgressRule>& allow_;
    asio::io_context& io_;
    Record record_;
    Upstream upstream_;
    std::shared_ptr<std::size_t> live_ = std::make_shared<std::size_t>(0);
    std::size_t max_connections_ = 256;
    // What the resolver handed out: name -> addresses, for the TCP decision.
    std::map<std::string, std::set<Addr>> resolved_;

    // Who made a refused connection or query (walks /proc: capped).
    Culprit culprit(bool udp, uint16_t local_port, uint16_t remote_port) {
        if (lookups_ >= kMaxCulpritLookups || cfg_.sandbox_pid <= 0) return {};
        ++lookups_;
        return find_culprit(cfg_.sandbox_pid, cfg_.sandbox_netns, udp, local_port, remote_port);
    }
    std::size_t lookups_ = 0;
    std::size_t pending_ = 0; // queries sent upstream, not answered yet

    void remember(const std::string& name, const std::vector<Addr>& addrs) {
        if (addrs.empty()) return;
        if (resolved_.size() >= kMaxNames && !resolved_.count(name)) return;
        auto& set = resolved_[name];
        for (const Addr& a : addrs)
            if (set.size() < kMaxAddrsPerName) set.insert(a);
    }

    bool resolved_to(const std::string& name, const Addr& a) const {
        auto it = resolved_.find(name);
        return it != resolved_.end() && it->second.count(a);
    }

    // An allowed name (at `port`) the resolver handed `a` out for.
    const std::string* name_for(const Addr& a, uint16_t port) const {
        for (const auto& [name, addrs] : resolved_)
            if (addrs.count(a) && name_allowed(allow_, name, port)) return &name;
        return nullptr;
    }

    // A query from the sandbox, sent from its port `from_port` (over UDP
    // when udp); `reply` sends the answer back.
    void query(std::string_view msg, bool udp, uint16_t from_port,
               std::function<void(std::string_view)> reply) {
        const auto q = dns::parse_query(msg);
        if (!q) return; // not a standard query: dropped, like a resolver would
        if (!dns_answered(*cfg_.egress, q->name)) {
            record_.refused("dns", q->name, "name not allowed", "dns " + q->name,
                            culprit(udp, from_port, udp ? 0 : 53));
            reply(dns::answer_with_rcode(msg, 3));
            return;
        }
        const uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(msg[0]) << 8) |
                                                  static_cast<uint8_t>(msg[1]));
        std::string query_copy(msg);
        // A sandbox flooding allowed names must not grow c-ares' queue
        // without bound: past the cap, SERVFAIL at once.
        if (pending_ >= kMaxPendingQueries) {
            reply(dns::answer_with_rcode(msg, 2));
            return;
        }
        ++pending_;
        upstream_.send(msg, [this, id, name = q->name, query_copy,
                             reply = std::move(reply)](int status, std::string_view answer) {
            if (status == ARES_EDESTRUCTION) return;
            --pending_;
            if (status != ARES_SUCCESS || answer.size() < 12) {
                reply(dns::answer_with_rcode(query_copy, 2));
                return;
            }
            // Open mode answers every name: a count for each would only
            // crowd the refusals out of the summary.
            if (!cfg_.egress->dns_only && !cfg_.egress->open) record_.count("dns " + name, true);
            remember(name, dns::answer_addresses(answer));
            std::string out(answer);
            out[0] = static_cast<char>(id >> 8); // the sandbox's id, not c-ares'
            out[1] = static_cast<char>(id & 0xff);
            reply(out);
        });
    }
};

// One UDP resolver socket.
class DnsUdp : public std::enable_shared_from_this<DnsUdp> {
  public:
    DnsUdp(Proxy& p, udp::socket s) : p_(p), s_(std::move(s)) {}
    void receive() {
        auto self = shared_from_this();
        s_.async_receive_from(asio::buffer(buf_), from_, [self](error_code ec, std::size_t n) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) {
                udp::endpoint to = self->from_;
                self->p_.query(std::string_view(self->buf_.data(), n), true, to.port(),
                               [self, to](std::string_view answer) {
                                   error_code ignored;
                                   self->s_.send_to(asio::buffer(answer.data(), answer.size()), to,
                                                    0, ignored);
                               });
            }
            self->receive();
        });
    }

  private:
    Proxy& p_;
    udp::socket s_;
    udp::endpoint from_;
    std::array<char, 4096> buf_{};
};

// Resets (RST) rather than FINs: the client sees its connection refused.
void reset(tcp::socket& s) {
    if (!s.is_open()) return;
    const linger l{1, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    error_code ignored;
    s.close(ignored);
}

bool original_destination(int fd, Addr& a, uint16_t& port) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(sockaddr_in);
    if (::getsockopt(fd, SOL_IP, kSoOriginalDst, &ss, &len) == 0) {
        a = from_sockaddr(ss, &port);
        return true;
    }
    len = sizeof(sockaddr_in6);
    if (::getsockopt(fd, SOL_IPV6, kIp6tSoOriginalDst, &ss, &len) == 0) {
        a = from_sockaddr(ss, &port);
        return true;
    }
    return false;
}

bool is_ip_literal(const std::string& s) {
    in6_addr a6{};
    in_addr a4{};
    return ::inet_pton(AF_INET, s.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

// A TCP connection from the sandbox: decide, connect out, splice.
class Conn : public std::enable_shared_from_this<Conn> {
  public:
    // live: the proxy's count of connections, shared because a Conn may
    // outlive the Proxy (its pending handlers die with the io_context).
    Conn(Proxy& p, tcp::socket client)
        : p_(p), client_(std::move(client)), upstream_(p.io_), timer_(p.io_), live_(p.live_) {
        ++*live_;
    }
    ~Conn() { --*live_; }

    // Steered by the nat rule: the original destination decides.
    void start_steered(uint16_t listener_port) {
        if (!original_destination(client_.native_handle(), dst_, port_) ||
            (is_special(dst_) && port_ == listener_port)) {
            reset(client_); // a connect to the listener itself
            return;
        }
        dest_ = to_string(dst_, port_);
        if (port_ == 53) { // DNS over TCP: answered here, never spliced
            dns_read();
            return;
        }
        if (p_.cfg_.egress->dns_only) return reset(client_); // only DNS is steered
        const std::string* name = p_.cfg_.egress->open ? nullptr : p_.name_for(dst_, port_);
        switch (steered_verdict(*p_.cfg_.egress, dst_, port_, name != nullptr)) {
        case Verdict::allow:
            label_ = dest_;
            connect_out(false);
            return;
        case Verdict::refuse:
            return refuse("address not allowed", dest_);
        case Verdict::sniff:
            break;
        }
        // A candidate: connect while the client's first bytes come in.
        label_ = *name + ":" + std::to_string(port_);
        connect_out(true);
        sniff();
    }

    // A forward listener: the caller's loopback at the same port.
    void start_forward(uint16_t port, bool v6) {
        dst_.family = v6 ? AF_INET6 : AF_INET;
        dst_.bytes = {};
        if (v6)
            dst_.bytes[15] = 1;
        else {
            dst_.bytes[0] = 127;
            dst_.bytes[3] = 1;
        }
        port_ = port;
        dest_ = label_ = "forward tcp:" + std::to_string(port);
        connect_out(false);
    }

    // The CONNECT endpoint (Egress::connect_proxy_port): "CONNECT host:port"
    // held to the rules like a steered connection; the client's first bytes
    // in the tunnel (its SNI) are checked the same way.
    void start_connect_proxy() {
        dest_ = label_ = "proxy request";
        timer_.expires_after(kRequestWait);
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->decided_) self->finish();
        });
        read_request();
    }

  private:
    void read_request() {
        auto self = shared_from_this();
        const std::size_t have = head_.size();
        head_.resize(std::min(kSniffLimit, have + 4096));
        client_.async_read_some(asio::buffer(head_.data() + have, head_.size() - have),
                                [self, have](error_code ec, std::size_t n) {
                                    self->head_.resize(have + n);
                                    if (ec) return self->finish();
                                    const auto end = self->head_.find("\r\n\r\n");
                                    if (end != std::string::npos) return self->request(end + 4);
                                    if (self->head_.size() >= kSniffLimit)
                                        return self->http_error(
                                            "431 Request Header Fields Too Large");
                                    self->read_request();
                                });
    }

    void http_error(const std::string& status) {
        decided_ = true;
        timer_.cancel();
        auto out = std::make_shared<std::string>(
            "HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        asio::async_write(
            client_, asio::buffer(*out),
            [self = shared_from_this(), out](error_code, std::size_t) { self->finish(); });
    }

    void refuse_request(const std::string& reason) {
        p_.record_.refused("connect", dest_, reason, label_, p_.culprit(false, peer_port(), 0));
        http_error("403 Forbidden");
    }

    // host[:port] or [v6][:port]; without a port `default_port` (0: one is
    // required). false: malformed.
    static bool split_authority(const std::string& authority, uint16_t default_port,
                                std::string& host, uint16_t& port) {
        std::string port_text;
        if (!authority.empty() && authority[0] == '[') {
            const auto close = authority.find(']');
            if (close == std::string::npos) return false;
            host = authority.substr(1, close - 1);
            if (close + 1 < authority.size()) {
                if (authority[close + 1] != ':') return false;
                port_text = authority.substr(close + 2);
            } else if (default_port == 0) {
                return false;
            }
        } else {
            const auto colon = authority.rfind(':');
            if (colon == std::string::npos && default_port == 0) return false;
            host = authority.substr(0, colon);
            if (colon != std::string::npos) port_text = authority.substr(colon + 1);
        }
        if (host.empty() || host.find_first_of("@/ ") != std::string::npos) return false;
        if (port_text.empty() && default_port != 0) {
            port = default_port;
            return authority.back() != ':';
        }
        if (port_text.empty() || port_text.size() > 5 ||
            port_text.find_first_not_of("0123456789") != std::string::npos)
            return false;
        const unsigned long n = std::stoul(port_text);
        if (n == 0 || n > 65535) return false;
        port = static_cast<uint16_t>(n);
        return true;
    }

    // head_[0, end) is the request head; what follows is the tunnel's.
    // "CONNECT host:port" opens a tunnel (HTTPS_PROXY); an absolute-form
    // request for plain http ("GET http://host[:port]/path", HTTP_PROXY) is
    // passed on as it is, whole, to that host, which must accept the
    // absolute form (RFC 9112 3.2.2). Later requests on the same connection
    // go to the same host whatever they name: they reach nothing else.
    void request(std::size_t end) {
        timer_.cancel();
        const std::string whole_head = head_.substr(0, end);
        const std::string line = head_.substr(0, head_.find("\r\n"));
        head_.erase(0, end);
        const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
        if (sp1 == std::string::npos || sp2 <= sp1 || line.compare(sp2 + 1, 7, "HTTP/1.") != 0)
            return http_error("400 Bad Request");
        const std::string method = line.substr(0, sp1);
        const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::string host;
        if (method == "CONNECT") {
            if (!split_authority(target, 0, host, port_)) return http_error("400 Bad Request");
        } else {
            constexpr std::string_view scheme = "http://";
            std::string lower = target.substr(0, scheme.size());
            for (char& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower != scheme) return http_error("405 Method Not Allowed");
            const std::string rest = target.substr(scheme.size());
            if (!split_authority(rest.substr(0, rest.find_first_of("/?#")), 80, host, port_))
                return http_error("400 Bad Request");
            // Sent upstream first, before what followed it from the client.
            head_.insert(0, whole_head);
            forwarding_ = true;
        }
        if (is_ip_literal(host)) {
            Addr a;
            a.family = host.find(':') == std::string::npos ? AF_INET : AF_INET6;
            ::inet_pton(a.family, host.c_str(), a.bytes.data());
            dst_ = a;
            dest_ = label_ = to_string(dst_, port_);
            if (steered_verdict(*p_.cfg_.egress, dst_, port_, false) != Verdict::allow)
                return refuse_request("address not allowed");
            return connect_for_request(false);
        }
        const std::string name = normal_name(host);
        dest_ = label_ = name + ":" + std::to_string(port_);
        const bool open = p_.cfg_.egress->open;
        if (!open && !name_allowed(p_.allow_, name, port_))
            return refuse_request("name not allowed");
        p_.upstream_.resolve(
            name, [self = shared_from_this(), name, open](int status, std::vector<Addr> addrs) {
                if (status == ARES_EDESTRUCTION) return;
                self->p_.remember(name, addrs);
                const Addr* use = nullptr;
                for (const Addr& a : addrs)
                    if (!is_special(a)) {
                        use = &a;
                        break;
                    }
                if (!use) {
                    if (addrs.empty()) return self->http_error("502 Bad Gateway");
                    return self->refuse_request("resolves to a loopback or special address");
                }
                self->dst_ = *use;
                self->connect_for_request(!open); // open: no name to check
            });
    }

    // Connects, answers 200, then (for a name) checks the tunnel's first
    // bytes like a steered connection's.
    void connect_for_request(bool check_name) {
        connect_upstream([self = shared_from_this(), check_name](error_code ec) {
            if (ec) return self->http_error("502 Bad Gateway");
            self->connected_ = true;
            if (self->forwarding_) { // the request itself goes first, no tunnel
                self->decided_ = self->allowed_ = true;
                return self->maybe_start();
            }
            auto ok = std::make_shared<std::string>("HTTP/1.1 200 Connection established\r\n\r\n");
            asio::async_write(self->client_, asio::buffer(*ok),
                              [self, ok, check_name](error_code ec2, std::size_t) {
                                  if (ec2) return self->abort();
                                  self->decided_ = false;
                                  if (!check_name) {
                                      self->decided_ = self->allowed_ = true;
                                      return self->maybe_start();
                                  }
                                  // Bytes the client sent with its request first.
                                  const Sniffed s = sniff_head(self->head_);
                                  if (s.kind != Sniffed::Kind::need_more) return self->decide(s);
                                  self->watch_server_first();
                                  self->sniff();
                              });
        });
    }

    uint16_t peer_port() {
        error_code ec;
        const auto ep = client_.remote_endpoint(ec);
        return ec ? 0 : ep.port();
    }

    void refuse(const std::string& reason, const std::string& tally) {
        decided_ = true;
        p_.record_.refused("connect", dest_, reason, tally, p_.culprit(false, peer_port(), port_));
        timer_.cancel();
        reset(client_);
        reset(upstream_);
    }

    // ---- deciding on a name claim
    void sniff() {
        timer_.expires_after(kSniffWait);
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->decided_) self->decide(Sniffed{Sniffed::Kind::other, ""});
        });
        read_head();
    }

    void read_head() {
        auto self = shared_from_this();
        const std::size_t have = head_.size();
        head_.resize(std::min(kSniffLimit, have + 4096));
        reading_ = true;
        client_.async_read_some(asio::buffer(head_.data() + have, head_.size() - have),
                                [self, have](error_code ec, std::size_t n) {
                                    self->reading_ = false;
                                    self->head_.resize(have + n);
                                    if (self->decided_) return self->maybe_start();
                                    // The client half-closed: what it sent is all
                                    // there is to judge (the address alone when it
                                    // named nothing). Gone altogether (a port probe,
                                    // the loser of a happy-eyeballs race): closed
                                    // quietly, it was never refused.
                                    if (ec == asio::error::eof)
                                        return self->decide(sniff_head(self->head_).kind ==
                                                                    Sniffed::Kind::need_more
                                                                ? Sniffed{Sniffed::Kind::other, ""}
                                                                : sniff_head(self->head_));
                                    if (ec) {
                                        self->decided_ = true;
                                        self->timer_.cancel();
                                        return self->abort();
                                    }
                                    const Sniffed s = sniff_head(self->head_);
                                    if (s.kind == Sniffed::Kind::need_more)
                                        return self->read_head();
                                    self->decide(s);
                                });
    }

    static Sniffed sniff_head(const std::string& head) { return egress::sniff(head); }

    void decide(const Sniffed& s) {
        if (decided_) return;
        decided_ = true;
        timer_.cancel();
        if (s.kind != Sniffed::Kind::other && s.kind != Sniffed::Kind::need_more &&
            !s.name.empty() && !is_ip_literal(s.name)) {
            const std::string name = normal_name(s.name);
            const char* what = s.kind == Sniffed::Kind::tls ? "sni " : "host ";
            if (!name_allowed(p_.allow_, name, port_))
                return refuse(what + name + " not allowed", label_);
            if (!p_.resolved_to(name, dst_))
                return refuse(what + name + " was not resolved to " + to_string(dst_), label_);
            label_ = name + ":" + std::to_string(port_);
        }
        allowed_ = true;
        // A read still pending delivers its bytes (or its cancellation)
        // first: they must go out before anything is spliced.
        if (reading_) {
            error_code ignored;
            client_.cancel(ignored);
        }
        maybe_start();
    }

    // ---- connecting out
    // Connects upstream_ to dst_:port_, giving up after kConnectTimeout.
    template <class Then> void connect_upstream(Then then) {
        socklen_t len = 0;
        const sockaddr_storage ss = to_sockaddr(dst_, port_, &len);
        tcp::endpoint ep;
        std::memcpy(ep.data(), &ss, len);
        ep.resize(len);
        auto self = shared_from_this();
        connect_timer_ = std::make_unique<asio::steady_timer>(p_.io_, kConnectTimeout);
        connect_timer_->async_wait([self](error_code ec) {
            if (!ec && !self->connected_) {
                error_code ignored;
                self->upstream_.close(ignored);
            }
        });
        upstream_.async_connect(ep, [self, then = std::move(then)](error_code ec) mutable {
            self->connect_timer_->cancel();
            then(ec);
        });
    }

    void connect_out(bool wait_for_decision) {
        if (!wait_for_decision) decided_ = allowed_ = true;
        auto self = shared_from_this();
        connect_upstream([self](error_code ec) {
            if (ec) {
                // Not a policy refusal: the destination itself did not answer.
                if (self->allowed_ || !self->decided_) self->p_.record_.count(self->label_, true);
                self->decided_ = true;
                self->timer_.cancel();
                reset(self->client_);
                return;
            }
            self->connected_ = true;
            if (!self->decided_) self->watch_server_first();
            self->maybe_start();
        });
        if (!wait_for_decision) maybe_start();
    }

    // A server that speaks first (SSH, SMTP, MySQL): no name claim is coming.
    void watch_server_first() {
        upstream_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
            if (!ec && !self->decided_) self->decide(Sniffed{Sniffed::Kind::other, ""});
        });
    }

    void maybe_start() {
        if (!allowed_ || !connected_ || started_ || reading_) return;
        started_ = true;
        p_.record_.count(label_, true);
        auto self = shared_from_this();
        asio::async_write(upstream_, asio::buffer(head_), [self](error_code ec, std::size_t) {
            if (ec) {
                reset(self->client_);
                reset(self->upstream_);
                return;
            }
            self->splice_both();
        });
    }

    // ---- splicing
    struct Pipe {
        Fd r, w;
        std::size_t held = 0;
        bool eof = false;
    };

    void splice_both() {
        for (int d = 0; d < 2; ++d) {
            int fds[2];
            if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
                reset(client_);
                reset(upstream_);
                return;
            }
            pipes_[d].r.reset(fds[0]);
            pipes_[d].w.reset(fds[1]);
            // Fewer, larger splices for bulk transfers (the unprivileged
            // limit is 1 MiB; a smaller pipe still works).
            (void)::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
        }
        client_.non_blocking(true);
        upstream_.non_blocking(true);
        pump(0);
        pump(1);
    }

    tcp::socket& from(int d) { return d == 0 ? client_ : upstream_; }
    tcp::socket& to(int d) { return d == 0 ? upstream_ : client_; }

    void pump(int d) {
        Pipe& p = pipes_[d];
        for (int round = 0; round < 64; ++round) {
            if (!client_.is_open() || !upstream_.is_open()) return;
            if (p.held == 0) {
                if (p.eof) return;
                const ssize_t n = ::splice(from(d).native_handle(), nullptr, p.w.get(), nullptr,
                                           1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (n == 0) {
                    p.eof = true;
                    ::shutdown(to(d).native_handle(), SHUT_WR);
                    if (pipes_[1 - d].eof && pipes_[1 - d].held == 0) finish();
                    return;
                }
                if (n < 0) {
                    if (errno == EAGAIN) {
                        from(d).async_wait(tcp::socket::wait_read,
                                           [self = shared_from_this(), d](error_code ec) {
                                               if (!ec) self->pump(d);
                                           });
                        return;
                    }
                    return abort();
                }
                p.held = static_cast<std::size_t>(n);
            }
            const ssize_t m = ::splice(p.r.get(), nullptr, to(d).native_handle(), nullptr, p.held,
                                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (m < 0) {
                if (errno == EAGAIN) {
                    to(d).async_wait(tcp::socket::wait_write,
                                     [self = shared_from_this(), d](error_code ec) {
                                         if (!ec) self->pump(d);
                                     });
                    return;
                }
                return abort();
            }
            p.held -= static_cast<std::size_t>(m);
        }
        asio::post(p_.io_, [self = shared_from_this(), d] { self->pump(d); });
    }

    void abort() {
        reset(client_);
        reset(upstream_);
    }

    void finish() {
        error_code ignored;
        client_.close(ignored);
        upstream_.close(ignored);
    }

    // ---- DNS over TCP (port 53), answered by the resolver
    void dns_read() {
        auto self = shared_from_this();
        asio::async_read(client_, asio::buffer(len_), [self](error_code ec, std::size_t) {
            if (ec) return self->finish();
            const std::size_t n = (static_cast<std::size_t>(self->len_[0]) << 8) | self->len_[1];
            if (n < 12 || n > kMaxDnsTcpMessage) return self->finish();
            self->head_.resize(n);
            asio::async_read(
                self->client_, asio::buffer(self->head_), [self](error_code ec2, std::size_t) {
                    if (ec2) return self->finish();
                    self->p_.query(self->head_, false, self->peer_port(),
                                   [self](std::string_view answer) {
                                       auto out = std::make_shared<std::string>();
                                       out->push_back(static_cast<char>(answer.size() >> 8));
                                       out->push_back(static_cast<char>(answer.size() & 0xff));
                                       out->append(answer);
                                       asio::async_write(self->client_, asio::buffer(*out),
                                                         [self, out](error_code ec3, std::size_t) {
                                                             if (ec3) return self->finish();
                                                             self->dns_read();
                                                         });
                                   });
                });
        });
    }

    Proxy& p_;
    tcp::socket client_, upstream_;
    asio::steady_timer timer_;
    std::unique_ptr<asio::steady_timer> connect_timer_;
    Addr dst_;
    uint16_t port_ = 0;
    std::string dest_, label_, head_;
    bool decided_ = false, allowed_ = false, connected_ = false, started_ = false, reading_ = false;
    bool forwarding_ = false; // an absolute-form http request, passed on whole
    std::shared_ptr<std::size_t> live_;
    Pipe pipes_[2];
    std::array<uint8_t, 2> len_{};
};

void accept_loop(Proxy& p, std::shared_ptr<tcp::acceptor> a,
                 std::function<void(std::shared_ptr<Conn>)> start) {
    a->async_accept([&p, a, start](error_code ec, tcp::socket s) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            if (*p.live_ >= p.max_connections_)
                reset(s); // bounded: every connection holds six fds
            else
                start(std::make_shared<Conn>(p, std::move(s)));
        }
        accept_loop(p, a, start);
    });
}

} // namespace

std::vector<RunResult::NetTally> serve(const ProxyConfig& cfg, Listeners l) {
    // Six fds a connection (two sockets, two pipes): as many as the hard
    // limit allows.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (const int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS)
        throw std::runtime_error(std::string("c-ares: ") + ares_strerror(rc));
    asio::io_context io(1);
    Proxy p(cfg, io);
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0)
        p.max_connections_ = rl.rlim_cur > 128 ? static_cast<std::size_t>(rl.rlim_cur - 64) / 6 : 8;

    std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
    {
        const auto family = l.ipv6 ? tcp::v6() : tcp::v4();
        auto a = std::make_shared<tcp::acceptor>(io, family, l.tcp.release());
        const uint16_t port = l.tcp_port;
        accept_loop(p, a, [port](std::shared_ptr<Conn> c) { c->start_steered(port); });
        acceptors.push_back(a);
    }
    for (auto& f : l.forward) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ::getsockname(f.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
        const bool v6 = ss.ss_family == AF_INET6;
        auto a = std::make_shared<tcp::acceptor>(io, v6 ? tcp::v6() : tcp::v4(), f.fd.release());
        const uint16_t port = f.port;
        if (f.connect_proxy)
            accept_loop(p, a, [](std::shared_ptr<Conn> c) { c->start_connect_proxy(); });
        else
            accept_loop(p, a, [port, v6](std::shared_ptr<Conn> c) { c->start_forward(port, v6); });
        acceptors.push_back(a);
    }
    std::vector<std::shared_ptr<DnsUdp>> dns;
    dns.push_back(std::make_shared<DnsUdp>(p, udp::socket(io, udp::v4(), l.dns4.release())));
    if (l.dns6)
        dns.push_back(std::make_shared<DnsUdp>(p, udp::socket(io, udp::v6(), l.dns6.release())));
    for (auto& d : dns) d->receive();

    const int stop_fd = ::fcntl(cfg.stop_fd, F_DUPFD_CLOEXEC, 0);
    if (stop_fd < 0)
        throw std::runtime_error(std::string("dup of the stop pipe: ") + std::strerror(errno));
    asio::posix::stream_descriptor stop(io, stop_fd);
    stop.async_wait(asio::posix::stream_descriptor::wait_read, [&io](error_code) { io.stop(); });
    io.run();
    return p.record_.take();
}

} // namespace burrow::egress
