// burrow-start-bench: start-up time of Debian's bwrap and burrow's bwrap on
// the same argument vectors, measured in the same run.
//
// Each sample is one fork+exec of "<impl> ARGS... true" until wait4() returns:
// the whole life of a sandbox whose payload does nothing, which is what a
// launcher pays per command. The two implementations alternate (and swap
// which goes first every round) so drifts in machine load, page cache or CPU
// frequency hit both equally. wait4()'s rusage gives the peak RSS of the
// process tree (the kernel folds reaped descendants into ru_maxrss).
//
// Usage: burrow-start-bench [--runs N] [--warmup N] [--vector NAME|all]
//                           [--bwrap PATH] [--burrow PATH] [--list]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#ifndef BURROW_BWRAP_PATH
#define BURROW_BWRAP_PATH "build/bin/bwrap"
#endif

namespace {

namespace fs = std::filesystem;

struct Vector {
    std::string name;
    std::string description;
    std::vector<std::string> args; // without the program and without the payload
};

struct Impl {
    std::string label;
    std::string path;
    bool usable = true;
    std::vector<double> wall_ms;
    std::vector<long> maxrss_kib;
    int failures = 0;
};

// Short-lived temp tree for the 200-bind vector; removed on destruction so
// an interrupted run (exception path included) does not leave it behind.
struct TempTree {
    fs::path root;
    ~TempTree() {
        if (root.empty()) return;
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

constexpr int kBindCount = 200;

std::vector<Vector> make_vectors(const fs::path& bind_root) {
    std::vector<Vector> v;
    v.push_back({"ro-root",
                 "--ro-bind / / --unshare-all --die-with-parent",
                 {"--ro-bind", "/", "/", "--unshare-all", "--die-with-parent"}});
    v.push_back({"usr-layout",
                 "/usr + symlinks, --proc --dev --tmpfs /tmp, --unshare-user --unshare-pid",
                 {"--ro-bind", "/usr",      "/usr",      "--symlink",      "usr/lib",
                  "/lib",      "--symlink", "usr/lib64", "/lib64",         "--symlink",
                  "usr/bin",   "/bin",      "--proc",    "/proc",          "--dev",
                  "/dev",      "--tmpfs",   "/tmp",      "--unshare-user", "--unshare-pid"}});
    Vector binds{"binds-200",
                 "/usr + symlinks, --unshare-user, 200 x --bind DIR/N /mnt/N",
                 {"--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink",
                  "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--unshare-user"}};
    for (int i = 0; i < kBindCount; ++i) {
        binds.args.push_back("--bind");
        binds.args.push_back((bind_root / std::to_string(i)).string());
        binds.args.push_back("/mnt/" + std::to_string(i));
    }
    v.push_back(std::move(binds));
    return v;
}

double now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct RunResult {
    bool ok = false;
    double wall_ms = 0;
    long maxrss_kib = 0;
    std::string diagnosis; // why it failed, when it did
};

// One sandbox start. stdout goes to /dev/null (payload output is discarded);
// stderr is kept in a temp file only so a failure can be explained.
RunResult run_once(const std::string& prog, const std::vector<std::string>& args) {
    RunResult r;
    std::vector<std::string> full;
    full.push_back(prog);
    full.insert(full.end(), args.begin(), args.end());
    full.push_back("true");
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);

    FILE* err = std::tmpfile();
    if (err == nullptr) {
        r.diagnosis = std::string("tmpfile: ") + std::strerror(errno);
        return r;
    }
    const double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        r.diagnosis = std::string("fork: ") + std::strerror(errno);
        std::fclose(err);
        return r;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0) _exit(126);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        execv(argv[0], argv.data());
        std::fprintf(stderr, "execv %s: %s\n", argv[0], std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    rusage ru{};
    pid_t w;
    do {
        w = wait4(pid, &status, 0, &ru);
    } while (w < 0 && errno == EINTR);
    r.wall_ms = now_ms() - t0;
    r.maxrss_kib = ru.ru_maxrss;
    r.ok = w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!r.ok) {
        char buf[512] = {};
        std::rewind(err);
        size_t n = std::fread(buf, 1, sizeof buf - 1, err);
        buf[n] = '\0';
        std::string what = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                             : "signal " + std::to_string(WTERMSIG(status));
        r.diagnosis = what + (n > 0 ? ": " + std::string(buf) : std::string());
        while (!r.diagnosis.empty() && r.diagnosis.back() == '\n') r.diagnosis.pop_back();
    }
    std::fclose(err);
    return r;
}

template <typename T> double percentile(std::vector<T> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    if (p == 50 && v.size() % 2 == 0)
        return (static_cast<double>(v[v.size() / 2 - 1]) + static_cast<double>(v[v.size() / 2])) /
               2;
    // nearest rank
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
    rank = std::clamp<size_t>(rank, 1, v.size());
    return static_cast<double>(v[rank - 1]);
}

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: burrow-start-bench [--runs N] [--warmup N] [--vector NAME|all]\n"
                 "                          [--bwrap PATH] [--burrow PATH] [--list]\n"
                 "  --runs N      measured runs per implementation and vector (default 200)\n"
                 "  --warmup N    unmeasured runs first (default 5)\n"
                 "  --vector V    ro-root, usr-layout, binds-200 or all (default all)\n"
                 "  --bwrap P     reference implementation (default /usr/bin/bwrap)\n"
                 "  --burrow P    burrow in bwrap mode (default %s)\n"
                 "  --list        print the vectors and exit\n",
                 BURROW_BWRAP_PATH);
}

