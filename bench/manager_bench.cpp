// burrow-manager-bench: the manager's figures of issue 16, each beside its
// anchor measured in the same run:
//   - create-to-running over the API (POST, then GET until "running")
//     against `burrow launch` alone (spawn until its registry entry exists);
//   - GET /api/v1/sandboxes with N sandboxes running against `burrow ps --json`;
//   - M live-log followers over WebSocket on one sandbox printing L lines:
//     lines each follower got (must be all, in order);
//   - the daemon's RSS idle and with N sandboxes.
// Run as root or a plain user: build/bench/burrow-manager-bench [--sandboxes N]
// [--followers M] [--lines L] [--creates K]
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

const char* burrow = BURROW_PATH;
std::string tmp;
btest::Endpoint ep;
std::string token;
pid_t manager_pid = 0;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}
double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

pid_t spawn(const std::vector<std::string>& argv, bool quiet = true) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (quiet) {
            const int fd = ::open("/dev/null", O_RDWR);
            ::dup2(fd, 0);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        std::vector<char*> a;
        for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        ::execv(a[0], a.data());
        ::_exit(127);
    }
    return pid;
}

std::vector<std::string> auth() {
    return {"Authorization: Bearer " + token};
}

// On any way out: every sandbox deleted (stopped), the daemon stopped,
// the temp dir removed.
void cleanup() {
    if (manager_pid <= 0) return;
    const auto r = btest::http(ep, "GET", "/api/v1/sandboxes", auth());
    if (r.status == 200)
        for (const auto& s : json::parse(r.body)["sandboxes"])
            btest::http(ep, "DELETE", "/api/v1/sandboxes/" + s["id"].get<std::string>(), auth());
    std::this_thread::sleep_for(500ms);
    ::kill(manager_pid, SIGTERM);
    ::waitpid(manager_pid, nullptr, 0);
    manager_pid = 0;
    if (!tmp.empty() && std::system(("rm -rf " + tmp).c_str()) != 0)
        std::fprintf(stderr, "could not remove %s\n", tmp.c_str());
}

long rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

std::string new_project(const std::string& name) {
    const std::string d = tmp + "/" + name;
    ::mkdir(d.c_str(), 0755);
    return d;
}

std::string create(const std::string& dir, const json& command, const std::string& network = "") {
    auto h = auth();
    h.push_back("Content-Type: application/json");
    json body{{"project_dir", dir}, {"command", command}};
    if (!network.empty()) body["network"] = network;
    const auto r = btest::http(ep, "POST", "/api/v1/sandboxes", h, body.dump());
    if (r.status != 201) {
        std::fprintf(stderr, "create: %d %s\n", r.status, r.body.c_str());
        std::exit(1);
    }
    return json::parse(r.body)["id"];
}

std::string status_of(const std::string& id) {
    const auto r = btest::http(ep, "GET", "/api/v1/sandboxes/" + id, auth());
    return r.status == 200 ? json::parse(r.body)["status"].get<std::string>() : "";
}

void wait_for(const std::string& id, const std::string& want) {
    const auto deadline = Clock::now() + 60s;
    while (status_of(id) != want) {
        if (Clock::now() > deadline) {
            const auto r = btest::http(ep, "GET", "/api/v1/sandboxes/" + id, auth());
            const auto l = btest::http(ep, "GET", "/api/v1/sandboxes/" + id + "/logs", auth());
            std::fprintf(stderr, "%s never became %s: %s\nlog: %s\n", id.c_str(), want.c_str(),
                         r.body.c_str(), l.body.c_str());
            std::exit(1);
        }
        std::this_thread::sleep_for(200us);
    }
}

// The registry entry of a project appears: `burrow ps --json` names it.
bool in_registry(const std::string& dir) {
    int p[2];
    if (::pipe(p) != 0) return false;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(p[1], 1);
        ::execl(burrow, burrow, "ps", "--json", nullptr);
        ::_exit(127);
    }
    ::close(p[1]);
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, n);
    ::close(p[0]);
    ::waitpid(pid, nullptr, 0);
    return out.find("\"" + dir + "\"") != std::string::npos;
}

} // namespace

