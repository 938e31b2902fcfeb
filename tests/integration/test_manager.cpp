// `burrow manager` against the real daemon and real sandboxes (namespace
// backend): the API's lifecycle and registry view, logs and terminal over
// WebSocket, a restart that loses nothing, and every bad input of issue 16
// (malformed or oversized requests, missing tokens, foreign origins,
// refused project directories, slow clients, a flood of WebSockets), after
// which the daemon must still serve everyone else.
#define BOOST_TEST_MODULE manager
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "tests/support/http_client.hpp"
#include "tests/support/run_command.hpp"

using namespace std::chrono_literals;
using btest::contains;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

// The daemon on a loopback port with a state dir of its own.
struct Manager {
    btest::TempDir dir;
    std::string state = dir / "state";
    std::unique_ptr<btest::Running> proc;
    btest::Endpoint ep;
    std::string token;

    Manager() { start(); }
    explicit Manager(const std::vector<std::string>& extra) { start(extra); }
    ~Manager() { stop(); }

    void start(const std::vector<std::string>& extra = {}) {
        btest::Command c;
        c.argv = {btest::burrow_bin(), "manager", "--listen", "127.0.0.1:0", "--state-dir", state};
        c.argv.insert(c.argv.end(), extra.begin(), extra.end());
        c.timeout = 300s;
        ::unlink((state + "/listening").c_str());
        proc = std::make_unique<btest::Running>(c);
        const auto deadline = Clock::now() + 10s;
        while (Clock::now() < deadline) {
            std::ifstream f(state + "/listening");
            std::string url;
            if (f >> url) {
                ep.url = url;
                std::ifstream t(state + "/token");
                t >> token;
                return;
            }
            std::this_thread::sleep_for(10ms);
        }
        BOOST_FAIL("the manager did not start: " + proc->finish().describe());
    }
    void stop() {
        if (!proc) return;
        ::kill(proc->pid(), SIGTERM);
        const auto r = proc->finish();
        BOOST_TEST(!r.timed_out);
        // 0 after SIGTERM (under ASan: also no leak report).
        BOOST_TEST(r.code() == 0, r.describe());
        proc.reset();
    }
    std::vector<std::string> auth() const { return {"Authorization: Bearer " + token}; }
    btest::HttpReply get(const std::string& t) const { return btest::http(ep, "GET", t, auth()); }
    btest::HttpReply post(const std::string& t, const std::string& body) const {
        auto h = auth();
        h.push_back("Content-Type: application/json");
        return btest::http(ep, "POST", t, h, body);
    }
    btest::HttpReply del(const std::string& t) const {
        return btest::http(ep, "DELETE", t, auth());
    }

    json sandbox(const std::string& id) const {
        const auto r = get("/api/v1/sandboxes/" + id);
        BOOST_REQUIRE_MESSAGE(r.status == 200,
                              "GET " + id + ": " + std::to_string(r.status) + " " + r.body);
        return json::parse(r.body);
    }
    // Polls until the sandbox's status is `want` (false after the deadline).
    bool wait_status(const std::string& id, const std::string& want,
                     std::chrono::milliseconds limit = 20s) const {
        const auto deadline = Clock::now() + limit;
        while (Clock::now() < deadline) {
            const auto r = get("/api/v1/sandboxes/" + id);
            if (r.status == 200 && json::parse(r.body)["status"] == want) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
    // The sandbox's log once it holds needle (or as it is at the deadline).
    std::string wait_log(const std::string& id, const std::string& needle,
                         std::chrono::milliseconds limit = 20s) const {
        std::string log;
        const auto deadline = Clock::now() + limit;
        while (!contains(log, needle) && Clock::now() < deadline) {
            log = get("/api/v1/sandboxes/" + id + "/logs").body;
            std::this_thread::sleep_for(20ms);
        }
        return log;
    }
    json create(const json& body) const {
        const auto r = post("/api/v1/sandboxes", body.dump());
        BOOST_REQUIRE_MESSAGE(r.status == 201,
                              "create: " + std::to_string(r.status) + " " + r.body);
        return json::parse(r.body);
    }
};

// A project directory under a temp dir (the manager refuses the home).
struct Project {
    btest::TempDir dir;
    std::string path = dir / "proj";
    Project() { ::mkdir(path.c_str(), 0755); }
};

json ps_json() {
    btest::Command c;
    c.argv = {btest::burrow_bin(), "ps", "--json"};
    const auto r = btest::run(c);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.describe());
    return json::parse(r.out);
}

std::string error_of(const btest::HttpReply& r) {
    try {
        return json::parse(r.body).at("error").get<std::string>();
    } catch (const std::exception&) {
        return "<no JSON error body: " + r.body + ">";
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(lifecycle_logs_and_the_registry_view) {
    Manager m;
    Project p;
    // Created by the API: it runs (in `burrow ps` too), logs, stops, exits.
    json sb = m.create({{"name", "demo"},
                        {"labels", {{"team", "ci"}}},
                        {"project_dir", p.path},
                        {"command", {"sh", "-c", "echo hello-from-the-sandbox; exec sleep 60"}}});
    const std::string id = sb["id"];
    BOOST_TEST(sb["name"] == "demo");
    BOOST_TEST(sb["labels"]["team"] == "ci");
    BOOST_TEST(sb["created_by"] == "manager");
    BOOST_REQUIRE(m.wait_status(id, "running"));
    sb = m.sandbox(id);
    bool in_ps = false;
    for (const auto& e : ps_json())
        if (e["project"] == p.path && e["pid"] == sb["pid"]) in_ps = true;
    BOOST_TEST(in_ps, "the API's sandbox is the registry's: " + ps_json().dump());
    // The list shows it; the seed's unversioned path is an alias.
    BOOST_TEST(contains(m.get("/api/v1/sandboxes").body, id));
    BOOST_TEST(contains(m.get("/api/sandboxes").body, id));
    // A second sandbox of the same project: 409.
    auto again = m.post("/api/v1/sandboxes", json{{"project_dir", p.path}}.dump());
    BOOST_TEST(again.status == 409, again.body);
    // Logs, whole and by range.
    const std::string log = m.wait_log(id, "hello-from-the-sandbox");
    BOOST_TEST(contains(log, "hello-from-the-sandbox\n"), log);
    auto h = m.auth();
    h.push_back("Range: bytes=6-9");
    auto part = btest::http(m.ep, "GET", "/api/v1/sandboxes/" + id + "/logs", h);
    BOOST_TEST(part.status == 206);
    BOOST_TEST(part.body == "from");
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id + "/logs?offset=6&length=4").body == "from");
    // Metrics: the launch, the sandbox's pid 1 and sleep at least.
    const json met = json::parse(m.get("/api/v1/sandboxes/" + id + "/metrics").body);
    BOOST_TEST(met["pids"].get<int>() >= 2, met.dump());
    BOOST_TEST(met["memory_bytes"].get<uint64_t>() > 0);
    const json sys = json::parse(m.get("/api/v1/system").body);
    BOOST_TEST(sys["cpus"].get<int>() >= 1);
    BOOST_TEST(sys["sandboxes"].get<int>() >= 1);
    // Stop: SIGTERM to the payload (sleep dies of it), status recorded.
    auto st = m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":2})");
    BOOST_TEST(st.status == 202, st.body);
    BOOST_REQUIRE(m.wait_status(id, "exited"));
    sb = m.sandbox(id);
    BOOST_TEST((sb["exit_status"].is_number() || sb["signal"].is_number()), sb.dump());
    BOOST_TEST(sb["finished"].is_number());
    for (const auto& e : ps_json()) BOOST_TEST(e["project"] != p.path);
    // Delete: gone, its log too.
    BOOST_TEST(m.del("/api/v1/sandboxes/" + id).status == 204);
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id).status == 404);
    struct stat s {};
    BOOST_TEST(::stat((m.state + "/logs/" + id + ".log").c_str(), &s) != 0);
}

