#include "launcher/cli/manager_client_cmd.hpp"

#include <limits.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "launcher/manager/client.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

namespace burrow {

namespace {

struct Options {
    CLI::App* request = nullptr;
    CLI::App* token = nullptr;
    CLI::App* attach = nullptr;
    std::string state_dir;
    std::string socket;
    std::string id;
    bool json = false;
};
Options opts;

int fail(const char* what, const std::string& why) {
    std::fprintf(stderr, "burrow: manager %s: %s\n", what, why.c_str());
    return kExitFailure;
}

std::string state_dir() {
    return opts.state_dir.empty() ? manager::default_state_dir() : opts.state_dir;
}

// --socket, else where the manager said it listens (STATE/listening: its
// socket or its loopback port), else STATE/manager.sock.
manager::Address address(const std::string& state) {
    if (opts.socket.empty()) return manager::manager_address(state);
    manager::Address a;
    a.socket = opts.socket;
    return a;
}

// A request target: an absolute path (with its query), visible ASCII only,
// so that nothing can end the request line or add a header.
bool valid_target(const std::string& t) {
    if (t.empty() || t[0] != '/' || t.size() > 4096) return false;
    for (unsigned char c : t)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

// The manager's error line: {"error":"..."} when it sent one, else the
// first line of the body.
std::string error_of(const manager::ClientResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
        return j["error"].get<std::string>();
    std::string line = r.body.substr(0, r.body.find('\n'));
    return line.empty() ? "(no error message)" : line;
}

// One request; 2xx: the body on stdout, exit 0; otherwise the error line,
// exit 1.
int print_response(const char* what, const manager::ClientResponse& r) {
    if (r.status >= 200 && r.status < 300) {
        if (int e = write_all(STDOUT_FILENO, r.body); e != 0)
            return fail(what, std::string("stdout: ") + std::strerror(e));
        return 0;
    }
    std::fprintf(stderr, "burrow: manager %s: HTTP %u: %s\n", what, r.status, error_of(r).c_str());
    return 1;
}

int run_request() {
    std::string doc;
    // The API refuses bodies over 64 KiB itself (413); this only bounds
    // what is held in memory.
    if (int e = read_fd_to_end(STDIN_FILENO, doc, 1 << 20); e != 0)
        return fail("request", std::string("stdin: ") + std::strerror(e));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(doc);
    } catch (const nlohmann::json::exception& e) {
        return fail("request", std::string("stdin: not JSON: ") + e.what());
    }
    if (!j.is_object())
        return fail("request", "stdin: expected {\"method\":..,\"path\":..,\"body\":..}");
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "method" && it.key() != "path" && it.key() != "body")
            return fail("request", "stdin: unknown field \"" + it.key() + "\"");
    if (!j.contains("method") || !j["method"].is_string())
        return fail("request", "stdin: \"method\" must be a string");
    if (!j.contains("path") || !j["path"].is_string())
        return fail("request", "stdin: \"path\" must be a string");
    const std::string method = j["method"].get<std::string>();
    const std::string path = j["path"].get<std::string>();
    if (method != "GET" && method != "POST" && method != "DELETE" && method != "PUT" &&
        method != "PATCH" && method != "HEAD")
        return fail("request", "stdin: unknown method \"" + method + "\"");
    if (!valid_target(path))
        return fail("request", "stdin: \"path\" must start with / and hold visible ASCII only");
    const std::string body = j.contains("body") ? j["body"].dump() : std::string();
    try {
        const std::string state = state_dir();
        const std::string token = manager::read_token(state);
        return print_response("request",
                              manager::http_request(address(state), token, method, path, body));
    } catch (const std::exception& e) {
        return fail("request", e.what());
    }
}

int run_token() {
    try {
        const std::string state = state_dir();
        const std::string token = manager::read_token(state);
        std::string out = token + "\n";
        if (opts.json) {
            const auto a = address(state);
            nlohmann::json j{{"token", token}};
            if (!a.socket.empty())
                j["socket"] = a.socket;
            else
                j["tcp"] = a.describe();
            out = j.dump() + "\n";
        }
        if (int e = write_all(STDOUT_FILENO, out); e != 0)
            return fail("token", std::string("stdout: ") + std::strerror(e));
        return 0;
    } catch (const std::exception& e) {
        return fail("token", e.what());
    }
}

// The ids of API.md: sb-HEX, h-PROJECT_ID-TIME; a path segment either way.
bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 200 || id == "." || id == "..") return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

int run_attach() {
    if (!valid_id(opts.id)) return fail("attach", "\"" + opts.id + "\": not a sandbox id");
    std::string dir;
    try {
        const std::string state = state_dir();
        const std::string token = manager::read_token(state);
        auto r =
            manager::http_request(address(state), token, "GET", "/api/v1/sandboxes/" + opts.id, "");
        if (r.status != 200) {
            std::fprintf(stderr, "burrow: manager attach: HTTP %u: %s\n", r.status,
                         error_of(r).c_str());
            return 1;
        }
        auto j = nlohmann::json::parse(r.body);
        const std::string status = j.value("status", "");
        if (status != "running" && status != "starting")
            return fail("attach", opts.id + " is " + (status.empty() ? "not running" : status));
        dir = j.at("project_dir").get<std::string>();
    } catch (const std::exception& e) {
        return fail("attach", e.what());
    }
    if (dir.empty() || dir[0] != '/')
        return fail("attach", opts.id + ": the manager gave no absolute project dir");
    // The project dir is one argv word of `burrow enter`; no shell sees it.
    // Executed by its real path, not as /proc/self/exe: the process name
    // (comm) comes from that path, and as a plain user `burrow enter`
    // recognises the sandbox's launcher by its name "burrow" (its exe link
    // is unreadable), which would be "exe".
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string exe = "/proc/self/exe";
    if (n > 0) {
        self[n] = '\0';
        if (self[0] == '/' && std::string_view(self).find(" (deleted)") == std::string_view::npos)
            exe = self;
    }
    const char* argv[] = {"burrow", "enter", dir.c_str(), nullptr};
    ::execv(exe.c_str(), const_cast<char* const*>(argv));
    return fail("attach", exe + ": " + std::strerror(errno));
}

void add_common(CLI::App* c) {
    c->add_option(
        "--state-dir", opts.state_dir,
        "the manager's state dir (default: ${XDG_STATE_HOME:-~/.local/state}/burrow/manager)");
    c->add_option("--socket", opts.socket, "the manager's socket (default: STATE/manager.sock)");
}

} // namespace

void add_manager_client_subcommands(CLI::App* manager) {
    auto* r = opts.request = manager->add_subcommand(
        "request",
        "Send one API request, a JSON document on stdin ({\"method\",\"path\",\"body\"}), "
        "to the manager; print the response body");
    add_common(r);
    auto* t = opts.token =
        manager->add_subcommand("token", "Print the manager's token (STATE/token)");
    add_common(t);
    t->add_flag(
        "--json", opts.json,
        "print {\"token\":..,\"socket\":PATH} (or \"tcp\":\"ADDR:PORT\" for a --listen manager)");
    auto* a = opts.attach = manager->add_subcommand(
        "attach", "Enter the running sandbox ID with this terminal (burrow enter PROJECT_DIR)");
    add_common(a);
    a->add_option("ID", opts.id, "the sandbox's id")->required();
}

int dispatch_manager_client_subcommands() {
    if (opts.request && opts.request->parsed()) return run_request();
    if (opts.token && opts.token->parsed()) return run_token();
    if (opts.attach && opts.attach->parsed()) return run_attach();
    return -1;
}

} // namespace burrow
