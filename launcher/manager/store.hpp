// The manager's own additions to the session registry, on disk in its
// state dir (0700, never shared into a sandbox) so a restarted manager
// loses nothing: per sandbox it created, sandboxes/ID.json (the request:
// name, labels, backend, project, command; written by the manager, by
// rename), ID.launch (the launch's pid and start time) and ID.exit (its
// wait status), both written by the supervisor (supervise.hpp), which
// outlives a manager restart. The log is logs/ID.log. What runs is the
// registry's to say; these files only name and explain it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/fd.hpp"

namespace burrow::manager {

struct Record {
    std::string id; // "sb-" + 12 hex digits
    std::string name;
    std::map<std::string, std::string> labels;
    std::string backend; // a Config backend name
    std::string project_dir;
    std::string project_id;
    std::string network; // "" = the backend's default
    std::vector<std::string> allow_net;
    std::vector<std::string> policy;
    std::vector<std::string> command;
    bool display = false; // an Xvfb of its own (screenshots)
    int64_t created = 0;
    // From ID.launch:
    pid_t launch_pid = 0;
    uint64_t launch_start_time = 0;
    pid_t supervisor_pid = 0; // the supervisor, which writes ID.exit last
    uint64_t supervisor_start_time = 0;
    // From ID.exit:
    std::optional<int> exit_status; // WEXITSTATUS
    std::optional<int> signal;      // WTERMSIG
    int64_t finished = 0;
    bool stop_requested = false;
};

class Store {
  public:
    // Opens (creating, 0700) DIR and DIR/sandboxes, DIR/logs; every later
    // access goes through these dir fds without following symlinks.
    explicit Store(const std::string& dir);
    const std::string& dir() const { return dir_; }
    int sandboxes_fd() const { return sandboxes_.get(); }
    int logs_fd() const { return logs_.get(); }
    int displays_fd() const { return displays_.get(); }

    // Every record on disk (unreadable or malformed files are skipped and
    // named in the returned warnings).
    std::vector<Record> load_all(std::vector<std::string>& warnings) const;
    // Reads ID.launch and ID.exit into r (absent files leave it as is).
    void refresh(Record& r) const;
    void save(const Record& r) const;         // ID.json, by rename
    void remove(const std::string& id) const; // every file of ID, the log too
    std::string log_path(const std::string& id) const { return dir_ + "/logs/" + id + ".log"; }
    // The log opened for reading (O_NOFOLLOW, a regular file), or an invalid Fd.
    Fd open_log(const std::string& id) const;
    // The screen of ID's display (displays/ID/NAME: Xvfb's Xvfb_screen0),
    // read whole (at most 64 MiB, O_NOFOLLOW); empty when there is none.
    std::string read_screen(const std::string& id, const std::string& name = "Xvfb_screen0") const;
    // A VM's screenshot: displays/ID/ made (0700) for QEMU to write a file
    // into (its path is returned), and the file and dir removed after.
    std::string screen_dir(const std::string& id) const;
    void drop_screen(const std::string& id, const std::string& name) const;

  private:
    std::string dir_;
    Fd dirfd_, sandboxes_, logs_, displays_;
};

// A fresh record id: "sb-" + 12 random hex digits (getrandom).
std::string new_id();
// Is s an id this store could have made (so it is a plain file name)?
bool valid_id(const std::string& s);

// The supervisor's side: written in dir fd sandboxes_fd, by rename.
void write_launch_file(int sandboxes_fd, const std::string& id, pid_t pid, uint64_t start_time,
                       pid_t supervisor, uint64_t supervisor_start_time);
void write_exit_file(int sandboxes_fd, const std::string& id, int wait_status);

} // namespace burrow::manager
