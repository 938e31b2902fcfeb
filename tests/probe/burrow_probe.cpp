// burrow-probe: the payload of the integration and differential tests.
//
// It prints, in a stable line-oriented text format, what a sandbox looks like
// from inside. Each argument is one command, "name" or "name=arg"; commands
// run in order and each prints "name[ arg]: value" lines. Numbers that differ
// between two correct sandboxes (pids outside a pid namespace, namespace
// inodes, mount ids, devices) are never printed raw: namespace identity is
// compared against host inodes passed on argv, mountinfo is reduced to mount
// point, fs type and the flags the options control.
//
// Statically linked so that it runs in a sandbox where nothing but itself is
// bound.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string err_name(int e) {
    // Symbolic errno names are stable across libcs; strerror text is not needed.
    switch (e) {
    case 0:
        return "OK";
    case EPERM:
        return "EPERM";
    case ENOENT:
        return "ENOENT";
    case EACCES:
        return "EACCES";
    case EEXIST:
        return "EEXIST";
    case ENOTDIR:
        return "ENOTDIR";
    case EISDIR:
        return "EISDIR";
    case EROFS:
        return "EROFS";
    case EBADF:
        return "EBADF";
    case EINVAL:
        return "EINVAL";
    case ELOOP:
        return "ELOOP";
    case ENOSPC:
        return "ENOSPC";
    case ENOSYS:
        return "ENOSYS";
    case ETXTBSY:
        return "ETXTBSY";
    case EXDEV:
        return "EXDEV";
    default:
        return "E" + std::to_string(e);
    }
}

// FNV-1a 64: enough to tell contents apart in a test, no crypto needed.
std::string hash_bytes(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

bool read_file(const std::string& path, std::string& out, int& err) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        return false;
    }
    out.clear();
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    err = 0;
    return true;
}

// Makes arbitrary bytes printable on one line.
std::string escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c >= 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        } else
            out += static_cast<char>(c);
    }
    return out;
}

void line(const std::string& key, const std::string& value) {
    std::printf("%s: %s\n", key.c_str(), value.c_str());
}

