#include "launcher/container/root.hpp"
#include "runtime/io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

namespace burrow::container {

namespace {

std::string errstr(const std::string& what, int err = errno) {
    return what + ": " + std::strerror(err);
}

void warn(const std::string& msg) {
    std::fprintf(stderr, "burrow: launch: %s\n", msg.c_str());
}

// Removes everything inside the directory `dfd` (on device `dev`).
bool empty_dir(int dfd, dev_t dev, const std::string& path) {
    int dup_fd = ::fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return warn(errstr("cannot read " + path)), false;
    DIR* d = ::fdopendir(dup_fd);
    if (!d) {
        ::close(dup_fd);
        return warn(errstr("cannot read " + path)), false;
    }
    bool ok = true;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st {};
        if (::fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            ok = false;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) {
                // A mount point: leave it (and what is under it) alone.
                warn("not removing " + path + "/" + n + ": another filesystem is mounted there");
                ok = false;
                continue;
            }
            Fd sub(::openat(dfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub || !empty_dir(sub.get(), dev, path + "/" + n)) {
                ok = false;
                continue;
            }
            if (::unlinkat(dfd, n.c_str(), AT_REMOVEDIR) < 0) {
                warn(errstr("cannot remove " + path + "/" + n));
                ok = false;
            }
        } else if (::unlinkat(dfd, n.c_str(), 0) < 0) {
            warn(errstr("cannot remove " + path + "/" + n));
            ok = false;
        }
    }
    ::closedir(d);
    return ok;
}

std::string random_hex(size_t bytes) {
    unsigned char b[32];
    if (bytes > sizeof b || ::getrandom(b, bytes, 0) != static_cast<ssize_t>(bytes))
        throw std::runtime_error(errstr("getrandom"));
    static const char hex[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < bytes; ++i) s += hex[b[i] >> 4], s += hex[b[i] & 15];
    return s;
}

std::string read_all(int dfd, const char* name) {
    Fd fd(::openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) return {};
    // Capped: /proc/PID/environ of a container process is the payload's to
    // make as large as it likes.
    std::string out;
    (void)read_fd_to_end(fd.get(), out, 256 << 10); // what was read, also on EFBIG
    if (out.size() > (256 << 10)) out.resize(256 << 10);
    return out;
}

void make_dir(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) < 0) throw std::runtime_error(errstr("cannot create " + path));
    // mkdir's mode went through the umask.
    if (::chmod(path.c_str(), mode) < 0) throw std::runtime_error(errstr("cannot chmod " + path));
}

void ensure_private_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST)
        throw std::runtime_error(errstr("cannot create " + path));
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) throw std::runtime_error(errstr("cannot stat " + path));
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0)
        throw std::runtime_error(path + ": not a directory owned by root with mode 0700");
}

} // namespace

int kill_container(const std::string& uuid) {
    if (uuid.size() != 32 || uuid.find_first_not_of("0123456789abcdef") != std::string::npos)
        return 0;
    const std::string nul(1, '\0');
    const std::string needle1 = nul + "container_uuid=" + uuid + nul;
    const std::string needle2 = nul + "BURROW_CONTAINER_UUID=" + uuid + nul;
    // A booted init (--system) has nspawn's environment for pid 1, where
    // the UUID is written with dashes (8-4-4-4-12).
    const std::string needle3 = nul + "container_uuid=" + uuid.substr(0, 8) + "-" +
                                uuid.substr(8, 4) + "-" + uuid.substr(12, 4) + "-" +
                                uuid.substr(16, 4) + "-" + uuid.substr(20) + nul;
    Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    int dup_fd = proc ? ::fcntl(proc.get(), F_DUPFD_CLOEXEC, 0) : -1;
    DIR* d = dup_fd < 0 ? nullptr : ::fdopendir(dup_fd);
    if (!d) {
        if (dup_fd >= 0) ::close(dup_fd);
        return 0;
    }
    int n = 0;
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        std::string path = std::string(e->d_name) + "/environ";
        std::string env = nul + read_all(proc.get(), path.c_str());
        // nspawn's stub pid 1 replaces its environment block by container=
        // and container_uuid= when it may (CAP_SYS_RESOURCE); otherwise it
        // still shows nspawn's, which burrow gave BURROW_CONTAINER_UUID.
        if (env.find(needle1) == std::string::npos && env.find(needle2) == std::string::npos &&
            env.find(needle3) == std::string::npos)
            continue;
        pid_t pid = static_cast<pid_t>(std::stol(e->d_name));
        if (::kill(pid, SIGKILL) == 0) ++n;
    }
    ::closedir(d);
    return n;
}

