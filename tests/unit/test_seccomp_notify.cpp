// The denial log's pure parts: the argument decoder, the errno -> user
// notification rewrite (checked by running both programs through the
// interpreter), and the report formats.
#define BOOST_TEST_MODULE seccomp_notify
#include <boost/test/unit_test.hpp>

#include <linux/audit.h>
#include <sys/syscall.h>

#include <nlohmann/json.hpp>

#include "policy/seccomp/builtin.hpp"
#include "policy/seccomp/compile.hpp"
#include "runtime/seccomp_bpf_eval.hpp"
#include "runtime/seccomp_decode.hpp"
#include "runtime/seccomp_notify.hpp"

using namespace burrow;

namespace {

seccomp_data data(int nr, std::initializer_list<uint64_t> args, uint32_t arch = AUDIT_ARCH_X86_64) {
    seccomp_data d{};
    d.nr = nr;
    d.arch = arch;
    int i = 0;
    for (uint64_t a : args) d.args[i++] = a;
    return d;
}

} // namespace

BOOST_AUTO_TEST_CASE(decodes_key_arguments) {
    using seccomp_decode::describe_call;
    BOOST_TEST(describe_call(data(SYS_ioctl, {3, 0x5412})) == "ioctl(fd=3, request=TIOCSTI)");
    // High junk in a 64-bit register does not hide the request the kernel sees.
    BOOST_TEST(describe_call(data(SYS_ioctl, {0, 0xdead00000000541cULL})) ==
               "ioctl(fd=0, request=TIOCLINUX)");
    BOOST_TEST(describe_call(data(SYS_ioctl, {1, 0x1234})) == "ioctl(fd=1, request=0x1234)");
    BOOST_TEST(describe_call(data(SYS_socket, {17, 3 | 0x80000, 768})) ==
               "socket(family=AF_PACKET, type=SOCK_RAW, protocol=768)");
    BOOST_TEST(describe_call(data(SYS_unshare, {0x10020000})) ==
               "unshare(flags=CLONE_NEWNS|CLONE_NEWUSER)");
    BOOST_TEST(describe_call(data(SYS_clone, {0x10000011})) == "clone(flags=CLONE_NEWUSER|0x11)");
    BOOST_TEST(describe_call(data(SYS_keyctl, {1, 2})) == "keyctl(0x1, 0x2, 0x0, 0x0, 0x0, 0x0)");
    BOOST_TEST(describe_call(data(99999, {})) == "syscall_99999(0x0, 0x0, 0x0, 0x0, 0x0, 0x0)");
}

BOOST_AUTO_TEST_CASE(abi_names) {
    using seccomp_decode::abi_name;
    using seccomp_decode::syscall_name;
    BOOST_TEST(abi_name(data(0, {})) == "x86_64");
    BOOST_TEST(abi_name(data(288, {}, AUDIT_ARCH_I386)) == "i386");
    BOOST_TEST(syscall_name(data(288, {}, AUDIT_ARCH_I386)) == "keyctl");
    BOOST_TEST(abi_name(data(0x40000000 | 250, {})) == "x32");
    BOOST_TEST(syscall_name(data(0x40000000 | 250, {})) == "keyctl");
    BOOST_TEST(seccomp_decode::errno_name(1) == "EPERM");
}

BOOST_AUTO_TEST_CASE(notifying_variant_changes_only_errno_returns) {
    for (const char* name : {"default", "strict", "ci"}) {
        BOOST_TEST_CONTEXT(name) {
            const auto orig = seccomp::compile_profile(*seccomp::builtin_profile(name));
            const auto notif = seccomp_notify::notifying_variant(orig);
            BOOST_TEST_REQUIRE(notif.size() == orig.size());
            int changed = 0;
            for (int nr = 0; nr < 460; ++nr)
                for (uint64_t a0 : {0ULL, 17ULL, 0x10000000ULL})
                    for (uint64_t a1 : {0ULL, 0x5412ULL}) {
                        const auto d = data(nr, {a0, a1});
                        const uint32_t o = seccomp::run_bpf(orig, d),
                                       n = seccomp::run_bpf(notif, d);
                        if ((o & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
                            BOOST_TEST(n == SECCOMP_RET_USER_NOTIF);
                            ++changed;
                        } else {
                            BOOST_TEST(n == o);
                        }
                    }
            BOOST_TEST(changed > 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(report_formats) {
    seccomp_notify::Denial d;
    d.data = data(SYS_ioctl, {0, 0x5412});
    d.pid = 42;
    d.comm = "a\"b\\c\n";
    d.err = 1;
    // The line escapes what could forge another line; the JSON stays exact.
    BOOST_TEST(seccomp_notify::denial_line(d) ==
               "burrow: seccomp: denied ioctl(fd=0, request=TIOCSTI) = -EPERM pid=42 "
               "comm=a\"b\\x5cc\\x0a abi=x86_64");
    const auto j = nlohmann::json::parse(seccomp_notify::denial_json(d));
    const auto& o = j.at("seccomp-denied");
    BOOST_TEST(o["syscall"] == "ioctl");
    BOOST_TEST(o["comm"] == "a\"b\\c\n");
    BOOST_TEST(o["errno"] == "EPERM");
    BOOST_TEST(o["pid"] == 42);
    BOOST_TEST(o["args"][1] == 0x5412);
}
