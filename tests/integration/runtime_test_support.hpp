// Helpers for the runtime's integration tests: build a Sandbox by hand, run
// it through the real run_sandbox() in a forked "caller" process, capture
// what the payload printed. Real namespaces, no mocks; every test also runs
// as the unprivileged user (see CMakeLists.txt).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/sandbox.hpp"

namespace rtest {

using burrow::FsOp;
using burrow::FsOpKind;
using burrow::Sandbox;

inline bool is_root() {
    return ::getuid() == 0;
}

inline uint64_t effective_caps() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0) return 0;
    return data[0].effective | (uint64_t{data[1].effective} << 32);
}

// What the bwrap front end makes of "--ro-bind / / [--proc /proc] sh -c
// script" for the current user: a user namespace when not root, the caller's
// ids mapped to themselves, root keeping its capabilities untouched.
inline Sandbox base(const std::string& script, bool proc = false) {
    Sandbox sb;
    sb.ns.user = !is_root();
    sb.ids.uid = ::getuid();
    sb.ids.gid = ::getgid();
    if (sb.ns.user) {
        sb.ids.uid_map = {{::getuid(), ::getuid(), 1}};
        sb.ids.gid_map = {{::getgid(), ::getgid(), 1}};
    }
    FsOp root;
    root.kind = FsOpKind::bind;
    root.source = "/";
    root.dest = "/";
    root.readonly = true;
    sb.fs.push_back(root);
    if (proc) {
        FsOp p;
        p.kind = FsOpKind::proc;
        p.dest = "/proc";
        sb.fs.push_back(p);
    }
    sb.proc.argv = {"/bin/sh", "-c", script};
    sb.proc.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"};
    if (is_root()) {
        sb.proc.keep_capabilities = true;
        sb.proc.capabilities = effective_caps();
    }
    return sb;
}

inline std::string slurp(int fd) {
    std::string s;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        s.append(buf, static_cast<size_t>(n));
    }
    return s;
}

inline int decode(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Result {
    int status = -1;
    std::string out, err;
};

// A running sandbox: the monitor is `pid` (a fork of the test that called
// run_sandbox), its stdout readable at out_fd.
struct Running {
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;

    // Reads stdout until `text` shows up (or EOF / timeout).
    std::string read_until(const std::string& text, int timeout_ms = 10000) {
        std::string got;
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (got.find(text) == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            struct pollfd p {
                out_fd, POLLIN, 0
            };
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
            char buf[512];
            ssize_t n = ::read(out_fd, buf, sizeof buf);
            if (n <= 0) break;
            got.append(buf, static_cast<size_t>(n));
        }
        return got;
    }

    Result wait() {
        Result r;
        r.out = slurp(out_fd);
        ::close(out_fd);
        int st = 0;
        ::waitpid(pid, &st, 0);
        r.status = decode(st);
        ::lseek(err_fd, 0, SEEK_SET);
        r.err = slurp(err_fd);
        ::close(err_fd);
        return r;
    }
};

// What exec'ing burrow would do to the caller's fds: close-on-exec ones go.
// (The forked caller never execs, so without this it would leak, e.g., the
// write end of a pipe the test waits on into the sandbox.)
inline void close_cloexec_fds() {
    std::vector<int> fds;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (dirent* e = ::readdir(d)) {
            int fd = std::atoi(e->d_name);
            if (fd > 2 && fd != ::dirfd(d)) fds.push_back(fd);
        }
        ::closedir(d);
    }
    for (int fd : fds) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0 && (flags & FD_CLOEXEC)) ::close(fd);
    }
}

// Forks the "caller": `setup` runs there first (e.g. to arrange fds), then
// run_sandbox(sb), whose result becomes the exit status.
inline Running start(const Sandbox& sb, const std::function<void()>& setup = {}) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) std::abort();
    char errname[] = "/tmp/rtest-errXXXXXX";
    int errfd = ::mkostemp(errname, O_CLOEXEC);
    ::unlink(errname);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(errfd, 2);
        if (setup) setup();
        close_cloexec_fds();
        ::_exit(burrow::run_sandbox(sb));
    }
    ::close(out[1]);
    return Running{pid, out[0], errfd};
}

inline Result run(const Sandbox& sb, const std::function<void()>& setup = {}) {
    return start(sb, setup).wait();
}

// Runs a host command, returns its stdout (for reference values).
inline std::string host(const std::string& cmd) {
    std::string out;
    if (FILE* f = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
        ::pclose(f);
    }
    return out;
}

// Alive and not a zombie.
inline bool process_alive(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) return false;
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

} // namespace rtest
