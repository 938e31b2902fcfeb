#include "launcher/manager/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "runtime/io.hpp"

namespace burrow::manager {
namespace {

[[noreturn]] void fail(const std::string& path, int err) {
    throw std::runtime_error(path + ": " + std::strerror(err));
}

// mkdir (0700) then open, refusing a symlink or someone else's directory.
Fd open_private_dir(int at, const std::string& name, const std::string& shown) {
    if (::mkdirat(at, name.c_str(), 0700) != 0 && errno != EEXIST) fail(shown, errno);
    Fd fd(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) fail(shown, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail(shown, errno);
    if (st.st_uid != ::geteuid())
        throw std::runtime_error(shown + ": not owned by us (uid " + std::to_string(st.st_uid) +
                                 ")");
    if ((st.st_mode & 077) != 0 && ::fchmod(fd.get(), 0700) != 0) fail(shown, errno);
    return fd;
}

// A file of the store: regular, ours, at most max bytes.
bool read_small_max(int dirfd, const std::string& name, std::string& out, std::size_t max) {
    Fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return false;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
        return false;
    out.clear();
    return read_fd_to_end(fd.get(), out, max) == 0;
}

bool read_small(int dirfd, const std::string& name, std::string& out) {
    return read_small_max(dirfd, name, out, 1 << 20);
}

void write_by_rename(int dirfd, const std::string& name, const std::string& text) {
    const std::string tmp = "." + name + ".tmp";
    Fd fd(
        ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) fail(tmp, errno);
    if (int e = write_all(fd.get(), text); e != 0) fail(tmp, e);
    if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) fail(name, errno);
}

} // namespace

std::string new_id() {
    unsigned char b[6];
    if (::getrandom(b, sizeof b, 0) != sizeof b) throw std::runtime_error("getrandom failed");
    static const char* hex = "0123456789abcdef";
    std::string s = "sb-";
    for (unsigned char c : b) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

bool valid_id(const std::string& s) {
    if (s.size() != 15 || s.compare(0, 3, "sb-") != 0) return false;
    for (size_t i = 3; i < s.size(); ++i)
        if (!std::isxdigit(static_cast<unsigned char>(s[i])) || std::isupper(s[i])) return false;
    return true;
}

Store::Store(const std::string& dir) : dir_(dir) {
    if (dir.empty() || dir[0] != '/') throw std::runtime_error(dir + ": not an absolute path");
    // Parents are made as needed (0700), the state dir itself checked.
    for (size_t p = dir.find('/', 1); p != std::string::npos; p = dir.find('/', p + 1))
        if (::mkdir(dir.substr(0, p).c_str(), 0700) != 0 && errno != EEXIST)
            fail(dir.substr(0, p), errno);
    dirfd_ = open_private_dir(AT_FDCWD, dir, dir);
    sandboxes_ = open_private_dir(dirfd_.get(), "sandboxes", dir + "/sandboxes");
    logs_ = open_private_dir(dirfd_.get(), "logs", dir + "/logs");
    displays_ = open_private_dir(dirfd_.get(), "displays", dir + "/displays");
}

std::vector<Record> Store::load_all(std::vector<std::string>& warnings) const {
    std::vector<Record> out;
    Fd dup(::openat(sandboxes_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dup) fail(dir_ + "/sandboxes", errno);
    DIR* d = ::fdopendir(dup.release());
    if (!d) fail(dir_ + "/sandboxes", errno);
    while (struct dirent* de = ::readdir(d)) {
        std::string n = de->d_name;
        if (!n.ends_with(".json")) continue;
        const std::string id = n.substr(0, n.size() - 5);
        if (!valid_id(id)) continue;
        std::string text;
        if (!read_small(sandboxes_.get(), n, text)) {
            warnings.push_back(dir_ + "/sandboxes/" + n + ": unreadable, skipped");
            continue;
        }
        try {
            const auto j = nlohmann::json::parse(text);
            Record r;
            r.id = id;
            r.name = j.at("name").get<std::string>();
            r.labels = j.at("labels").get<std::map<std::string, std::string>>();
            r.backend = j.at("backend").get<std::string>();
            r.project_dir = j.at("project_dir").get<std::string>();
            r.project_id = j.at("project_id").get<std::string>();
            r.network = j.at("network").get<std::string>();
            r.allow_net = j.at("allow_net").get<std::vector<std::string>>();
            r.policy = j.at("policy").get<std::vector<std::string>>();
            r.command = j.at("command").get<std::vector<std::string>>();
            r.display = j.value("display", false);
            r.created = j.at("created").get<int64_t>();
            r.stop_requested = j.value("stop_requested", false);
            refresh(r);
            out.push_back(std::move(r));
        } catch (const std::exception&) {
            warnings.push_back(dir_ + "/sandboxes/" + n + ": malformed, skipped");
        }
    }
    ::closedir(d);
    return out;
}

void Store::refresh(Record& r) const {
    std::string text;
    if (r.launch_pid == 0 && read_small(sandboxes_.get(), r.id + ".launch", text)) {
        try {
            const auto j = nlohmann::json::parse(text);
            r.launch_pid = j.at("pid").get<pid_t>();
            r.launch_start_time = j.at("start_time").get<uint64_t>();
            r.supervisor_pid = j.value("supervisor", 0);
            r.supervisor_start_time = j.value("supervisor_start_time", uint64_t{0});
        } catch (const std::exception&) {
        }
    }
    if (!r.exit_status && !r.signal && read_small(sandboxes_.get(), r.id + ".exit", text)) {
        try {
            const auto j = nlohmann::json::parse(text);
            const int ws = j.at("wait_status").get<int>();
            if (WIFEXITED(ws)) r.exit_status = WEXITSTATUS(ws);
            if (WIFSIGNALED(ws)) r.signal = WTERMSIG(ws);
            r.finished = j.at("finished").get<int64_t>();
        } catch (const std::exception&) {
        }
    }
}

void Store::save(const Record& r) const {
    nlohmann::json j;
    j["name"] = r.name;
    j["labels"] = r.labels;
    j["backend"] = r.backend;
    j["project_dir"] = r.project_dir;
    j["project_id"] = r.project_id;
    j["network"] = r.network;
    j["allow_net"] = r.allow_net;
    j["policy"] = r.policy;
    j["command"] = r.command;
    j["display"] = r.display;
    j["created"] = r.created;
    j["stop_requested"] = r.stop_requested;
    write_by_rename(sandboxes_.get(), r.id + ".json", j.dump() + "\n");
}

void Store::remove(const std::string& id) const {
    for (const char* ext : {".json", ".launch", ".exit"})
        ::unlinkat(sandboxes_.get(), (id + ext).c_str(), 0);
    ::unlinkat(logs_.get(), (id + ".log").c_str(), 0);
}

std::string Store::read_screen(const std::string& id, const std::string& name) const {
    Fd d(::openat(displays_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) return {};
    std::string out;
    return read_small_max(d.get(), name.c_str(), out, 64u << 20) ? out : std::string();
}

std::string Store::screen_dir(const std::string& id) const {
    if (::mkdirat(displays_.get(), id.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error(dir_ + "/displays/" + id + ": " + std::strerror(errno));
    return dir_ + "/displays/" + id;
}

void Store::drop_screen(const std::string& id, const std::string& name) const {
    Fd d(::openat(displays_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (d) ::unlinkat(d.get(), name.c_str(), 0);
    ::unlinkat(displays_.get(), id.c_str(), AT_REMOVEDIR);
}

Fd Store::open_log(const std::string& id) const {
    Fd fd(::openat(logs_.get(), (id + ".log").c_str(),
                   O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (fd && (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))) return Fd();
    return fd;
}

void write_launch_file(int sandboxes_fd, const std::string& id, pid_t pid, uint64_t start_time,
                       pid_t supervisor, uint64_t supervisor_start_time) {
    nlohmann::json j{{"pid", pid},
                     {"start_time", start_time},
                     {"supervisor", supervisor},
                     {"supervisor_start_time", supervisor_start_time}};
    write_by_rename(sandboxes_fd, id + ".launch", j.dump() + "\n");
}

void write_exit_file(int sandboxes_fd, const std::string& id, int wait_status) {
    nlohmann::json j{{"wait_status", wait_status},
                     {"finished", static_cast<int64_t>(::time(nullptr))}};
    write_by_rename(sandboxes_fd, id + ".exit", j.dump() + "\n");
}

} // namespace burrow::manager
