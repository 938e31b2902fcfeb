#include "launcher/manager/service.hpp"
#include "launcher/manager/seed_api.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "launcher/manager/assets.hpp"
#include "launcher/manager/metrics.hpp"
#include "launcher/manager/qmp.hpp"
#include "launcher/manager/screenshot.hpp"
#include "launcher/manager/spawn.hpp"
#include "launcher/manager/supervise.hpp"
#include "policy/project/sandbox.hpp"
#include "runtime/io.hpp"

namespace burrow::manager {
namespace {

using ojson = nlohmann::ordered_json;

constexpr std::size_t kMaxLogChunk = 1 << 20;

HttpResponse json_ok(unsigned status, const ojson& j) {
    HttpResponse r;
    r.status = status;
    r.body = j.dump() + "\n";
    return r;
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (::getrandom(raw.data(), bytes, 0) != static_cast<ssize_t>(bytes))
        throw std::runtime_error("getrandom failed");
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned char c : raw) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

// Compares secrets in time independent of where they differ.
bool same_secret(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d == 0;
}

// STATE/token: made once (0600, O_EXCL), then read; refused unless it is
// a regular file of ours that nobody else can read.
std::string load_token(const std::string& dir) {
    const std::string path = dir + "/token";
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) {
        const std::string t = random_hex(32);
        if (int e = write_all(fd.get(), t + "\n"); e != 0)
            throw std::runtime_error(path + ": " + std::strerror(e));
        return t;
    }
    if (errno != EEXIST) throw std::runtime_error(path + ": " + std::strerror(errno));
    fd.reset(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) throw std::runtime_error(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        (st.st_mode & 077) != 0)
        throw std::runtime_error(path + ": not a regular file of ours with mode 0600");
    std::string t;
    if (read_fd_to_end(fd.get(), t, 4096) != 0)
        throw std::runtime_error(path + ": " + std::strerror(errno));
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    if (t.size() < 32) throw std::runtime_error(path + ": shorter than 32 characters");
    return t;
}

std::string header(const HttpRequest& r, const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
}

std::string cookie(const HttpRequest& r, const std::string& name) {
    const std::string all = header(r, "cookie");
    size_t i = 0;
    while (i < all.size()) {
        size_t end = all.find(';', i);
        if (end == std::string::npos) end = all.size();
        std::string part = all.substr(i, end - i);
        while (!part.empty() && part.front() == ' ') part.erase(0, 1);
        if (part.compare(0, name.size() + 1, name + "=") == 0) return part.substr(name.size() + 1);
        i = end + 1;
    }
    return {};
}

std::string url_decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+')
            out += ' ';
        else if (s[i] == '%' && i + 2 < s.size() &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else
            out += s[i];
    }
    return out;
}

std::map<std::string, std::string> parse_query(const std::string& q) {
    std::map<std::string, std::string> m;
    size_t i = 0;
    while (i < q.size()) {
        size_t end = q.find('&', i);
        if (end == std::string::npos) end = q.size();
        const std::string kv = q.substr(i, end - i);
        const size_t eq = kv.find('=');
        if (eq == std::string::npos)
            m[url_decode(kv)] = "";
        else
            m[url_decode(kv.substr(0, eq))] = url_decode(kv.substr(eq + 1));
        i = end + 1;
    }
    return m;
}

// A non-negative decimal of at most 18 digits, else nullopt.
std::optional<uint64_t> number(const std::string& s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    for (char c : s)
        if (c < '0' || c > '9') return std::nullopt;
    return std::stoull(s);
}

// Splits "/api/v1/sandboxes/ID/logs" (or the alias "/api/sandboxes/...")
// into the segments after the version.
std::optional<std::vector<std::string>> api_segments(const std::string& path) {
    std::string rest;
    if (path.rfind("/api/v1/", 0) == 0)
        rest = path.substr(8);
    else if (path.rfind("/api/", 0) == 0)
        rest = path.substr(5);
    else
        return std::nullopt;
    std::vector<std::string> seg;
    size_t i = 0;
    while (i <= rest.size()) {
        size_t end = rest.find('/', i);
        if (end == std::string::npos) end = rest.size();
        if (end > i) seg.push_back(rest.substr(i, end - i));
        i = end + 1;
    }
    return seg;
}

const char* kStatusStarting = "starting";
const char* kStatusRunning = "running";
const char* kStatusStopping = "stopping";
const char* kStatusExited = "exited";

