// Running a command under test: a given argv, stdin, extra fds (data the
// command reads, pipes it writes, pipes the test keeps control of), captured
// stdout/stderr/extra outputs and exit status, and a timeout that kills the
// whole process group. Used by the integration, differential and e2e tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace btest {

// One fd the command starts with, besides 0/1/2.
struct FdSpec {
    enum class Kind {
        data,     // a memfd holding `data`, read from offset 0 (--file, --args, --seccomp...)
        capture,  // a pipe the command writes; everything is collected (--info-fd...)
        pipe_in,  // a pipe the command reads; the test writes/closes it (--block-fd)
        pipe_out, // a pipe the command writes; the test reads it itself (readiness)
        inherit,  // a dup of the test's own fd `parent_fd`
    };
    Kind kind = Kind::data;
    int child_fd = -1;
    std::string data;
    int parent_fd = -1;
};

FdSpec data_fd(int child_fd, std::string data);
FdSpec capture_fd(int child_fd);
FdSpec pipe_in_fd(int child_fd);
FdSpec pipe_out_fd(int child_fd);
FdSpec inherit_fd(int child_fd, int parent_fd);

struct Command {
    std::vector<std::string> argv;
    std::string stdin_data;
    std::vector<FdSpec> fds;
    std::optional<std::vector<std::string>> env; // default: the test's environment
    std::chrono::milliseconds timeout{30000};
    // The file executed; default argv[0] (set it to run a binary under
    // another argv[0], e.g. burrow as "bwrap").
    std::string path;
    // Working directory of the command; default the test's.
    std::string cwd;
    // Runs in the child just before exec, with 0/1/2 and `fds` in place (e.g.
    // to merge stderr into stdout, or install seccomp filters): between fork
    // and exec, so async-signal-safe calls only; on failure call _exit() with
    // a code of its own.
    std::function<void()> before_exec;
    // Keep the test's own fds that are not close-on-exec, at their numbers
    // (for commands told fd numbers in their arguments). Default: the
    // command gets 0/1/2 and `fds` only.
    bool inherit_open_fds = false;
};

struct Result {
    std::string out;
    std::string err;
    std::map<int, std::string> captured; // child fd -> bytes (capture fds)
    int wait_status = 0;
    bool timed_out = false;
    // Shell convention: exit code, or 128+N for a death by signal N.
    int code() const;
    std::string describe() const; // for failure messages
};

// A started command. The destructor kills the process group if still running.
class Running {
  public:
    explicit Running(const Command& cmd);
    ~Running();
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

    pid_t pid() const { return pid_; }
    // Parent ends of pipe_in (write end) and pipe_out (read end) fds.
    int parent_end(int child_fd) const;
    void close_parent_end(int child_fd);
    // Reads n bytes from a pipe_out fd, waiting at most `timeout`; "" on timeout/EOF.
    std::string read_from(int child_fd, size_t n, std::chrono::milliseconds timeout);
    // Collects outputs until the command exits (or the timeout kills its group).
    Result finish();

  private:
    struct Pipe {
        int child_fd;
        int fd;
        std::string* sink; // nullptr: not collected here
    };
    Command cmd_;
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1, in_ = -1;
    std::map<int, int> parent_ends_;
    std::vector<std::pair<int, int>> captures_; // child fd, parent read end
    bool finished_ = false;
};

Result run(const Command& cmd);

// Small helpers.
std::string burrow_bin();      // BURROW_BIN env or the CMake-provided path
std::string bwrap_link();      // the build's bin/bwrap symlink next to burrow
std::string probe_bin();       // BURROW_PROBE env or the CMake-provided path
std::string reference_bwrap(); // BWRAP_REF env or /usr/bin/bwrap
bool is_root();
std::string read_text(const std::string& path);
// Host namespace inode of /proc/self/ns/<name>, as the probe's "ns=" wants it.
std::string host_ns(const std::string& name);
// Pids of processes (other than ourselves) whose cmdline contains `marker`.
std::vector<pid_t> processes_with(const std::string& marker);
// Waits until no process has `marker` in its cmdline; false after the timeout.
bool wait_gone(const std::string& marker, std::chrono::milliseconds timeout);
// Host mountinfo without per-read noise, to compare before/after a run.
std::string host_mount_table();
// A fresh empty directory under $TMPDIR or /tmp, removed recursively on scope exit.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

  private:
    std::string path_;
};
void write_file(const std::string& path, const std::string& data, mode_t mode = 0644);
// Lines of `text` starting with `prefix`.
std::vector<std::string> lines_with(const std::string& text, const std::string& prefix);
bool contains(const std::string& text, const std::string& needle);

} // namespace btest
