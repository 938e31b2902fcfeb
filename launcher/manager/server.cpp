// The only translation unit with Boost.Beast/Asio: it moves requests to the
// Service and bytes between WebSockets and log files or terminals.
#include "launcher/manager/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include <utility> // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "launcher/manager/seed_api.hpp"
#include "launcher/manager/service.hpp"
#include "launcher/manager/spawn.hpp"
#include "policy/project/sandbox.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/fd.hpp"

namespace burrow::manager {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

// Limits that keep one client from starving the others.
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr auto kReadTimeout = 10s;  // a whole request (slow-loris)
constexpr auto kWriteTimeout = 30s; // a whole response
constexpr std::size_t kMaxConnections = 1024;
constexpr std::size_t kMaxWebSockets = 512;
constexpr std::size_t kWsMessageMax = 64 * 1024;

struct Server {
    net::io_context ioc{1};
    std::unique_ptr<Service> service;
    std::size_t connections = 0;
    std::size_t websockets = 0;
};

// Counts a connection for its lifetime.
struct Counted {
    Server& srv;
    bool ws = false;
    explicit Counted(Server& s) : srv(s) { ++srv.connections; }
    ~Counted() {
        --srv.connections;
        if (ws) --srv.websockets;
    }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
};

HttpRequest to_request(const http::request<http::string_body>& r) {
    HttpRequest q;
    q.method = std::string(r.method_string());
    q.target = std::string(r.target());
    for (const auto& f : r) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        // A repeated header is refused by the service's comparison: keep the
        // first (a second Authorization cannot override the first).
        q.headers.emplace(name, std::string(f.value()));
    }
    q.body = r.body();
    return q;
}

http::response<http::string_body> to_response(const HttpResponse& r, unsigned version,
                                              bool keep_alive, bool head) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "burrow-manager");
    if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    // Pages run only the dashboard's own scripts. Inline styles are allowed:
    // xterm.js adds <style> elements, and CSS runs no code.
    if (r.content_type.rfind("text/html", 0) == 0)
        res.set("Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                "script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    if (head) res.body().clear();
    return res;
}

// One protocol type for both transports (TCP and unix sockets): every
// template below is instantiated once.
using Protocol = net::generic::stream_protocol;
using Stream = beast::basic_stream<Protocol, net::any_io_executor, beast::unlimited_rate_policy>;
using Acceptor = net::basic_socket_acceptor<Protocol>;

// ---------------------------------------------------------------- logs

class LogFollower : public std::enable_shared_from_this<LogFollower> {
  public:
    LogFollower(Server& srv, websocket::stream<Stream> ws, WsTarget t, std::shared_ptr<Counted> c)
        : srv_(srv), ws_(std::move(ws)), t_(std::move(t)), timer_(srv.ioc), count_(std::move(c)) {}

    void start(const http::request<http::string_body>& req) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(kWsMessageMax);
        ws_.binary(!t_.text);
        ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            self->fd_ = self->srv_.service->store().open_log(self->t_.id);
            self->pump();
            self->drain_reads();
        });
    }

  private:
    // Reads (and drops) what the client sends, so a close is seen.
    void drain_reads() {
        ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->closed_ = true;
                self->timer_.cancel();
                return;
            }
            self->in_.consume(self->in_.size());
            self->drain_reads();
        });
    }

    void pump() {
        if (closed_) return;
        if (!fd_) fd_ = srv_.service->store().open_log(t_.id);
        ssize_t n = 0;
        if (fd_) n = ::pread(fd_.get(), buf_.data(), buf_.size(), static_cast<off_t>(t_.offset));
        if (n > 0) {
            t_.offset += static_cast<uint64_t>(n);
            net::const_buffer out(buf_.data(), static_cast<std::size_t>(n));
            if (t_.text) {
                text_ = seed::utf8_text(carry_, buf_.data(), static_cast<std::size_t>(n));
                if (text_.empty()) return pump(); // only the start of a character so far
                out = net::buffer(text_);
            }
            ws_.async_write(out, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    self->closed_ = true;
                    return;
                }
                self->pump();
            });
            return;
        }
        // Nothing new: done once the sandbox is over (its supervisor wrote
        // the last byte before the exit record), else look again shortly.
        if (finishing_) {
            ws_.async_close(websocket::close_code::normal,
                            [self = shared_from_this()](beast::error_code) {});
            return;
        }
        if (srv_.service->finished(t_.id)) {
            finishing_ = true; // one more read: bytes written before the record
            pump();
            return;
        }
        timer_.expires_after(100ms);
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->pump();
        });
    }

    Server& srv_;
    websocket::stream<Stream> ws_;
    WsTarget t_;
    net::steady_timer timer_;
    std::shared_ptr<Counted> count_;
    Fd fd_;
    std::array<char, 32768> buf_{};
    std::string text_, carry_; // text mode (seed_api.hpp)
    beast::flat_buffer in_;
    bool closed_ = false;
    bool finishing_ = false;
};

