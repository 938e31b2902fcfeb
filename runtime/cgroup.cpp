#include "runtime/cgroup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "runtime/error.hpp"

namespace burrow::cgroup {

namespace {

// Whole small file; errno set and false on failure.
bool read_text(const std::string& path, std::string& out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    out.clear();
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.append(buf, static_cast<size_t>(n));
    }
}

// One write(2): cgroup files take a value per write. 0 or an errno.
int write_text(const std::string& path, const std::string& text) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return errno;
    ssize_t n;
    do n = ::write(fd.get(), text.data(), text.size());
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return n == static_cast<ssize_t>(text.size()) ? 0 : EIO;
}

// mountinfo escapes blanks and backslashes as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            const std::string oct = s.substr(i + 1, 3);
            if (oct.size() == 3 &&
                std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
                out += static_cast<char>(std::stoi(oct, nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

struct Want {
    std::string file;       // memory.max
    std::string controller; // memory
    std::string value;
};

} // namespace

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

Location locate_own() {
    Location loc;
    std::string cgroups, mountinfo;
    if (!read_text("/proc/self/cgroup", cgroups)) {
        loc.error = std::string("can't read /proc/self/cgroup: ") + std::strerror(errno);
        return loc;
    }
    if (!read_text("/proc/self/mountinfo", mountinfo)) {
        loc.error = std::string("can't read /proc/self/mountinfo: ") + std::strerror(errno);
        return loc;
    }
    return locate_in(cgroups, mountinfo);
}

Location locate_in(const std::string& proc_self_cgroup, const std::string& mountinfo) {
    Location loc;
    std::string own;
    bool found = false;
    std::istringstream lines(proc_self_cgroup);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("0::", 0) == 0) {
            own = line.substr(3);
            found = true;
        }
    }
    if (!found) {
        loc.error = "no cgroup v2 hierarchy (cgroup v1 only)";
        return loc;
    }
    loc.is_root = own == "/";
    std::istringstream mounts(mountinfo);
    for (std::string line; std::getline(mounts, line);) {
        const size_t dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        const auto after = split_words(line.substr(dash + 3));
        if (after.empty() || after[0] != "cgroup2") continue;
        const auto before = split_words(line.substr(0, dash));
        if (before.size() < 5) continue;
        const std::string root = unescape(before[3]);
        const std::string mountpoint = unescape(before[4]);
        // The mount shows the hierarchy from `root` down; our cgroup must be
        // at or below it to be reachable through this mount.
        if (root == "/") {
            loc.dir = mountpoint + (own == "/" ? "" : own);
        } else if (own == root || own.rfind(root + "/", 0) == 0) {
            loc.dir = mountpoint + own.substr(root.size());
        } else {
            continue;
        }
        return loc;
    }
    loc.error = "the cgroup v2 hierarchy is not mounted (no cgroup2 in /proc/self/mountinfo)";
    return loc;
}

Scope::~Scope() {
    try {
        remove();
    } catch (...) {
    }
}

void Scope::attach(pid_t pid) const {
    const std::string procs = path_ + "/cgroup.procs";
    if (int err = write_text(procs, std::to_string(pid)))
        fail_errno("can't move the sandbox into " + procs, err);
}

uint64_t Scope::memory_peak_kib() const {
    std::string text;
    if (path_.empty() || !read_text(path_ + "/memory.peak", text)) return 0;
    return std::strtoull(text.c_str(), nullptr, 10) / 1024;
}

