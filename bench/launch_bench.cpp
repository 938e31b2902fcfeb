// burrow-launch-bench: how long `burrow launch` (namespace backend) takes
// to get a command running, against a bare `burrow bwrap` start of a small
// sandbox, and how long joining a running project sandbox takes; all in one
// run, interleaved (the order swaps every round) so machine load hits every
// variant alike.
//
// Each sample forks+execs the launcher with payload `/bin/echo x` on a pipe
// and records two times: the first byte on the pipe (the command runs) and
// wait4() (everything is over, bookkeeping included). A fake HOME and
// project dir in a temp dir keep the user's own state out of it.
//
// Usage: burrow-launch-bench [--runs N] [--burrow PATH]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#ifndef BURROW_PATH
#define BURROW_PATH "build/bin/burrow"
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Sample {
    double first_byte_ms = -1;
    double exit_ms = -1;
    int status = -1;
};

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// fork+exec argv with env, stdout on a pipe; times to first byte and exit.
Sample run_once(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    std::vector<char*> a, e;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) std::exit(1);
    Sample s;
    const auto t0 = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(p[1], 1);
        const int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, 0);
        ::execve(a[0], a.data(), e.data());
        ::_exit(127);
    }
    ::close(p[1]);
    char c;
    pollfd pf{p[0], POLLIN, 0};
    if (::poll(&pf, 1, 30000) == 1 && ::read(p[0], &c, 1) == 1) s.first_byte_ms = ms_since(t0);
    char buf[256];
    while (::read(p[0], buf, sizeof buf) > 0) {
    }
    ::close(p[0]);
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    s.exit_ms = ms_since(t0);
    s.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return s;
}

struct Variant {
    std::string label;
    std::vector<std::string> argv;
    std::vector<Sample> samples;
    int failures = 0;
};

double median(std::vector<double> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double field_median(const Variant& v, bool first_byte) {
    std::vector<double> xs;
    for (const auto& s : v.samples) xs.push_back(first_byte ? s.first_byte_ms : s.exit_ms);
    return median(xs);
}

double field_min(const Variant& v, bool first_byte) {
    double m = 1e18;
    for (const auto& s : v.samples) m = std::min(m, first_byte ? s.first_byte_ms : s.exit_ms);
    return m;
}

} // namespace

