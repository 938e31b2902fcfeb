#include "launcher/vm/vmlinux.hpp"

#include <elf.h>
#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "launcher/vm/initramfs.hpp"
#include "launcher/vm/kernel.hpp"
#include "launcher/vm/sha256.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"

namespace burrow::vm {
namespace {

bool read_file(const std::string& path, std::string& out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    return read_fd_to_end(fd.get(), out, SIZE_MAX) == 0;
}

// XEN_ELFNOTE_PHYS32_ENTRY (18) in a PT_NOTE segment: QEMU's PVH boot needs it.
bool has_pvh_note(const std::string& elf) {
    if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 ||
        elf[EI_CLASS] != ELFCLASS64)
        return false;
    Elf64_Ehdr eh;
    std::memcpy(&eh, elf.data(), sizeof eh);
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        size_t off = eh.e_phoff + size_t(i) * eh.e_phentsize;
        if (off + sizeof(Elf64_Phdr) > elf.size()) return false;
        Elf64_Phdr ph;
        std::memcpy(&ph, elf.data() + off, sizeof ph);
        if (ph.p_type != PT_NOTE || ph.p_offset + ph.p_filesz > elf.size()) continue;
        for (size_t p = ph.p_offset; p + sizeof(Elf64_Nhdr) <= ph.p_offset + ph.p_filesz;) {
            Elf64_Nhdr nh;
            std::memcpy(&nh, elf.data() + p, sizeof nh);
            size_t name = p + sizeof nh;
            if (nh.n_type == 18 && nh.n_namesz == 4 && name + 4 <= elf.size() &&
                std::memcmp(elf.data() + name, "Xen", 4) == 0)
                return true;
            p = name + ((nh.n_namesz + 3) & ~3u) + ((nh.n_descsz + 3) & ~3u);
        }
    }
    return false;
}

std::string unxz(const uint8_t* in, size_t n) {
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) return {};
    std::string out;
    out.resize(64 << 20);
    s.next_in = in;
    s.avail_in = n;
    lzma_ret r;
    do {
        if (s.total_out == out.size()) out.resize(out.size() * 2);
        s.next_out = reinterpret_cast<uint8_t*>(out.data()) + s.total_out;
        s.avail_out = out.size() - s.total_out;
        r = lzma_code(&s, LZMA_FINISH);
    } while (r == LZMA_OK);
    out.resize(r == LZMA_STREAM_END ? s.total_out : 0);
    lzma_end(&s);
    return out;
}

} // namespace

PvhKernel pvh_kernel(const std::string& bzimage) {
    auto t0 = std::chrono::steady_clock::now();
    PvhKernel k;
    auto done = [&]() {
        k.elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        return k;
    };
    std::string img;
    if (!read_file(bzimage, img) || img.size() < 0x250) {
        k.why = "kernel unreadable";
        return done();
    }
    Sha256 h;
    h.update(img);
    std::string dir = initramfs_cache_dir();
    dir = dir.substr(0, dir.rfind('/')) + "/kernel";
    std::string path = dir + "/" + h.hex() + ".vmlinux";
    if (::access(path.c_str(), R_OK) == 0) {
        k.path = path;
        return done();
    }
    // Boot protocol: the compressed payload sits payload_offset (0x248) bytes
    // into the protected-mode code, which follows (setup_sects + 1) sectors.
    unsigned setup = uint8_t(img[0x1f1]) ? uint8_t(img[0x1f1]) : 4;
    uint32_t off, len;
    std::memcpy(&off, img.data() + 0x248, 4);
    std::memcpy(&len, img.data() + 0x24c, 4);
    size_t start = size_t(setup + 1) * 512 + off;
    if (start + len > img.size() || len < 6 ||
        std::memcmp(img.data() + start,
                    "\xfd"
                    "7zXZ",
                    6) != 0) {
        k.why = "kernel payload is not xz";
        return done();
    }
    std::string elf = unxz(reinterpret_cast<const uint8_t*>(img.data()) + start, len);
    if (elf.empty() || !has_pvh_note(elf)) {
        k.why = elf.empty() ? "kernel payload did not decompress" : "kernel has no PVH entry";
        return done();
    }
    for (size_t i = 1; i <= dir.size(); ++i)
        if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
    std::string tmp = path + ".XXXXXX";
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) {
        k.why = dir + ": " + std::strerror(errno);
        return done();
    }
    bool ok = write_all(fd.get(), elf.data(), elf.size()) == 0;
    ok = ok && ::fchmod(fd.get(), 0644) == 0;
    fd.reset();
    if (!ok || ::rename(tmp.c_str(), path.c_str()) < 0) {
        ::unlink(tmp.c_str());
        k.why = "writing " + path + ": " + std::strerror(errno);
        return done();
    }
    k.path = path;
    k.built = true;
    return done();
}

} // namespace burrow::vm
