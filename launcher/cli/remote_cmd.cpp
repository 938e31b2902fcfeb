#include "launcher/cli/remote_cmd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runtime/exit_status.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"

extern char** environ;

namespace burrow {

namespace {

using nlohmann::json;

struct Options {
    CLI::App* remote = nullptr;
    CLI::App* create = nullptr;
    CLI::App* list = nullptr;
    CLI::App* attach = nullptr;
    CLI::App* logs = nullptr;
    CLI::App* stop = nullptr;
    CLI::App* del = nullptr;
    CLI::App* ui = nullptr;
    std::string host;
    std::vector<std::string> ssh_options;
    std::string state_dir;
    std::string socket;
    std::string remote_burrow = "burrow";
    // create
    std::string project;
    std::string name;
    std::string backend;
    std::string network;
    std::vector<std::string> policies;
    std::vector<std::string> labels;
    // several
    std::string sandbox;
    bool json = false;
    long long offset = -1;
    long long length = -1;
    int grace = -1;
    int port = 0;
};
Options opts;
std::vector<std::string> after_dashes;
bool dashes_seen = false;

const char* current = "remote";

int fail(const std::string& why) {
    std::fprintf(stderr, "burrow: remote %s: %s\n", current, why.c_str());
    return kExitFailure;
}

// A word that every POSIX shell (and csh, fish) reads as itself: the only
// user-given things on the remote command line are such words (paths of
// the manager's files, the remote burrow, a sandbox id).
bool shell_inert(const std::string& w) {
    if (w.empty() || w[0] == '-' || w.size() > 1024) return false;
    for (unsigned char c : w)
        if (!std::isalnum(c) && !std::strchr("_./@%+=:,-", c)) return false;
    return true;
}

// The ids of the manager's API (sb-HEX, h-PROJECT_ID-TIME): one URL path
// segment, and shell-inert.
bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 200 || id == "." || id == ".." || id[0] == '-') return false;
    for (unsigned char c : id)
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

// ssh [--ssh-option...] FLAGS -- HOST WORDS: "--" ends ssh's options, so a
// HOST can never be one (-oProxyCommand=...).
std::vector<std::string> ssh_argv(const std::vector<std::string>& flags,
                                  const std::vector<std::string>& words) {
    std::vector<std::string> a{"ssh"};
    a.insert(a.end(), opts.ssh_options.begin(), opts.ssh_options.end());
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back("--");
    a.push_back(opts.host);
    a.insert(a.end(), words.begin(), words.end());
    return a;
}

// The remote `burrow manager VERB [--state-dir D] [--socket S]`.
std::vector<std::string> manager_words(const char* verb) {
    std::vector<std::string> w{opts.remote_burrow, "manager", verb};
    if (!opts.state_dir.empty()) w.insert(w.end(), {"--state-dir", opts.state_dir});
    if (!opts.socket.empty()) w.insert(w.end(), {"--socket", opts.socket});
    return w;
}

// The child (ssh) that a signal to burrow is passed on to.
volatile sig_atomic_t child_pid = 0;
void forward_signal(int sig) {
    if (child_pid > 0) ::kill(child_pid, sig);
}

// Starts ARGV (found on PATH) with stdin/stdout from the given fds when
// they are >= 0 (else inherited); stderr is always the caller's. Returns
// the pid, or -1 with errno.
pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd) {
    std::vector<char*> cargv;
    for (const auto& s : argv) cargv.push_back(const_cast<char*>(s.c_str()));
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
    if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    pid_t pid = -1;
    int e = ::posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return pid;
}

// Waits for pid, passing SIGTERM and SIGHUP on to it; SIGINT and SIGQUIT
// are ignored meanwhile (the terminal sends them to ssh too, which decides).
// Returns its exit status (128 + signal when killed).
int wait_child(pid_t pid) {
    struct sigaction fwd {
    }, ign{}, old_term{}, old_hup{}, old_int{}, old_quit{};
    fwd.sa_handler = forward_signal;
    ign.sa_handler = SIG_IGN;
    child_pid = pid;
    ::sigaction(SIGTERM, &fwd, &old_term);
    ::sigaction(SIGHUP, &fwd, &old_hup);
    ::sigaction(SIGINT, &ign, &old_int);
    ::sigaction(SIGQUIT, &ign, &old_quit);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    child_pid = 0;
    ::sigaction(SIGTERM, &old_term, nullptr);
    ::sigaction(SIGHUP, &old_hup, nullptr);
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return kExitFailure;
}