void Scope::remove() {
    if (path_.empty()) return;
    const std::string path = std::move(path_);
    path_.clear();
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) return;
    // Processes left (a daemon the payload started): the sandbox is over,
    // so they go too. cgroup.kill (5.14) kills them all at once; then wait
    // for "populated 0", which the kernel signals as POLLPRI on cgroup.events.
    (void)write_text(path + "/cgroup.kill", "1");
    Fd events(::open((path + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (events) {
        char buf[256];
        ssize_t n = ::pread(events.get(), buf, sizeof buf - 1, 0);
        if (n <= 0) break;
        buf[n] = '\0';
        if (std::strstr(buf, "populated 0")) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        struct pollfd p {
            events.get(), POLLPRI, 0
        };
        if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    }
    ::rmdir(path.c_str());
}

Scope prepare(const Limits& limits, std::vector<std::string>& enforced,
              std::vector<std::string>& unavailable) {
    std::vector<Want> wants;
    if (limits.memory_max)
        wants.push_back({"memory.max", "memory", std::to_string(*limits.memory_max)});
    if (limits.pids_max) wants.push_back({"pids.max", "pids", std::to_string(*limits.pids_max)});
    if (limits.cpu_max) wants.push_back({"cpu.max", "cpu", *limits.cpu_max});
    Scope scope;
    if (wants.empty()) return scope;

    std::vector<std::string> missing;
    std::vector<std::string> applied;
    auto lose = [&](std::vector<Want>& ws, const std::string& why) {
        for (const auto& w : ws) missing.push_back("cgroup " + w.file + ": " + why);
        ws.clear();
    };

    const Location loc = locate_own();
    if (!loc.error.empty()) lose(wants, loc.error);
    std::string text;
    if (!wants.empty() && !read_text(loc.dir + "/cgroup.controllers", text))
        lose(wants, "can't read " + loc.dir + "/cgroup.controllers: " + std::strerror(errno));
    const auto available = split_words(text);
    for (auto it = wants.begin(); it != wants.end();) {
        if (contains(available, it->controller)) {
            ++it;
            continue;
        }
        missing.push_back("cgroup " + it->file + ": controller " + it->controller +
                          " not available in " + loc.dir + " (cgroup v1, or not delegated)");
        it = wants.erase(it);
    }
    if (!wants.empty() && ::access(loc.dir.c_str(), W_OK) != 0)
        lose(wants,
             loc.dir + " is not writable: no delegated cgroup (" + std::strerror(errno) + ")");
    if (!wants.empty() && read_text(loc.dir + "/cgroup.subtree_control", text)) {
        const auto enabled = split_words(text);
        for (auto it = wants.begin(); it != wants.end();) {
            if (contains(enabled, it->controller)) {
                ++it;
                continue;
            }
            // Enabling a controller at the root would change the whole host
            // and outlive the sandbox: only inside a delegated subtree.
            if (loc.is_root) {
                missing.push_back("cgroup " + it->file + ": controller " + it->controller +
                                  " not enabled in " + loc.dir +
                                  "/cgroup.subtree_control (the root cgroup; burrow leaves it "
                                  "as it is)");
                it = wants.erase(it);
                continue;
            }
            const int err = write_text(loc.dir + "/cgroup.subtree_control", "+" + it->controller);
            if (err == 0) {
                ++it;
                continue;
            }
            std::string why = "can't enable " + it->controller + " in " + loc.dir +
                              "/cgroup.subtree_control: " + std::strerror(err);
            // The "no internal processes" rule: the caller sits in that cgroup.
            if (err == EBUSY) why += " (processes live there; run burrow in a delegated scope)";
            missing.push_back("cgroup " + it->file + ": " + why);
            it = wants.erase(it);
        }
    }
    if (!wants.empty()) {
        const std::string path = loc.dir + "/burrow-" + std::to_string(::getpid());
        if (::mkdir(path.c_str(), 0755) != 0) {
            lose(wants, "can't create " + path + ": " + std::strerror(errno));
        } else {
            scope.path_ = path;
            for (const auto& w : wants) {
                if (int err = write_text(path + "/" + w.file, w.value))
                    missing.push_back("cgroup " + w.file + ": can't write " + w.value + " to " +
                                      path + "/" + w.file + ": " + std::strerror(err));
                else
                    applied.push_back("cgroup " + w.file + "=" + w.value + " (" + path + ")");
            }
        }
    }
    if (!missing.empty() && limits.cgroup_required) {
        scope.remove();
        // Still reported, for a status file written after the failure.
        unavailable.insert(unavailable.end(), missing.begin(), missing.end());
        std::string msg = "required cgroup limits unavailable: ";
        for (size_t i = 0; i < missing.size(); ++i) msg += (i ? "; " : "") + missing[i];
        fail(msg);
    }
    unavailable.insert(unavailable.end(), missing.begin(), missing.end());
    if (applied.empty()) {
        scope.remove();
        return scope;
    }
    enforced.insert(enforced.end(), applied.begin(), applied.end());
    return scope;
}

} // namespace burrow::cgroup
