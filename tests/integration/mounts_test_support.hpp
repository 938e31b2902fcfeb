// Helpers for the mount plan's integration tests: run mounts_driver (a real
// user+mount(+pid) namespace and the real build_mount_tree) with a spec and
// a command, capture what the command saw.
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"

namespace mtest {

using json = nlohmann::json;

struct Result {
    int status = -1; // exit code, or 128+signal
    std::string out;
    std::string err;
};

inline std::string slurp_fd(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
}

// Runs prefix... + [driver, spec, cmd...]; stdout and stderr captured
// separately (tests/support/run_command). The test's open fds are inherited:
// specs name them by number (bind_fd, file and bind_data ops).
inline Result run_argv(const std::vector<std::string>& argv) {
    btest::Command c;
    c.argv = argv;
    c.inherit_open_fds = true;
    c.timeout = std::chrono::minutes(4); // a hang is CTest's to report
    const btest::Result res = btest::run(c);
    return Result{res.code(), res.out, res.err};
}

// MTEST_LEGACY=1 (a second CTest registration) runs every sandbox through
// the fallbacks for kernels without the new mount API and openat2.
inline std::vector<std::string> driver_argv(json spec, const std::string& script) {
    if (const char* l = std::getenv("MTEST_LEGACY"); l && *l == '1') spec["legacy"] = true;
    return {MOUNTS_DRIVER, spec.dump(), "/bin/sh", "-c", script};
}

inline Result run(const json& spec, const std::string& script) {
    return run_argv(driver_argv(spec, script));
}

inline json op(const std::string& kind, const std::string& dest) {
    return json{{"kind", kind}, {"dest", dest}};
}
inline json bind_op(const std::string& src, const std::string& dest, bool ro = false) {
    return json{{"kind", "bind"}, {"source", src}, {"dest", dest}, {"readonly", ro}};
}
inline json symlink_op(const std::string& target, const std::string& dest) {
    return json{{"kind", "symlink"}, {"source", target}, {"dest", dest}};
}

// Enough of a system to run /bin/sh and coreutils: read-only /usr plus the
// merged-/usr symlinks, as in bwrap's README.
inline json base_ops() {
    return json::array({bind_op("/usr", "/usr", true), symlink_op("usr/bin", "/bin"),
                        symlink_op("usr/lib", "/lib"), symlink_op("usr/lib64", "/lib64"),
                        symlink_op("usr/sbin", "/sbin")});
}

// Unprivileged callers always need a user namespace; root runs both ways.
inline json spec(json ops, bool pid = false, bool user = true) {
    return json{{"user", user || ::geteuid() != 0}, {"pid", pid}, {"ops", std::move(ops)}};
}

inline json with_base(std::initializer_list<json> extra) {
    json ops = base_ops();
    for (const auto& e : extra) ops.push_back(e);
    return ops;
}

// A private scratch directory on the host, removed at scope exit.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/burrow-mtest-XXXXXX";
        path = ::mkdtemp(tmpl);
        ::chmod(path.c_str(), 0755);
    }
    ~TempDir() {
        // overlayfs leaves its work dir's "work" subdir mode 0 (as the plain
        // user nothing can list it then): opened up first, visited before
        // its entries (nftw is pre-order without FTW_DEPTH).
        ::nftw(
            path.c_str(),
            [](const char* p, const struct stat* st, int type, struct FTW*) {
                if (type == FTW_D || type == FTW_DNR)
                    if ((st->st_mode & 0700) != 0700) ::chmod(p, 0700);
                return 0;
            },
            16, FTW_PHYS);
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream(path) << data;
}

inline bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

inline std::string host_mountinfo() {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace mtest
