#include "tests/support/run_command.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace btest {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void make_pipe(int p[2]) {
    if (::pipe2(p, O_CLOEXEC) != 0) fail("pipe2");
}

int make_memfd(const std::string& data) {
    int fd = static_cast<int>(::syscall(SYS_memfd_create, "btest-data", MFD_CLOEXEC));
    if (fd < 0) fail("memfd_create");
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write memfd");
        }
        off += static_cast<size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
    return fd;
}

void set_nonblock(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The command may exit, or close its stdin, before reading all of
// stdin_data: the write then fails with EPIPE, and the SIGPIPE it raises
// killed the whole test binary (seen under load: "SIGPIPE***Exception").
// SIGPIPE is blocked around the write and the one it raised is dropped; the
// disposition is left alone, so nothing the tests start inherits SIG_IGN.
ssize_t write_without_sigpipe(int fd, const char* data, size_t n) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    const ssize_t w = ::write(fd, data, n);
    const int saved = errno;
    if (w < 0 && saved == EPIPE && !sigismember(&old, SIGPIPE)) {
        const timespec zero{0, 0};
        while (::sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return w;
}

} // namespace

FdSpec data_fd(int child_fd, std::string data) {
    return {FdSpec::Kind::data, child_fd, std::move(data), -1};
}
FdSpec capture_fd(int child_fd) {
    return {FdSpec::Kind::capture, child_fd, {}, -1};
}
FdSpec pipe_in_fd(int child_fd) {
    return {FdSpec::Kind::pipe_in, child_fd, {}, -1};
}
FdSpec pipe_out_fd(int child_fd) {
    return {FdSpec::Kind::pipe_out, child_fd, {}, -1};
}
FdSpec inherit_fd(int child_fd, int parent_fd) {
    return {FdSpec::Kind::inherit, child_fd, {}, parent_fd};
}

int Result::code() const {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return -1;
}

std::string Result::describe() const {
    std::ostringstream s;
    s << "code=" << code() << (timed_out ? " (TIMED OUT)" : "") << "\n--- stdout ---\n"
      << out << "--- stderr ---\n"
      << err;
    return s.str();
}

Running::Running(const Command& cmd) : cmd_(cmd) {
    if (cmd_.argv.empty()) throw std::runtime_error("run_command: empty argv");
    int in[2], out[2], err[2];
    make_pipe(in);
    make_pipe(out);
    make_pipe(err);
    // child fd -> the fd the child dups from (closed in the parent after fork)
    std::vector<std::pair<int, int>> child_sources;
    for (const auto& spec : cmd.fds) {
        switch (spec.kind) {
        case FdSpec::Kind::data:
            child_sources.emplace_back(spec.child_fd, make_memfd(spec.data));
            break;
        case FdSpec::Kind::capture:
        case FdSpec::Kind::pipe_out: {
            int p[2];
            make_pipe(p);
            child_sources.emplace_back(spec.child_fd, p[1]);
            if (spec.kind == FdSpec::Kind::capture)
                captures_.emplace_back(spec.child_fd, p[0]);
            else
                parent_ends_[spec.child_fd] = p[0];
            break;
        }
        case FdSpec::Kind::pipe_in: {
            int p[2];
            make_pipe(p);
            child_sources.emplace_back(spec.child_fd, p[0]);
            parent_ends_[spec.child_fd] = p[1];
            break;
        }
        case FdSpec::Kind::inherit: {
            int d = ::fcntl(spec.parent_fd, F_DUPFD_CLOEXEC, 3);
            if (d < 0) fail("dup inherit fd");
            child_sources.emplace_back(spec.child_fd, d);
            break;
        }
        }
    }
    std::vector<char*> argv;
    for (auto& a : cmd_.argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    const char* file = cmd_.path.empty() ? argv[0] : cmd_.path.c_str();
    std::vector<std::string> env_store;
    std::vector<char*> envp;
    if (cmd_.env) {
        env_store = *cmd_.env;
        for (auto& e : env_store) envp.push_back(e.data());
        envp.push_back(nullptr);
    }

    pid_ = ::fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        ::setpgid(0, 0);
        // Restore what a test runner may have changed: default signals, none blocked.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        // Move every source out of the way first so targets cannot clobber sources.
        std::vector<std::pair<int, int>> high;
        high.emplace_back(0, ::fcntl(in[0], F_DUPFD_CLOEXEC, 1000));
        high.emplace_back(1, ::fcntl(out[1], F_DUPFD_CLOEXEC, 1000));
        high.emplace_back(2, ::fcntl(err[1], F_DUPFD_CLOEXEC, 1000));
        for (auto [target, src] : child_sources)
            high.emplace_back(target, ::fcntl(src, F_DUPFD_CLOEXEC, 1000));
        // Nothing of the test process leaks into the command (unless asked).
        if (!cmd_.inherit_open_fds) ::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
        for (auto [target, src] : high) {
            if (src < 0 || ::dup2(src, target) < 0) _exit(124);
        }
        if (!cmd_.cwd.empty() && ::chdir(cmd_.cwd.c_str()) != 0) _exit(121);
        if (cmd_.before_exec) cmd_.before_exec();
        if (cmd_.env)
            ::execve(file, argv.data(), envp.data());
        else
            ::execv(file, argv.data());
        _exit(127);
    }
    ::setpgid(pid_, pid_); // also from here: no race with a kill of the group
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    for (auto [target, src] : child_sources) ::close(src);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
}

Running::~Running() {
    if (!finished_) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int st;
        ::waitpid(pid_, &st, 0);
    }
    for (int fd : {in_, out_, err_})
        if (fd >= 0) ::close(fd);
    for (auto [c, fd] : parent_ends_)
        if (fd >= 0) ::close(fd);
    for (auto [c, fd] : captures_)
        if (fd >= 0) ::close(fd);
}

