#include "launcher/vm/initramfs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "launcher/vm/kernel.hpp"
#include "launcher/vm/protocol.hpp"
#include "launcher/vm/sha256.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"

// The agent, linked in by launcher/vm/agent_blob.cpp (.incbin).
extern "C" const char burrow_vm_agent_start[];
extern "C" const char burrow_vm_agent_end[];

namespace burrow::vm {
namespace {

std::string read_all(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw VmError(path + ": " + std::strerror(errno));
    std::string s;
    if (const int err = read_fd_to_end(fd.get(), s, SIZE_MAX))
        throw VmError(path + ": " + std::strerror(err));
    return s;
}

void write_all(int fd, std::string_view s, const std::string& path) {
    if (const int err = burrow::write_all(fd, s)) throw VmError(path + ": " + std::strerror(err));
}

void mkdirs(const std::string& path) {
    for (size_t i = 1; i <= path.size(); ++i) {
        if (i != path.size() && path[i] != '/') continue;
        std::string p = path.substr(0, i);
        if (::mkdir(p.c_str(), 0700) < 0 && errno != EEXIST)
            throw VmError("cache directory " + p + ": " + std::strerror(errno));
    }
}

void hex8(std::string& out, unsigned long v) {
    char b[9];
    std::snprintf(b, sizeof b, "%08lX", v);
    out.append(b, 8);
}

void pad4(std::string& out) {
    while (out.size() % 4) out.push_back('\0');
}

} // namespace

std::string_view agent_binary() {
    return {burrow_vm_agent_start, size_t(burrow_vm_agent_end - burrow_vm_agent_start)};
}

std::string cpio_newc(const std::vector<CpioEntry>& entries) {
    std::string out;
    unsigned long ino = 1;
    auto add = [&](const std::string& name, unsigned mode, std::string_view data, unsigned maj,
                   unsigned min) {
        out += "070701";
        hex8(out, ino++);
        hex8(out, mode);
        hex8(out, 0); // uid
        hex8(out, 0); // gid
        hex8(out, S_ISDIR(mode) ? 2 : 1);
        hex8(out, 0); // mtime: fixed, so equal inputs give equal archives
        hex8(out, data.size());
        hex8(out, 0);
        hex8(out, 0);
        hex8(out, maj);
        hex8(out, min);
        hex8(out, name.size() + 1);
        hex8(out, 0);
        out += name;
        out.push_back('\0');
        pad4(out);
        out.append(data);
        pad4(out);
    };
    for (const auto& e : entries) add(e.name, e.mode, e.data, e.rdev_major, e.rdev_minor);
    add("TRAILER!!!", 0, {}, 0, 0);
    return out;
}

std::string initramfs_cache_dir() {
    const char* x = std::getenv("XDG_CACHE_HOME");
    std::string base;
    if (x && x[0] == '/')
        base = x;
    else if (const char* h = std::getenv("HOME"); h && h[0] == '/')
        base = std::string(h) + "/.cache";
    else
        throw VmError("initramfs cache: neither XDG_CACHE_HOME nor HOME is an absolute path");
    return base + "/burrow/initramfs";
}

Initramfs agent_initramfs(const std::string& moddir) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<CpioEntry> e;
    e.push_back({"dev", S_IFDIR | 0755, {}});
    e.push_back({"dev/console", S_IFCHR | 0600, {}, 5, 1});
    for (const char* d : {"proc", "sys", "run", "tmp", "usr", "etc", "burrow", "burrow/modules"})
        e.push_back({d, S_IFDIR | 0755, {}});
    e.push_back({"init", S_IFREG | 0755, std::string(agent_binary())});
    std::string order;
    if (!moddir.empty()) {
        for (const auto& rel : guest_modules(moddir)) {
            std::string base = rel.substr(rel.rfind('/') + 1);
            e.push_back({std::string(kModulesDir + 1) + "/" + base, S_IFREG | 0644,
                         read_all(moddir + "/" + rel)});
            order += base + "\n";
        }
        e.push_back({std::string(kModulesOrder + 1), S_IFREG | 0644, order});
    }
    std::string archive = cpio_newc(e);
    Sha256 h;
    h.update(archive);
    std::string dir = initramfs_cache_dir();
    Initramfs r;
    r.path = dir + "/" + h.hex() + ".cpio";
    struct stat st;
    if (::stat(r.path.c_str(), &st) == 0 && st.st_size == off_t(archive.size())) {
        r.elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        return r;
    }
    mkdirs(dir);
    std::string tmp = r.path + ".XXXXXX";
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) throw VmError("initramfs cache " + dir + ": " + std::strerror(errno));
    try {
        write_all(fd.get(), archive, tmp);
        if (::fchmod(fd.get(), 0644) < 0 || ::fsync(fd.get()) < 0)
            throw VmError(tmp + ": " + std::strerror(errno));
        fd.reset();
        if (::rename(tmp.c_str(), r.path.c_str()) < 0)
            throw VmError("rename " + tmp + ": " + std::strerror(errno));
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    r.built = true;
    r.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

void concat_initrd(const std::string& user, const std::string& ours, const std::string& out) {
    std::string a = read_all(user);
    if (a.empty()) throw VmError("--initrd " + user + ": empty file");
    pad4(a);
    std::string b = read_all(ours);
    Fd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw VmError(out + ": " + std::strerror(errno));
    write_all(fd.get(), a, out);
    write_all(fd.get(), b, out);
}

} // namespace burrow::vm
