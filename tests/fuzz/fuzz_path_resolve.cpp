// libFuzzer target: path resolution inside a root (runtime/path_resolve:
// inroot::open, inroot::make_parents), both with openat2(RESOLVE_IN_ROOT)
// and with the userspace walk used on kernels before 5.6.
//
// Input: lines, each one operation on a fresh root directory (a new one
// per input, below a private temporary directory):
//   d PATH         make_parents(PATH) then mkdirat() of its last component
//   l PATH TARGET  make_parents(PATH) then symlinkat(TARGET) (any target:
//                  absolute, "..", loops, dangling)
//   f PATH         inroot::open(PATH, O_CREAT|O_WRONLY)
//   o PATH         resolve PATH with O_PATH, O_PATH|O_DIRECTORY and
//                  O_RDONLY|O_NONBLOCK
// A lower-case letter uses openat2, an upper-case one the userspace walk.
//
// Invariants: every fd either resolver returns names something inside the
// root (checked on /proc/self/fd); for 'o' both resolvers agree (same
// inode, or the same errno); nothing appears in the temporary directory
// beside the root; no fd leaks. Before anything is created, every prefix
// of the path is resolved and checked, so a resolver bug is reported
// before it can create a file outside the root.
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/path_resolve.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace inroot = burrow::inroot;

namespace {

constexpr std::size_t kMaxOps = 32;

struct Base {
    std::string path;
    Base() {
        const char* t = std::getenv("TMPDIR");
        std::string tmpl = std::string(t && *t ? t : "/tmp") + "/burrow-fuzz-path.XXXXXX";
        if (!::mkdtemp(tmpl.data())) fuzz::fail(std::string("mkdtemp: ") + std::strerror(errno));
        char real[PATH_MAX];
        if (!::realpath(tmpl.c_str(), real)) fuzz::fail("realpath " + tmpl);
        path = real;
        // A decoy next to the root: "../outside/secret" from the root's top
        // must never reach it.
        ::mkdir((path + "/outside").c_str(), 0755);
        FILE* f = std::fopen((path + "/outside/secret").c_str(), "we");
        if (f) std::fclose(f);
    }
    ~Base() { remove_tree(path); }

    static void remove_tree(const std::string& p) {
        ::nftw(
            p.c_str(),
            [](const char* f, const struct stat*, int type, struct FTW*) {
                (type == FTW_DP) ? ::rmdir(f) : ::unlink(f);
                return 0;
            },
            16, FTW_DEPTH | FTW_PHYS);
    }
};

const Base& base() {
    static Base b;
    return b;
}

std::string root_path() {
    return base().path + "/root";
}

void check_in_root(int fd, const std::string& what) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char buf[PATH_MAX + 1];
    const ssize_t n = ::readlink(link, buf, PATH_MAX);
    if (n < 0) fuzz::fail("readlink " + std::string(link) + ": " + std::strerror(errno));
    const std::string got(buf, static_cast<std::size_t>(n));
    const std::string root = root_path();
    if (got != root && !got.starts_with(root + "/"))
        fuzz::fail(what + " resolved outside the root: " + got);
}

struct Result {
    int err = 0;
    dev_t dev = 0;
    ino_t ino = 0;
};

Result resolve(int root_fd, const std::string& path, int flags, bool walk, const std::string& op) {
    inroot::force_userspace_walk(walk);
    Result r;
    burrow::Fd fd(inroot::open(root_fd, path, flags));
    if (!fd) {
        r.err = errno;
        return r;
    }
    check_in_root(fd.get(), op + " " + path + (walk ? " (walk)" : " (openat2)"));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fuzz::fail("fstat");
    r.dev = st.st_dev;
    r.ino = st.st_ino;
    return r;
}

// Every prefix of path (and path itself), by both resolvers, checked.
void preflight(int root_fd, const std::string& path, const std::string& op) {
    const std::string norm = inroot::normalize(path);
    std::size_t at = 0;
    for (;;) {
        const std::size_t slash = norm.find('/', at);
        const std::string prefix = norm.substr(0, slash);
        for (bool walk : {false, true}) (void)resolve(root_fd, prefix, O_PATH, walk, op);
        if (slash == std::string::npos) break;
        at = slash + 1;
    }
}