// The RGB of pixel (x, y) of a PNG as the manager writes it (8-bit RGB,
// one IDAT stream, filter 0 rows).
std::string png_pixel(const std::string& png, unsigned x, unsigned y, unsigned& width,
                      unsigned& height) {
    auto be32 = [&](size_t at) {
        return (static_cast<unsigned>(static_cast<unsigned char>(png[at])) << 24) |
               (static_cast<unsigned>(static_cast<unsigned char>(png[at + 1])) << 16) |
               (static_cast<unsigned>(static_cast<unsigned char>(png[at + 2])) << 8) |
               static_cast<unsigned>(static_cast<unsigned char>(png[at + 3]));
    };
    BOOST_REQUIRE(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    std::string idat;
    for (size_t i = 8; i + 12 <= png.size();) {
        const unsigned len = be32(i);
        const std::string type = png.substr(i + 4, 4);
        if (type == "IHDR") {
            width = be32(i + 8);
            height = be32(i + 12);
        }
        if (type == "IDAT") idat += png.substr(i + 8, len);
        i += 12 + len;
    }
    std::string raw(static_cast<size_t>(height) * (1 + 3 * width), '\0');
    uLongf n = raw.size();
    BOOST_REQUIRE(::uncompress(reinterpret_cast<Bytef*>(raw.data()), &n,
                               reinterpret_cast<const Bytef*>(idat.data()), idat.size()) == Z_OK);
    return raw.substr(static_cast<size_t>(y) * (1 + 3 * width) + 1 + 3 * x, 3);
}

BOOST_AUTO_TEST_CASE(screenshots_of_a_display_with_a_cookie) {
    Manager m;
    Project p;
    // The sandbox paints its display red; the screenshot shows it.
    json sb = m.create({{"project_dir", p.path},
                        {"display", true},
                        {"command",
                         {"sh", "-c",
                          "xsetroot -solid '#ff0000' && echo painted; "
                          "case \"$DISPLAY\" in :[0-9]*) ;; *) echo no-display;; esac; "
                          "exec sleep 60"}}});
    const std::string id = sb["id"];
    BOOST_TEST(sb["display"] == true);
    BOOST_REQUIRE(m.wait_status(id, "running"));
    const std::string log = m.wait_log(id, "painted");
    BOOST_REQUIRE_MESSAGE(contains(log, "painted\n"), log);
    const auto shot = m.get("/api/v1/sandboxes/" + id + "/screenshot");
    BOOST_TEST(shot.status == 200);
    BOOST_TEST(shot.headers.at("content-type") == "image/png");
    unsigned w = 0, h = 0;
    BOOST_TEST(png_pixel(shot.body, 640, 400, w, h) == std::string("\xff\x00\x00", 3));
    BOOST_TEST(w == 1280u);
    BOOST_TEST(h == 800u);
    // The X server needs the cookie: a client without it is refused (the
    // server is not started with -ac).
    const std::string display_dir = m.state + "/displays/" + id;
    btest::Command x;
    x.argv = {"/usr/bin/xsetroot", "-solid", "#00ff00"};
    std::string number;
    {
        // DISPLAY as the sandbox got it: the number in the client cookie file.
        std::ifstream a(display_dir + "/Xauthority", std::ios::binary);
        std::string e((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
        BOOST_REQUIRE(e.size() > 6);
        const size_t addr =
            (static_cast<unsigned char>(e[2]) << 8) | static_cast<unsigned char>(e[3]);
        const size_t at = 4 + addr;
        const size_t len =
            (static_cast<unsigned char>(e[at]) << 8) | static_cast<unsigned char>(e[at + 1]);
        number = e.substr(at + 2, len);
    }
    x.env = std::vector<std::string>{"DISPLAY=:" + number, "XAUTHORITY=/nonexistent",
                                     "PATH=/usr/bin:/bin"};
    const auto refused = btest::run(x);
    BOOST_TEST(refused.code() != 0, refused.describe());
    // Without "display": no screenshot.
    Project q;
    json plain = m.create({{"project_dir", q.path}, {"command", {"sleep", "60"}}});
    BOOST_TEST(
        m.get("/api/v1/sandboxes/" + plain["id"].get<std::string>() + "/screenshot").status == 404);
    BOOST_TEST(m.del("/api/v1/sandboxes/" + plain["id"].get<std::string>()).status == 204);
    // The display goes with the sandbox.
    BOOST_TEST(m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":1})").status == 202);
    BOOST_REQUIRE(m.wait_status(id, "exited"));
    BOOST_TEST(btest::wait_gone(display_dir, 10s));
    struct stat st {};
    BOOST_TEST(::stat(display_dir.c_str(), &st) != 0);
}

// A VM sandbox with "display": launched with --display, its screen read
// through QEMU's QMP socket in the launch dir (screendump, a PPM) and
// served as a PNG. Registered on its own (integration.manager_vm, label vm:
// a TCG boot), not in integration.manager.
BOOST_AUTO_TEST_CASE(vm_screenshot_through_qmp) {
    std::string kernel;
    for (const auto& e : std::filesystem::directory_iterator("/boot"))
        if (e.path().filename().string().rfind("vmlinuz-", 0) == 0 &&
            std::filesystem::exists("/lib/modules/" + e.path().filename().string().substr(8)))
            kernel = e.path().string();
    BOOST_REQUIRE_MESSAGE(!kernel.empty(), "no /boot/vmlinuz-* with its /lib/modules");
    btest::TempDir cfg;
    const std::string launcher = cfg / "vm-launcher";
    btest::write_file(launcher, "#!/bin/sh\nexec '" + btest::burrow_bin() +
                                    "' launch --backend vm --kernel '" + kernel +
                                    "' --accel tcg --memory 1024 --cores 1 \"$@\"\n");
    BOOST_REQUIRE(::chmod(launcher.c_str(), 0755) == 0);
    btest::write_file(
        cfg / "config.json",
        json{{"backends", {{{"name", "vm-test"}, {"backend", "vm"}, {"launcher", launcher}}}}}
            .dump());
    Manager m({"--config", cfg / "config.json"});
    Project p;
    json sb = m.create({{"backend", "vm-test"},
                        {"project_dir", p.path},
                        {"display", true},
                        {"command", {"sh", "-c", "echo booted; exec sleep 120"}}});
    const std::string id = sb["id"];
    const std::string log = m.wait_log(id, "booted", 120s);
    BOOST_REQUIRE_MESSAGE(contains(log, "booted\n"), log);
    btest::HttpReply shot;
    const auto deadline = Clock::now() + 30s;
    do {
        shot = m.get("/api/v1/sandboxes/" + id + "/screenshot");
        if (shot.status != 200) std::this_thread::sleep_for(200ms);
    } while (shot.status != 200 && Clock::now() < deadline);
    BOOST_TEST_REQUIRE(shot.status == 200,
                       shot.body << "; the sandbox: " << m.get("/api/v1/sandboxes/" + id).body
                                 << "; burrow ps: " << ps_json().dump());
    BOOST_TEST(shot.headers.at("content-type") == "image/png");
    unsigned w = 0, h = 0;
    png_pixel(shot.body, 0, 0, w, h); // decodes the whole image
    BOOST_TEST(w >= 320u);
    BOOST_TEST(h >= 200u);
    // The PPM QEMU wrote is not kept; the display dir goes with it.
    struct stat st {};
    BOOST_TEST(::stat((m.state + "/displays/" + id).c_str(), &st) != 0);
    BOOST_TEST(m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":1})").status == 202);
    BOOST_REQUIRE(m.wait_status(id, "exited", 60s));
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id + "/screenshot").status == 404);
}

