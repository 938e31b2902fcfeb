// burrow-container-bench: time to a running command on the container
// backend, against the namespace backend, a bare systemd-nspawn on a minimal
// root and `burrow bwrap` in the same run (interleaved, so machine load hits
// all alike). Each sample is one fork+exec until wait4(): the whole life of a
// launch whose command is `true`. Then the join latency: a second launch on
// the project while its container runs. Root only (the backend needs it).
// --system: Debian's systemd booted as the container's init (a system dir
// made here: init -> /lib/systemd/systemd and a minimal etc), timed to the
// first byte of its command's output against today's container start, and
// as a whole launch.
//
// Usage: burrow-container-bench [--runs N] [--burrow PATH]
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#ifndef BURROW_PATH
#define BURROW_PATH "build/bin/burrow"
#endif

namespace {

namespace fs = std::filesystem;

struct Case {
    std::string label;
    std::vector<std::string> argv;
    std::vector<double> ms;
    int failures = 0;
    bool to_output = false; // timed to the first byte on stdout, not to the exit
};

double run_once(const std::vector<std::string>& argv, bool& ok, bool to_output = false) {
    std::vector<char*> av;
    for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return ok = false, 0;
    auto t0 = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
        ::dup2(p[1], 1);
        ::execv(av[0], av.data());
        ::_exit(127);
    }
    ::close(p[1]);
    auto first = std::chrono::steady_clock::time_point{};
    char buf[256];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        if (first == std::chrono::steady_clock::time_point{})
            first = std::chrono::steady_clock::now();
    ::close(p[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    auto t1 = std::chrono::steady_clock::now();
    ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (to_output) {
        ok = ok && first != std::chrono::steady_clock::time_point{};
        t1 = first;
    }
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    int runs = 15;
    std::string burrow = BURROW_PATH;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc)
            runs = std::atoi(argv[++i]);
        else if (a == "--burrow" && i + 1 < argc)
            burrow = argv[++i];
        else {
            std::fprintf(stderr, "usage: burrow-container-bench [--runs N] [--burrow PATH]\n");
            return 2;
        }
    }
    if (::geteuid() != 0) {
        std::fprintf(stderr, "burrow-container-bench: needs root (the container backend does)\n");
        return 2;
    }
    char tmpl[] = "/tmp/burrow-container-bench.XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    const fs::path dir = tmpl;
    const fs::path project = dir / "project", root = dir / "bare-root";
    fs::create_directories(project);
    fs::create_directories(root / "usr");
    fs::create_directories(root / "etc");
    for (const char* l : {"bin", "lib", "lib64", "sbin"})
        fs::create_symlink(std::string("usr/") + l, root / l);
    // --system: Debian's systemd with a minimal etc of its own.
    const fs::path sys = dir / "system";
    fs::create_directories(sys / "etc");
    fs::create_symlink("/lib/systemd/systemd", sys / "init");
    for (const char* f : {"passwd", "group", "os-release", "nsswitch.conf"})
        fs::copy_file(fs::canonical(fs::path("/etc") / f), sys / "etc" / f);
    std::FILE* mid = std::fopen((sys / "etc/machine-id").c_str(), "w");
    if (mid) std::fclose(mid);

    std::vector<Case> cases = {
        {"burrow launch --backend container",
         {burrow, "launch", "--backend", "container", project, "--", "true"},
         {},
         0},
        {"burrow launch (namespace)", {burrow, "launch", project, "--", "true"}, {}, 0},
        {"bare systemd-nspawn (same flags, no burrow)",
         {"/usr/bin/systemd-nspawn", "--quiet", "-D", root, "--bind-ro=/usr", "--bind-ro=/etc",
          "--register=no", "--keep-unit", "--as-pid2", "--console=pipe", "--link-journal=no", "--",
          "/usr/bin/true"},
         {},
         0},
        {"burrow bwrap --ro-bind / / --unshare-all",
         {burrow, "bwrap", "--ro-bind", "/", "/", "--unshare-all", "--", "true"},
         {},
         0},
        {"container, to `echo`'s output",
         {burrow, "launch", "--backend", "container", project, "--", "echo", "x"},
         {},
         0,
         true},
        {"container --system (systemd), to `echo`'s output",
         {burrow, "launch", "--backend", "container", "--system", sys, project, "--", "echo", "x"},
         {},
         0,
         true},
        {"container --system (systemd), whole launch",
         {burrow, "launch", "--backend", "container", "--system", sys, project, "--", "true"},
         {},
         0},
    };
    for (int r = 0; r < runs + 1; ++r)
        for (auto& c : cases) {
            bool ok = false;
            double ms = run_once(c.argv, ok, c.to_output);
            if (r == 0) continue; // warm-up
            if (ok)
                c.ms.push_back(ms);
            else
                ++c.failures;
        }
    // Join latency: a second launch on a project whose container runs.
    std::vector<double> join_ms;
    int join_failures = 0;
    pid_t session = ::fork();
    if (session == 0) {
        int null = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
        ::execl(burrow.c_str(), burrow.c_str(), "launch", "--backend", "container", project.c_str(),
                "--", "sleep", "120", nullptr);
        ::_exit(127);
    }
    bool listed = false;
    for (int i = 0; i < 200 && !listed; ++i) {
        int p[2];
        if (::pipe(p) < 0) break;
        pid_t ps = ::fork();
        if (ps == 0) {
            ::dup2(p[1], 1);
            ::execl(burrow.c_str(), burrow.c_str(), "ps", "--json", nullptr);
            ::_exit(127);
        }
        ::close(p[1]);
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        ::close(p[0]);
        ::waitpid(ps, nullptr, 0);
        listed = out.find(project.string()) != std::string::npos;
        if (!listed) ::usleep(50000);
    }
    if (listed) {
        for (int r = 0; r < runs; ++r) {
            bool ok = false;
            double ms =
                run_once({burrow, "launch", "--backend", "container", project, "--", "true"}, ok);
            if (ok)
                join_ms.push_back(ms);
            else
                ++join_failures;
        }
        bool ok = false;
        run_once({burrow, "stop", project}, ok);
    }
    ::kill(session, SIGTERM);
    ::waitpid(session, nullptr, 0);
    fs::remove_all(dir);
    std::printf("time to a finished `true`, %d runs, ms (median / min)\n", runs);
    const double base = median(cases[3].ms);
    for (const auto& c : cases) {
        double m = median(c.ms);
        std::printf("  %-50s %8.1f / %6.1f   %5.1fx bwrap%s\n", c.label.c_str(), m,
                    c.ms.empty() ? 0.0 : *std::min_element(c.ms.begin(), c.ms.end()),
                    base > 0 ? m / base : 0.0,
                    c.failures ? ("  (" + std::to_string(c.failures) + " failed)").c_str() : "");
    }
    const double today = median(cases[4].ms), booted = median(cases[5].ms);
    if (today > 0)
        std::printf("  --system start / today's container start: %.2fx\n", booted / today);
    if (join_ms.empty())
        std::printf("  join: the session never showed in `burrow ps`\n");
    else
        std::printf("  %-50s %8.1f / %6.1f%s\n", "join (second launch on a running container)",
                    median(join_ms), *std::min_element(join_ms.begin(), join_ms.end()),
                    join_failures ? "  (some failed)" : "");
    return 0;
}
