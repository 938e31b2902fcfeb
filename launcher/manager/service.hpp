// The manager's API as plain data: a request in, a response out. The
// server (server.cpp, Boost.Beast) only moves bytes; everything a client
// can ask, and every check on it (token, CSRF, Origin, JSON schema,
// project directory rules), is decided here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "launcher/manager/config.hpp"
#include "launcher/manager/store.hpp"
#include "launcher/session/registry.hpp"

namespace burrow::manager {

struct HttpRequest {
    std::string method;                         // "GET", "POST", ...
    std::string target;                         // path?query
    std::map<std::string, std::string> headers; // names in lower case
    std::string body;
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// What a WebSocket upgrade that passed every check is for.
struct WsTarget {
    enum class Kind { logs, terminal } kind = Kind::logs;
    std::string id;          // the sandbox's API id
    std::string project_dir; // terminal: what `burrow enter` enters
    uint64_t offset = 0;     // logs: where to start
    // logs: text frames of valid UTF-8 (seed::utf8_text), for the seed's
    // /ws/sandboxes/ID/logs; burrow's own follower sends the bytes as binary.
    bool text = false;
};

class Service {
  public:
    struct Options {
        std::string state_dir;
        std::string self_exe; // burrow itself (supervisor, stop, enter)
        Config config;
    };
    explicit Service(Options o);

    HttpResponse handle(const HttpRequest& req);
    // An upgrade request: a target, or the response refusing it.
    std::variant<WsTarget, HttpResponse> websocket(const HttpRequest& req);

    // Something changed (the registry or store dir, a child exited): the
    // next read rebuilds the list.
    void invalidate() { dirty_ = true; }
    // logs: is the sandbox over (nothing more will be appended)?
    bool finished(const std::string& id);
    const Store& store() const { return store_; }
    const std::string& registry_dir() const { return registry_dir_; }
    const std::string& self_exe() const { return opt_.self_exe; }
    // One line in STATE/manager.log and on stderr.
    void log_op(const std::string& line);

  private:
    struct View {
        std::string id;
        nlohmann::ordered_json json;
        std::optional<Record> record;        // created by the manager
        std::optional<session::Entry> entry; // in the registry now
        std::string status;
    };
    void rebuild();
    View* find(const std::string& id);
    static nlohmann::ordered_json seed_view(const View& v);
    std::optional<HttpResponse> authenticate(const HttpRequest& req, bool& by_cookie);
    HttpResponse create(const HttpRequest& req);
    HttpResponse stop(View& v, const std::string& body, bool and_delete);
    HttpResponse logs(View& v, const std::string& query, const HttpRequest& req);
    HttpResponse metrics(View& v);
    HttpResponse screenshot(View& v);
    HttpResponse backends();
    HttpResponse login(const HttpRequest& req);
    pid_t spawn(const std::vector<std::string>& argv);

    Options opt_;
    Store store_;
    std::string registry_dir_;
    std::string token_, csrf_;
    std::vector<std::string> refused_roots_; // project dirs may not be or hold these
    std::map<std::string, Record> records_;
    std::vector<View> views_;
    bool dirty_ = true;
    Fd oplog_;
};

// Errors as the API sends them: {"error": message}.
HttpResponse json_error(unsigned status, const std::string& message);

} // namespace burrow::manager
