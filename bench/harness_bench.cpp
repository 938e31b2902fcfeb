// burrow-harness-bench: sandboxes per second a fuzzing harness gets, for
// burrow's bwrap mode and Debian's bwrap in the same run.
//
// Each sandbox is "<impl> --unshare-all --ro-bind / / true", started with
// posix_spawn and reaped with waitpid, `parallel` at a time (1, 2, 4, 8);
// a run starts `count` sandboxes and reports count / wall time. The
// implementations alternate per parallelism level so load drifts hit both.
//
// Usage: burrow-harness-bench [--count N] [--bwrap PATH] [--burrow PATH]
//                             [--parallel LIST] [--args "..."]
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#ifndef BURROW_BWRAP_PATH
#define BURROW_BWRAP_PATH "build/bin/bwrap"
#endif

extern char** environ;

namespace {

// Starts `count` sandboxes, at most `parallel` at once; sandboxes per second
// (0 when one failed).
double rate(const std::vector<std::string>& argv, int count, int parallel, int& failures) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    int started = 0, running = 0;
    while (started < count || running > 0) {
        while (running < parallel && started < count) {
            pid_t pid;
            if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
                std::perror("posix_spawn");
                std::exit(2);
            }
            ++started;
            ++running;
        }
        int ws = 0;
        if (::waitpid(-1, &ws, 0) > 0) {
            --running;
            if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) ++failures;
        }
    }
    return count / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    int count = 400;
    std::string bwrap = "/usr/bin/bwrap", burrow = BURROW_BWRAP_PATH;
    std::vector<int> levels = {1, 2, 4, 8};
    std::vector<std::string> sandbox = {"--unshare-all", "--ro-bind", "/", "/", "true"};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--count")
            count = std::atoi(next().c_str());
        else if (a == "--bwrap")
            bwrap = next();
        else if (a == "--burrow")
            burrow = next();
        else if (a == "--parallel") {
            levels.clear();
            std::stringstream ss(next());
            std::string x;
            while (std::getline(ss, x, ',')) levels.push_back(std::atoi(x.c_str()));
        } else if (a == "--args") {
            sandbox.clear();
            std::stringstream ss(next());
            std::string x;
            while (ss >> x) sandbox.push_back(x);
        } else {
            std::fprintf(stderr,
                         "usage: burrow-harness-bench [--count N] [--bwrap PATH] [--burrow PATH] "
                         "[--parallel 1,2,4,8] [--args \"...\"]\n");
            return a == "--help" ? 0 : 2;
        }
    }
    if (::access(bwrap.c_str(), X_OK) != 0) bwrap.clear();
    std::printf("sandboxes/s for:");
    for (const auto& s : sandbox) std::printf(" %s", s.c_str());
    std::printf("  (%d per measurement, %ld CPUs)\n", count, ::sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("%-9s %14s %14s %8s\n", "parallel", "burrow", "debian bwrap", "ratio");
    int failures = 0;
    for (int p : levels) {
        std::vector<std::string> b = {burrow}, d = {bwrap};
        b.insert(b.end(), sandbox.begin(), sandbox.end());
        d.insert(d.end(), sandbox.begin(), sandbox.end());
        rate(b, 20, p, failures); // warm-up
        const double rb = rate(b, count, p, failures);
        const double rd = bwrap.empty() ? 0 : rate(d, count, p, failures);
        std::printf("%-9d %14.0f %14.0f %8.2f\n", p, rb, rd, rd > 0 ? rb / rd : 0.0);
        std::fflush(stdout);
    }
    if (failures) std::printf("%d sandboxes failed\n", failures);
    return failures ? 1 : 0;
}
