#include "launcher/manager/metrics.hpp"

#include <dirent.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "runtime/io.hpp"

namespace burrow::manager {
namespace {

struct Stat {
    pid_t ppid = 0;
    uint64_t ticks = 0;
    uint64_t rss_pages = 0;
};

// /proc/PID/stat: the command name (field 2) may hold spaces and ")": the
// fields after it are counted from the last ")".
bool read_stat(pid_t pid, Stat& s) {
    std::string text, why;
    if (read_regular_file("/proc/" + std::to_string(pid) + "/stat", 4096, text, why) !=
        ReadFileError::none)
        return false;
    const size_t close = text.rfind(')');
    if (close == std::string::npos) return false;
    std::vector<std::string> f;
    size_t i = close + 2;
    while (i < text.size()) {
        const size_t sp = text.find(' ', i);
        f.push_back(text.substr(i, sp == std::string::npos ? std::string::npos : sp - i));
        if (sp == std::string::npos) break;
        i = sp + 1;
    }
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
    if (f.size() < 22) return false;
    s.ppid = static_cast<pid_t>(std::strtol(f[1].c_str(), nullptr, 10));
    s.ticks = std::strtoull(f[11].c_str(), nullptr, 10) + std::strtoull(f[12].c_str(), nullptr, 10);
    s.rss_pages = std::strtoull(f[21].c_str(), nullptr, 10);
    return true;
}

} // namespace

TreeUsage tree_usage(pid_t root) {
    TreeUsage u;
    if (root <= 0) return u;
    std::map<pid_t, Stat> all;
    if (DIR* d = ::opendir("/proc")) {
        while (struct dirent* de = ::readdir(d)) {
            char* end = nullptr;
            const long pid = std::strtol(de->d_name, &end, 10);
            if (pid <= 0 || *end) continue;
            Stat s;
            if (read_stat(static_cast<pid_t>(pid), s)) all[static_cast<pid_t>(pid)] = s;
        }
        ::closedir(d);
    }
    if (!all.count(root)) return u;
    std::multimap<pid_t, pid_t> children;
    for (const auto& [pid, s] : all) children.emplace(s.ppid, pid);
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        const pid_t p = todo.back();
        todo.pop_back();
        const Stat& s = all[p];
        ++u.pids;
        u.cpu_seconds += static_cast<double>(s.ticks) / hz;
        u.memory_bytes += s.rss_pages * page;
        auto [a, b] = children.equal_range(p);
        for (auto it = a; it != b; ++it) todo.push_back(it->second);
    }
    return u;
}

nlohmann::json system_metrics() {
    nlohmann::json j;
    double load[3] = {0, 0, 0};
    ::getloadavg(load, 3);
    j["load"] = {load[0], load[1], load[2]};
    j["cpus"] = ::sysconf(_SC_NPROCESSORS_ONLN);
    struct sysinfo si {};
    ::sysinfo(&si);
    j["uptime"] = si.uptime;
    j["memory_total"] = static_cast<uint64_t>(si.totalram) * si.mem_unit;
    // MemAvailable (what new work can get) rather than sysinfo's freeram.
    std::string text, why;
    uint64_t avail = static_cast<uint64_t>(si.freeram) * si.mem_unit;
    if (read_regular_file("/proc/meminfo", 1 << 16, text, why) == ReadFileError::none)
        if (const size_t p = text.find("MemAvailable:"); p != std::string::npos)
            avail = std::strtoull(text.c_str() + p + 13, nullptr, 10) * 1024;
    j["memory_available"] = avail;
    return j;
}

} // namespace burrow::manager
