#include "launcher/manager/seed_api.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <sstream>
#include <vector>

#include "runtime/io.hpp"

namespace burrow::manager::seed {

bool is_seed_path(const std::string& path) {
    return path.rfind("/api/", 0) == 0 && path.rfind("/api/v1/", 0) != 0;
}

namespace {

std::string rfc3339(int64_t t) {
    const time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

uint64_t u64(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>()
           : it != j.end() && it->is_number_integer() && it->get<int64_t>() > 0
               ? static_cast<uint64_t>(it->get<int64_t>())
               : 0;
}

} // namespace

ojson sandbox(const ojson& ours, bool stop_requested) {
    const std::string status = ours.value("status", "");
    std::string s = "running";
    if (status == "exited") {
        const bool clean = ours.contains("exit_status") && ours["exit_status"].is_number() &&
                           ours["exit_status"].get<int>() == 0;
        s = stop_requested || clean ? "stopped" : "dead";
    }
    const std::string backend = ours.value("backend", "");
    const auto& net = ours.contains("network") ? ours["network"] : ojson(nullptr);
    ojson j;
    j["id"] = ours.value("id", "");
    j["name"] = ours.value("name", "");
    j["backend"] = backend == "namespace" ? "bubblewrap" : backend;
    j["project_dir"] = ours.value("project_dir", "");
    j["status"] = s;
    j["display_num"] = nullptr;
    j["tmux_session"] = nullptr;
    j["pid_xvfb"] = nullptr;
    j["qemu_qmp_socket"] = nullptr;
    j["network"] = !(net.is_string() && net.get<std::string>() == "none");
    j["created_at"] = rfc3339(ours.value("created", int64_t{0}));
    return j;
}

nlohmann::json create_body(const nlohmann::json& seed_body) {
    if (!seed_body.is_object()) return seed_body; // burrow's parser says what is wrong
    nlohmann::json j = seed_body;
    if (auto it = j.find("backend"); it != j.end() && it->is_string() && *it == "bubblewrap")
        *it = "namespace";
    if (auto it = j.find("network"); it != j.end() && it->is_boolean()) {
        if (it->get<bool>())
            j.erase(it); // the backend's default network
        else
            *it = "none";
    }
    return j;
}

ojson claude_metrics(const nlohmann::json& agent) {
    ojson j;
    j["input_tokens"] = u64(agent, "input_tokens");
    j["output_tokens"] = u64(agent, "output_tokens");
    j["cache_creation_tokens"] = u64(agent, "cache_write_tokens");
    j["cache_read_tokens"] = u64(agent, "cache_read_tokens");
    j["message_count"] = u64(agent, "assistant_turns");
    j["tool_use_count"] = u64(agent, "tool_calls");
    return j;
}

ojson system_metrics(const nlohmann::json& ours) {
    ojson j;
    double cpu = 0;
    if (ours.contains("load") && ours["load"].is_array() && !ours["load"].empty()) {
        const double cpus = std::max<double>(1, static_cast<double>(u64(ours, "cpus")));
        cpu = std::min(100.0, ours["load"][0].get<double>() / cpus * 100.0);
    }
    j["cpu_usage"] = cpu;
    const uint64_t total = u64(ours, "memory_total");
    j["memory_used"] = total - std::min(total, u64(ours, "memory_available"));
    j["memory_total"] = total;
    struct statvfs vfs {};
    uint64_t disk_total = 0, disk_used = 0;
    if (::statvfs("/", &vfs) == 0) {
        disk_total = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
        disk_used = disk_total - static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    }
    j["disk_used"] = disk_used;
    j["disk_total"] = disk_total;
    uint64_t rx = 0, tx = 0;
    std::string text, why;
    if (read_regular_file("/proc/net/dev", 1 << 20, text, why) == ReadFileError::none) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            const size_t colon = line.find(':');
            if (colon == std::string::npos) continue; // the two header lines
            std::string name = line.substr(0, colon);
            name.erase(0, name.find_first_not_of(' '));
            if (name == "lo") continue;
            std::istringstream f(line.substr(colon + 1));
            uint64_t v[9] = {};
            for (auto& x : v) f >> x;
            rx += v[0]; // bytes received
            tx += v[8]; // bytes transmitted
        }
    }
    j["net_rx_bytes"] = rx;
    j["net_tx_bytes"] = tx;
    return j;
}

uint64_t backlog_offset(int fd, int lines) {
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end <= 0 || lines <= 0) return end > 0 ? static_cast<uint64_t>(end) : 0;
    constexpr off_t kMaxBack = 1 << 20;
    std::vector<char> buf(64 * 1024);
    off_t pos = end;
    int seen = 0;
    // The log's last byte is usually the newline ending its last line: that
    // one does not start a line.
    bool first = true;
    while (pos > 0 && end - pos < kMaxBack) {
        const off_t len = std::min<off_t>(pos, static_cast<off_t>(buf.size()));
        pos -= len;
        const ssize_t n = ::pread(fd, buf.data(), static_cast<size_t>(len), pos);
        if (n != len) return static_cast<uint64_t>(end);
        for (off_t i = len - 1; i >= 0; --i) {
            if (buf[static_cast<size_t>(i)] != '\n') {
                first = false;
                continue;
            }
            if (first) {
                first = false;
                continue;
            }
            if (++seen == lines) return static_cast<uint64_t>(pos + i + 1);
        }
    }
    return static_cast<uint64_t>(pos);
}

std::string utf8_text(std::string& carry, const char* data, size_t n) {
    std::string in = carry + std::string(data, n);
    carry.clear();
    std::string out;
    out.reserve(in.size());
    size_t i = 0;
    while (i < in.size()) {
        const auto c = static_cast<unsigned char>(in[i]);
        size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
        if (len == 0) {
            out += "\xef\xbf\xbd";
            ++i;
            continue;
        }
        if (i + len > in.size()) {
            // Possibly completed by the next chunk.
            bool prefix_ok = true;
            for (size_t k = i + 1; k < in.size(); ++k)
                if ((static_cast<unsigned char>(in[k]) & 0xc0) != 0x80) prefix_ok = false;
            if (prefix_ok) {
                carry = in.substr(i);
                break;
            }
        }
        bool ok = i + len <= in.size();
        for (size_t k = 1; ok && k < len; ++k)
            if ((static_cast<unsigned char>(in[i + k]) & 0xc0) != 0x80) ok = false;
        if (ok && len > 1) {
            // Overlong forms, surrogates and code points above U+10FFFF.
            uint32_t cp = c & (0x7f >> len);
            for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (in[i + k] & 0x3f);
            static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
            if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) ok = false;
        }
        if (!ok) {
            out += "\xef\xbf\xbd";
            ++i;
            continue;
        }
        out.append(in, i, len);
        i += len;
    }
    return out;
}

} // namespace burrow::manager::seed