BOOST_AUTO_TEST_CASE(the_container_backend_as_root) {
    // systemd-nspawn needs root; the plain user's variant checks that the
    // backend is offered and a create through it is handled all the same.
    if (!btest::is_root()) return;
    Manager m;
    Project p;
    json sb =
        m.create({{"backend", "container"},
                  {"project_dir", p.path},
                  {"command", {"sh", "-c", "echo in-the-container $(id -u); exec sleep 60"}}});
    const std::string id = sb["id"];
    BOOST_TEST(sb["backend"] == "container");
    BOOST_REQUIRE(m.wait_status(id, "running", 60s));
    bool in_ps = false;
    for (const auto& e : ps_json())
        if (e["project"] == p.path && e["backend"] == "container") in_ps = true;
    BOOST_TEST(in_ps);
    const std::string log = m.wait_log(id, "in-the-container");
    BOOST_TEST(contains(log, "in-the-container 0\n"), log);
    BOOST_TEST(m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":2})").status == 202);
    BOOST_REQUIRE(m.wait_status(id, "exited", 30s));
    for (const auto& e : ps_json()) BOOST_TEST(e["project"] != p.path);
}

BOOST_AUTO_TEST_CASE(agent_transcripts_are_counted_and_read_as_hostile) {
    Manager m;
    Project p;
    // The agent's usual JSONL transcript, written from inside, beside a
    // symlink to a host file and a FIFO that must be neither read nor
    // waited on, and a line that is not JSON.
    const std::string script = R"SH(
d="$HOME/.claude/projects/$(printf %s "$PWD" | sed 's/[^A-Za-z0-9]/-/g')"
mkdir -p "$d" || exit 1
{
  echo '{"type":"user","message":{"content":"hi"}}'
  echo '{"type":"assistant","message":{"usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100},"content":[{"type":"tool_use","name":"Bash"},{"type":"text","text":"x"}]}}'
  echo 'not json at all'
  echo '{"type":"assistant","message":{"usage":{"input_tokens":1,"output_tokens":2},"content":[{"type":"tool_use"},{"type":"tool_use"}]}}'
} > "$d/session.jsonl"
ln -s /etc/passwd "$d/planted.jsonl"
mkfifo "$d/fifo.jsonl"
echo written "$d"
exec sleep 60)SH";
    json sb = m.create({{"project_dir", p.path}, {"command", {"sh", "-c", script}}});
    const std::string id = sb["id"];
    const std::string log = m.wait_log(id, "written");
    BOOST_REQUIRE_MESSAGE(contains(log, "written"), log);
    const auto r = m.get("/api/v1/sandboxes/" + id + "/metrics");
    BOOST_REQUIRE(r.status == 200);
    const json a = json::parse(r.body)["agent"];
    BOOST_TEST(a["transcripts"] == 1, a.dump());
    BOOST_TEST(a["assistant_turns"] == 2);
    BOOST_TEST(a["input_tokens"] == 11);
    BOOST_TEST(a["output_tokens"] == 7);
    BOOST_TEST(a["cache_read_tokens"] == 100);
    BOOST_TEST(a["tool_calls"] == 3);
    BOOST_TEST(m.del("/api/v1/sandboxes/" + id).status == 204);
    // A host ~/.claude is the agent dir when it exists: leave it as found.
    const char* home = ::getenv("HOME");
    const std::string dir = log.substr(log.find("written ") + 8);
    if (home && dir.rfind(std::string(home) + "/.claude/projects/", 0) == 0)
        std::filesystem::remove_all(dir.substr(0, dir.find('\n')));
}