// ------------------------------------------------------------ terminal

// `burrow enter PROJECT_DIR` on a pty the manager owns: the child gets the
// slave as its controlling terminal in a session of its own.
pid_t spawn_on_pty(const std::string& self, const std::string& project_dir, int& master_out) {
    Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0)
        throw std::runtime_error(std::string("pty: ") + std::strerror(errno));
    char name[128];
    if (::ptsname_r(master.get(), name, sizeof name) != 0)
        throw std::runtime_error(std::string("pty: ") + std::strerror(errno));
    struct winsize ws {};
    ws.ws_col = 80;
    ws.ws_row = 24;
    ::ioctl(master.get(), TIOCSWINSZ, &ws);
    std::vector<std::string> env = current_environment();
    std::erase_if(env, [](const std::string& v) { return v.rfind("TERM=", 0) == 0; });
    env.emplace_back("TERM=xterm-256color");
    const pid_t pid = spawn_process({self, "enter", project_dir}, env, name);
    master_out = master.release();
    return pid;
}

class Terminal : public std::enable_shared_from_this<Terminal> {
  public:
    Terminal(Server& srv, websocket::stream<Stream> ws, WsTarget t, std::shared_ptr<Counted> c)
        : srv_(srv), ws_(std::move(ws)), t_(std::move(t)), pty_(srv.ioc), count_(std::move(c)) {}
    ~Terminal() {
        // The session's processes get the hangup a closed terminal gives.
        if (pid_ > 0) ::kill(-pid_, SIGHUP);
    }

    void start(const http::request<http::string_body>& req) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(kWsMessageMax);
        ws_.binary(true);
        int master = -1;
        try {
            pid_ = spawn_on_pty(srv_.service->self_exe(), t_.project_dir, master);
        } catch (const std::exception& e) {
            srv_.service->log_op(std::string("terminal: ") + e.what());
            return;
        }
        pty_.assign(master);
        ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            self->read_pty();
            self->read_ws();
        });
    }

  private:
    void read_pty() {
        pty_.async_read_some(net::buffer(out_), [self = shared_from_this()](beast::error_code ec,
                                                                            std::size_t n) {
            if (ec) { // EIO: the last process on the pty is gone
                self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
                return;
            }
            self->ws_.async_write(net::buffer(self->out_.data(), n),
                                  [self](beast::error_code ec2, std::size_t) {
                                      if (!ec2) self->read_pty();
                                  });
        });
    }

    void read_ws() {
        ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                beast::error_code ignored;
                self->pty_.close(ignored);
                return;
            }
            std::string msg = beast::buffers_to_string(self->in_.data());
            self->in_.consume(self->in_.size());
            if (!self->ws_.got_binary()) {
                // {"resize":[cols,rows]}
                try {
                    const auto j = nlohmann::json::parse(msg);
                    const auto& r = j.at("resize");
                    struct winsize w {};
                    w.ws_col = static_cast<unsigned short>(std::clamp(r.at(0).get<int>(), 1, 1000));
                    w.ws_row = static_cast<unsigned short>(std::clamp(r.at(1).get<int>(), 1, 1000));
                    ::ioctl(self->pty_.native_handle(), TIOCSWINSZ, &w);
                } catch (const std::exception&) {
                }
                self->read_ws();
                return;
            }
            self->pending_ = std::move(msg);
            net::async_write(self->pty_, net::buffer(self->pending_),
                             [self](beast::error_code ec2, std::size_t) {
                                 if (!ec2) self->read_ws();
                             });
        });
    }

    Server& srv_;
    websocket::stream<Stream> ws_;
    WsTarget t_;
    net::posix::stream_descriptor pty_;
    std::shared_ptr<Counted> count_;
    pid_t pid_ = 0;
    std::array<char, 16384> out_{};
    beast::flat_buffer in_;
    std::string pending_;
};

// ---------------------------------------------------------------- http

class HttpSession : public std::enable_shared_from_this<HttpSession> {
  public:
    HttpSession(Server& srv, Protocol::socket s)
        : srv_(srv), stream_(std::move(s)), count_(std::make_shared<Counted>(srv)) {}

    void start() { read(); }