int Running::parent_end(int child_fd) const {
    auto it = parent_ends_.find(child_fd);
    return it == parent_ends_.end() ? -1 : it->second;
}

void Running::close_parent_end(int child_fd) {
    auto it = parent_ends_.find(child_fd);
    if (it != parent_ends_.end() && it->second >= 0) {
        ::close(it->second);
        it->second = -1;
    }
}

std::string Running::read_from(int child_fd, size_t n, std::chrono::milliseconds timeout) {
    int fd = parent_end(child_fd);
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[256];
        ssize_t r = ::read(fd, buf, std::min(sizeof buf, n - got.size()));
        if (r <= 0) break;
        got.append(buf, static_cast<size_t>(r));
    }
    return got;
}

Result Running::finish() {
    Result res;
    // Feed stdin without blocking on a command that never reads it.
    size_t in_off = 0;
    if (cmd_.stdin_data.empty()) {
        ::close(in_);
        in_ = -1;
    } else {
        set_nonblock(in_);
    }
    struct Source {
        int* fd;
        std::string* sink;
    };
    std::vector<Source> sources{{&out_, &res.out}, {&err_, &res.err}};
    for (auto& [child_fd, fd] : captures_) sources.push_back({&fd, &res.captured[child_fd]});
    for (auto& s : sources) set_nonblock(*s.fd);

    auto deadline = std::chrono::steady_clock::now() + cmd_.timeout;
    bool exited = false;
    for (;;) {
        std::vector<pollfd> pfds;
        for (auto& s : sources)
            if (*s.fd >= 0) pfds.push_back({*s.fd, POLLIN, 0});
        if (in_ >= 0) pfds.push_back({in_, POLLOUT, 0});
        if (!exited) {
            int st;
            pid_t w = ::waitpid(pid_, &st, WNOHANG);
            if (w == pid_) {
                exited = true;
                res.wait_status = st;
            }
        }
        // Outputs may be held open by leftover sandbox processes: once the
        // command itself is gone, give them a short grace period only.
        if (pfds.empty() && exited) break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            if (!exited) res.timed_out = true;
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            if (!exited) {
                ::waitpid(pid_, &res.wait_status, 0);
                exited = true;
            }
            break;
        }
        int wait_ms = static_cast<int>(std::min<long long>(left.count(), exited ? 2000 : 20));
        int n = pfds.empty() ? (::poll(nullptr, 0, wait_ms), 0)
                             : ::poll(pfds.data(), pfds.size(), wait_ms);
        if (n == 0 && exited) {
            // The command exited but something still holds an output open.
            deadline = std::chrono::steady_clock::now();
            continue;
        }
        for (auto& s : sources) {
            if (*s.fd < 0) continue;
            char buf[65536];
            for (;;) {
                ssize_t r = ::read(*s.fd, buf, sizeof buf);
                if (r > 0) {
                    s.sink->append(buf, static_cast<size_t>(r));
                    continue;
                }
                if (r == 0) {
                    ::close(*s.fd);
                    *s.fd = -1;
                }
                break;
            }
        }
        if (in_ >= 0) {
            ssize_t w = write_without_sigpipe(in_, cmd_.stdin_data.data() + in_off,
                                              cmd_.stdin_data.size() - in_off);
            if (w > 0) in_off += static_cast<size_t>(w);
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == cmd_.stdin_data.size()) {
                ::close(in_);
                in_ = -1;
            }
        }
    }
    finished_ = true;
    return res;
}