BOOST_AUTO_TEST_CASE(deleting_a_running_sandbox_leaves_nothing) {
    Manager m;
    Project p;
    json sb = m.create({{"project_dir", p.path}, {"command", {"sleep", "60"}}});
    const std::string id = sb["id"];
    BOOST_REQUIRE(m.wait_status(id, "running"));
    BOOST_TEST(m.del("/api/v1/sandboxes/" + id).status == 204);
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id).status == 404);
    // Its supervisor (whose argv names the id) ends, and with it every file.
    BOOST_TEST(btest::wait_gone(id, 20s));
    for (const auto& e : std::filesystem::directory_iterator(m.state + "/sandboxes"))
        BOOST_TEST(e.path().filename().string().rfind(id, 0) != 0, e.path());
    for (const auto& e : ps_json()) BOOST_TEST(e["project"] != p.path);
}

BOOST_AUTO_TEST_CASE(a_sandbox_that_dies_shows_its_status) {
    Manager m;
    Project p;
    json sb = m.create({{"project_dir", p.path}, {"command", {"sh", "-c", "exit 3"}}});
    BOOST_REQUIRE(m.wait_status(sb["id"], "exited"));
    sb = m.sandbox(sb["id"]);
    BOOST_TEST(sb["exit_status"] == 3, sb.dump());
    // A command that does not exist: the launch's own message is the log.
    Project q;
    json bad = m.create({{"project_dir", q.path}, {"command", {"/nonexistent/cmd"}}});
    BOOST_REQUIRE(m.wait_status(bad["id"], "exited"));
    bad = m.sandbox(bad["id"]);
    BOOST_TEST(bad["exit_status"] != 0, bad.dump());
    BOOST_TEST(contains(m.get("/api/v1/sandboxes/" + bad["id"].get<std::string>() + "/logs").body,
                        "/nonexistent/cmd"));
}