  private:
    void read() {
        parser_.emplace();
        parser_->body_limit(kBodyLimit);
        parser_->header_limit(kHeaderLimit);
        stream_.expires_after(kReadTimeout);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void fail(unsigned status, const std::string& why) {
        send(json_error(status, why), 11, false, false);
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == net::error::connection_reset || ec == net::error::eof) {
            close();
            return;
        }
        if (ec == http::error::body_limit) return fail(413, "the body is larger than 64 KiB");
        if (ec == http::error::header_limit) return fail(431, "the headers are larger than 8 KiB");
        if (ec) return fail(400, "malformed HTTP request: " + ec.message());
        auto req = parser_->release();
        if (websocket::is_upgrade(req)) return upgrade(std::move(req));
        const HttpResponse r = srv_.service->handle(to_request(req));
        send(r, req.version(), req.keep_alive(), req.method() == http::verb::head);
    }

    void upgrade(http::request<http::string_body> req) {
        if (srv_.websockets >= kMaxWebSockets) return fail(503, "too many WebSocket connections");
        auto target = srv_.service->websocket(to_request(req));
        if (auto* refusal = std::get_if<HttpResponse>(&target))
            return send(*refusal, req.version(), false, false);
        count_->ws = true;
        ++srv_.websockets;
        stream_.expires_never(); // the WebSocket's own timeouts take over
        websocket::stream<Stream> ws(std::move(stream_));
        auto& t = std::get<WsTarget>(target);
        if (t.kind == WsTarget::Kind::logs)
            std::make_shared<LogFollower>(srv_, std::move(ws), t, count_)->start(req);
        else
            std::make_shared<Terminal>(srv_, std::move(ws), t, count_)->start(req);
    }

    void send(const HttpResponse& r, unsigned version, bool keep_alive, bool head) {
        auto res = std::make_shared<http::response<http::string_body>>(
            to_response(r, version, keep_alive, head));
        stream_.expires_after(kWriteTimeout);
        http::async_write(stream_, *res,
                          [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                              if (ec || !res->keep_alive()) return self->close();
                              self->read();
                          });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(net::socket_base::shutdown_send, ec);
        stream_.close();
    }

    Server& srv_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<Counted> count_;
};

void accept_loop(Server& srv, std::shared_ptr<Acceptor> acc) {
    acc->async_accept([&srv, acc](beast::error_code ec, Protocol::socket s) {
        if (!ec) {
            if (srv.connections >= kMaxConnections) {
                beast::error_code ignored;
                s.close(ignored); // over the limit: closed at once
            } else {
                std::make_shared<HttpSession>(srv, std::move(s))->start();
            }
        }
        accept_loop(srv, acc);
    });
}

// Registry and store changes mark the list stale (no polling).
void watch_dirs(Server& srv, std::shared_ptr<net::posix::stream_descriptor> sd,
                std::shared_ptr<std::array<char, 4096>> buf) {
    sd->async_read_some(net::buffer(*buf), [&srv, sd, buf](beast::error_code ec, std::size_t) {
        if (ec) return;
        srv.service->invalidate();
        watch_dirs(srv, sd, buf);
    });
}

void on_signal(Server& srv, std::shared_ptr<net::signal_set> sigs) {
    sigs->async_wait([&srv, sigs](beast::error_code ec, int sig) {
        if (ec) return;
        if (sig == SIGCHLD) {
            // Supervisors, stops and terminals: reaped, and the list redone.
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            srv.service->invalidate();
            on_signal(srv, sigs);
            return;
        }
        srv.service->log_op("stopping on signal " + std::to_string(sig) +
                            " (the sandboxes keep running)");
        srv.ioc.stop();
    });
}

void backstop(Server& srv, std::shared_ptr<net::steady_timer> t) {
    // A launcher killed outside burrow leaves its entry behind without an
    // inotify event; the list is redone every few seconds all the same.
    t->expires_after(5s);
    t->async_wait([&srv, t](beast::error_code ec) {
        if (ec) return;
        srv.service->invalidate();
        backstop(srv, t);
    });
}

std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) throw std::runtime_error(std::string("/proc/self/exe: ") + std::strerror(errno));
    return std::string(buf, static_cast<size_t>(n));
}

bool loopback(const net::ip::address& a) {
    return a.is_loopback();
}

} // namespace

