#include "launcher/vm/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "launcher/vm/kernel.hpp"
#include "runtime/fd.hpp"

namespace burrow::vm {
namespace {

void remove_at(int parent, const char* name) {
    if (::unlinkat(parent, name, 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) return;
    Fd dfd(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dfd) return;
    DIR* d = ::fdopendir(::fcntl(dfd.get(), F_DUPFD_CLOEXEC, 0));
    if (!d) return;
    while (dirent* e = ::readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        remove_at(dfd.get(), e->d_name);
    }
    ::closedir(d);
    ::unlinkat(parent, name, AT_REMOVEDIR);
}

} // namespace

void make_private_dirs(const std::string& path) {
    for (size_t i = 1; i <= path.size(); ++i) {
        if (i != path.size() && path[i] != '/') continue;
        std::string p = path.substr(0, i);
        if (::mkdir(p.c_str(), 0700) < 0 && errno != EEXIST)
            throw VmError(p + ": " + std::strerror(errno));
    }
}

std::string make_launch_dir(const std::string& run_dir) {
    std::string t = run_dir + "/vm-" + std::to_string(::getpid()) + "-XXXXXX";
    if (!::mkdtemp(t.data())) throw VmError(run_dir + ": " + std::strerror(errno));
    return t;
}

void remove_stale_launch_dirs(const std::string& run_dir) {
    DIR* d = ::opendir(run_dir.c_str());
    if (!d) return;
    while (dirent* e = ::readdir(d)) {
        if (std::strncmp(e->d_name, "vm-", 3) != 0) continue;
        char* end = nullptr;
        long pid = std::strtol(e->d_name + 3, &end, 10);
        if (pid <= 0 || !end || *end != '-') continue;
        if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
        remove_tree(run_dir + "/" + e->d_name);
    }
    ::closedir(d);
}

void remove_tree(const std::string& path) {
    size_t slash = path.rfind('/');
    std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    Fd p(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (p) remove_at(p.get(), path.c_str() + slash + 1);
}

} // namespace burrow::vm
