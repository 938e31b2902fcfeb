#include "policy/oci/seccomp_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "runtime/fd.hpp"

namespace burrow::oci::seccomp_cache {

namespace {

constexpr const char* kMagic = "burrow-seccomp-cache 1\n";
constexpr size_t kMaxFile = 1 << 20;
constexpr size_t kMaxEntries = 64;

std::string file_name(const std::string& key) {
    uint64_t h = 14695981039346656037ULL; // FNV-1a
    for (unsigned char c : key) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(h));
    return name;
}

// The directory, only when it is ours and closed to others.
Fd open_dir(const std::string& dir) {
    Fd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fd;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
        return Fd();
    return fd;
}

} // namespace

std::string key_for(const std::string& seccomp_json) {
    std::string key = "libseccomp ";
    const scmp_version* v = seccomp_version();
    key +=
        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    key += " api " + std::to_string(seccomp_api_get());
    struct stat st {};
    if (::stat("/proc/self/exe", &st) == 0)
        key += " exe " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
               std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec);
    else
        key += " exe unknown " + std::to_string(::getpid()); // never matches another run
    key += "\n";
    key += seccomp_json;
    return key;
}

std::optional<std::vector<sock_filter>> load(const std::string& dir, const std::string& key) {
    Fd d = open_dir(dir);
    if (!d) return std::nullopt;
    const std::string name = file_name(key);
    Fd fd(::openat(d.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return std::nullopt;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxFile)
        return std::nullopt;
    std::string text(static_cast<size_t>(st.st_size), '\0');
    if (::pread(fd.get(), text.data(), text.size(), 0) != st.st_size) return std::nullopt;
    // magic, key length, '\n', key, program.
    const size_t magic = std::strlen(kMagic);
    if (text.compare(0, magic, kMagic) != 0) return std::nullopt;
    const size_t nl = text.find('\n', magic);
    if (nl == std::string::npos) return std::nullopt;
    if (text.substr(magic, nl - magic) != std::to_string(key.size())) return std::nullopt;
    const size_t body = nl + 1 + key.size();
    if (body > text.size() || text.compare(nl + 1, key.size(), key) != 0) return std::nullopt;
    const size_t bytes = text.size() - body;
    if (bytes == 0 || bytes % sizeof(sock_filter) != 0 ||
        bytes / sizeof(sock_filter) > BPF_MAXINSNS)
        return std::nullopt;
    std::vector<sock_filter> prog(bytes / sizeof(sock_filter));
    std::memcpy(prog.data(), text.data() + body, bytes);
    return prog;
}

// At most kMaxEntries files: past that, the directory is emptied before
// the next entry (profiles rarely change; entries of an older burrow or
// libseccomp are never hit again and would otherwise pile up).
void prune(int dirfd) {
    Fd rd(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!rd) return;
    DIR* d = ::fdopendir(rd.get());
    if (!d) return;
    rd.release();
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    ::closedir(d);
    if (names.size() < kMaxEntries) return;
    for (const auto& n : names) ::unlinkat(dirfd, n.c_str(), 0);
}

void store(const std::string& dir, const std::string& key, const std::vector<sock_filter>& prog) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
    Fd d = open_dir(dir);
    if (!d) return;
    prune(d.get());
    const std::string name = file_name(key);
    const std::string tmp = name + ".tmp." + std::to_string(::getpid());
    Fd fd(
        ::openat(d.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return;
    std::string text = kMagic + std::to_string(key.size()) + "\n" + key;
    text.append(reinterpret_cast<const char*>(prog.data()), prog.size() * sizeof(sock_filter));
    size_t off = 0;
    while (off < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    fd.reset();
    if (off != text.size() || ::renameat(d.get(), tmp.c_str(), d.get(), name.c_str()) != 0)
        ::unlinkat(d.get(), tmp.c_str(), 0);
}

} // namespace burrow::oci::seccomp_cache