BOOST_AUTO_TEST_CASE(started_by_hand_appears_and_stops) {
    Manager m;
    Project p;
    btest::Command c;
    c.argv = {btest::burrow_bin(), "launch", p.path, "--", "sleep", "60"};
    c.timeout = 60s;
    btest::Running launch(c);
    std::string id;
    const auto deadline = Clock::now() + 10s;
    while (id.empty() && Clock::now() < deadline) {
        const json list = json::parse(m.get("/api/v1/sandboxes").body);
        for (const auto& s : list["sandboxes"])
            if (s["project_dir"] == p.path) id = s["id"];
        std::this_thread::sleep_for(20ms);
    }
    BOOST_REQUIRE_MESSAGE(!id.empty(), "a hand-started sandbox never appeared in the API: " +
                                           m.get("/api/v1/sandboxes").body +
                                           " ps: " + ps_json().dump());
    json sb = m.sandbox(id);
    BOOST_TEST(sb["created_by"] == "hand");
    BOOST_TEST(sb["status"] == "running");
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id + "/logs").status == 404);
    BOOST_TEST(m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":1})").status == 202);
    const auto r = launch.finish();
    BOOST_TEST(!r.timed_out);
    // Gone from the registry, so from the API.
    const auto gone_by = Clock::now() + 10s;
    while (Clock::now() < gone_by && m.get("/api/v1/sandboxes/" + id).status != 404)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id).status == 404);
}

BOOST_AUTO_TEST_CASE(websocket_logs_and_terminal) {
    Manager m;
    Project p;
    json sb = m.create(
        {{"project_dir", p.path},
         {"command",
          {"sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; sleep 0.1; done; sleep 60"}}});
    const std::string id = sb["id"];
    BOOST_REQUIRE(m.wait_status(id, "running"));
    // Live log: every line, in order.
    btest::WebSocket ws;
    BOOST_REQUIRE(ws.open(m.ep, "/api/v1/sandboxes/" + id + "/logs/ws?offset=0", m.auth()) == 101);
    std::string got;
    const auto deadline = Clock::now() + 10s;
    while (!contains(got, "line-5\n") && Clock::now() < deadline)
        if (auto f = ws.receive(2s)) got += *f;
    BOOST_TEST(got == "line-1\nline-2\nline-3\nline-4\nline-5\n");
    // Terminal: a shell through `burrow enter`, read-write.
    btest::WebSocket term;
    BOOST_REQUIRE(term.open(m.ep, "/api/v1/sandboxes/" + id + "/terminal", m.auth()) == 101);
    BOOST_TEST(term.send(R"({"resize":[100,30]})", false));
    BOOST_TEST(term.send("echo hi-$((6*7)); stty size\n", true));
    std::string out;
    const auto t_deadline = Clock::now() + 15s;
    while (!(contains(out, "hi-42") && contains(out, "30 100")) && Clock::now() < t_deadline)
        if (auto f = term.receive(2s)) out += *f;
    BOOST_TEST(contains(out, "hi-42"), out);
    BOOST_TEST(contains(out, "30 100"), out);
    BOOST_TEST(term.send("exit\n", true));
    // The follower closes once the sandbox is over.
    BOOST_TEST(m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":1})").status == 202);
    const auto c_deadline = Clock::now() + 15s;
    while (!ws.closed() && Clock::now() < c_deadline) ws.receive(1s);
    BOOST_TEST(ws.closed());
}

// The predecessor's clients (claude-code-nix-sandbox's manager API, its
// docs/src/remote-manager/api.md): its paths, bodies, status codes and
// object shapes, plus the token it never had.
BOOST_AUTO_TEST_CASE(the_seeds_clients_keep_working) {
    Manager m;
    Project p;
    // The seed's create body: backend "bubblewrap", network a boolean.
    const auto c = m.post("/api/sandboxes", json{{"name", "seedling"},
                                                 {"backend", "bubblewrap"},
                                                 {"project_dir", p.path},
                                                 {"network", false}}
                                                .dump());
    BOOST_REQUIRE_MESSAGE(c.status == 201, std::to_string(c.status) + " " + c.body);
    const json sb = json::parse(c.body);
    const std::string id = sb["id"];
    BOOST_TEST(sb["name"] == "seedling");
    BOOST_TEST(sb["backend"] == "bubblewrap");
    BOOST_TEST(sb["project_dir"] == p.path);
    BOOST_TEST(sb["network"] == false);
    BOOST_TEST(sb["status"] == "running"); // the seed has no "starting"
    for (const char* k : {"display_num", "tmux_session", "pid_xvfb", "qemu_qmp_socket"})
        BOOST_TEST(sb.contains(k), k);
    const std::string at = sb["created_at"];
    BOOST_TEST((at.size() == 20 && at[4] == '-' && at[10] == 'T' && at.back() == 'Z'), at);
    // burrow's own view of the same sandbox: network "none" reached the launch.
    BOOST_TEST(m.sandbox(id)["network"] == "none");
    BOOST_REQUIRE(m.wait_status(id, "running"));
    // The list is a bare array of the seed's objects.
    const auto l = m.get("/api/sandboxes");
    BOOST_REQUIRE(l.status == 200);
    const json list = json::parse(l.body);
    BOOST_REQUIRE(list.is_array());
    // (Other sandboxes of this user, started by hand, may be listed too.)
    const auto mine = std::find_if(list.begin(), list.end(),
                                   [&](const json& e) { return e.is_object() && e["id"] == id; });
    BOOST_REQUIRE(mine != list.end());
    BOOST_TEST((*mine)["backend"] == "bubblewrap");
    BOOST_TEST(json::parse(m.get("/api/sandboxes/" + id).body)["created_at"] == at);
    // The seed's metrics.
    const json sys = json::parse(m.get("/api/metrics/system").body);
    for (const char* k : {"cpu_usage", "memory_used", "memory_total", "disk_used", "disk_total",
                          "net_rx_bytes", "net_tx_bytes"})
        BOOST_TEST(sys.contains(k), k);
    BOOST_TEST(sys["memory_total"].get<uint64_t>() > 0);
    BOOST_TEST(sys["disk_total"].get<uint64_t>() > 0);
    const json cm = json::parse(m.get("/api/sandboxes/" + id + "/metrics").body);
    for (const char* k : {"input_tokens", "output_tokens", "cache_creation_tokens",
                          "cache_read_tokens", "message_count", "tool_use_count"})
        BOOST_TEST(cm.contains(k), k);
    // The seed's live log: text frames, its backlog first.
    btest::WebSocket ws;
    BOOST_REQUIRE(ws.open(m.ep, "/ws/sandboxes/" + id + "/logs", m.auth()) == 101);
    BOOST_TEST(ws.open(m.ep, "/ws/sandboxes/" + id + "/logs", {}) != 101); // the token
    BOOST_TEST(m.get("/api/sandboxes").status == 200);
    // Stop: 204 without a body, then "stopped" (not "dead": it was asked).
    const auto st = m.post("/api/sandboxes/" + id + "/stop", "");
    BOOST_TEST(st.status == 204, st.body);
    BOOST_TEST(st.body.empty());
    BOOST_REQUIRE(m.wait_status(id, "exited"));
    BOOST_TEST(json::parse(m.get("/api/sandboxes/" + id).body)["status"] == "stopped");
    BOOST_TEST(m.del("/api/sandboxes/" + id).status == 204);
    BOOST_TEST(m.get("/api/sandboxes/" + id).status == 404);
}