Result run(const Command& cmd) {
    Running r(cmd);
    return r.finish();
}

std::string burrow_bin() {
    if (const char* e = std::getenv("BURROW_BIN")) return e;
#ifdef BURROW_BIN
    return BURROW_BIN;
#else
    throw std::runtime_error("BURROW_BIN not set");
#endif
}

std::string bwrap_link() {
    auto dir = std::filesystem::path(burrow_bin()).parent_path();
    return (dir / "bwrap").string();
}

std::string probe_bin() {
    if (const char* e = std::getenv("BURROW_PROBE")) return e;
#ifdef BURROW_PROBE
    return BURROW_PROBE;
#else
    throw std::runtime_error("BURROW_PROBE not set");
#endif
}

std::string reference_bwrap() {
    if (const char* e = std::getenv("BWRAP_REF")) return e;
    return "/usr/bin/bwrap";
}

bool is_root() {
    return ::geteuid() == 0;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string host_ns(const std::string& name) {
    struct stat st;
    if (::stat(("/proc/self/ns/" + name).c_str(), &st) != 0) return "0";
    return std::to_string(st.st_ino);
}

std::vector<pid_t> processes_with(const std::string& marker) {
    std::vector<pid_t> pids;
    DIR* d = ::opendir("/proc");
    if (!d) return pids;
    while (dirent* e = ::readdir(d)) {
        pid_t pid = std::atoi(e->d_name);
        if (pid <= 0 || pid == ::getpid()) continue;
        std::string cmdline = read_text("/proc/" + std::string(e->d_name) + "/cmdline");
        // A zombie has an empty cmdline and is gone for our purposes.
        if (cmdline.find(marker) != std::string::npos) pids.push_back(pid);
    }
    ::closedir(d);
    return pids;
}

bool wait_gone(const std::string& marker, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!processes_with(marker).empty()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::string host_mount_table() {
    // Whole lines: any new, changed or vanished mount shows up.
    return read_text("/proc/self/mountinfo");
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/burrow-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) fail("mkdtemp");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    // Tests may leave read-only dirs behind (e.g. --chmod); make them removable.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
    std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& data, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) fail("open " + path);
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) fail("write");
    ::fchmod(fd, mode);
    ::close(fd);
}

std::vector<std::string> lines_with(const std::string& text, const std::string& prefix) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l))
        if (l.compare(0, prefix.size(), prefix) == 0) out.push_back(l);
    return out;
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

} // namespace btest