std::string status_field(const std::string& name) {
    std::ifstream in("/proc/self/status");
    std::string l;
    while (std::getline(in, l)) {
        if (l.compare(0, name.size() + 1, name + ":") == 0) {
            std::string v = l.substr(name.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    }
    return "absent";
}

std::string type_of(mode_t m) {
    if (S_ISREG(m)) return "file";
    if (S_ISDIR(m)) return "dir";
    if (S_ISLNK(m)) return "symlink";
    if (S_ISCHR(m)) return "chardev";
    if (S_ISBLK(m)) return "blockdev";
    if (S_ISFIFO(m)) return "fifo";
    if (S_ISSOCK(m)) return "socket";
    return "unknown";
}

// "type mode uid gid [-> target | hash size]"
std::string describe(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return "missing " + err_name(errno);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    std::string d = type_of(st.st_mode) + " " + mode + " " + std::to_string(st.st_uid) + " " +
                    std::to_string(st.st_gid);
    if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
        d += " -> " + (n >= 0 ? escape(std::string(buf, static_cast<size_t>(n))) : "?");
    } else if (S_ISREG(st.st_mode)) {
        std::string data;
        int e = 0;
        if (read_file(path, data, e))
            d += " size=" + std::to_string(data.size()) + " hash=" + hash_bytes(data);
        else
            d += " unreadable " + err_name(e);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        d += " rdev=" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    }
    return d;
}

void cmd_ids() {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    line("uid", std::to_string(r) + " " + std::to_string(e) + " " + std::to_string(s));
    line("gid", std::to_string(gr) + " " + std::to_string(ge) + " " + std::to_string(gs));
    std::vector<gid_t> groups(65536);
    int n = getgroups(static_cast<int>(groups.size()), groups.data());
    std::string g;
    for (int i = 0; i < n; ++i)
        g += (i ? " " : "") + std::to_string(groups[static_cast<size_t>(i)]);
    line("groups", g);
}

void cmd_caps() {
    for (const char* f : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        line(f, status_field(f));
}

// "ns=net:4026531840": is our net namespace the one with that host inode?
void cmd_ns(const std::string& arg) {
    auto colon = arg.find(':');
    std::string name = arg.substr(0, colon);
    std::string want = colon == std::string::npos ? "" : arg.substr(colon + 1);
    struct stat st;
    if (::stat(("/proc/self/ns/" + name).c_str(), &st) != 0) {
        line("ns " + name, "unavailable " + err_name(errno));
        return;
    }
    line("ns " + name, std::to_string(st.st_ino) == want ? "host" : "new");
}

void cmd_env() {
    std::vector<std::string> vars;
    for (char** e = environ; *e; ++e) vars.emplace_back(*e);
    std::sort(vars.begin(), vars.end());
    for (const auto& v : vars) line("env", escape(v));
}

void cmd_ls(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        line("ls " + dir, "error " + err_name(errno));
        return;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    line("ls " + dir, std::to_string(names.size()) + " entries");
    for (const auto& n : names) {
        std::string p = dir == "/" ? "/" + n : dir + "/" + n;
        line("  " + p, describe(p));
    }
}

// mountinfo fields: id parent major:minor root mountpoint options [optional...] - fstype
// source superoptions. Only what sandbox options control is kept.
void cmd_mounts(const std::string& prefix) {
    std::ifstream in("/proc/self/mountinfo");
    std::string l;
    while (std::getline(in, l)) {
        std::istringstream ss(l);
        std::string id, parent, dev, root, mp, opts, tok, fstype;
        ss >> id >> parent >> dev >> root >> mp >> opts;
        while (ss >> tok && tok != "-") {
        }
        ss >> fstype;
        if (!prefix.empty() && mp.compare(0, prefix.size(), prefix) != 0) continue;
        std::string flags = opts.find("ro") == 0 ? "ro" : "rw";
        for (const char* f : {"nosuid", "nodev", "noexec"}) {
            if (("," + opts + ",").find(std::string(",") + f + ",") != std::string::npos)
                flags += std::string(",") + f;
        }
        line("mount", mp + " " + fstype + " " + flags);
    }
}

// Really tries to write: access(2) would not see every reason a write fails.
void cmd_writable(const std::string& path) {
    struct stat st;
    std::string result;
    if (::stat(path.c_str(), &st) != 0) {
        result = "missing " + err_name(errno);
    } else if (S_ISDIR(st.st_mode)) {
        std::string tmp = path + "/.burrow-probe-w";
        int fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            result = "yes";
        } else
            result = "no " + err_name(errno);
    } else {
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ::close(fd);
            result = "yes";
        } else
            result = "no " + err_name(errno);
    }
    line("writable " + path, result);
}

void cmd_fds() {
    // Opening the directory adds one fd; leave it out.
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) {
        line("fds", "error " + err_name(errno));
        return;
    }
    int self = ::dirfd(d);
    std::vector<int> fds;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        int fd = std::atoi(e->d_name);
        if (fd != self) fds.push_back(fd);
    }
    ::closedir(d);
    std::sort(fds.begin(), fds.end());
    std::string s;
    for (int fd : fds) s += (s.empty() ? "" : " ") + std::to_string(fd);
    line("fds", s);
}

