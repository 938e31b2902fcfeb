#include "launcher/session/registry.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "policy/project/sandbox.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"

namespace burrow::session {

namespace {

constexpr const char* kNamespaces[] = {"user", "mnt", "pid", "ipc", "uts", "net", "cgroup"};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

// The registry root: ours, a directory, closed to everyone else. Anything
// else there (another owner, a symlink) is refused rather than used.
void ensure_private_dir(const std::string& path) {
    std::string cur;
    std::size_t pos = 0;
    struct stat pre {};
    if (::lstat(path.c_str(), &pre) == 0) pos = std::string::npos; // usual case: exists
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (!cur.empty() && ::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
            fail("mkdir " + cur);
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) fail("stat " + path);
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
        throw std::runtime_error(path + ": not a directory owned by us");
    if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), 0700) != 0) fail("chmod " + path);
}

bool valid_id(const std::string& id) {
    if (id.empty() || id[0] == '.' || id.size() > 200) return false;
    return id.find_first_not_of(
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
           std::string::npos;
}

std::string entry_path(const std::string& id) {
    if (!valid_id(id)) throw std::runtime_error("session registry: bad project id \"" + id + "\"");
    return registry_dir() + "/" + id + ".json";
}

nlohmann::json to_json(const Entry& e) {
    nlohmann::json j;
    j["project_id"] = e.project_id;
    j["project_dir"] = e.project_dir;
    j["backend"] = e.backend;
    j["pid"] = e.pid;
    j["start_time"] = e.start_time;
    j["ns"] = e.ns;
    j["launcher_pid"] = e.launcher_pid;
    j["launcher_start_time"] = e.launcher_start_time;
    j["started"] = e.started;
    nlohmann::json env = nlohmann::json::array();
    for (const auto& [k, v] : e.env) env.push_back({k, v});
    j["env"] = env;
    j["cwd"] = e.cwd;
    j["uid"] = e.uid;
    j["gid"] = e.gid;
    j["control"] = e.control;
    return j;
}

Entry from_json(const nlohmann::json& j) {
    Entry e;
    e.project_id = j.at("project_id").get<std::string>();
    e.project_dir = j.at("project_dir").get<std::string>();
    e.backend = j.at("backend").get<std::string>();
    e.pid = j.at("pid").get<pid_t>();
    e.start_time = j.at("start_time").get<uint64_t>();
    e.ns = j.at("ns").get<std::map<std::string, uint64_t>>();
    e.launcher_pid = j.at("launcher_pid").get<pid_t>();
    e.launcher_start_time = j.value("launcher_start_time", uint64_t{0});
    e.started = j.at("started").get<int64_t>();
    for (const auto& kv : j.at("env"))
        e.env.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    e.cwd = j.at("cwd").get<std::string>();
    e.uid = j.at("uid").get<uid_t>();
    e.gid = j.at("gid").get<gid_t>();
    e.control = j.value("control", "");
    return e;
}

// The entry file as written, or nothing when missing or unreadable/corrupt
// (then it is removed: a half-written or forged file is no sandbox).
std::optional<Entry> read_entry(const std::string& id) {
    const std::string path = entry_path(id);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return std::nullopt;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        st.st_size > (1 << 20)) {
        ::unlink(path.c_str());
        return std::nullopt;
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    text.resize(done);
    try {
        Entry e = from_json(nlohmann::json::parse(text));
        if (e.project_id != id) throw std::runtime_error("id mismatch");
        return e;
    } catch (const std::exception&) {
        ::unlink(path.c_str());
        return std::nullopt;
    }
}

uint64_t ino_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

} // namespace

std::string registry_dir() {
    // Decided once per process, from the environment as burrow started:
    // the runtime's monitor scrubs the environment strings in memory
    // (what /proc/PID/environ shows), so a later getenv() sees none.
    static std::string dir;
    if (dir.empty()) {
        std::string d = project::run_root(project::host_from_process());
        ensure_private_dir(d);
        dir = std::move(d);
    }
    return dir;
}