BOOST_AUTO_TEST_CASE(the_seeds_live_log_is_text_with_a_backlog) {
    Manager m;
    Project p;
    // 1,005 lines and a 1,006th with an invalid byte: the backlog is the
    // last 1,000 lines (from l7), and a text frame carries U+FFFD for the byte.
    json sb = m.create({{"project_dir", p.path},
                        {"network", "none"},
                        {"command",
                         {"sh", "-c",
                          "i=0; while [ $i -lt 1005 ]; do i=$((i+1)); echo l$i; done; "
                          "printf 'bad-\\377-\\n'; sleep 60"}}});
    const std::string id = sb["id"];
    BOOST_REQUIRE(contains(m.wait_log(id, "bad-"), "l1005\n"));
    btest::WebSocket ws;
    BOOST_REQUIRE(ws.open(m.ep, "/ws/sandboxes/" + id + "/logs", m.auth()) == 101);
    std::string got;
    const auto deadline = Clock::now() + 10s;
    while (!contains(got, "bad-") && Clock::now() < deadline)
        if (auto f = ws.receive(2s)) {
            BOOST_TEST(ws.last_text());
            got += *f;
        }
    BOOST_TEST(got.rfind("l7\n", 0) == 0, got.substr(0, 40));
    BOOST_TEST(!contains(got, "l6\n"));
    BOOST_TEST(contains(got, "l1005\nbad-\xef\xbf\xbd-\n"));
    BOOST_TEST(m.del("/api/sandboxes/" + id).status == 204);
}

BOOST_AUTO_TEST_CASE(a_restart_loses_nothing) {
    Manager m;
    Project p;
    json sb =
        m.create({{"name", "survivor"}, {"project_dir", p.path}, {"command", {"sleep", "60"}}});
    const std::string id = sb["id"];
    BOOST_REQUIRE(m.wait_status(id, "running"));
    m.stop();
    // The sandbox outlives the manager...
    bool running = false;
    for (const auto& e : ps_json())
        if (e["project"] == p.path) running = true;
    BOOST_TEST(running);
    // ... and the next manager knows it by its id and name, and still gets
    // its exit status (the supervisor records it).
    m.start();
    sb = m.sandbox(id);
    BOOST_TEST(sb["name"] == "survivor");
    BOOST_TEST(sb["status"] == "running");
    BOOST_TEST(m.post("/api/v1/sandboxes/" + id + "/stop", R"({"grace":1})").status == 202);
    BOOST_REQUIRE(m.wait_status(id, "exited"));
    sb = m.sandbox(id);
    BOOST_TEST((sb["exit_status"].is_number() || sb["signal"].is_number()), sb.dump());
}

