// The state of one container under --root: ROOT/ID/ (0700) holding
// state.json and, between create and start, the exec fifo the container's
// init waits on. Everything is reached from directory fds with O_NOFOLLOW:
// an entry planted as a symlink is refused, never followed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/fd.hpp"

namespace burrow::oci {

inline constexpr const char* kStateFile = "state.json";
inline constexpr const char* kExecFifo = "exec.fifo";

struct State {
    std::string oci_version;
    std::string id;
    pid_t pid = 0;
    uint64_t start_time = 0; // of pid (clock ticks since boot): the pid alone is never trusted
    std::string bundle;
    std::map<std::string, std::string> annotations;
    std::string created;                  // RFC 3339
    std::vector<std::string> cgroup_dirs; // absolute, created by us, removed on delete
    std::string freezer;                  // freezer.state or cgroup.freeze file, if any
    bool rootless = false;
};

// "created", "running", "paused" or "stopped": from the pid AND its start
// time, the fifo (still there: not started) and the freezer.
std::string status_of(const State& st, int state_dir_fd);

// The spec's state JSON (runtime.md "State").
std::string state_json(const State& st, const std::string& status);
// The same without a pid: the text before and after it (the runtime puts
// the pid between them when it is known only there: createContainer hooks).
std::pair<std::string, std::string> state_json_around_pid(const State& st,
                                                          const std::string& status);
std::string state_file_json(const State& st);
State parse_state_file(const std::string& text); // throws std::runtime_error

// features (features.md) and a default config.json (runc spec).
std::string features_json();
std::string default_spec_json(bool rootless);

// exec ARGS: a process object for apply_process.
std::string process_json(const std::vector<std::string>& args, const std::string& cwd,
                         const std::vector<std::string>& env, const std::string& user, bool tty);

// One error line for --log-format json.
std::string json_log_line(const std::string& level, const std::string& msg,
                          const std::string& time);

} // namespace burrow::oci
