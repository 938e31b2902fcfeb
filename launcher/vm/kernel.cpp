#include "launcher/vm/kernel.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "runtime/fd.hpp"

namespace burrow::vm {
namespace {

// "kernel/fs/9p/9p.ko.xz" -> "9p"; modprobe treats '-' and '_' alike.
std::string module_name(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    base = base.substr(0, base.find(".ko"));
    for (char& c : base)
        if (c == '-') c = '_';
    return base;
}

} // namespace

std::string kernel_release(const std::string& image) {
    Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw VmError("kernel " + image + ": " + std::strerror(errno));
    char hdr[0x10200]; // the version pointer is 16 bits past 0x200
    ssize_t n = ::pread(fd.get(), hdr, sizeof hdr, 0);
    if (n < 0) throw VmError("kernel " + image + ": " + std::strerror(errno));
    // x86 boot protocol: "HdrS" at 0x202; at 0x20e a 16-bit pointer to the
    // version string, relative to 0x200 ("6.1.0-56-amd64 (debian-kernel@...").
    if (n >= 0x210 && std::memcmp(hdr + 0x202, "HdrS", 4) == 0) {
        unsigned off = (unsigned(uint8_t(hdr[0x20e])) | unsigned(uint8_t(hdr[0x20f])) << 8) + 0x200;
        if (off > 0x200 && off < size_t(n)) {
            std::string v;
            for (size_t i = off; i < size_t(n) && hdr[i] && hdr[i] != ' '; ++i) v += hdr[i];
            if (!v.empty()) return v;
        }
    } else {
        throw VmError("kernel " + image + ": not a bzImage (no x86 boot header)");
    }
    std::string base = image.substr(image.rfind('/') + 1);
    if (base.starts_with("vmlinuz-")) return base.substr(8);
    throw VmError("kernel " + image + ": cannot tell its release (no version in the header)");
}

std::vector<std::string> guest_modules(const std::string& moddir) {
    std::ifstream dep(moddir + "/modules.dep");
    if (!dep)
        throw VmError("kernel modules: " + moddir + "/modules.dep: " + std::strerror(errno) +
                      " (install the kernel's modules, or pass --initrd)");
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> mods;
    std::string line;
    while (std::getline(dep, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string path = line.substr(0, colon);
        std::istringstream rest(line.substr(colon + 1));
        std::vector<std::string> deps;
        for (std::string d; rest >> d;) deps.push_back(module_name(d));
        mods[module_name(path)] = {path, deps};
    }
    std::set<std::string> builtin;
    std::ifstream bi(moddir + "/modules.builtin");
    while (std::getline(bi, line)) builtin.insert(module_name(line));

    std::vector<std::string> order;
    std::set<std::string> seen;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
        if (seen.count(name) || builtin.count(name)) return;
        seen.insert(name);
        auto it = mods.find(name);
        if (it == mods.end())
            throw VmError("kernel modules: " + name + " is neither in " + moddir +
                          "/modules.dep nor built in (the guest needs virtio and 9p)");
        for (const auto& d : it->second.second) visit(d);
        order.push_back(it->second.first);
    };
    for (const char* want : {"virtio_pci", "virtio_console", "9pnet_virtio", "9p", "virtio_net"})
        visit(want);
    return order;
}

} // namespace burrow::vm