// A string without control characters or NUL, at most max bytes.
bool plain_text(const std::string& s, size_t max) {
    if (s.size() > max) return false;
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

struct BadRequest : std::runtime_error {
    unsigned status;
    BadRequest(unsigned st, const std::string& m) : std::runtime_error(m), status(st) {}
};

std::string string_field(const nlohmann::json& v, const char* name, size_t max) {
    if (!v.is_string()) throw BadRequest(400, std::string("\"") + name + "\": not a string");
    std::string s = v.get<std::string>();
    if (s.find('\0') != std::string::npos || s.size() > max)
        throw BadRequest(400, std::string("\"") + name + "\": NUL or longer than " +
                                  std::to_string(max) + " bytes");
    return s;
}

std::vector<std::string> string_list(const nlohmann::json& v, const char* name, size_t max_items) {
    if (!v.is_array()) throw BadRequest(400, std::string("\"") + name + "\": not an array");
    if (v.size() > max_items)
        throw BadRequest(400, std::string("\"") + name + "\": more than " +
                                  std::to_string(max_items) + " items");
    std::vector<std::string> out;
    for (const auto& x : v) {
        if (!x.is_string())
            throw BadRequest(400, std::string("\"") + name + "\": an item is not a string");
        out.push_back(string_field(x, name, 4096));
    }
    return out;
}

bool within(const std::string& a, const std::string& b) {
    return a == b ||
           (b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/') ||
           a == "/";
}

} // namespace

HttpResponse json_error(unsigned status, const std::string& message) {
    return json_ok(status, ojson{{"error", message}});
}

namespace {

HttpResponse serve_asset(const std::string& path) {
    const Asset* a = find_asset(path);
    if (!a) return json_error(404, "no such page: " + path);
    HttpResponse r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->data);
    return r;
}

} // namespace