bool parse_count(const char* s, int& out) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1000000) return false;
    out = static_cast<int>(v);
    return true;
}

void bench_vector(const Vector& vec, std::vector<Impl> impls, int runs, int warmup) {
    std::printf("\n== %s: %s\n", vec.name.c_str(), vec.description.c_str());
    for (auto& impl : impls) {
        for (int i = 0; i < std::max(warmup, 1); ++i) {
            RunResult r = run_once(impl.path, vec.args);
            if (!r.ok) {
                std::printf("   %s (%s) cannot run this vector: %s\n", impl.label.c_str(),
                            impl.path.c_str(), r.diagnosis.c_str());
                impl.usable = false;
                break;
            }
        }
    }
    for (int i = 0; i < runs; ++i) {
        // Swap the order every round: neither side always runs "second".
        for (size_t k = 0; k < impls.size(); ++k) {
            Impl& impl = impls[(i % 2 == 0) ? k : impls.size() - 1 - k];
            if (!impl.usable) continue;
            RunResult r = run_once(impl.path, vec.args);
            if (!r.ok) {
                if (impl.failures++ == 0)
                    std::printf("   %s: run %d failed: %s\n", impl.label.c_str(), i,
                                r.diagnosis.c_str());
                continue;
            }
            impl.wall_ms.push_back(r.wall_ms);
            impl.maxrss_kib.push_back(r.maxrss_kib);
        }
    }
    std::printf("   %-8s %6s %6s %10s %10s %10s %12s\n", "impl", "runs", "failed", "median ms",
                "p90 ms", "min ms", "peak RSS KiB");
    for (const auto& impl : impls) {
        if (!impl.usable || impl.wall_ms.empty()) {
            std::printf("   %-8s %6s\n", impl.label.c_str(), "n/a");
            continue;
        }
        std::printf("   %-8s %6zu %6d %10.3f %10.3f %10.3f %12ld\n", impl.label.c_str(),
                    impl.wall_ms.size(), impl.failures, percentile(impl.wall_ms, 50),
                    percentile(impl.wall_ms, 90),
                    *std::min_element(impl.wall_ms.begin(), impl.wall_ms.end()),
                    *std::max_element(impl.maxrss_kib.begin(), impl.maxrss_kib.end()));
    }
    if (impls.size() == 2 && impls[0].usable && impls[1].usable && !impls[0].wall_ms.empty() &&
        !impls[1].wall_ms.empty()) {
        const double med_ratio =
            percentile(impls[1].wall_ms, 50) / percentile(impls[0].wall_ms, 50);
        const double p90_ratio =
            percentile(impls[1].wall_ms, 90) / percentile(impls[0].wall_ms, 90);
        const double rss_ratio = static_cast<double>(*std::max_element(impls[1].maxrss_kib.begin(),
                                                                       impls[1].maxrss_kib.end())) /
                                 static_cast<double>(*std::max_element(impls[0].maxrss_kib.begin(),
                                                                       impls[0].maxrss_kib.end()));
        std::printf("   ratio burrow/bwrap: median %.3f, p90 %.3f, peak RSS %.3f\n", med_ratio,
                    p90_ratio, rss_ratio);
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    int runs = 200;
    int warmup = 5;
    std::string which = "all";
    std::string bwrap = "/usr/bin/bwrap";
    std::string burrow = BURROW_BWRAP_PATH;
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* opt) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "burrow-start-bench: %s needs an argument\n", opt);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--runs") {
            if (!parse_count(value("--runs"), runs) || runs == 0) {
                std::fprintf(stderr, "burrow-start-bench: --runs wants a positive number\n");
                return 2;
            }
        } else if (a == "--warmup") {
            if (!parse_count(value("--warmup"), warmup)) {
                std::fprintf(stderr, "burrow-start-bench: --warmup wants a number\n");
                return 2;
            }
        } else if (a == "--vector") {
            which = value("--vector");
        } else if (a == "--bwrap") {
            bwrap = value("--bwrap");
        } else if (a == "--burrow") {
            burrow = value("--burrow");
        } else if (a == "--list") {
            list = true;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "burrow-start-bench: unknown option %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }

    TempTree tree;
    std::vector<Vector> vectors = make_vectors("/tmp/burrow-bench-XXXXXX");
    if (list) {
        for (const auto& v : vectors)
            std::printf("%-11s %s\n", v.name.c_str(), v.description.c_str());
        return 0;
    }
    bool known = which == "all";
    for (const auto& v : vectors) known = known || v.name == which;
    if (!known) {
        std::fprintf(stderr, "burrow-start-bench: unknown vector %s (try --list)\n", which.c_str());
        return 2;
    }
    if (which == "all" || which == "binds-200") {
        // World-readable (0755) so the benchmark also works run by an
        // unprivileged user through a user namespace.
        char tmpl[] = "/tmp/burrow-bench-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) {
            std::fprintf(stderr, "burrow-start-bench: mkdtemp: %s\n", std::strerror(errno));
            return 1;
        }
        tree.root = tmpl;
        chmod(tmpl, 0755);
        for (int i = 0; i < kBindCount; ++i) fs::create_directory(tree.root / std::to_string(i));
        vectors = make_vectors(tree.root);
    }

    std::vector<Impl> impls;
    for (auto [label, path] : {std::pair{"bwrap", bwrap}, std::pair{"burrow", burrow}}) {
        Impl impl;
        impl.label = label;
        impl.path = path;
        if (access(path.c_str(), X_OK) != 0) {
            std::printf("%s: %s is not executable (%s); measuring without it\n", label,
                        path.c_str(), std::strerror(errno));
            impl.usable = false;
        }
        impls.push_back(std::move(impl));
    }
    std::printf("burrow-start-bench: %d runs per implementation per vector (after %d warm-up), "
                "interleaved\n  bwrap:  %s\n  burrow: %s\n",
                runs, warmup, bwrap.c_str(), burrow.c_str());
    for (const auto& v : vectors)
        if (which == "all" || v.name == which) bench_vector(v, impls, runs, warmup);
    return 0;
}
