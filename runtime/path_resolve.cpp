#include "runtime/path_resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "runtime/mount_api.hpp"

namespace burrow::inroot {

namespace {

std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view c = path.substr(i, j - i);
        if (!c.empty() && c != ".") out.emplace_back(c);
        i = j + 1;
    }
    return out;
}

bool g_no_openat2 = false;

void append(std::string& path, const std::string& comp) {
    if (!path.empty()) path.push_back('/');
    path.append(comp);
}

// The pre-5.6 fallback: walk one component at a time with O_NOFOLLOW,
// expanding symlinks ourselves. ".." pops our own stack of directory fds, so
// it can never climb above root_fd, whatever the filesystem says.
int walk(int root_fd, std::string_view path, int flags, mode_t mode) {
    std::deque<std::string> todo;
    for (auto& c : split(path)) todo.push_back(std::move(c));
    std::vector<Fd> stack;
    int links = 0;
    auto cur = [&] { return stack.empty() ? root_fd : stack.back().get(); };
    while (!todo.empty()) {
        std::string name = std::move(todo.front());
        todo.pop_front();
        if (name == "..") {
            if (!stack.empty()) stack.pop_back();
            continue;
        }
        const bool last = todo.empty();
        int fd = ::openat(cur(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (last && errno == ENOENT && (flags & O_CREAT))
                return ::openat(cur(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
            return -1;
        }
        Fd f(fd);
        struct stat st;
        if (::fstat(f.get(), &st) < 0) return -1;
        if (S_ISLNK(st.st_mode)) {
            if (++links > 40) {
                errno = ELOOP;
                return -1;
            }
            char buf[4096];
            ssize_t n = ::readlinkat(f.get(), "", buf, sizeof buf);
            if (n < 0) return -1;
            std::string_view target(buf, static_cast<size_t>(n));
            if (!target.empty() && target[0] == '/') stack.clear();
            auto parts = split(target);
            todo.insert(todo.begin(), parts.begin(), parts.end());
            continue;
        }
        if (last) {
            if ((flags & O_PATH) && !(flags & O_DIRECTORY)) return f.release();
            if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
            }
            // Reopen with the real flags; O_NOFOLLOW fails closed if the name
            // was swapped for a symlink in between.
            return ::openat(cur(), name.c_str(), (flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC);
        }
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        stack.push_back(std::move(f));
    }
    return ::openat(cur(), ".", (flags & ~O_CREAT) | O_CLOEXEC);
}

} // namespace

void force_userspace_walk(bool on) {
    g_no_openat2 = on;
}

std::string normalize(std::string_view path) {
    std::string out;
    for (const auto& c : split(path)) append(out, c);
    return out.empty() ? std::string(".") : out;
}

int open(int root_fd, std::string_view path, int flags, mode_t mode) {
    std::string rel = normalize(path);
    if (!g_no_openat2) {
        int fd = mountapi::openat2(root_fd, rel.c_str(), flags | O_CLOEXEC, mode,
                                   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd >= 0 || errno != ENOSYS) return fd;
        g_no_openat2 = true;
    }
    return walk(root_fd, rel, flags, mode);
}

bool make_parents(int root_fd, std::string_view path, mode_t mode, Parent& out) {
    auto comps = split(path);
    if (comps.empty()) {
        out.dir = Fd(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        out.name.assign(1, '.');
        return out.dir.valid();
    }
    out.name = comps.back();
    comps.pop_back();
    std::string prefix;
    for (const auto& c : comps) append(prefix, c);
    // Fast path: the parent usually exists already.
    Fd dir(open(root_fd, prefix, O_PATH | O_DIRECTORY));
    if (dir) {
        out.dir = std::move(dir);
        return true;
    }
    if (errno != ENOENT) return false;
    // Slow path: resolve each prefix in-root and create what is missing in
    // the directory its parent resolved to.
    Fd parent(::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent) return false;
    prefix.clear();
    for (const auto& c : comps) {
        append(prefix, c);
        Fd next(open(root_fd, prefix, O_PATH | O_DIRECTORY));
        if (!next && errno == ENOENT) {
            if (::mkdirat(parent.get(), c.c_str(), mode) < 0 && errno != EEXIST) return false;
            next = Fd(open(root_fd, prefix, O_PATH | O_DIRECTORY));
        }
        if (!next) return false;
        parent = std::move(next);
    }
    out.dir = std::move(parent);
    return true;
}

} // namespace burrow::inroot