Service::Service(Options o) : opt_(std::move(o)), store_(opt_.state_dir) {
    registry_dir_ = session::registry_dir();
    token_ = load_token(store_.dir());
    csrf_ = random_hex(32);
    refused_roots_ = {store_.dir()};
    oplog_.reset(::open((store_.dir() + "/manager.log").c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    std::vector<std::string> warnings;
    for (auto& r : store_.load_all(warnings)) records_.emplace(r.id, std::move(r));
    for (const auto& w : warnings) log_op("warning: " + w);
}

void Service::log_op(const std::string& line) {
    char ts[32];
    const time_t now = ::time(nullptr);
    struct tm tm {};
    ::gmtime_r(&now, &tm);
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string l = std::string(ts) + " " + line;
    for (char& c : l)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
    l += "\n";
    if (oplog_) write_all(oplog_.get(), l);
    write_all(2, "burrow manager: " + l);
}

pid_t Service::spawn(const std::vector<std::string>& argv) {
    return spawn_process(argv, current_environment());
}

void Service::rebuild() {
    dirty_ = false;
    std::vector<session::Entry> entries;
    try {
        entries = session::list();
    } catch (const std::exception& e) {
        log_op(std::string("warning: session registry: ") + e.what());
    }
    views_.clear();
    std::vector<bool> claimed(entries.size(), false);
    for (auto& [id, r] : records_) {
        store_.refresh(r);
        View v;
        v.id = id;
        v.record = r;
        const bool over = r.exit_status || r.signal;
        if (!over && r.launch_pid > 0)
            for (size_t i = 0; i < entries.size(); ++i)
                if (!claimed[i] && entries[i].launcher_pid == r.launch_pid &&
                    entries[i].launcher_start_time == r.launch_start_time) {
                    claimed[i] = true;
                    v.entry = entries[i];
                }
        if (over)
            v.status = kStatusExited;
        else if (r.stop_requested)
            v.status = kStatusStopping;
        else if (v.entry)
            v.status = kStatusRunning;
        else if (r.launch_pid > 0 &&
                 session::process_start_time(r.launch_pid) != r.launch_start_time)
            // The launch is over: its supervisor writes the status next
            // (stopping until then); a supervisor gone too leaves none.
            v.status = r.supervisor_pid > 0 && session::process_start_time(r.supervisor_pid) ==
                                                   r.supervisor_start_time
                           ? kStatusStopping
                           : kStatusExited;
        else
            v.status = kStatusStarting;
        views_.push_back(std::move(v));
    }
    for (size_t i = 0; i < entries.size(); ++i) {
        if (claimed[i]) continue;
        View v;
        v.id = "h-" + entries[i].project_id + "-" + std::to_string(entries[i].start_time);
        v.entry = entries[i];
        v.status = kStatusRunning;
        views_.push_back(std::move(v));
    }
    for (auto& v : views_) {
        ojson j;
        j["id"] = v.id;
        if (v.record) {
            const Record& r = *v.record;
            j["name"] = r.name;
            j["labels"] = r.labels;
            j["backend"] = r.backend;
            j["project_dir"] = r.project_dir;
            j["project_id"] = r.project_id;
            j["network"] = r.network.empty() ? nullptr : ojson(r.network);
            j["allow_net"] = r.allow_net;
            j["policy"] = r.policy;
            j["command"] = r.command;
            j["display"] = r.display;
            j["status"] = v.status;
            j["exit_status"] = r.exit_status ? ojson(*r.exit_status) : ojson(nullptr);
            j["signal"] = r.signal ? ojson(*r.signal) : ojson(nullptr);
            j["created"] = r.created;
            j["started"] = v.entry ? ojson(v.entry->started) : ojson(nullptr);
            j["finished"] = r.finished ? ojson(r.finished) : ojson(nullptr);
            j["created_by"] = "manager";
            j["pid"] = v.entry ? ojson(v.entry->pid) : ojson(nullptr);
            struct stat st {};
            Fd log = store_.open_log(r.id);
            j["log_size"] = log && ::fstat(log.get(), &st) == 0 ? st.st_size : 0;
        } else {
            const session::Entry& e = *v.entry;
            const size_t slash = e.project_dir.rfind('/');
            j["name"] =
                slash == std::string::npos ? e.project_dir : e.project_dir.substr(slash + 1);
            j["labels"] = ojson::object();
            j["backend"] = e.backend;
            j["project_dir"] = e.project_dir;
            j["project_id"] = e.project_id;
            j["network"] = nullptr;
            j["allow_net"] = ojson::array();
            j["policy"] = ojson::array();
            j["command"] = ojson::array();
            j["display"] = false;
            j["status"] = v.status;
            j["exit_status"] = nullptr;
            j["signal"] = nullptr;
            j["created"] = e.started;
            j["started"] = e.started;
            j["finished"] = nullptr;
            j["created_by"] = "hand";
            j["pid"] = e.pid;
            j["log_size"] = nullptr;
        }
        v.json = std::move(j);
    }
    // Newest first.
    std::stable_sort(views_.begin(), views_.end(), [](const View& a, const View& b) {
        return a.json["created"].get<int64_t>() > b.json["created"].get<int64_t>();
    });
}

Service::View* Service::find(const std::string& id) {
    if (dirty_) rebuild();
    for (auto& v : views_)
        if (v.id == id) return &v;
    return nullptr;
}

nlohmann::ordered_json Service::seed_view(const View& v) {
    return seed::sandbox(v.json, v.record && v.record->stop_requested);
}

bool Service::finished(const std::string& id) {
    View* v = find(id);
    return !v || v->status == kStatusExited;
}

// Host names the manager answers to: it listens on loopback or a unix
// socket only, so any other name is a page that rebound its own name to
// 127.0.0.1 (DNS rebinding) and must not pass for this origin.
static bool loopback_host(const std::string& host) {
    std::string h = host;
    if (h.rfind("[::1]", 0) == 0) return h.size() == 5 || h[5] == ':';
    if (const size_t colon = h.find(':'); colon != std::string::npos) h.resize(colon);
    if (h == "localhost") return true;
    int a, b, c, d;
    char tail;
    return std::sscanf(h.c_str(), "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) == 4 && a == 127 &&
           b >= 0 && b < 256 && c >= 0 && c < 256 && d >= 0 && d < 256;
}

std::optional<HttpResponse> Service::authenticate(const HttpRequest& req, bool& by_cookie) {
    by_cookie = false;
    const std::string host = header(req, "host");
    if (!loopback_host(host))
        return json_error(403, "Host \"" + host +
                                   "\": not a loopback name (localhost, 127.0.0.0/8, [::1])");
    // A cross-site page may not drive the API: a request saying where it
    // comes from must come from this very origin.
    const std::string origin = header(req, "origin");
    if (!origin.empty() && origin != "http://" + header(req, "host"))
        return json_error(403, "Origin " + origin + " is not this manager's");
    const std::string auth = header(req, "authorization");
    if (auth.rfind("Bearer ", 0) == 0) {
        if (same_secret(auth.substr(7), token_)) return std::nullopt;
        log_op("refused: wrong bearer token for " + req.method + " " + req.target);
        return json_error(401, "wrong token");
    }
    const std::string c = cookie(req, "burrow_token");
    if (!c.empty() && same_secret(c, token_)) {
        by_cookie = true;
        return std::nullopt;
    }
    return json_error(401, "no token: send \"Authorization: Bearer TOKEN\" (STATE_DIR/token)");
}

HttpResponse Service::login(const HttpRequest& req) {
    if (!loopback_host(header(req, "host")))
        return json_error(403, "Host: not a loopback name (localhost, 127.0.0.0/8, [::1])");
    const std::string origin = header(req, "origin");
    if (!origin.empty() && origin != "http://" + header(req, "host"))
        return json_error(403, "Origin " + origin + " is not this manager's");
    const auto form = parse_query(req.body);
    auto it = form.find("token");
    if (it == form.end() || !same_secret(it->second, token_)) {
        log_op("refused: wrong token at login");
        HttpResponse r;
        r.status = 303;
        r.headers.emplace_back("Location", "/login?failed=1");
        return r;
    }
    HttpResponse r;
    r.status = 303;
    r.content_type = "text/plain";
    r.headers.emplace_back("Location", "/");
    r.headers.emplace_back("Set-Cookie",
                           "burrow_token=" + token_ + "; HttpOnly; SameSite=Strict; Path=/");
    log_op("login from the dashboard");
    return r;
}

HttpResponse Service::handle(const HttpRequest& req) {
    try {
        const size_t q = req.target.find('?');
        const std::string path = req.target.substr(0, q);
        const std::string query = q == std::string::npos ? "" : req.target.substr(q + 1);
        const bool read_only = req.method == "GET" || req.method == "HEAD";

        // Pages: the login page needs no token; the rest is behind it.
        if (path == "/login") {
            if (req.method == "POST") return login(req);
            if (!read_only) return json_error(405, "use GET or POST");
            const Asset* a = find_asset("/login.html");
            HttpResponse r;
            r.content_type = a ? std::string(a->content_type) : "text/html; charset=utf-8";
            r.body = a ? std::string(a->data)
                       : "<!doctype html><form method=post action=/login><input name=token "
                         "type=password><button>Log in</button></form>";
            return r;
        }
        // The dashboard's scripts and styles are public code, served without
        // a token: the login page needs them before there is one.
        if (read_only && path.rfind("/static/", 0) == 0) return serve_asset(path.substr(7));
        auto segs = api_segments(path);
        // The predecessor's paths answer in its shapes (seed_api.hpp).
        const bool seed_shape = seed::is_seed_path(path);
        bool by_cookie = false;
        if (auto refused = authenticate(req, by_cookie)) {
            if (!segs && read_only) {
                HttpResponse r;
                r.status = 303;
                r.headers.emplace_back("Location", "/login");
                return r;
            }
            return *refused;
        }
        // A browser's state-changing request must prove it was made by
        // the dashboard (which read the CSRF token from the API).
        if (by_cookie && !read_only && !same_secret(header(req, "x-burrow-csrf"), csrf_))
            return json_error(403, "missing or wrong X-Burrow-CSRF header");
        if (!segs) {
            if (!read_only) return json_error(405, "pages are read-only");
            if (path != "/") return json_error(404, "no such page: " + path);
            return serve_asset("/index.html");
        }
        const auto& s = *segs;
        auto method_not_allowed = [&] {
            return json_error(405, req.method + " is not allowed on " + path);
        };
        if (s.size() == 1 && s[0] == "session") {
            if (!read_only) return method_not_allowed();
            return json_ok(200, ojson{{"csrf", csrf_}, {"version", "burrow " BURROW_VERSION}});
        }
        if (s.size() == 1 && s[0] == "system") {
            if (!read_only) return method_not_allowed();
            if (dirty_) rebuild();
            auto j = system_metrics();
            j["sandboxes"] = views_.size();
            return json_ok(200, j);
        }
        if (s.size() == 2 && s[0] == "metrics" && s[1] == "system") {
            if (!read_only) return method_not_allowed();
            return json_ok(200, seed::system_metrics(system_metrics()));
        }
        if (s.size() == 1 && s[0] == "backends") {
            if (!read_only) return method_not_allowed();
            return backends();
        }
        if (s.empty() || s[0] != "sandboxes") return json_error(404, "no such endpoint: " + path);
        if (s.size() == 1) {
            if (req.method == "POST") {
                if (!seed_shape) return create(req);
                HttpRequest converted = req;
                try {
                    converted.body = seed::create_body(nlohmann::json::parse(req.body)).dump();
                } catch (const nlohmann::json::parse_error& e) {
                    throw BadRequest(400, "malformed JSON at byte " + std::to_string(e.byte));
                }
                HttpResponse r = create(converted);
                if (r.status == 201) {
                    if (dirty_) rebuild();
                    const std::string id = nlohmann::json::parse(r.body).value("id", "");
                    if (View* nv = find(id)) return json_ok(201, seed_view(*nv));
                }
                return r;
            }
            if (!read_only) return method_not_allowed();
            if (dirty_) rebuild();
            // The seed's list is a bare array; burrow's an object (room for more).
            std::string body = seed_shape ? "[" : "{\"sandboxes\":[";
            for (size_t i = 0; i < views_.size(); ++i) {
                if (i) body += ',';
                body += seed_shape ? seed_view(views_[i]).dump() : views_[i].json.dump();
            }
            body += seed_shape ? "]\n" : "]}\n";
            HttpResponse r;
            r.body = std::move(body);
            return r;
        }
        View* v = find(s[1]);
        if (!v) return json_error(404, "no sandbox " + s[1]);
        if (s.size() == 2) {
            if (req.method == "DELETE") return stop(*v, "", true);
            if (!read_only) return method_not_allowed();
            return json_ok(200, seed_shape ? seed_view(*v) : ojson(v->json));
        }
        if (s.size() == 3 && s[2] == "stop") {
            if (req.method != "POST") return method_not_allowed();
            HttpResponse r = stop(*v, req.body, false);
            if (seed_shape && r.status == 202) { // the seed answers 204, no body
                r.status = 204;
                r.body.clear();
            }
            return r;
        }
        if (s.size() == 3 && s[2] == "logs") {
            if (!read_only) return method_not_allowed();
            return logs(*v, query, req);
        }
        if (s.size() == 3 && s[2] == "metrics") {
            if (!read_only) return method_not_allowed();
            HttpResponse r = metrics(*v);
            if (seed_shape && r.status == 200)
                r = json_ok(200, seed::claude_metrics(nlohmann::json::parse(r.body)["agent"]));
            return r;
        }
        if (s.size() == 3 && s[2] == "screenshot") {
            if (!read_only) return method_not_allowed();
            return screenshot(*v);
        }
        return json_error(404, "no such endpoint: " + path);
    } catch (const BadRequest& e) {
        return json_error(e.status, e.what());
    } catch (const std::exception& e) {
        log_op(std::string("error: ") + e.what());
        return json_error(500, e.what());
    }
}

HttpResponse Service::backends() {
    ojson arr = ojson::array();
    for (const auto& b : opt_.config.backends)
        arr.push_back(ojson{{"name", b.name},
                            {"backend", b.backend},
                            {"network", b.network},
                            {"available", b.available},
                            {"launcher", b.command.empty() ? "" : b.command[0]}});
    return json_ok(200, ojson{{"backends", arr}});
}

HttpResponse Service::create(const HttpRequest& req) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::parse_error& e) {
        throw BadRequest(400, "malformed JSON at byte " + std::to_string(e.byte));
    }
    if (!j.is_object()) throw BadRequest(400, "the body is not a JSON object");
    Record r;
    r.backend = "namespace";
    bool have_dir = false;
    for (const auto& [k, v] : j.items()) {
        if (k == "name") {
            r.name = string_field(v, "name", 64);
            if (!plain_text(r.name, 64)) throw BadRequest(400, "\"name\": control characters");
        } else if (k == "labels") {
            if (!v.is_object() || v.size() > 32)
                throw BadRequest(400, "\"labels\": not an object of at most 32 strings");
            for (const auto& [lk, lv] : v.items()) {
                if (!plain_text(lk, 64) || lk.empty())
                    throw BadRequest(400, "\"labels\": a key is empty, too long or not text");
                r.labels[lk] = string_field(lv, "labels", 256);
            }
        } else if (k == "backend") {
            r.backend = string_field(v, "backend", 64);
        } else if (k == "project_dir") {
            r.project_dir = string_field(v, "project_dir", 4096);
            have_dir = true;
        } else if (k == "network") {
            if (!v.is_null()) r.network = string_field(v, "network", 16);
        } else if (k == "allow_net") {
            r.allow_net = string_list(v, "allow_net", 64);
        } else if (k == "policy") {
            r.policy = v.is_string() ? std::vector<std::string>{string_field(v, "policy", 4096)}
                                     : string_list(v, "policy", 16);
        } else if (k == "command") {
            r.command = string_list(v, "command", 256);
        } else if (k == "display") {
            if (!v.is_boolean()) throw BadRequest(400, "\"display\": not a boolean");
            r.display = v.get<bool>();
        } else {
            throw BadRequest(400, "unknown field \"" + k + "\"");
        }
    }
    if (!have_dir) throw BadRequest(400, "\"project_dir\" is missing");
    const Backend* be = opt_.config.find(r.backend);
    if (!be)
        throw BadRequest(400,
                         "\"backend\": no backend \"" + r.backend + "\" (GET /api/v1/backends)");
    if (!be->available)
        throw BadRequest(400, "\"backend\": " + r.backend + " is not available on this machine");
    if (!r.network.empty() && r.network != "private" && r.network != "host" && r.network != "none")
        throw BadRequest(400, "\"network\": \"" + r.network + "\" is not private, host or none");
    for (const auto& a : r.allow_net)
        if (a.empty() || a[0] == '-')
            throw BadRequest(400, "\"allow_net\": bad rule \"" + a + "\"");
    for (const auto& p : r.policy)
        if (p.empty() || p[0] == '-') throw BadRequest(400, "\"policy\": bad name \"" + p + "\"");
    // The project dir: absolute and already canonical (no ".", "..", "//",
    // trailing "/" or symlink: what is checked is what the launch binds).
    const std::string& d = r.project_dir;
    if (d.empty() || d[0] != '/')
        throw BadRequest(400, "\"project_dir\": not an absolute path: " + d);
    if (d.find("/./") != std::string::npos || d.find("/../") != std::string::npos ||
        d.ends_with("/.") || d.ends_with("/..") || d.find("//") != std::string::npos ||
        (d.size() > 1 && d.back() == '/'))
        throw BadRequest(400,
                         "\"project_dir\": not a canonical path (\".\", \"..\" or \"//\"): " + d);
    struct stat st {};
    if (::stat(d.c_str(), &st) != 0)
        throw BadRequest(400, "\"project_dir\": " + d + ": " + std::strerror(errno));
    std::string canon;
    try {
        canon = project::checked_project_dir(d, project::host_from_process());
    } catch (const std::exception& e) {
        throw BadRequest(403, std::string("\"project_dir\": ") + e.what());
    }
    if (canon != d)
        throw BadRequest(400, "\"project_dir\": " + d + " resolves to " + canon +
                                  " (a symlink): name the real directory");
    if (::stat(canon.c_str(), &st) != 0)
        throw BadRequest(400, "\"project_dir\": " + canon + ": " + std::strerror(errno));
    if (st.st_uid != ::geteuid())
        throw BadRequest(403, "\"project_dir\": " + canon + " belongs to uid " +
                                  std::to_string(st.st_uid) + ", not to the manager's user");
    for (const auto& root : refused_roots_)
        if (within(canon, root) || within(root, canon))
            throw BadRequest(403, "\"project_dir\": " + canon +
                                      " is, holds or lies in the manager's state dir");
    r.project_id = project::project_id_for(canon);
    // One sandbox per project, as `burrow launch` has it (a second launch
    // would join the first one, not make a sandbox of its own).
    if (dirty_) rebuild();
    for (const auto& v : views_)
        if (v.status != kStatusExited && v.json["project_id"] == r.project_id)
            throw BadRequest(409, "a sandbox of " + canon + " runs already: " + v.id);
    if (r.name.empty()) r.name = canon.substr(canon.rfind('/') + 1);
    if (r.command.empty()) r.command = {"sleep", "infinity"};
    r.id = new_id();
    r.created = static_cast<int64_t>(::time(nullptr));
    store_.save(r);
    // A VM shows its own screen (--display: QEMU's VGA, read through QMP);
    // the other backends get an Xvfb of their own.
    const bool vm_display = r.display && be->backend == "vm";
    if (r.display && !vm_display && !on_path("Xvfb"))
        throw BadRequest(400, "\"display\": Xvfb is not installed on this machine");
    std::vector<std::string> argv = {opt_.self_exe, kSuperviseVerb, store_.dir(), r.id,
                                     vm_display  ? "vm-display"
                                     : r.display ? "display"
                                                 : "-"};
    argv.insert(argv.end(), be->command.begin(), be->command.end());
    if (vm_display) argv.push_back("--display");
    if (!r.network.empty()) {
        argv.push_back("--network");
        argv.push_back(r.network);
    }
    for (const auto& a : r.allow_net) {
        argv.push_back("--allow-net");
        argv.push_back(a);
    }
    for (const auto& p : r.policy) {
        argv.push_back("--policy");
        argv.push_back(p);
    }
    argv.push_back(canon);
    argv.push_back("--");
    argv.insert(argv.end(), r.command.begin(), r.command.end());
    try {
        spawn(argv);
    } catch (const std::exception& e) {
        store_.remove(r.id);
        throw;
    }
    records_.emplace(r.id, r);
    log_op("create " + r.id + " (" + r.backend + ") " + canon);
    dirty_ = true;
    View* v = find(r.id);
    return json_ok(201, v ? v->json : ojson{{"id", r.id}});
}

HttpResponse Service::stop(View& v, const std::string& body, bool and_delete) {
    unsigned grace = and_delete ? 0 : 5;
    if (!body.empty()) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(body);
        } catch (const nlohmann::json::parse_error& e) {
            throw BadRequest(400, "malformed JSON at byte " + std::to_string(e.byte));
        }
        if (!j.is_object()) throw BadRequest(400, "the body is not a JSON object");
        for (const auto& [k, val] : j.items()) {
            if (k != "grace") throw BadRequest(400, "unknown field \"" + k + "\"");
            if (!val.is_number_unsigned() || val.get<uint64_t>() > 3600)
                throw BadRequest(400, "\"grace\": not a number of seconds from 0 to 3600");
            grace = val.get<unsigned>();
        }
    }
    const std::string id = v.id;
    if (v.status != kStatusExited) {
        if (v.entry) {
            // The registry's own stop: its identity checks, SIGTERM, SIGKILL
            // after the grace.
            spawn({opt_.self_exe, "stop", "--grace", std::to_string(grace), v.entry->project_dir});
        } else if (v.record && v.record->launch_pid > 0 &&
                   session::process_start_time(v.record->launch_pid) ==
                       v.record->launch_start_time) {
            // Still starting (not in the registry yet): the launch itself.
            Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, v.record->launch_pid, 0)));
            if (pidfd &&
                session::process_start_time(v.record->launch_pid) == v.record->launch_start_time)
                ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0);
        }
        if (v.record) {
            auto it = records_.find(id);
            if (it != records_.end()) {
                it->second.stop_requested = true;
                store_.save(it->second);
            }
        }
    }
    log_op(std::string(and_delete ? "delete " : "stop ") + id);
    if (and_delete) {
        if (v.record) {
            store_.remove(id);
            records_.erase(id);
        }
        dirty_ = true;
        HttpResponse r;
        r.status = 204;
        r.content_type.clear();
        return r;
    }
    dirty_ = true;
    View* nv = find(id);
    return json_ok(202, nv ? nv->json : ojson{{"id", id}});
}