void compare(int root_fd, const std::string& path) {
    for (int flags : {O_PATH, O_PATH | O_DIRECTORY, O_RDONLY | O_NONBLOCK}) {
        const Result a = resolve(root_fd, path, flags, false, "o");
        const Result b = resolve(root_fd, path, flags, true, "o");
        if (a.err != b.err || a.dev != b.dev || a.ino != b.ino)
            fuzz::fail("resolvers disagree on \"" + path + "\" (flags " + std::to_string(flags) +
                       "): openat2 " + (a.err ? std::strerror(a.err) : "ok") + " ino " +
                       std::to_string(a.ino) + ", walk " + (b.err ? std::strerror(b.err) : "ok") +
                       " ino " + std::to_string(b.ino));
    }
}

void run_op(int root_fd, char op, const std::string& arg1, const std::string& arg2) {
    const bool walk = op >= 'A' && op <= 'Z';
    const char kind = static_cast<char>(walk ? op - 'A' + 'a' : op);
    const std::string what(1, op);
    switch (kind) {
    case 'd':
    case 'l': {
        preflight(root_fd, arg1, what);
        inroot::force_userspace_walk(walk);
        inroot::Parent parent;
        if (!inroot::make_parents(root_fd, arg1, 0755, parent)) return;
        check_in_root(parent.dir.get(), what + " parent of " + arg1);
        if (kind == 'd')
            (void)::mkdirat(parent.dir.get(), parent.name.c_str(), 0755);
        else
            (void)::symlinkat(arg2.c_str(), parent.dir.get(), parent.name.c_str());
        return;
    }
    case 'f': {
        preflight(root_fd, arg1, what);
        inroot::force_userspace_walk(walk);
        burrow::Fd fd(inroot::open(root_fd, arg1, O_CREAT | O_WRONLY | O_NONBLOCK, 0644));
        if (fd) check_in_root(fd.get(), what + " " + arg1);
        return;
    }
    case 'o':
        compare(root_fd, arg1);
        return;
    default:
        return;
    }
}

// Only the root and the decoy may exist in the temporary directory, and
// the decoy must be untouched.
void check_base() {
    DIR* d = ::opendir(base().path.c_str());
    if (!d) fuzz::fail("opendir " + base().path);
    while (const dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != ".." && n != "root" && n != "outside")
            fuzz::fail("created outside the root: " + base().path + "/" + n);
    }
    ::closedir(d);
    struct stat st;
    if (::stat((base().path + "/outside").c_str(), &st) != 0 || st.st_nlink != 2)
        fuzz::fail("the decoy directory next to the root was changed");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string root = root_path();
    Base::remove_tree(root);
    if (::mkdir(root.c_str(), 0755) != 0) fuzz::fail("mkdir " + root + ": " + std::strerror(errno));
    {
        fuzz::FdLeakCheck leaks;
        burrow::Fd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root_fd) fuzz::fail("open " + root);
        std::string_view in = fuzz::as_text(data, size);
        std::size_t ops = 0;
        while (!in.empty() && ops++ < kMaxOps) {
            std::size_t nl = in.find('\n');
            std::string_view line = in.substr(0, nl);
            in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
            if (line.size() < 2 || line.find('\0') != std::string_view::npos) continue;
            const char op = line[0];
            line.remove_prefix(2);
            const std::size_t sp = line.find(' ');
            const std::string a1(line.substr(0, sp));
            const std::string a2(sp == std::string_view::npos ? "" : line.substr(sp + 1));
            // Paths past PATH_MAX get ENAMETOOLONG from openat2 but not
            // necessarily from the walk, which sees one component at a time.
            if (a1.size() >= 4000) continue;
            run_op(root_fd.get(), op, a1, a2);
        }
        inroot::force_userspace_walk(false);
    }
    check_base();
    return 0;
}