bool remove_tree(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return true;
        warn(errstr("cannot open " + path));
        return false;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) return warn(errstr("cannot stat " + path)), false;
    if (!empty_dir(fd.get(), st.st_dev, path)) return false;
    fd.reset();
    if (::rmdir(path.c_str()) < 0) return warn(errstr("cannot remove " + path)), false;
    return true;
}

void write_new_file(const std::string& path, const std::string& data, unsigned mode) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) throw std::runtime_error(errstr("cannot create " + path));
    if (write_all(fd.get(), data) != 0) throw std::runtime_error(errstr("cannot write " + path));
    if (::fchmod(fd.get(), mode) < 0) throw std::runtime_error(errstr("cannot chmod " + path));
}

void make_dirs_under(const std::string& root, const std::string& rel) {
    std::string cur = root;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos);
        if (next == std::string::npos) next = rel.size();
        std::string part = rel.substr(pos, next - pos);
        pos = next + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") throw std::runtime_error("path with '..': " + rel);
        cur += "/" + part;
        struct stat st {};
        if (::lstat(cur.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                throw std::runtime_error(cur + ": exists and is not a directory");
            continue;
        }
        if (::mkdir(cur.c_str(), 0755) < 0 && errno != EEXIST)
            throw std::runtime_error(errstr("cannot create " + cur));
    }
}

int clean_leftovers(const std::string& base) {
    Fd bfd(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!bfd) return 0;
    int dup_fd = ::fcntl(bfd.get(), F_DUPFD_CLOEXEC, 0);
    DIR* d = dup_fd < 0 ? nullptr : ::fdopendir(dup_fd);
    if (!d) {
        if (dup_fd >= 0) ::close(dup_fd);
        return 0;
    }
    int removed = 0;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        Fd lock(::openat(bfd.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!lock) continue;
        // Held by a running burrow: its launch, not ours to touch.
        if (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) continue;
        // An entry without status/ may be one another burrow is creating
        // (between its mkdir and its flock): only an old one is a leftover.
        struct stat st {};
        if (::fstatat(lock.get(), "status", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
            (::fstat(lock.get(), &st) < 0 || st.st_ctime > ::time(nullptr) - 60))
            continue;
        // The launch's burrow (and its reaper) died: its container may not have.
        std::string uuid = read_all(lock.get(), "uuid");
        for (int i = 0; i < 50 && kill_container(uuid) > 0; ++i) ::usleep(20000);
        if (remove_tree(base + "/" + n)) ++removed;
        ::rmdir(("/run/systemd/nspawn/propagate/" + n).c_str());
    }
    ::closedir(d);
    return removed;
}

Instance::Instance(const std::string& base) : base_(base) {
    // /run/burrow then /run/burrow/container, both root-only.
    auto slash = base.rfind('/');
    if (slash != std::string::npos && slash > 0) ensure_private_dir(base.substr(0, slash));
    ensure_private_dir(base);
    for (int attempt = 0;; ++attempt) {
        name_ = "burrow-" + random_hex(6);
        if (::mkdir(dir().c_str(), 0700) == 0) break;
        if (errno != EEXIST || attempt > 8)
            throw std::runtime_error(errstr("cannot create " + dir()));
    }
    lock_ = Fd(::open(dir().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!lock_ || ::flock(lock_.get(), LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        ::rmdir(dir().c_str());
        throw std::runtime_error(errstr("cannot lock " + dir(), err));
    }
    try {
        make_dir(root(), 0755);
        make_dir(meta(), 0755);
        uuid_ = random_hex(16);
        write_new_file(dir() + "/uuid", uuid_, 0600);
        make_dir(status(), 0700);
    } catch (...) {
        remove_tree(dir());
        throw;
    }
}

Instance::~Instance() {
    remove_tree(dir());
    // nspawn makes /run/systemd/nspawn/propagate/<machine> and cannot remove
    // it itself when /run is not a tmpfs (it refuses to rm -rf on a disk).
    ::rmdir(("/run/systemd/nspawn/propagate/" + name_).c_str());
}

} // namespace burrow::container
