#include "runtime/egress/culprit.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "runtime/fd.hpp"
#include "runtime/io.hpp"

namespace burrow::egress {

namespace {

constexpr std::size_t kTableLimit = 4 << 20;

// What of path fits in limit (a bigger table is judged on its start).
std::string read_small(const std::string& path, std::size_t limit) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    std::string out;
    if (fd) (void)read_fd_to_end(fd.get(), out, limit);
    return out;
}

std::string link_of(const std::string& path) {
    char buf[128];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

uint16_t hex_port(const std::string& addr) {
    const auto colon = addr.rfind(':');
    if (colon == std::string::npos) return 0;
    return static_cast<uint16_t>(std::strtoul(addr.c_str() + colon + 1, nullptr, 16));
}

// The inode of the socket bound to local_port (and sending to remote_port).
std::string socket_inode(pid_t pid, bool udp, uint16_t local_port, uint16_t remote_port) {
    const std::string base = "/proc/" + std::to_string(pid) + "/net/";
    static const char* const udp_tables[] = {"udp", "udp6"};
    static const char* const tcp_tables[] = {"tcp", "tcp6"};
    for (const char* table : udp ? udp_tables : tcp_tables) {
        std::istringstream in(read_small(base + table, kTableLimit));
        std::string line;
        std::getline(in, line); // the header
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
            if (!(f >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >>
                  inode))
                continue;
            if (hex_port(local) == local_port &&
                (remote_port == 0 || hex_port(remote) == remote_port) && inode != "0")
                return inode;
        }
    }
    return {};
}

} // namespace

Culprit find_culprit(pid_t sandbox_pid, const std::string& netns, bool udp, uint16_t local_port,
                     uint16_t remote_port) {
    Culprit c;
    const std::string inode = socket_inode(sandbox_pid, udp, local_port, remote_port);
    if (inode.empty()) return c;
    const std::string want = "socket:[" + inode + "]";
    if (netns.empty()) return c;
    DIR* proc = ::opendir("/proc");
    if (!proc) return c;
    while (dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end) continue;
        const std::string dir = std::string("/proc/") + e->d_name;
        if (link_of(dir + "/ns/net") != netns) continue;
        DIR* fds = ::opendir((dir + "/fd").c_str());
        if (!fds) continue;
        bool found = false;
        while (dirent* f = ::readdir(fds))
            if (f->d_name[0] != '.' && link_of(dir + "/fd/" + f->d_name) == want) {
                found = true;
                break;
            }
        ::closedir(fds);
        if (found) {
            c.pid = static_cast<pid_t>(pid);
            c.comm = read_small(dir + "/comm", 64);
            while (!c.comm.empty() && c.comm.back() == '\n') c.comm.pop_back();
            break;
        }
    }
    ::closedir(proc);
    return c;
}

} // namespace burrow::egress
