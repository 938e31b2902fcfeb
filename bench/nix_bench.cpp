// burrow-nix-bench: the cost of a Nix store view, in one run.
//
// Generates a synthetic store (a database with Nix's schema and real
// directories under a temporary store directory, removed at exit) of 5,000
// registered paths where the closure of path k is paths 0..k, then for
// closures of 100, 500, 1000, 2000 and 5000 paths prints:
//   resolve    compute_closure() alone (SQLite reader, in process)
//   view       `burrow bwrap ... --nix-closure P /bin/true`: whole start,
//              closure resolution included
//   binds      burrow with one --ro-bind per closure entry (the per-entry
//              clone + remount approach) over an empty --tmpfs store
//   bwrap      Debian's bwrap with the same --ro-bind per entry (n/a above
//              bwrap's 9,000-argument limit)
//   whole      burrow binding the whole store once (--ro-bind STORE STORE)
// Each start is fork+exec until wait4() returns; median of --runs samples,
// the variants interleaved so drift hits them equally.
//
// Usage: burrow-nix-bench [--runs N] [--burrow PATH] [--bwrap PATH]
#include <fcntl.h>
#include <spawn.h>
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

#include "policy/nix/closure.hpp"
#include "tests/support/nix_synth.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// One start; -1 when the command failed.
double time_run(const std::vector<std::string>& argv) {
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const auto t0 = Clock::now();
    pid_t pid;
    int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const double t = ms_since(t0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

struct TempStore {
    fs::path root;
    ~TempStore() {
        std::error_code ec;
        if (!root.empty()) fs::remove_all(root, ec);
    }
};

std::vector<std::string> base_args(const std::string& prog) {
    return {prog,        "--ro-bind", "/usr",      "/usr",    "--symlink",
            "usr/bin",   "/bin",      "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64",    "--dev",   "/dev"};
}

} // namespace

int main(int argc, char** argv) {
    int runs = 11;
    std::string burrow = BURROW_BWRAP_PATH; // the build's bin/bwrap symlink to burrow
    std::string bwrap = "/usr/bin/bwrap";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--burrow" && i + 1 < argc) {
            burrow = argv[++i];
        } else if (a == "--bwrap" && i + 1 < argc) {
            bwrap = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: burrow-nix-bench [--runs N] [--burrow PATH] [--bwrap PATH]\n");
            return 2;
        }
    }
    const bool have_bwrap = ::access(bwrap.c_str(), X_OK) == 0;

    TempStore t;
    char tmpl[] = "/tmp/burrow-nix-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) {
        std::perror("mkdtemp");
        return 1;
    }
    t.root = tmpl;
    ::chmod(tmpl, 0755);
    const std::string store = t.root / "store", db = t.root / "db.sqlite";
    ::mkdir(store.c_str(), 0755);
    const size_t kMax = 5000;
    auto t0 = Clock::now();
    std::vector<std::string> paths = nixsynth::make_store(store, db, kMax, true);
    std::printf("synthetic store: %zu registered paths in %s (%.0f ms to generate)\n", kMax,
                store.c_str(), ms_since(t0));
    // The view's store directory is not /nix/store here: tell burrow.
    ::setenv("NIX_STORE_DIR", store.c_str(), 1);
    std::printf("runs per figure: %d (median); times in ms\n\n", runs);
    std::printf("%6s %9s %9s %9s %9s %9s  %s\n", "paths", "resolve", "view", "binds", "bwrap",
                "whole", "view/whole");

    for (size_t n : {100, 500, 1000, 2000, 5000}) {
        const std::string root = paths[n - 1];
        burrow::nix::ClosureRequest req;
        req.roots = {root};
        req.store_dir = store;
        req.db_path = db;
        req.reader = burrow::nix::Reader::sqlite;
        std::vector<double> resolve;
        for (int r = 0; r < runs; ++r) {
            auto r0 = Clock::now();
            auto c = burrow::nix::compute_closure(req);
            resolve.push_back(ms_since(r0));
            if (c.size() != n) {
                std::fprintf(stderr, "closure of %zu has %zu paths\n", n, c.size());
                return 1;
            }
        }

        auto view = base_args(burrow);
        view.insert(view.end(),
                    {"--nix-db", db, "--nix-reader", "sqlite", "--nix-closure", root, "/bin/true"});
        auto whole = base_args(burrow);
        whole.insert(whole.end(), {"--ro-bind", store, store, "/bin/true"});
        auto binds = base_args(burrow);
        binds.insert(binds.end(), {"--tmpfs", store});
        for (size_t i = 0; i < n; ++i) binds.insert(binds.end(), {"--ro-bind", paths[i], paths[i]});
        binds.push_back("/bin/true");
        auto ref = binds;
        ref[0] = bwrap;
        // bwrap (and burrow, which keeps its limit) refuses more than 9,000 arguments.
        const bool binds_ok = binds.size() < 9000;
        const bool ref_ok = have_bwrap && binds_ok;

        std::vector<double> tv, tw, tb, tr;
        bool failed = false;
        for (int r = 0; r < runs + 1; ++r) { // the first round warms caches, not counted
            double a = time_run(view), b = binds_ok ? time_run(binds) : 0, c = time_run(whole);
            double d = ref_ok ? time_run(ref) : 0;
            if (a < 0 || b < 0 || c < 0 || d < 0) failed = true;
            if (r == 0) continue;
            tv.push_back(a);
            tb.push_back(b);
            tw.push_back(c);
            tr.push_back(d);
        }
        if (failed) {
            std::fprintf(stderr, "a sandbox failed to start at %zu paths; run one by hand:\n ", n);
            for (size_t i = 0; i < std::min<size_t>(view.size(), 24); ++i)
                std::fprintf(stderr, " %s", view[i].c_str());
            std::fprintf(stderr, "\n");
            return 1;
        }
        auto col = [](bool ok, double v) {
            char buf[32];
            if (ok)
                std::snprintf(buf, sizeof buf, "%9.2f", v);
            else
                std::snprintf(buf, sizeof buf, "%9s", "n/a");
            return std::string(buf);
        };
        std::printf("%6zu %9.2f %9.2f %s %s %9.2f  %.2fx\n", n, median(resolve), median(tv),
                    col(binds_ok, median(tb)).c_str(), col(ref_ok, median(tr)).c_str(), median(tw),
                    median(tv) / median(tw));
        std::fflush(stdout);
    }
    std::printf("\ntargets: resolve < 10 ms and view < 25 ms at 2000 paths\n");
    return 0;
}