int main(int argc, char** argv) {
    int sandboxes = 100, followers = 100, lines = 10000, creates = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const int v = std::atoi(argv[i + 1]);
        if (a == "--sandboxes")
            sandboxes = v;
        else if (a == "--followers")
            followers = v;
        else if (a == "--lines")
            lines = v;
        else if (a == "--creates")
            creates = v;
        else {
            std::fprintf(stderr,
                         "usage: %s [--sandboxes N] [--followers M] [--lines L] [--creates K]\n",
                         argv[0]);
            return 2;
        }
    }
    char t[] = "/tmp/burrow-manager-bench-XXXXXX";
    if (!::mkdtemp(t)) return 1;
    tmp = t;
    const std::string state = tmp + "/state";
    manager_pid = spawn({burrow, "manager", "--listen", "127.0.0.1:0", "--state-dir", state});
    std::atexit(cleanup);
    for (int i = 0; i < 1000; ++i) {
        std::ifstream f(state + "/listening");
        if (f >> ep.url) break;
        std::this_thread::sleep_for(5ms);
    }
    std::ifstream(state + "/token") >> token;
    std::this_thread::sleep_for(300ms);
    double load[3];
    ::getloadavg(load, 3);
    std::printf("burrow-manager-bench: uid %d, load %.2f, %d sandboxes, %d followers x %d lines\n",
                ::getuid(), load[0], sandboxes, followers, lines);
    std::printf("daemon RSS idle: %.1f MiB\n", rss_kib(manager_pid) / 1024.0);

    // 1. create-to-running, interleaved with a bare launch: with the
    // default network (a private one, pasta) and with none (what is left is
    // burrow and the manager: pasta's own start-up is most of the first).
    for (const std::string network : {"", "none"}) {
        std::vector<double> api, bare;
        for (int i = 0; i < creates; ++i) {
            const std::string d1 = new_project("c" + network + std::to_string(i));
            auto t0 = Clock::now();
            const std::string id = create(d1, {"sleep", "infinity"}, network);
            wait_for(id, "running");
            api.push_back(ms_since(t0));
            btest::http(ep, "DELETE", "/api/v1/sandboxes/" + id, auth());
            const std::string d2 = new_project("b" + network + std::to_string(i));
            std::vector<std::string> argv = {burrow, "launch", d2};
            if (!network.empty()) argv.insert(argv.end(), {"--network", network});
            argv.insert(argv.end(), {"--", "sleep", "infinity"});
            t0 = Clock::now();
            const pid_t l = spawn(argv);
            while (!in_registry(d2)) std::this_thread::sleep_for(200us);
            bare.push_back(ms_since(t0));
            ::kill(l, SIGTERM);
            ::waitpid(l, nullptr, 0);
        }
        std::printf("create-to-running (API, network %s): median %.1f ms, max %.1f ms; bare "
                    "burrow launch to registry: median %.1f ms (ratio %.2f)\n",
                    network.empty() ? "default" : network.c_str(), median(api), pct(api, 1.0),
                    median(bare), median(api) / median(bare));
    }

    // 2. N sandboxes running; the list.
    std::vector<std::string> ids;
    for (int i = 0; i < sandboxes; ++i)
        ids.push_back(create(new_project("s" + std::to_string(i)), {"sleep", "infinity"}));
    for (const auto& id : ids) wait_for(id, "running");
    std::vector<double> list, ps;
    for (int i = 0; i < 50; ++i) {
        auto t0 = Clock::now();
        const auto r = btest::http(ep, "GET", "/api/v1/sandboxes", auth());
        list.push_back(ms_since(t0));
        if (r.status != 200 ||
            json::parse(r.body)["sandboxes"].size() < static_cast<size_t>(sandboxes)) {
            std::fprintf(stderr, "list: %d\n", r.status);
            return 1;
        }
        if (i % 5 == 0) {
            t0 = Clock::now();
            in_registry(tmp + "/s0");
            ps.push_back(ms_since(t0));
        }
    }
    std::printf("GET /api/v1/sandboxes with %d running: median %.2f ms, p95 %.2f ms; burrow ps "
                "--json: median %.1f ms\n",
                sandboxes, median(list), pct(list, 0.95), median(ps));
    std::printf("daemon RSS with %d sandboxes: %.1f MiB\n", sandboxes,
                rss_kib(manager_pid) / 1024.0);
    for (const auto& id : ids) btest::http(ep, "DELETE", "/api/v1/sandboxes/" + id, auth());

    // 3. followers of one sandbox's live log.
    const std::string script = "i=0; while [ $i -lt " + std::to_string(lines) +
                               " ]; do echo line-$i; i=$((i+1)); done; sleep 1";
    const std::string id = create(new_project("log"), {"sh", "-c", "sleep 1; " + script});
    wait_for(id, "running");
    std::vector<std::unique_ptr<btest::WebSocket>> ws(followers);
    for (auto& w : ws) {
        w = std::make_unique<btest::WebSocket>();
        if (w->open(ep, "/api/v1/sandboxes/" + id + "/logs/ws", auth()) != 101) {
            std::fprintf(stderr, "a follower was refused\n");
            return 1;
        }
    }
    std::vector<std::string> got(followers);
    const auto t0 = Clock::now();
    std::vector<std::thread> th;
    const int per = 4;
    for (int k = 0; k < per; ++k)
        th.emplace_back([&, k] {
            std::vector<bool> done(followers, false);
            int left = 0;
            for (int f = k; f < followers; f += per) ++left;
            while (left > 0 && Clock::now() - t0 < 60s)
                for (int f = k; f < followers; f += per) {
                    if (done[f]) continue;
                    auto m = ws[f]->receive(1ms);
                    if (m) got[f] += *m;
                    if (ws[f]->closed()) {
                        done[f] = true;
                        --left;
                    }
                }
        });
    for (auto& x : th) x.join();
    const double follow_ms = ms_since(t0);
    std::string want;
    for (int i = 0; i < lines; ++i) want += "line-" + std::to_string(i) + "\n";
    int complete = 0;
    for (const auto& g : got)
        if (g == want) ++complete;
    std::printf("%d live-log followers: %d got all %d lines in order (%.0f ms to the end of the "
                "log)\n",
                followers, complete, lines, follow_ms);
    btest::http(ep, "DELETE", "/api/v1/sandboxes/" + id, auth());
    std::this_thread::sleep_for(300ms);
    std::printf("daemon RSS after: %.1f MiB\n", rss_kib(manager_pid) / 1024.0);
    return complete == followers ? 0 : 1;
}