HttpResponse Service::logs(View& v, const std::string& query, const HttpRequest& req) {
    if (!v.record) return json_error(404, "no log: " + v.id + " was not started by the manager");
    Fd fd = store_.open_log(v.id);
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) return json_error(404, "no log for " + v.id);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t offset = 0, length = kMaxLogChunk;
    bool ranged = false;
    const auto qs = parse_query(query);
    for (const auto& [k, val] : qs) {
        auto n = number(val);
        if (k == "offset" && n)
            offset = *n;
        else if (k == "length" && n)
            length = std::min<uint64_t>(*n, kMaxLogChunk);
        else
            throw BadRequest(400, "query \"" + k + "\": not offset or length with a number");
    }
    const std::string range = header(req, "range");
    if (!range.empty()) {
        // bytes=A-B or bytes=A-
        if (range.rfind("bytes=", 0) != 0) return json_error(416, "Range: only bytes=A-[B]");
        const std::string spec = range.substr(6);
        const size_t dash = spec.find('-');
        auto a = number(spec.substr(0, dash));
        if (dash == std::string::npos || !a) return json_error(416, "Range: only bytes=A-[B]");
        offset = *a;
        if (dash + 1 < spec.size()) {
            auto b = number(spec.substr(dash + 1));
            if (!b || *b < *a) return json_error(416, "Range: only bytes=A-[B]");
            length = std::min<uint64_t>(*b - *a + 1, kMaxLogChunk);
        }
        if (offset >= size && size > 0) return json_error(416, "Range: beyond the log's end");
        ranged = true;
    }
    HttpResponse r;
    r.content_type = "text/plain; charset=utf-8";
    if (offset < size) {
        const uint64_t n = std::min(length, size - offset);
        r.body.resize(n);
        const ssize_t got = ::pread(fd.get(), r.body.data(), n, static_cast<off_t>(offset));
        r.body.resize(got > 0 ? static_cast<size_t>(got) : 0);
    }
    r.headers.emplace_back("X-Log-Size", std::to_string(size));
    if (ranged) {
        r.status = 206;
        r.headers.emplace_back(
            "Content-Range", "bytes " + std::to_string(offset) + "-" +
                                 std::to_string(offset + r.body.size() - (r.body.empty() ? 0 : 1)) +
                                 "/" + std::to_string(size));
    }
    return r;
}