uint64_t process_start_time(pid_t pid) {
    if (pid <= 0) return 0;
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return 0;
    char buf[1024];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return 0;
    buf[n] = '\0';
    // comm may hold anything, ')' included: fields restart after the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p) return 0;
    // Field 3 (state) follows ") "; a zombie is a process that is over.
    if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) return 0;
    // Start time is field 22.
    int field = 2;
    for (++p; *p && field < 22; ++p)
        if (*p == ' ') ++field;
    return std::strtoull(p, nullptr, 10);
}

std::map<std::string, uint64_t> process_namespaces(pid_t pid) {
    std::map<std::string, uint64_t> out;
    const std::string base = "/proc/" + std::to_string(pid) + "/ns/";
    for (const char* n : kNamespaces)
        if (uint64_t ino = ino_of(base + n)) out[n] = ino;
    return out;
}

Entry make_entry(const project::ProjectSandbox& ps, const char* backend, pid_t pid,
                 pid_t launcher) {
    Entry e;
    e.project_id = ps.project_id;
    e.project_dir = ps.project_dir;
    e.backend = backend;
    e.pid = pid;
    e.start_time = process_start_time(pid);
    e.ns = process_namespaces(pid);
    e.launcher_pid = launcher;
    e.started = static_cast<int64_t>(::time(nullptr));
    e.env = ps.env;
    e.cwd = ps.cwd.empty() ? ps.project_dir : ps.cwd;
    e.uid = ps.uid;
    e.gid = ps.gid;
    return e;
}

namespace {

// A small /proc file of pid, capped (/proc is trusted, its sizes are not
// worth trusting either).
std::string proc_text(pid_t pid, const char* name) {
    const std::string path =
        (pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid)) + "/" + name;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return {};
    std::string out;
    (void)read_fd_to_end(fd.get(), out, 16384); // what was read, also on an error
    return out;
}

} // namespace

pid_t parent_pid(pid_t pid) {
    const std::string s = proc_text(pid, "stat");
    const auto close = s.rfind(')');
    if (close == std::string::npos) return 0;
    char state = 0;
    int ppid = 0;
    return std::sscanf(s.c_str() + close + 1, " %c %d", &state, &ppid) == 2 ? ppid : 0;
}