// What ssh's exit status means, as burrow's: 0 and 1 (the remote burrow's
// HTTP error, its line already printed) pass through; the rest get a line.
int ssh_status(int rc) {
    if (rc == 0 || rc == 1) return rc;
    if (rc == 255) return fail("ssh to " + opts.host + " failed (exit 255; ssh said why above)");
    if (rc == 127)
        return fail(opts.remote_burrow + ": not found on " + opts.host +
                    " (install burrow there, or name it with --remote-burrow)");
    if (rc == kExitFailure) return rc; // the remote burrow said why
    return fail("the remote command exited with " + std::to_string(rc));
}

// ssh HOST burrow manager request, DOC on its stdin; the body in out.
int api(const std::string& method, const std::string& path, const json* body, std::string& out) {
    json doc{{"method", method}, {"path", path}};
    if (body) doc["body"] = *body;
    int in[2], outp[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
    Fd in_r(in[0]), in_w(in[1]);
    if (::pipe2(outp, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
    Fd out_r(outp[0]), out_w(outp[1]);
    const pid_t pid = spawn(ssh_argv({}, manager_words("request")), in_r.get(), out_w.get());
    if (pid < 0) return fail(std::string("ssh: ") + std::strerror(errno));
    in_r.reset();
    out_w.reset();
    // The document is small (the API takes 64 KiB at most) and ssh reads
    // its stdin as it comes, so writing it all before reading cannot
    // deadlock on a full pipe. A broken pipe (ssh failed early) is ssh's
    // to report.
    struct sigaction ign {
    }, old{};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old);
    write_all(in_w.get(), doc.dump());
    ::sigaction(SIGPIPE, &old, nullptr);
    in_w.reset();
    const int re = read_fd_to_end(out_r.get(), out, std::size_t(1) << 32);
    const int rc = wait_child(pid);
    if (re != 0 && rc == 0) return fail(std::string("reading ssh's output: ") + std::strerror(re));
    return ssh_status(rc);
}

int api_json(const std::string& method, const std::string& path, const json* body, json& out) {
    std::string text;
    if (int rc = api(method, path, body, text); rc != 0) return rc;
    out = json::parse(text, nullptr, false);
    if (out.is_discarded()) return fail("the manager's answer is not JSON");
    return 0;
}

int print(const std::string& s) {
    if (int e = write_all(STDOUT_FILENO, s); e != 0)
        return fail(std::string("stdout: ") + std::strerror(e));
    return 0;
}

// An id as it is, or the id of the one sandbox of that name.
int resolve(const std::string& what, std::string& id) {
    const bool looks_like_id = what.rfind("sb-", 0) == 0 || what.rfind("h-", 0) == 0;
    if (looks_like_id && valid_id(what)) {
        id = what;
        return 0;
    }
    json all;
    if (int rc = api_json("GET", "/api/v1/sandboxes", nullptr, all); rc != 0) return rc;
    std::vector<std::string> found;
    for (const auto& s : all.value("sandboxes", json::array()))
        if (s.is_object() && s.value("name", "") == what) found.push_back(s.value("id", ""));
    if (found.empty()) return fail("no sandbox \"" + what + "\" on " + opts.host);
    if (found.size() > 1)
        return fail(std::to_string(found.size()) + " sandboxes are named \"" + what +
                    "\": give an id (burrow remote " + opts.host + " list)");
    if (!valid_id(found[0])) return fail("the manager gave an invalid id");
    id = found[0];
    return 0;
}

int run_create() {
    if (opts.project.empty() || opts.project[0] != '/')
        return fail(opts.project + ": PROJECT_DIR must be an absolute path on " + opts.host);
    json body{{"project_dir", opts.project}};
    if (!opts.name.empty()) body["name"] = opts.name;
    if (!opts.backend.empty()) body["backend"] = opts.backend;
    if (!opts.network.empty()) body["network"] = opts.network;
    if (!opts.policies.empty()) body["policy"] = opts.policies;
    if (!opts.labels.empty()) {
        json labels = json::object();
        for (const auto& l : opts.labels) {
            const auto eq = l.find('=');
            if (eq == std::string::npos || eq == 0)
                return fail("--label " + l + ": expected KEY=VALUE");
            labels[l.substr(0, eq)] = l.substr(eq + 1);
        }
        body["labels"] = labels;
    }
    if (dashes_seen) body["command"] = after_dashes;
    json created;
    if (int rc = api_json("POST", "/api/v1/sandboxes", &body, created); rc != 0) return rc;
    if (opts.json) return print(created.dump() + "\n");
    return print(created.value("id", "") + "\n");
}

std::string status_of(const json& s) {
    std::string st = s.value("status", "?");
    if (st == "exited") {
        if (s.contains("signal") && s["signal"].is_number())
            st += " (signal " + std::to_string(s["signal"].get<int>()) + ")";
        else if (s.contains("exit_status") && s["exit_status"].is_number())
            st += " (" + std::to_string(s["exit_status"].get<int>()) + ")";
    }
    return st;
}

int run_list() {
    std::string text;
    if (int rc = api("GET", "/api/v1/sandboxes", nullptr, text); rc != 0) return rc;
    if (opts.json) return print(text.empty() || text.back() == '\n' ? text : text + "\n");
    json all = json::parse(text, nullptr, false);
    if (all.is_discarded() || !all.is_object()) return fail("the manager's answer is not JSON");
    std::string out;
    char line[1024];
    std::snprintf(line, sizeof line, "%-28s %-16s %-10s %-14s %s\n", "ID", "NAME", "BACKEND",
                  "STATUS", "PROJECT");
    out += line;
    for (const auto& s : all.value("sandboxes", json::array())) {
        if (!s.is_object()) continue;
        std::snprintf(line, sizeof line, "%-28s %-16s %-10s %-14s ", s.value("id", "").c_str(),
                      s.value("name", "").c_str(), s.value("backend", "").c_str(),
                      status_of(s).c_str());
        out += line;
        out += s.value("project_dir", "") + "\n";
    }
    return print(out);
}

int run_logs() {
    std::string id;
    if (int rc = resolve(opts.sandbox, id); rc != 0) return rc;
    std::string path = "/api/v1/sandboxes/" + id + "/logs";
    std::string sep = "?";
    if (opts.offset >= 0) {
        path += sep + "offset=" + std::to_string(opts.offset);
        sep = "&";
    }
    if (opts.length >= 0) path += sep + "length=" + std::to_string(opts.length);
    std::string text;
    if (int rc = api("GET", path, nullptr, text); rc != 0) return rc;
    return print(text);
}

int run_stop() {
    std::string id;
    if (int rc = resolve(opts.sandbox, id); rc != 0) return rc;
    json body = json::object();
    if (opts.grace >= 0) body["grace"] = opts.grace;
    json s;
    if (int rc = api_json("POST", "/api/v1/sandboxes/" + id + "/stop", &body, s); rc != 0)
        return rc;
    return opts.json ? print(s.dump() + "\n") : print(id + " " + s.value("status", "") + "\n");
}

int run_delete() {
    std::string id;
    if (int rc = resolve(opts.sandbox, id); rc != 0) return rc;
    std::string text;
    return api("DELETE", "/api/v1/sandboxes/" + id, nullptr, text);
}

int run_attach() {
    std::string id;
    if (int rc = resolve(opts.sandbox, id); rc != 0) return rc;
    // The remote side asks its manager for the project dir and execs
    // `burrow enter DIR` itself: the dir never passes through a shell.
    auto words = manager_words("attach");
    words.push_back(id);
    const pid_t pid = spawn(ssh_argv({"-t"}, words), -1, -1);
    if (pid < 0) return fail(std::string("ssh: ") + std::strerror(errno));
    const int rc = wait_child(pid);
    if (rc == 255 || rc == 127) return ssh_status(rc);
    return rc; // the shell's or the command's own status
}

// A free loopback port (the kernel's choice), for the local end of -L.
int free_port() {
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return -1;
    return ntohs(a.sin_port);
}

bool port_open(int port) {
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

int run_ui() {
    // The token and the socket's path, read on HOST by a command of fixed
    // words; neither is ever put on a command line here (the token would
    // show in ps).
    std::string text;
    {
        int outp[2];
        if (::pipe2(outp, O_CLOEXEC) != 0)
            return fail(std::string("pipe: ") + std::strerror(errno));
        Fd out_r(outp[0]), out_w(outp[1]);
        Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        auto words = manager_words("token");
        words.push_back("--json");
        const pid_t pid = spawn(ssh_argv({}, words), null.get(), out_w.get());
        if (pid < 0) return fail(std::string("ssh: ") + std::strerror(errno));
        out_w.reset();
        read_fd_to_end(out_r.get(), text, 1 << 16);
        if (int rc = ssh_status(wait_child(pid)); rc != 0) return rc;
    }
    json t = json::parse(text, nullptr, false);
    if (!t.is_object() || !t.contains("token") || !t["token"].is_string())
        return fail("the remote `burrow manager token --json` gave no token");
    const std::string token = t["token"].get<std::string>();
    // The far end of the forward: the manager's unix socket, or its
    // loopback port (a manager started with --listen).
    std::string target;
    if (t.contains("socket") && t["socket"].is_string()) {
        target = t["socket"].get<std::string>();
        // ssh's -L splits at ':'; the remote sshd opens the path itself.
        if (target.empty() || target[0] != '/' || target.find(':') != std::string::npos)
            return fail("the manager's socket " + target +
                        " cannot be forwarded (needs an absolute path without ':')");
    } else if (t.contains("tcp") && t["tcp"].is_string()) {
        target = t["tcp"].get<std::string>();
    } else {
        return fail("the remote `burrow manager token --json` gave no socket");
    }
    int port = opts.port ? opts.port : free_port();
    if (port <= 0) return fail(std::string("no free local port: ") + std::strerror(errno));
    const std::string spec = "127.0.0.1:" + std::to_string(port) + ":" + target;
    const pid_t pid =
        spawn(ssh_argv({"-N", "-o", "ExitOnForwardFailure=yes", "-L", spec}, {}), -1, -1);
    if (pid < 0) return fail(std::string("ssh: ") + std::strerror(errno));
    // The URL once the forward accepts connections (or ssh gave up).
    for (int i = 0; i < 300; ++i) {
        int status = 0;
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return ssh_status(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (port_open(port)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // The token goes in the fragment: never sent to a server, never in a
    // log; the login page posts it itself (API.md).
    print("http://127.0.0.1:" + std::to_string(port) + "/login#token=" + token + "\n");
    std::fprintf(stderr, "burrow: remote ui: forwarding 127.0.0.1:%d to %s:%s (Ctrl-C ends it)\n",
                 port, opts.host.c_str(), target.c_str());
    const int rc = wait_child(pid);
    // Ctrl-C or SIGTERM ending the forward is how ui is meant to end.
    if (rc == 0 || rc == 128 + SIGINT || rc == 128 + SIGTERM || rc == 128 + SIGHUP) return 0;
    return ssh_status(rc);
}

CLI::App* sub(CLI::App* remote, const char* name, const char* help) {
    auto* c = remote->add_subcommand(name, help);
    c->fallthrough();
    return c;
}

} // namespace

void set_remote_command(std::vector<std::string> command) {
    after_dashes = std::move(command);
    dashes_seen = true;
}

void add_remote_subcommand(CLI::App& app) {
    auto* r = opts.remote = app.add_subcommand(
        "remote", "Drive the sandbox manager on HOST over ssh (see burrow-remote(1))");
    r->add_option("HOST", opts.host, "ssh destination ([user@]host, or a Host of ~/.ssh/config)")
        ->required();
    r->add_option(
         "--ssh-option", opts.ssh_options,
         "one argument for ssh, repeatable (--ssh-option=-p2222, --ssh-option=-i --ssh-option=KEY)")
        ->allow_extra_args(false);
    r->add_option("--state-dir", opts.state_dir, "the manager's state dir on HOST");
    r->add_option("--socket", opts.socket, "the manager's socket on HOST");
    r->add_option("--remote-burrow", opts.remote_burrow,
                  "the burrow command on HOST (default: burrow, from the remote PATH)");
    r->require_subcommand(1);

    auto* c = opts.create = sub(
        r, "create", "Create a sandbox for PROJECT_DIR (on HOST) running COMMAND; prints its id");
    c->add_option("PROJECT_DIR", opts.project, "absolute path on HOST")->required();
    c->add_option("--name", opts.name, "its name (default: the dir's basename)");
    c->add_option("--backend", opts.backend, "a backend of the manager (default: namespace)");
    c->add_option("--network", opts.network, "none, private, host, allowlist, ...");
    c->add_option("--policy", opts.policies, "a policy layer (repeatable)")
        ->allow_extra_args(false);
    c->add_option("--label", opts.labels, "KEY=VALUE (repeatable)")->allow_extra_args(false);
    c->add_flag("--json", opts.json, "print the sandbox object");

    auto* l = opts.list = sub(r, "list", "List the sandboxes on HOST");
    l->add_flag("--json", opts.json, "the API's JSON");

    auto* a = opts.attach =
        sub(r, "attach", "A shell in the running sandbox (ssh -t, burrow enter)");
    a->add_option("SANDBOX", opts.sandbox, "id or name")->required();

    auto* g = opts.logs = sub(r, "logs", "Print the sandbox's log");
    g->add_option("SANDBOX", opts.sandbox, "id or name")->required();
    g->add_option("--offset", opts.offset, "from this byte")->check(CLI::NonNegativeNumber);
    g->add_option("--length", opts.length, "at most this many bytes")
        ->check(CLI::NonNegativeNumber);

    auto* s = opts.stop = sub(r, "stop", "Stop the sandbox (SIGTERM, SIGKILL after the grace)");
    s->add_option("SANDBOX", opts.sandbox, "id or name")->required();
    s->add_option("--grace", opts.grace, "seconds before SIGKILL")->check(CLI::NonNegativeNumber);
    s->add_flag("--json", opts.json, "print the sandbox object");

    auto* d = opts.del = sub(r, "delete", "Delete the sandbox (stopped first), its record and log");
    d->add_option("SANDBOX", opts.sandbox, "id or name")->required();

    auto* u = opts.ui =
        sub(r, "ui", "Forward a local port to the manager's socket; print the dashboard's URL");
    u->add_option("--port", opts.port, "the local port (default: a free one)")
        ->check(CLI::Range(1, 65535));
}

int dispatch_remote_subcommand() {
    if (!opts.remote || !opts.remote->parsed()) return -1;
    if (opts.host.empty() || opts.host[0] == '-')
        return fail("HOST \"" + opts.host + "\": not an ssh destination");
    for (const auto* w : {&opts.state_dir, &opts.socket})
        if (!w->empty() && (!shell_inert(*w) || (*w)[0] != '/'))
            return fail(*w + ": an absolute path of letters, digits and _./@%+=:,- only (it is a "
                             "word of the remote command line)");
    if (!shell_inert(opts.remote_burrow))
        return fail(
            "--remote-burrow " + opts.remote_burrow +
            ": letters, digits and _./@%+=:,- only (it is a word of the remote command line)");
    const std::pair<CLI::App*, int (*)()> table[] = {
        {opts.create, run_create}, {opts.list, run_list}, {opts.attach, run_attach},
        {opts.logs, run_logs},     {opts.stop, run_stop}, {opts.del, run_delete},
        {opts.ui, run_ui}};
    for (const auto& [app, run] : table)
        if (app->parsed()) {
            current = app->get_name().c_str();
            return run();
        }
    return fail("no subcommand");
}

} // namespace burrow