int main(int argc, char** argv) {
    int runs = 30;
    std::string burrow = BURROW_PATH;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else if (a == "--burrow" && i + 1 < argc)
            burrow = argv[++i];
        else {
            std::fprintf(stderr, "usage: burrow-launch-bench [--runs N] [--burrow PATH]\n");
            return 2;
        }
    }
    char tmpl[] = "/tmp/burrow-launch-bench.XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    const fs::path root = tmpl;
    fs::create_directories(root / "home/.ssh");
    fs::create_directories(root / "proj");
    fs::create_directories(root / "joined");
    fs::create_directories(root / "run");
    const std::vector<std::string> env = {"HOME=" + (root / "home").string(), "PATH=/usr/bin:/bin",
                                          "TERM=dumb", "SHELL=/bin/sh",
                                          "XDG_RUNTIME_DIR=" + (root / "run").string()};
    const std::string proj = (root / "proj").string(), joined = (root / "joined").string();

    std::vector<Variant> variants;
    // A small but real sandbox with launch's namespaces (all but the
    // network: a new network namespace costs milliseconds of its own, so
    // --no-network is compared with --unshare-net separately), system
    // read-only, /proc, /dev, die-with-parent.
    const std::vector<std::string> bare = {burrow,
                                           "bwrap",
                                           "--unshare-user",
                                           "--unshare-ipc",
                                           "--unshare-pid",
                                           "--unshare-uts",
                                           "--unshare-cgroup-try",
                                           "--die-with-parent",
                                           "--ro-bind",
                                           "/usr",
                                           "/usr",
                                           "--symlink",
                                           "usr/bin",
                                           "/bin",
                                           "--symlink",
                                           "usr/lib",
                                           "/lib",
                                           "--symlink",
                                           "usr/lib64",
                                           "/lib64",
                                           "--ro-bind",
                                           "/etc",
                                           "/etc",
                                           "--proc",
                                           "/proc",
                                           "--dev",
                                           "/dev"};
    auto with = [](std::vector<std::string> a, std::initializer_list<std::string> more) {
        a.insert(a.end(), more);
        return a;
    };
    variants.push_back({"burrow bwrap (bare)", with(bare, {"/bin/echo", "x"}), {}, 0});
    // The default since issue 15: a private network through pasta.
    variants.push_back({"burrow launch (private net)",
                        {burrow, "launch", "--new", proj, "--", "/bin/echo", "x"},
                        {},
                        0});
    variants.push_back(
        {"burrow bwrap --unshare-net", with(bare, {"--unshare-net", "/bin/echo", "x"}), {}, 0});
    variants.push_back({"burrow launch --no-network",
                        {burrow, "launch", "--new", "--no-network", proj, "--", "/bin/echo", "x"},
                        {},
                        0});
    variants.push_back(
        {"burrow launch (join)", {burrow, "launch", joined, "--", "/bin/echo", "x"}, {}, 0});

    // The session the join variant enters.
    const pid_t session = ::fork();
    if (session == 0) {
        std::vector<std::string> a = {burrow, "launch", joined, "--", "/bin/sleep", "3600"};
        std::vector<char*> av, ev;
        for (auto& s : a) av.push_back(s.data());
        av.push_back(nullptr);
        std::vector<std::string> envc = env;
        for (auto& s : envc) ev.push_back(s.data());
        ev.push_back(nullptr);
        ::execve(av[0], av.data(), ev.data());
        ::_exit(127);
    }
    bool listed = false;
    for (int i = 0; i < 200 && !listed; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        listed = fs::exists(root / "run/burrow") &&
                 std::any_of(fs::directory_iterator(root / "run/burrow"), fs::directory_iterator(),
                             [](const fs::directory_entry& d) {
                                 return d.path().extension() == ".json" &&
                                        d.path().filename().string().rfind("joined-", 0) == 0;
                             });
    }
    if (!listed)
        std::fprintf(stderr, "burrow-launch-bench: the session to join never registered\n");

    // Warm-up (page cache, state dirs created).
    for (auto& v : variants) run_once(v.argv, env);
    // The sandbox launch builds, written out as a bwrap command line (what
    // burrow launch adds on top of it is its own cost: the description,
    // the registry, the registrar).
    std::string state;
    for (const auto& d : fs::directory_iterator(root / "home/.local/state/burrow/projects"))
        if (d.path().filename().string().rfind("proj-", 0) == 0) state = d.path().string();
    const std::string home = (root / "home").string();
    std::vector<std::string> same = {burrow,
                                     "bwrap",
                                     "--unshare-user",
                                     "--unshare-ipc",
                                     "--unshare-pid",
                                     "--unshare-uts",
                                     "--unshare-cgroup-try",
                                     "--hostname",
                                     "burrow-proj",
                                     "--die-with-parent",
                                     "--chdir",
                                     proj,
                                     "--clearenv",
                                     "--setenv",
                                     "HOME",
                                     home,
                                     "--cap-drop",
                                     "ALL",
                                     "--ro-bind",
                                     "/usr",
                                     "/usr",
                                     "--symlink",
                                     "usr/bin",
                                     "/bin",
                                     "--symlink",
                                     "usr/sbin",
                                     "/sbin",
                                     "--symlink",
                                     "usr/lib",
                                     "/lib",
                                     "--symlink",
                                     "usr/lib64",
                                     "/lib64",
                                     "--ro-bind",
                                     "/etc",
                                     "/etc",
                                     "--proc",
                                     "/proc",
                                     "--dev",
                                     "/dev",
                                     "--bind",
                                     state + "/tmp",
                                     "/tmp",
                                     "--perms",
                                     "0700",
                                     "--tmpfs",
                                     home,
                                     "--ro-bind",
                                     home + "/.ssh",
                                     home + "/.ssh",
                                     "--bind",
                                     state + "/agent/.claude",
                                     home + "/.claude",
                                     "--bind",
                                     state + "/local/bin",
                                     home + "/.local/bin",
                                     "--bind",
                                     state + "/local/lib",
                                     home + "/.local/lib",
                                     "--bind",
                                     state + "/local/share",
                                     home + "/.local/share",
                                     "--bind",
                                     proj,
                                     proj,
                                     "--seccomp-profile",
                                     "default",
                                     "/bin/echo",
                                     "x"};
    variants.push_back({"burrow bwrap (launch's sandbox)", same, {}, 0});
    // Launch's sandbox with the host's network, as bare bwrap and the
    // sandbox above have it.
    variants.push_back(
        {"burrow launch --network host",
         {burrow, "launch", "--new", "--network", "host", proj, "--", "/bin/echo", "x"},
         {},
         0});
    run_once(same, env);
    for (int r = 0; r < runs; ++r) {
        std::vector<std::size_t> order(variants.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = (i + r) % order.size();
        for (std::size_t i : order) {
            Sample s = run_once(variants[i].argv, env);
            if (s.status != 0 || s.first_byte_ms < 0)
                ++variants[i].failures;
            else
                variants[i].samples.push_back(s);
        }
    }

    std::vector<std::string> stop = {burrow, "stop", "--grace", "1", joined};
    run_once(stop, env);
    ::kill(session, SIGTERM);
    ::waitpid(session, nullptr, 0);
    std::error_code ec;
    fs::remove_all(root, ec);

    std::printf("burrow-launch-bench: %d rounds, payload /bin/echo, ms (median / fastest)\n", runs);
    std::printf("%-28s %20s %20s %9s\n", "variant", "command running", "all over", "failures");
    for (const auto& v : variants)
        std::printf("%-28s %9.2f / %8.2f %9.2f / %8.2f %9d\n", v.label.c_str(),
                    field_median(v, true), field_min(v, true), field_median(v, false),
                    field_min(v, false), v.failures);
    auto ratio = [&](const char* what, std::size_t a, std::size_t b) {
        std::printf("ratio %-34s median %.2fx (all over %.2fx), fastest %.2fx\n", what,
                    field_median(variants[a], true) / field_median(variants[b], true),
                    field_median(variants[a], false) / field_median(variants[b], false),
                    field_min(variants[a], true) / field_min(variants[b], true));
    };
    ratio("launch --network host / bare (<= 1.5x):", 6, 0);
    ratio("launch private / --unshare-net (<= 1.5x):", 1, 2);
    ratio("launch --no-network / --unshare-net:", 3, 2);
    ratio("join / bare bwrap:", 4, 0);
    ratio("launch --network host / same by bwrap:", 6, 5);
    return 0;
}