BOOST_AUTO_TEST_CASE(bad_requests_get_their_4xx) {
    Manager m;
    Project p;
    const std::string url = "/api/v1/sandboxes";
    // Token: none, wrong, on every path but the login page.
    auto r = btest::http(m.ep, "GET", url);
    BOOST_TEST(r.status == 401);
    BOOST_TEST(!error_of(r).empty());
    r = btest::http(m.ep, "GET", url, {"Authorization: Bearer " + std::string(64, '0')});
    BOOST_TEST(r.status == 401);
    r = btest::http(m.ep, "GET", "/");
    BOOST_TEST(r.status == 303);
    BOOST_TEST(r.headers["location"] == "/login");
    BOOST_TEST(btest::http(m.ep, "GET", "/login").status == 200);
    // Another origin: refused even with the token.
    auto h = m.auth();
    h.push_back("Origin: http://evil.example");
    r = btest::http(m.ep, "POST", url, h, json{{"project_dir", p.path}}.dump());
    BOOST_TEST(r.status == 403);
    // Another host name (a page that rebound its name to 127.0.0.1): refused
    // even with the token and a matching Origin.
    r = btest::http(m.ep, "GET", url,
                    {"Host: rebound.example:8700", "Origin: http://rebound.example:8700",
                     "Authorization: Bearer " + m.token});
    BOOST_TEST(r.status == 403);
    BOOST_TEST(contains(error_of(r), "not a loopback name"));
    BOOST_TEST(
        btest::http(m.ep, "GET", url, {"Host: localhost:1", "Authorization: Bearer " + m.token})
            .status == 200);
    // The dashboard's cookie: reads work, writes need the CSRF header.
    r = btest::http(m.ep, "POST", "/login", {"Content-Type: application/x-www-form-urlencoded"},
                    "token=" + m.token);
    BOOST_TEST(r.status == 303);
    BOOST_TEST(contains(r.headers["set-cookie"], "HttpOnly"));
    BOOST_TEST(contains(r.headers["set-cookie"], "SameSite=Strict"));
    const std::string cookie = "Cookie: burrow_token=" + m.token;
    BOOST_TEST(btest::http(m.ep, "GET", url, {cookie}).status == 200);
    r = btest::http(m.ep, "POST", url, {cookie}, json{{"project_dir", p.path}}.dump());
    BOOST_TEST(r.status == 403);
    BOOST_TEST(contains(error_of(r), "CSRF"));
    const std::string csrf = json::parse(m.get("/api/v1/session").body)["csrf"];
    r = btest::http(m.ep, "POST", url, {cookie, "X-Burrow-CSRF: " + csrf},
                    json{{"project_dir", p.path}, {"command", {"true"}}}.dump());
    BOOST_TEST(r.status == 201, r.body);
    const auto one_ok = json::parse(r.body)["id"].get<std::string>();
    BOOST_TEST(m.wait_status(one_ok, "exited"));
    // Bodies: malformed, not an object, unknown fields, wrong types.
    for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
             {"{", "malformed JSON"},
             {"[]", "not a JSON object"},
             {R"({"project_dir":"/tmp","bogus":1})", "unknown field \"bogus\""},
             {R"({"project_dir":5})", "\"project_dir\": not a string"},
             {R"({"project_dir":"/tmp","command":"ls"})", "\"command\": not an array"},
             {R"({"project_dir":"/tmp","command":[1]})", "\"command\": an item is not a string"},
             {R"({"command":["true"]})", "\"project_dir\" is missing"},
             {R"({"project_dir":"relative/dir"})", "not an absolute path"},
             {R"({"project_dir":"/tmp/../etc"})", "not a canonical path"},
             {R"({"project_dir":"/tmp/x/./y"})", "not a canonical path"},
             {R"({"project_dir":"/nonexistent-dir-for-burrow"})", "project_dir"},
             {R"({"project_dir":"/tmp","backend":"kvm-please"})", "no backend"},
             {R"({"project_dir":"/tmp","network":"everything"})", "\"network\""},
         }) {
        r = m.post(url, body);
        BOOST_TEST(r.status == 400, body + " -> " + std::to_string(r.status) + " " + r.body);
        BOOST_TEST(contains(error_of(r), needle), body + " -> " + error_of(r));
    }
    // Project dirs the launch refuses: the home, the manager's own state.
    const char* home = ::getenv("HOME");
    if (home && *home) {
        r = m.post(url, json{{"project_dir", home}}.dump());
        BOOST_TEST((r.status == 403 || r.status == 400), r.body);
    }
    r = m.post(url, json{{"project_dir", m.state}}.dump());
    BOOST_TEST(r.status == 403, r.body);
    r = m.post(url, json{{"project_dir", m.state + "/logs"}}.dump());
    BOOST_TEST(r.status == 403, r.body);
    // Someone else's directory (as root: a dir given to nobody).
    if (btest::is_root()) {
        Project other;
        BOOST_REQUIRE(::chown(other.path.c_str(), 65534, 65534) == 0);
        r = m.post(url, json{{"project_dir", other.path}}.dump());
        BOOST_TEST(r.status == 403, r.body);
        BOOST_TEST(contains(error_of(r), "uid 65534"));
    }
    // Unknown ids and paths, wrong methods.
    BOOST_TEST(m.get("/api/v1/sandboxes/sb-000000000000").status == 404);
    BOOST_TEST(m.get("/api/v1/nothing").status == 404);
    BOOST_TEST(btest::http(m.ep, "PUT", url, m.auth(), "{}").status == 405);
    // 100 MB: refused by its Content-Length, before the body is read.
    r = btest::http(m.ep, "POST", url,
                    {"Authorization: Bearer " + m.token, "Content-Length: 100000000"});
    BOOST_TEST(r.status == 413, std::to_string(r.status) + " " + r.body);
    // Headers over the limit.
    r = btest::http(m.ep, "GET", url,
                    {"Authorization: Bearer " + m.token, "X-Big: " + std::string(10000, 'a')});
    BOOST_TEST(r.status == 431, std::to_string(r.status));
    // Garbage instead of HTTP.
    {
        const int fd = btest::connect_to(m.ep);
        const std::string junk = "\x16\x03\x01 not http at all\r\n\r\n";
        BOOST_REQUIRE(::write(fd, junk.data(), junk.size()) > 0);
        char buf[512];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        BOOST_TEST((n > 0 && std::string(buf, n).rfind("HTTP/1.1 400", 0) == 0));
        ::close(fd);
    }
    BOOST_TEST(m.get(url).status == 200); // still serving
}

