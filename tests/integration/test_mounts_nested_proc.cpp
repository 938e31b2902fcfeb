// bubblewrap issue 738: nested in a container whose /proc has masked or
// read-only submounts, a fresh procfs is refused (EPERM). The mount plan must
// fall back instead of failing, keep the masks, and say so on stderr.
// Outer sandboxes: Debian's bwrap, and burrow's own mount plan.
#define BOOST_TEST_MODULE test_mounts_nested_proc
#include <boost/test/unit_test.hpp>

#include "tests/integration/mounts_test_support.hpp"
#include "tests/support/skip.hpp"

using namespace mtest;

namespace {

// Where the driver binary lives, bound into the outer sandbox.
const std::string kWorkTree = std::filesystem::path(MOUNTS_DRIVER).parent_path().string();

// What the inner sandbox runs: pid 1 check, a readable /proc, and the outer
// mask of /proc/sys still in place (no kernel/ directory visible).
const char* const kProbe =
    "echo pid=$$; test -r /proc/self/stat && echo proc-ok; "
    "test -e /proc/sys/kernel/hostname && echo sys-revealed || echo sys-masked";

std::vector<std::string> inner(bool pid) {
    json ops = with_base({op("proc", "/proc")});
    return driver_argv(spec(ops, pid), kProbe);
}

void check_inner(const Result& r, bool pid) {
    BOOST_TEST(r.status == 0, r.err);
    if (pid) BOOST_TEST(r.out.find("pid=1\n") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("proc-ok\n") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("sys-masked\n") != std::string::npos, r.out);
}

} // namespace

BOOST_AUTO_TEST_CASE(inside_debian_bwrap_with_tmpfs_on_proc_sys) {
    if (!exists("/usr/bin/bwrap")) {
        btest::skip("no /usr/bin/bwrap");
        return;
    }
    for (bool pid : {true, false}) {
        std::vector<std::string> argv = {
            "/usr/bin/bwrap", "--unshare-user", "--dev-bind", "/",       "/",
            "--unshare-pid",  "--proc",         "/proc",      "--tmpfs", "/proc/sys"};
        for (const auto& a : inner(pid)) argv.push_back(a);
        auto r = run_argv(argv);
        check_inner(r, pid);
        // A fresh procfs is impossible here; the fallback is announced.
        if (pid) BOOST_TEST(r.err.find("proc") != std::string::npos, r.err);
    }
}

BOOST_AUTO_TEST_CASE(inside_burrow_with_tmpfs_on_proc_sys) {
    // The tmpfs on /tmp comes first so that a work tree checked out under
    // /tmp is still bound on top of it.
    // Not "--dev-bind / /": the host's /proc would come along (covered, but
    // still a fully visible procfs in the namespace, which lets the kernel
    // allow new ones). A container shows only its own, masked, /proc.
    json outer_ops = with_base({op("tmpfs", "/tmp"), bind_op(kWorkTree, kWorkTree),
                                op("proc", "/proc"), op("tmpfs", "/proc/sys")});
    for (bool pid : {true, false}) {
        std::vector<std::string> argv = {MOUNTS_DRIVER, spec(outer_ops, true).dump()};
        for (const auto& a : inner(pid)) argv.push_back(a);
        check_inner(run_argv(argv), pid);
    }
}

BOOST_AUTO_TEST_CASE(unmasked_nesting_still_gets_a_fresh_proc) {
    // Without masks the fallback must not kick in: no warning, own pids.
    // As root the outer sandbox itself covers /proc/irq and /proc/bus
    // read-only (bwrap's rule), which is a mask in the kernel's eyes; only
    // the unprivileged run has an unmasked outer /proc.
    json outer_ops =
        with_base({op("tmpfs", "/tmp"), bind_op(kWorkTree, kWorkTree), op("proc", "/proc")});
    std::vector<std::string> argv = {MOUNTS_DRIVER, spec(outer_ops, true).dump()};
    for (const auto& a :
         driver_argv(spec(with_base({op("proc", "/proc")}), true), "ls /proc | grep -c '^[0-9]'"))
        argv.push_back(a);
    auto r = run_argv(argv);
    BOOST_TEST(r.status == 0, r.err);
    if (::geteuid() == 0) {
        BOOST_TEST(r.err.find("proc") != std::string::npos, r.err);
        return;
    }
    BOOST_TEST(r.err.empty(), r.err);
    BOOST_TEST(std::stoi(r.out) <= 3, r.out);
}