HttpResponse Service::screenshot(View& v) {
    if (!v.record || !v.record->display)
        return json_error(404, "no display: " + v.id + " was not created with \"display\": true");
    if (v.status == kStatusExited) return json_error(404, "no display: " + v.id + " has exited");
    if (v.entry && v.entry->backend == "vm") {
        // The launch dir is the enter socket's (the registry is the host's
        // own, out of every sandbox's reach); QEMU writes the PPM into a
        // dir of the manager's.
        if (v.entry->control.empty())
            return json_error(404, "no display: " + v.id + " has no launch dir socket");
        const std::string& control = v.entry->control;
        const std::string qmp = control.substr(0, control.rfind('/') + 1) + "qmp.sock";
        const std::string name = "screen.ppm";
        std::string ppm;
        try {
            qmp_screendump(qmp, store_.screen_dir(v.id) + "/" + name);
            ppm = store_.read_screen(v.id, name);
        } catch (const std::exception& e) {
            store_.drop_screen(v.id, name);
            return json_error(404, "no display yet: " + v.id + ": " + e.what());
        }
        store_.drop_screen(v.id, name);
        HttpResponse r;
        r.content_type = "image/png";
        r.body = ppm_to_png(ppm);
        return r;
    }
    const std::string xwd = store_.read_screen(v.id);
    if (xwd.empty()) return json_error(404, "no display yet: " + v.id + " is starting");
    HttpResponse r;
    r.content_type = "image/png";
    r.body = xwd_to_png(xwd);
    return r;
}