int run_manager(ManagerOptions o) {
    auto die = [](const std::string& m) {
        std::fprintf(stderr, "burrow: manager: %s\n", m.c_str());
        return kExitFailure;
    };
    if (!o.socket.empty() && !o.listen.empty()) return die("--socket and --listen: choose one");
    Server srv;
    try {
        if (o.state_dir.empty())
            o.state_dir = project::state_root(project::host_from_process()) + "/manager";
        Service::Options so;
        so.state_dir = o.state_dir;
        so.self_exe = self_exe();
        so.config = o.config.empty() ? builtin_config(so.self_exe) : load_config(o.config);
        srv.service = std::make_unique<Service>(std::move(so));
    } catch (const std::exception& e) {
        return die(e.what());
    }
    const std::string state = srv.service->store().dir();

    // Room for many clients: the soft fd limit up to the hard one.
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 65536);
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    ::signal(SIGPIPE, SIG_IGN);

    std::string where;
    try {
        if (!o.listen.empty()) {
            const size_t colon = o.listen.rfind(':');
            if (colon == std::string::npos) return die("--listen " + o.listen + ": not ADDR:PORT");
            std::string host = o.listen.substr(0, colon);
            if (host.size() > 2 && host.front() == '[' && host.back() == ']')
                host = host.substr(1, host.size() - 2);
            beast::error_code ec;
            const auto addr = net::ip::make_address(host, ec);
            if (ec) return die("--listen " + o.listen + ": not an IP address");
            if (!loopback(addr))
                return die("--listen " + o.listen +
                           ": not a loopback address (use ssh port forwarding, burrow remote ui)");
            unsigned long port = 0;
            try {
                size_t used = 0;
                port = std::stoul(o.listen.substr(colon + 1), &used);
                if (used != o.listen.size() - colon - 1 || port > 65535)
                    throw std::out_of_range("");
            } catch (const std::exception&) {
                return die("--listen " + o.listen + ": bad port");
            }
            const net::ip::tcp::endpoint tcp_ep(addr, static_cast<unsigned short>(port));
            const Protocol::endpoint ep(tcp_ep);
            auto acc = std::make_shared<Acceptor>(srv.ioc);
            acc->open(ep.protocol());
            acc->set_option(net::socket_base::reuse_address(true));
            acc->bind(ep, ec);
            if (ec) return die("--listen " + o.listen + ": " + ec.message());
            acc->listen(net::socket_base::max_listen_connections);
            // The port the kernel chose (--listen ADDR:0).
            net::ip::tcp::endpoint bound;
            const auto gen = acc->local_endpoint();
            std::memcpy(bound.data(), gen.data(),
                        std::min<std::size_t>(gen.size(), bound.capacity()));
            where = "http://" + (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) +
                    ":" + std::to_string(bound.port());
            accept_loop(srv, acc);
        } else {
            std::string path = o.socket.empty() ? state + "/manager.sock" : o.socket;
            if (path.size() >= sizeof(sockaddr_un{}.sun_path))
                return die("--socket " + path + ": longer than a unix socket path may be");
            struct stat st {};
            if (::lstat(path.c_str(), &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) return die(path + ": exists and is not a socket");
                // A live manager answers; a dead one's socket is replaced.
                net::local::stream_protocol::socket probe(srv.ioc);
                beast::error_code ec;
                probe.connect(net::local::stream_protocol::endpoint(path), ec);
                if (!ec) return die(path + ": a manager already listens there");
                ::unlink(path.c_str());
            }
            const Protocol::endpoint ep(net::local::stream_protocol::endpoint{path});
            auto acc = std::make_shared<Acceptor>(srv.ioc);
            acc->open(ep.protocol());
            // 0600 from its creation: no moment in which others may connect.
            const mode_t old = ::umask(0177);
            beast::error_code ec;
            acc->bind(ep, ec);
            ::umask(old);
            if (ec) return die(path + ": " + ec.message());
            acc->listen(net::socket_base::max_listen_connections);
            where = "unix:" + path;
            accept_loop(srv, acc);
        }
    } catch (const std::exception& e) {
        return die(e.what());
    }

    // inotify on the registry and the store's record dir.
    Fd in(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!in) return die(std::string("inotify: ") + std::strerror(errno));
    const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE;
    for (const std::string& d : {srv.service->registry_dir(), state + "/sandboxes"})
        if (::inotify_add_watch(in.get(), d.c_str(), mask) < 0)
            return die(d + ": inotify: " + std::strerror(errno));
    auto sd = std::make_shared<net::posix::stream_descriptor>(srv.ioc, in.release());
    watch_dirs(srv, sd, std::make_shared<std::array<char, 4096>>());
    auto sigs = std::make_shared<net::signal_set>(srv.ioc, SIGCHLD, SIGTERM, SIGINT);
    on_signal(srv, sigs);
    backstop(srv, std::make_shared<net::steady_timer>(srv.ioc));

    // Where it listens, for scripts and `burrow remote ui`.
    {
        const std::string f = state + "/listening";
        Fd fd(::open((f + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                     0600));
        if (fd) {
            const std::string line = where + "\n";
            if (::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()))
                ::rename((f + ".tmp").c_str(), f.c_str());
        }
    }
    srv.service->log_op("listening on " + where + " (state " + state + ")");
    srv.ioc.run();
    return 0;
}

} // namespace burrow::manager
