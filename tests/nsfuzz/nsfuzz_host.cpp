#include "tests/nsfuzz/nsfuzz_host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace nsfuzz {

namespace {

void put(const std::string& path, const std::string& data, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("create " + path + ": " + std::strerror(errno));
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
        throw std::runtime_error("write " + path);
    ::fchmod(fd, mode);
    ::close(fd);
}

void dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0)
        throw std::runtime_error("mkdir " + path + ": " + std::strerror(errno));
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

std::string make_scratch() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/nsfuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    const std::string s = tmpl;
    ::chmod(s.c_str(), 0755);
    for (const char* d : {"src", "src/d0", "src/d0/sub", "src/d1", "rw", "rw/r0", "rw/r1", "cases"})
        dir(s + "/" + d);
    put(s + "/src/d0/f0", "zero\n", 0644);
    put(s + "/src/d0/sub/f1", "one", 0600);
    if (::symlink("f0", (s + "/src/d0/lnk").c_str()) != 0) throw std::runtime_error("symlink");
    put(s + "/src/d1/f2", std::string(300, 'q'), 0444);
    put(s + "/src/fa", "hello\n", 0644);
    put(s + "/src/fb", std::string(100, '\x01'), 0600);
    put(s + "/src/fx", "#!/nonexistent\n", 0755);
    put(s + "/rw/r0/g0", "g", 0644);
    put(s + "/rw/rf", "rw file", 0644);
    // Modes last (the creating process needs to write into them first).
    const std::pair<const char*, mode_t> modes[] = {
        {"src", 0755}, {"src/d0", 0755}, {"src/d0/sub", 0700}, {"src/d1", 0555},
        {"rw", 0755},  {"rw/r0", 0755},  {"rw/r1", 0700},      {"cases", 0755}};
    for (auto [d, m] : modes) ::chmod((s + "/" + d).c_str(), m);
    return s;
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    ::chmod(path.c_str(), 0700);
    std::filesystem::remove_all(path, ec);
}

Snapshot snapshot(const std::string& root) {
    Snapshot snap;
    std::vector<std::string> todo = {""};
    while (!todo.empty()) {
        std::string rel = todo.back();
        todo.pop_back();
        const std::string abs = root + rel;
        struct stat st;
        if (::lstat(abs.c_str(), &st) != 0) continue;
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s %04o %u %u %lld %lld.%09ld",
                      S_ISDIR(st.st_mode)   ? "dir"
                      : S_ISLNK(st.st_mode) ? "symlink"
                      : S_ISREG(st.st_mode) ? "file"
                                            : "other",
                      st.st_mode & 07777, st.st_uid, st.st_gid, static_cast<long long>(st.st_size),
                      static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
        snap[rel.empty() ? "/" : rel] = buf;
        if (!S_ISDIR(st.st_mode)) continue;
        DIR* d = ::opendir(abs.c_str());
        if (!d) {
            snap[rel + " (unreadable)"] = std::strerror(errno);
            continue;
        }
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") todo.push_back(rel + "/" + n);
        }
        ::closedir(d);
    }
    return snap;
}

std::vector<std::string> snapshot_diff(const Snapshot& before, const Snapshot& after,
                                       const std::vector<std::string>& rw_dirs) {
    std::vector<std::string> out;
    auto rw_dir = [&](const std::string& rel, const std::string& desc) {
        if (desc.compare(0, 4, "dir ") != 0) return false;
        for (const auto& r : rw_dirs)
            if (rel == "/" + r) return true;
        return false;
    };
    auto strip_time = [](const std::string& d) { return d.substr(0, d.rfind(' ')); };
    for (const auto& [rel, desc] : before) {
        auto i = after.find(rel);
        if (i == after.end())
            out.push_back("removed " + rel + " (" + desc + ")");
        else if (i->second != desc &&
                 !(rw_dir(rel, desc) && strip_time(i->second) == strip_time(desc)))
            out.push_back("changed " + rel + ": " + desc + " -> " + i->second);
    }
    for (const auto& [rel, desc] : after)
        if (!before.count(rel)) out.push_back("created " + rel + " (" + desc + ")");
    return out;
}

std::string mount_table() {
    return read_all("/proc/self/mountinfo");
}

std::vector<std::string> mount_diff(const std::string& before, const std::string& after) {
    auto lines = [](const std::string& t) {
        std::multiset<std::string> s;
        std::istringstream in(t);
        std::string l;
        while (std::getline(in, l)) s.insert(l);
        return s;
    };
    auto b = lines(before), a = lines(after);
    std::vector<std::string> out;
    for (const auto& l : b)
        if (a.count(l) < b.count(l) && out.size() < 20) out.push_back("- " + l);
    for (const auto& l : a)
        if (b.count(l) < a.count(l) && out.size() < 20) out.push_back("+ " + l);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::string> leftover_processes(const std::string& marker, int wait_ms) {
    const pid_t self = ::getpid();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        std::vector<std::string> found;
        std::vector<pid_t> pids;
        DIR* d = ::opendir("/proc");
        while (dirent* e = d ? ::readdir(d) : nullptr) {
            const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
            if (pid <= 0 || pid == self) continue;
            std::string stat = read_all("/proc/" + std::string(e->d_name) + "/stat");
            auto open = stat.find('('), close = stat.rfind(')');
            if (open == std::string::npos || close == std::string::npos) continue;
            const std::string comm = stat.substr(open + 1, close - open - 1);
            std::istringstream rest(stat.substr(close + 2));
            char state = 0;
            long ppid = 0;
            rest >> state >> ppid;
            if (ppid == self || comm == marker) pids.push_back(pid);
            if (ppid == self || comm == marker)
                found.push_back("pid " + std::to_string(pid) + " (" + comm + ") state " + state +
                                " ppid " + std::to_string(ppid));
        }
        if (d) ::closedir(d);
        if (found.empty()) return found;
        if (std::chrono::steady_clock::now() > deadline) {
            // Reported; now out of the way of the next cases (our own
            // children and the probe's orphans only).
            for (pid_t pid : pids) ::kill(pid, SIGKILL);
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            return found;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string fs_name(const std::string& path) {
    struct statfs sf;
    if (::statfs(path.c_str(), &sf) != 0) return "?";
    if (static_cast<unsigned long>(sf.f_type) == 0x01021994) return "tmpfs";
    if (static_cast<unsigned long>(sf.f_type) == 0x794c7630) return "overlay";
    char b[32];
    std::snprintf(b, sizeof b, "0x%lx", static_cast<unsigned long>(sf.f_type));
    return b;
}

std::string ns_inode(const std::string& name) {
    struct stat st;
    if (::stat(("/proc/self/ns/" + name).c_str(), &st) != 0) return "";
    return std::to_string(st.st_ino);
}

} // namespace nsfuzz