namespace {

// Real and effective uid of pid are both ours. From /proc/PID/status, not
// the owner of /proc/PID (a non-dumpable process shows root there).
bool owned_by_us(pid_t pid) {
    const std::string s = proc_text(pid, "status");
    const auto at = s.find("\nUid:");
    if (at == std::string::npos) return false;
    unsigned long ruid = 0, euid = 0;
    if (std::sscanf(s.c_str() + at + 5, "%lu %lu", &ruid, &euid) != 2) return false;
    return ruid == ::geteuid() && euid == ::geteuid();
}

std::string exe_link(pid_t pid) {
    const std::string path = pid == 0 ? "/proc/self/exe" : "/proc/" + std::to_string(pid) + "/exe";
    char buf[4096];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 && n < static_cast<ssize_t>(sizeof buf)
               ? std::string(buf, static_cast<std::size_t>(n))
               : std::string();
}

// The command name (/proc/PID/comm) of pid, or of us for 0.
std::string comm_of(pid_t pid) {
    std::string c = proc_text(pid, "comm");
    while (!c.empty() && c.back() == '\n') c.pop_back();
    return c;
}

// pid runs burrow: the very file we run, or the one that was at our path
// before an upgrade replaced it ("PATH (deleted)"). A launcher that made
// itself non-dumpable hides its exe from a caller without CAP_SYS_PTRACE
// (EACCES): then its command name must be ours.
bool runs_burrow(pid_t pid) {
    struct stat a {
    }, b{};
    const std::string path = "/proc/" + std::to_string(pid) + "/exe";
    if (::stat(path.c_str(), &a) != 0) {
        if (errno != EACCES && errno != EPERM) return false;
        const std::string mine = comm_of(0);
        return !mine.empty() && comm_of(pid) == mine;
    }
    if (::stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return true;
    const std::string mine = exe_link(0), theirs = exe_link(pid);
    return !mine.empty() && theirs == mine + " (deleted)";
}

bool is_ancestor(pid_t ancestor, pid_t pid, int max_depth) {
    for (int i = 0; i < max_depth && pid > 1; ++i) {
        pid = parent_pid(pid);
        if (pid == ancestor) return true;
    }
    return false;
}

bool valid_name(const std::string& n) {
    return !n.empty() && n != "." && n != ".." && n.size() < 256 &&
           n.find('/') == std::string::npos;
}

} // namespace

bool control_socket_ok(const Entry& e) {
    if (e.control.empty()) return true;
    const std::string reg = registry_dir();
    if (e.control.rfind(reg + "/", 0) != 0) return false;
    std::vector<std::string> parts;
    std::size_t pos = reg.size() + 1;
    while (pos <= e.control.size()) {
        const auto slash = e.control.find('/', pos);
        const auto end = slash == std::string::npos ? e.control.size() : slash;
        parts.push_back(e.control.substr(pos, end - pos));
        pos = end + 1;
    }
    // <run dir of the project>/<launch dir>/<socket>
    if (parts.size() != 3) return false;
    for (const auto& p : parts)
        if (!valid_name(p)) return false;
    const std::string& run = parts[0];
    if (run != e.project_id &&
        !(run.rfind(e.project_id + "-", 0) == 0 && run.size() > e.project_id.size() + 1 &&
          run.find_first_not_of("0123456789", e.project_id.size() + 1) == std::string::npos))
        return false;
    Fd dir(::open(reg.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (std::size_t i = 0; dir && i < parts.size(); ++i) {
        struct stat st {};
        if (::fstat(dir.get(), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
            return false;
        if (i + 1 == parts.size()) {
            if (::fstatat(dir.get(), parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
            return S_ISSOCK(st.st_mode) && st.st_uid == ::geteuid();
        }
        dir = Fd(
            ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    return false;
}

bool alive(const Entry& e) {
    if (e.pid <= 1 || e.start_time == 0 || e.launcher_pid <= 1 || e.launcher_start_time == 0)
        return false;
    if (process_start_time(e.pid) != e.start_time) return false;
    const auto now = process_namespaces(e.pid);
    if (e.ns.empty()) return false;
    for (const auto& [name, ino] : e.ns) {
        auto it = now.find(name);
        if (it == now.end() || it->second != ino) return false;
    }
    // Ours, root included: a sandbox of another user (or a system service)
    // must not even be signalled by stop.
    if (!owned_by_us(e.pid)) return false;
    // Launched by a burrow of ours that is still running.
    if (process_start_time(e.launcher_pid) != e.launcher_start_time ||
        !owned_by_us(e.launcher_pid) || !runs_burrow(e.launcher_pid))
        return false;
    if (e.backend == "vm") {
        // QEMU, forked by the launcher itself; its enter socket where
        // burrow made it.
        const std::string exe = exe_link(e.pid);
        const auto slash = exe.rfind('/');
        if (exe.substr(slash == std::string::npos ? 0 : slash + 1).rfind("qemu-system-", 0) != 0)
            return false;
        if (parent_pid(e.pid) != e.launcher_pid) return false;
        if (!control_socket_ok(e)) return false;
    } else if (e.backend == "namespace" || e.backend == "container") {
        // A sandbox lives in its own mount namespace; an entry naming a
        // process that shares ours (say, a host shell) is forged or broken.
        auto mnt = e.ns.find("mnt");
        if (mnt == e.ns.end() || mnt->second == ino_of("/proc/self/ns/mnt")) return false;
        // namespace: launcher -> pid 1 -> payload; container: launcher ->
        // nspawn -> stub pid 1 -> helper.
        if (!is_ancestor(e.launcher_pid, e.pid, 4)) return false;
    } else {
        return false;
    }
    // Re-checked last: the pid was not recycled while we looked.
    return process_start_time(e.pid) == e.start_time;
}

int open_verified_pidfd(const Entry& e) {
    if (e.pid <= 0) return -1;
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, e.pid, 0)));
    if (!pidfd) return -1;
    // The pidfd pins this process: if it still matches after the open, the
    // fd refers to the recorded process and a recycled pid cannot slip in.
    if (!alive(e)) return -1;
    return pidfd.release();
}

void add(const Entry& entry) {
    Entry e = entry;
    if (e.launcher_start_time == 0) e.launcher_start_time = process_start_time(e.launcher_pid);
    const std::string path = entry_path(e.project_id);
    const std::string text = to_json(e).dump(2) + "\n";
    std::string tmp = path + ".XXXXXX";
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) fail("session registry: " + tmp);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        ::unlink(tmp.c_str());
        fail("session registry: writing " + tmp);
    }
    fd.reset();
    // link() never replaces: two launches racing for one project cannot
    // both register. A stale entry in the way is removed and tried once more.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (::link(tmp.c_str(), path.c_str()) == 0) {
            ::unlink(tmp.c_str());
            return;
        }
        if (errno != EEXIST) break;
        if (find(e.project_id)) {
            ::unlink(tmp.c_str());
            throw std::runtime_error("a sandbox already runs for " + e.project_dir);
        }
        // Stale, or another burrow's (kept by find): this launch's now.
        ::unlink(path.c_str());
    }
    const int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    fail("session registry: " + path);
}

// The run dir a killed launch left, when empty. A tmux socket left there
// stays (a launch starting right now may own it; tmux replaces a dead one)
// and is removed by the next launch of the project that ends normally.
static void remove_run_dir(const std::string& project_id) {
    const std::string dir = registry_dir() + "/" + project_id;
    ::rmdir((dir + "/tmux").c_str());
    ::rmdir(dir.c_str());
}

namespace {

// An entry of another burrow executable of ours (another version or build:
// an upgrade while sandboxes run, a second checkout) whose sandbox still
// runs: not ours to act on, and not ours to delete either, or one `burrow
// ps` of the new version would unregister every sandbox of the old one.
bool another_burrows(const Entry& e) {
    return e.pid > 1 && e.launcher_pid > 1 && e.start_time != 0 && e.launcher_start_time != 0 &&
           process_start_time(e.pid) == e.start_time &&
           process_start_time(e.launcher_pid) == e.launcher_start_time &&
           owned_by_us(e.launcher_pid) && !runs_burrow(e.launcher_pid) &&
           comm_of(e.launcher_pid) == comm_of(0);
}

} // namespace

std::optional<Entry> find(const std::string& project_id) {
    auto e = read_entry(project_id);
    if (!e) return std::nullopt;
    if (!alive(*e)) {
        if (!another_burrows(*e)) {
            ::unlink(entry_path(project_id).c_str());
            remove_run_dir(project_id);
        }
        return std::nullopt;
    }
    return e;
}

std::vector<Entry> list() {
    std::vector<Entry> out;
    const std::string dir = registry_dir();
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    std::vector<std::string> ids;
    while (dirent* de = ::readdir(d)) {
        std::string name = de->d_name;
        if (name.size() > 5 && name.ends_with(".json") && valid_id(name.substr(0, name.size() - 5)))
            ids.push_back(name.substr(0, name.size() - 5));
    }
    ::closedir(d);
    for (const auto& id : ids)
        if (auto e = find(id)) out.push_back(std::move(*e));
    return out;
}

void remove(const std::string& project_id) {
    if (::unlink(entry_path(project_id).c_str()) != 0 && errno != ENOENT)
        fail("session registry: removing " + project_id);
}

} // namespace burrow::session
