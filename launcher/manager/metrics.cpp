#include "launcher/manager/metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/io.hpp"
#include "runtime/mount_api.hpp"

namespace burrow::manager {
namespace {

using burrow::mountapi::openat2;

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

nlohmann::json agent_usage(const std::string& agent_dir, const std::string& project_dir) {
    std::string slug = project_dir;
    for (char& c : slug)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
    Fd root(::open(agent_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) return nlohmann::json::object();
    const std::string rel = "projects/" + slug;
    Fd dir(openat2(root.get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                   RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS));
    if (!dir) return nlohmann::json::object();
    Fd listing(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = listing ? ::fdopendir(listing.release()) : nullptr;
    if (!d) return nlohmann::json::object();
    uint64_t in = 0, out = 0, cache_read = 0, cache_write = 0, tools = 0, turns = 0;
    unsigned files = 0;
    std::size_t budget = 64u << 20;
    while (struct dirent* de = ::readdir(d)) {
        const std::string n = de->d_name;
        if (n.size() < 7 || !n.ends_with(".jsonl") || files >= 200 || budget == 0) continue;
        Fd f(::openat(dir.get(), n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        struct stat st {};
        if (!f || ::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
            continue;
        std::string text;
        // A file over the budget is read up to it (EFBIG keeps what came).
        read_fd_to_end(f.get(), text, budget);
        if (text.size() > budget) text.resize(budget);
        budget -= text.size();
        ++files;
        size_t i = 0;
        while (i < text.size()) {
            size_t end = text.find('\n', i);
            if (end == std::string::npos) end = text.size();
            const auto j = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(i),
                                                 text.begin() + static_cast<std::ptrdiff_t>(end),
                                                 nullptr, false);
            i = end + 1;
            if (!j.is_object() || j.value("type", "") != "assistant") continue;
            const auto m = j.find("message");
            if (m == j.end() || !m->is_object()) continue;
            ++turns;
            auto num = [](const nlohmann::json& o, const char* k) -> uint64_t {
                const auto v = o.find(k);
                return v != o.end() && v->is_number_unsigned() ? v->get<uint64_t>() : 0;
            };
            if (const auto u = m->find("usage"); u != m->end() && u->is_object()) {
                in += num(*u, "input_tokens");
                out += num(*u, "output_tokens");
                cache_read += num(*u, "cache_read_input_tokens");
                cache_write += num(*u, "cache_creation_input_tokens");
            }
            if (const auto c = m->find("content"); c != m->end() && c->is_array())
                for (const auto& part : *c)
                    if (part.is_object() && part.value("type", "") == "tool_use") ++tools;
        }
    }
    ::closedir(d);
    if (files == 0) return nlohmann::json::object();
    return {{"transcripts", files},
            {"assistant_turns", turns},
            {"input_tokens", in},
            {"output_tokens", out},
            {"cache_read_tokens", cache_read},
            {"cache_write_tokens", cache_write},
            {"tool_calls", tools}};
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