BOOST_AUTO_TEST_CASE(slow_clients_and_a_websocket_flood_starve_nobody) {
    Manager m;
    Project p;
    json sb = m.create({{"project_dir", p.path}, {"command", {"sleep", "60"}}});
    const std::string id = sb["id"];
    BOOST_REQUIRE(m.wait_status(id, "running"));
    struct rlimit rl {};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
    ::setrlimit(RLIMIT_NOFILE, &rl);
    // Slow-loris: half a request, never finished.
    std::vector<int> slow;
    for (int i = 0; i < 20; ++i) {
        const int fd = btest::connect_to(m.ep);
        BOOST_REQUIRE(fd >= 0);
        const std::string half = "GET /api/v1/sandboxes HTTP/1.1\r\nHost: x\r\n";
        BOOST_REQUIRE(::write(fd, half.data(), half.size()) > 0);
        slow.push_back(fd);
    }
    const auto slow_since = Clock::now();
    // 1,000 WebSockets following the log.
    std::vector<std::unique_ptr<btest::WebSocket>> flood;
    int accepted = 0, refused = 0;
    for (int i = 0; i < 1000; ++i) {
        auto ws = std::make_unique<btest::WebSocket>();
        const int st = ws->open(m.ep, "/api/v1/sandboxes/" + id + "/logs/ws", m.auth(), 5s);
        if (st == 101)
            ++accepted;
        else if (st == 503 || st == 0)
            ++refused;
        flood.push_back(std::move(ws));
    }
    BOOST_TEST(accepted >= 100);
    BOOST_TEST(accepted + refused == 1000);
    BOOST_TEST(refused > 0, "no limit on WebSocket connections");
    // Everyone else is still served, quickly.
    const auto t0 = Clock::now();
    BOOST_TEST(m.get("/api/v1/sandboxes/" + id).status == 200);
    BOOST_TEST((Clock::now() - t0 < 2s));
    flood.clear();
    // The slow clients are dropped by the read timeout (10 s).
    for (int fd : slow) {
        char c;
        struct timeval tv {
            20, 0
        };
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const ssize_t n = ::read(fd, &c, 1);
        BOOST_TEST((n <= 0 || c == 'H')); // closed, or a 408-like reply
        ::close(fd);
    }
    BOOST_TEST((Clock::now() - slow_since < 25s));
    BOOST_TEST(m.get("/api/v1/sandboxes").status == 200);
    BOOST_TEST(m.del("/api/v1/sandboxes/" + id).status == 204);
}

BOOST_AUTO_TEST_CASE(unix_socket_is_private_and_needs_the_token) {
    btest::TempDir d;
    const std::string state = d / "state";
    btest::Command c;
    c.argv = {btest::burrow_bin(), "manager", "--state-dir", state};
    btest::Running proc(c);
    const auto deadline = Clock::now() + 10s;
    struct stat st {};
    while (::stat((state + "/listening").c_str(), &st) != 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    BOOST_REQUIRE(::stat((state + "/manager.sock").c_str(), &st) == 0);
    BOOST_TEST(S_ISSOCK(st.st_mode));
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_REQUIRE(::stat((state + "/token").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    btest::Endpoint ep{"unix:" + state + "/manager.sock"};
    BOOST_TEST(btest::http(ep, "GET", "/api/v1/sandboxes").status == 401);
    std::ifstream t(state + "/token");
    std::string token;
    t >> token;
    BOOST_TEST(
        btest::http(ep, "GET", "/api/v1/sandboxes", {"Authorization: Bearer " + token}).status ==
        200);
    // A second manager on the same socket: refused, the first one kept.
    btest::Command c2 = c;
    const auto r2 = btest::run(c2);
    BOOST_TEST(r2.code() != 0);
    BOOST_TEST(contains(r2.err, "already listens"), r2.err);
    ::kill(proc.pid(), SIGTERM);
    BOOST_TEST(!proc.finish().timed_out);
}

BOOST_AUTO_TEST_CASE(bad_command_lines_fail_with_one_line) {
    btest::TempDir d;
    for (const auto& [args, needle] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--listen", "0.0.0.0:8080"}, "not a loopback address"},
             {{"--listen", "127.0.0.1"}, "not ADDR:PORT"},
             {{"--listen", "127.0.0.1:99999"}, "bad port"},
             {{"--config", d / "missing.json"}, "missing.json"},
         }) {
        btest::Command c;
        c.argv = {btest::burrow_bin(), "manager", "--state-dir", d / "state"};
        c.argv.insert(c.argv.end(), args.begin(), args.end());
        const auto r = btest::run(c);
        BOOST_TEST(r.code() != 0);
        BOOST_TEST(contains(r.err, needle), r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    }
}