void cmd_exit_signal(int sig) {
    // The runtime may hand us blocked or ignored signals; make the death real.
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    ::sigaction(sig, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    std::fflush(stdout);
    ::kill(::getpid(), sig);
    ::raise(sig);
    std::_Exit(100);
}

// "mnt=PATH": the mount PATH lies on, seen without /proc (nsfuzz sandboxes
// rarely have one): is PATH the root of a mount, the file system type, and
// whether the mount is read-only.
void cmd_mnt(const std::string& path) {
    struct statfs sf;
    if (::statfs(path.c_str(), &sf) != 0) {
        line("mnt " + path, "error " + err_name(errno));
        return;
    }
    struct statx sx;
    std::string root = "?";
    if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
        (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        root = (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? "yes" : "no";
    std::string fs;
    switch (static_cast<unsigned long>(sf.f_type)) {
    case 0x01021994:
        fs = "tmpfs";
        break;
    case 0x794c7630:
        fs = "overlay";
        break;
    case 0x9fa0:
        fs = "proc";
        break;
    case 0x19800202:
        fs = "mqueue";
        break;
    default: {
        char b[32];
        std::snprintf(b, sizeof b, "0x%lx", static_cast<unsigned long>(sf.f_type));
        fs = b;
    }
    }
    line("mnt " + path, "root=" + root + " fs=" + fs + ((sf.f_flags & ST_RDONLY) ? " ro" : " rw"));
}

// "orphan=NAME": leaves a process behind (a grandchild whose parent has
// exited, named NAME) that only the end of the pid namespace can kill.
void cmd_orphan(const std::string& name) {
    std::fflush(stdout);
    pid_t child = ::fork();
    if (child == 0) {
        if (::fork() == 0) {
            ::prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
            for (int fd = 0; fd < 3; ++fd) ::close(fd);
            for (;;) ::pause();
        }
        std::_Exit(0);
    }
    int ws;
    ::waitpid(child, &ws, 0);
    line("orphan", child > 0 ? "left" : "error " + err_name(errno));
}

void run(const std::string& name, const std::string& arg, bool has_arg, char** argv0) {
    const std::string key = has_arg ? name + " " + arg : name;
    if (name == "ids")
        cmd_ids();
    else if (name == "caps")
        cmd_caps();
    else if (name == "nnp")
        line("NoNewPrivs", status_field("NoNewPrivs"));
    else if (name == "seccomp")
        line("Seccomp", status_field("Seccomp"));
    else if (name == "ns")
        cmd_ns(arg);
    else if (name == "pid") {
        line("pid", std::to_string(::getpid()));
        line("ppid", std::to_string(::getppid()));
    } else if (name == "session") {
        line("session-leader", ::getsid(0) == ::getpid() ? "yes" : "no");
    } else if (name == "hostname") {
        char buf[256] = {};
        ::gethostname(buf, sizeof buf - 1);
        line("hostname", buf);
    } else if (name == "cwd") {
        char buf[4096];
        line("cwd", ::getcwd(buf, sizeof buf) ? buf : "error " + err_name(errno));
    } else if (name == "env")
        cmd_env();
    else if (name == "getenv") {
        const char* v = ::getenv(arg.c_str());
        line(key, v ? escape(v) : "(unset)");
    } else if (name == "argv0")
        line("argv0", escape(*argv0));
    else if (name == "stat")
        line(key, describe(arg));
    else if (name == "ls")
        cmd_ls(arg);
    else if (name == "cat") {
        std::string data;
        int e = 0;
        line(key, read_file(arg, data, e) ? escape(data) : "error " + err_name(e));
    } else if (name == "mounts")
        cmd_mounts(arg);
    else if (name == "mnt")
        cmd_mnt(arg);
    else if (name == "orphan")
        cmd_orphan(arg);
    else if (name == "writable")
        cmd_writable(arg);
    else if (name == "fds")
        cmd_fds();
    else if (name == "fd") {
        line(key, ::fcntl(std::atoi(arg.c_str()), F_GETFD) >= 0 ? "open" : "closed");
    } else if (name == "status")
        line(key, status_field(arg));
    else if (name == "mkdir") {
        line(key, err_name(::mkdir(arg.c_str(), 0755) == 0 ? 0 : errno));
    } else if (name == "personality") {
        // personality(0xffffffff) only queries: harmless unless seccomp forbids it.
        line("personality", ::personality(0xffffffff) == -1 ? err_name(errno) : "OK");
    } else if (name == "stdin") {
        std::string data;
        int e = 0;
        line("stdin", read_file("/dev/stdin", data, e)
                          ? "size=" + std::to_string(data.size()) + " hash=" + hash_bytes(data)
                          : "error " + err_name(e));
    } else if (name == "echo")
        line("echo", arg);
    else if (name == "write-fd") {
        // "write-fd=N": tell the test we are running, through an fd it passed.
        int fd = std::atoi(arg.c_str());
        (void)!::write(fd, "x", 1);
    } else if (name == "wait-fd") {
        // Block until the other end of fd N closes: the test controls our life.
        int fd = std::atoi(arg.c_str());
        char c;
        while (::read(fd, &c, 1) > 0 || errno == EINTR) {
        }
        line(key, "eof");
    } else if (name == "pause") {
        std::fflush(stdout);
        for (;;) ::pause();
    } else if (name == "exit") {
        std::fflush(stdout);
        std::_Exit(std::atoi(arg.c_str()));
    } else if (name == "signal")
        cmd_exit_signal(std::atoi(arg.c_str()));
    else {
        std::fprintf(stderr, "burrow-probe: unknown command %s\n", name.c_str());
        std::exit(99);
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto eq = a.find('=');
        run(a.substr(0, eq), eq == std::string::npos ? "" : a.substr(eq + 1),
            eq != std::string::npos, &argv[0]);
    }
    return 0;
}