HttpResponse Service::metrics(View& v) {
    pid_t root = 0;
    if (v.status != kStatusExited) {
        if (v.record && v.record->launch_pid > 0 &&
            session::process_start_time(v.record->launch_pid) == v.record->launch_start_time)
            root = v.record->launch_pid;
        else if (!v.record && v.entry)
            root = v.entry->launcher_pid;
    }
    const TreeUsage u = tree_usage(root);
    // The agent's transcripts: in the host's ~/.claude when the launch
    // shares it, else in the project's own agent dir (burrow-launch(1)).
    const project::HostInfo host = project::host_from_process();
    std::string agent_dir = host.home + "/.claude";
    struct stat st {};
    if (::stat(agent_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        agent_dir = project::state_root(host) + "/projects/" +
                    v.json["project_id"].get<std::string>() + "/agent/.claude";
    return json_ok(
        200, ojson{{"id", v.id},
                   {"status", v.status},
                   {"cpu_seconds", u.cpu_seconds},
                   {"memory_bytes", u.memory_bytes},
                   {"pids", u.pids},
                   {"agent", agent_usage(agent_dir, v.json["project_dir"].get<std::string>())}});
}

std::variant<WsTarget, HttpResponse> Service::websocket(const HttpRequest& req) {
    bool by_cookie = false;
    if (auto refused = authenticate(req, by_cookie)) return *refused;
    const size_t q = req.target.find('?');
    const std::string path = req.target.substr(0, q);
    // The seed's live log: the last 1,000 lines, then what is appended, as text.
    if (path.rfind("/ws/sandboxes/", 0) == 0 && path.ends_with("/logs")) {
        const std::string id = path.substr(14, path.size() - 14 - 5);
        View* v = find(id);
        if (!v) return json_error(404, "no sandbox " + id);
        if (!v->record)
            return json_error(404, "no log: " + v->id + " was not started by the manager");
        WsTarget t;
        t.id = v->id;
        t.kind = WsTarget::Kind::logs;
        t.text = true;
        if (Fd log = store_.open_log(v->id)) t.offset = seed::backlog_offset(log.get(), 1000);
        return t;
    }
    auto segs = api_segments(path);
    if (!segs || segs->size() < 3 || (*segs)[0] != "sandboxes")
        return json_error(404, "no WebSocket at " + path);
    const auto& s = *segs;
    View* v = find(s[1]);
    if (!v) return json_error(404, "no sandbox " + s[1]);
    WsTarget t;
    t.id = v->id;
    if (s.size() == 4 && s[2] == "logs" && s[3] == "ws") {
        if (!v->record)
            return json_error(404, "no log: " + v->id + " was not started by the manager");
        const auto qs = parse_query(q == std::string::npos ? "" : req.target.substr(q + 1));
        if (auto it = qs.find("offset"); it != qs.end()) {
            auto n = number(it->second);
            if (!n) return json_error(400, "query \"offset\": not a number");
            t.offset = *n;
        }
        t.kind = WsTarget::Kind::logs;
        return t;
    }
    if (s.size() == 3 && s[2] == "terminal") {
        if (v->status != kStatusRunning || !v->entry)
            return json_error(409, v->id + " is " + v->status + ", not running");
        t.kind = WsTarget::Kind::terminal;
        t.project_dir = v->entry->project_dir;
        log_op("terminal into " + v->id);
        return t;
    }
    return json_error(404, "no WebSocket at " + path);
}

} // namespace burrow::manager
