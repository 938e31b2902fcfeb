// Host-side pieces of the vm launch module that need no QEMU: SHA-256 (the
// cache key), the newc cpio writer, the kernel release from a bzImage
// header and the module load order from modules.dep/modules.builtin.
#define BOOST_TEST_MODULE vm_host
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "launcher/vm/initramfs.hpp"
#include "launcher/vm/kernel.hpp"
#include "launcher/vm/sha256.hpp"

using namespace burrow::vm;

namespace {

struct TmpDir {
    std::string path;
    TmpDir() {
        char t[] = "/tmp/vm-host-test-XXXXXX";
        BOOST_REQUIRE(mkdtemp(t));
        path = t;
    }
    ~TmpDir() { std::filesystem::remove_all(path); }
    void write(const std::string& rel, const std::string& data) {
        std::ofstream(path + "/" + rel, std::ios::binary) << data;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(sha256_known_vectors) {
    BOOST_TEST(Sha256().hex() ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Sha256 abc;
    abc.update("abc");
    BOOST_TEST(abc.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Multi-block, fed in odd pieces.
    Sha256 m;
    std::string s(1000, 'a');
    m.update(s.substr(0, 7));
    m.update(s.substr(7));
    Sha256 one;
    one.update(s);
    BOOST_TEST(m.hex() == one.hex());
    Sha256 million;
    for (int i = 0; i < 1000; ++i) million.update(s);
    BOOST_TEST(million.hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(cpio_newc_layout) {
    std::string a =
        cpio_newc({{"init", S_IFREG | 0755, "abc"}, {"dev/console", S_IFCHR | 0600, {}, 5, 1}});
    // Header: magic, then 13 fields of 8 hex digits; name NUL-padded so the
    // data starts on a 4-byte boundary; data padded likewise.
    BOOST_TEST(a.substr(0, 6) == "070701");
    BOOST_TEST(a.substr(14, 8) == "000081ED"); // mode
    BOOST_TEST(a.substr(54, 8) == "00000003"); // filesize
    BOOST_TEST(a.substr(94, 8) == "00000005"); // namesize "init\0"
    BOOST_TEST(a.substr(110, 5) == std::string("init\0", 5));
    BOOST_TEST(a.substr(116, 3) == "abc"); // 110 + 5 -> padded to 116
    BOOST_TEST(a.substr(120, 6) == "070701");
    BOOST_TEST(a.substr(120 + 78, 8) == "00000005"); // rdevmajor
    BOOST_TEST(a.size() % 4 == 0u);
    BOOST_TEST(a.find("TRAILER!!!") != std::string::npos);
    BOOST_TEST(cpio_newc({{"x", S_IFREG | 0644, "1"}}) == cpio_newc({{"x", S_IFREG | 0644, "1"}}));
}

BOOST_AUTO_TEST_CASE(kernel_release_from_header) {
    TmpDir d;
    std::string img(0x3000, '\0');
    std::memcpy(&img[0x202], "HdrS", 4);
    img[0x20e] = char(0x00), img[0x20f] = char(0x10); // version at 0x1000 + 0x200
    std::string v = "6.1.0-99-test (builder@host) #1 SMP";
    std::memcpy(&img[0x1200], v.data(), v.size());
    d.write("vmlinuz-other", img);
    BOOST_TEST(kernel_release(d.path + "/vmlinuz-other") == "6.1.0-99-test");
    d.write("junk", "not a kernel");
    BOOST_CHECK_THROW(kernel_release(d.path + "/junk"), VmError);
    BOOST_CHECK_THROW(kernel_release(d.path + "/missing"), VmError);
}

BOOST_AUTO_TEST_CASE(module_order_dependencies_first_builtins_skipped) {
    TmpDir d;
    d.write("modules.dep",
            "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n"
            "kernel/net/9p/9pnet.ko:\n"
            "kernel/fs/netfs/netfs.ko:\n"
            "kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko "
            "kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/drivers/virtio/virtio_ring.ko:\n"
            "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/drivers/char/virtio_console.ko.xz: kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/drivers/net/virtio_net.ko: kernel/net/core/failover.ko\n"
            "kernel/net/core/failover.ko:\n");
    d.write("modules.builtin", "kernel/fs/netfs/netfs.ko\n");
    auto order = guest_modules(d.path);
    auto pos = [&](const std::string& m) {
        return std::find(order.begin(), order.end(), m) - order.begin();
    };
    BOOST_TEST(order.size() == 8u);
    BOOST_TEST(pos("kernel/net/9p/9pnet.ko") < pos("kernel/fs/9p/9p.ko"));
    BOOST_TEST(pos("kernel/drivers/virtio/virtio_ring.ko") <
               pos("kernel/drivers/virtio/virtio_pci.ko"));
    BOOST_TEST(pos("kernel/net/core/failover.ko") < pos("kernel/drivers/net/virtio_net.ko"));
    BOOST_TEST(pos("kernel/drivers/char/virtio_console.ko.xz") < long(order.size()));
    BOOST_TEST(pos("kernel/fs/netfs/netfs.ko") == long(order.size())); // built in
    d.write("modules.dep", "kernel/net/9p/9pnet.ko:\n");
    BOOST_CHECK_THROW(guest_modules(d.path), VmError);
    BOOST_CHECK_THROW(guest_modules(d.path + "/nowhere"), VmError);
}
