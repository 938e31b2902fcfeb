// Sandboxes inside sandboxes, with user and pid namespaces at both levels:
// burrow inside burrow, Debian's bwrap inside burrow and burrow inside
// Debian's bwrap. An earlier report of "burrow inside burrow" failing could
// not be reproduced; this keeps it that way. The inner payload must run and
// see its own mounts: the inner tmpfs, not the outer one it was not given,
// and a /proc of its own pid namespace.
//
// Runs as root and (the _as_user variant) as the unprivileged "burrowtest".
#define BOOST_TEST_MODULE nested_sandboxes
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include "tests/integration/runtime_test_support.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

using namespace rtest;

namespace {

const char* debian_bwrap = "/usr/bin/bwrap";

// Where the outer sandbox shows the directory holding burrow (static PIE or
// not: the host's /usr is bound too, so shared libraries resolve).
const std::string inner_bin_dir = "/burrow-bin";

std::string dir_of(const std::string& path) {
    return path.substr(0, path.rfind('/'));
}

// A root made of the host's /usr (Debian's merged /usr: /lib, /lib64 and
// /bin are symlinks), so sh, grep and both bwraps run.
std::vector<std::string> usr_root() {
    return {"--ro-bind", "/usr",      "/usr",   "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin"};
}

// The inner payload's checks; prints one line per finding and NESTED-OK.
const char* inner_script =
    "grep -q ' /inner-mnt ' /proc/self/mountinfo || echo 'missing inner mount';"
    "grep -q ' /outer-mnt ' /proc/self/mountinfo && echo 'outer mount leaked';"
    "test -e /burrow-bin && echo 'outer bind leaked';"
    // Its own pid namespace: pid 1 is the inner pid 1, the shell is pid 2.
    "test \"$$\" = 2 || echo \"pid $$\";"
    "echo NESTED-OK";

// Without --proc: the inner tmpfs is seen through statfs instead.
const char* inner_script_no_proc =
    "test \"$(stat -f -c %T /inner-mnt)\" = tmpfs || echo 'missing inner mount';"
    "test -e /outer-mnt && echo 'outer mount leaked';"
    "test -e /burrow-bin && echo 'outer bind leaked';"
    "echo NESTED-OK";

std::vector<std::string> inner_args(const std::string& inner_binary, bool with_proc) {
    std::vector<std::string> a = {inner_binary};
    for (const auto& s : usr_root()) a.push_back(s);
    if (with_proc) {
        a.push_back("--proc");
        a.push_back("/proc");
    }
    for (const char* s : {"--dev", "/dev", "--tmpfs", "/inner-mnt", "--unshare-user",
                          "--unshare-pid", "--die-with-parent", "sh", "-c"})
        a.push_back(s);
    a.push_back(with_proc ? inner_script : inner_script_no_proc);
    return a;
}

// outer_binary (as argv[0] "bwrap") runs inner_binary (a path inside the
// outer sandbox) with the inner arguments.
Result run_nested(const char* outer_binary, const std::string& inner_binary,
                  bool inner_proc = true) {
    std::vector<std::string> args = usr_root();
    for (const std::string& s :
         {std::string("--ro-bind"), dir_of(BURROW_BIN), inner_bin_dir, std::string("--proc"),
          std::string("/proc"), std::string("--dev"), std::string("/dev"), std::string("--tmpfs"),
          std::string("/tmp"), std::string("--tmpfs"), std::string("/outer-mnt"),
          std::string("--unshare-user"), std::string("--unshare-pid"),
          std::string("--die-with-parent")})
        args.push_back(s);
    for (const auto& s : inner_args(inner_binary, inner_proc)) args.push_back(s);

    btest::Command c;
    c.path = outer_binary;
    c.argv = {"bwrap"};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/"};
    c.timeout = std::chrono::minutes(4); // a hang is CTest's to report
    const btest::Result res = btest::run(c);
    return Result{res.code(), res.out, res.err};
}

void expect_nested_ok(const Result& r) {
    BOOST_TEST_INFO("stdout: " << r.out << "\nstderr: " << r.err);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == "NESTED-OK\n");
}

bool have_debian_bwrap() {
    struct stat st {};
    return ::stat(debian_bwrap, &st) == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(burrow_inside_burrow) {
    expect_nested_ok(run_nested(BURROW_BIN, inner_bin_dir + "/bwrap"));
}

BOOST_AUTO_TEST_CASE(debian_bwrap_inside_burrow) {
    if (!have_debian_bwrap()) {
        btest::skip("no /usr/bin/bwrap");
        return;
    }
    if (!is_root()) {
        expect_nested_ok(run_nested(BURROW_BIN, debian_bwrap));
        return;
    }
    // As root the outer /proc has read-only submounts (/proc/sys, /proc/irq,
    // ... as bwrap makes them), on which Debian's bwrap 0.8 cannot mount a
    // new proc: bubblewrap issue 738, which burrow works around and 0.8 does
    // not. It fails the same way inside Debian's own bwrap, so it is 0.8's
    // limit, not burrow's; the inner sandbox still runs without --proc.
    const Result with_proc = run_nested(BURROW_BIN, debian_bwrap);
    const Result reference = run_nested(debian_bwrap, debian_bwrap);
    const std::string msg = "bwrap: Can't mount proc on /newroot/proc: Operation not permitted";
    BOOST_TEST_INFO("burrow outer: " << with_proc.err << "\nbwrap outer: " << reference.err);
    BOOST_TEST(with_proc.status == reference.status);
    BOOST_TEST((with_proc.err.find(msg) != std::string::npos) ==
               (reference.err.find(msg) != std::string::npos));
    expect_nested_ok(run_nested(BURROW_BIN, debian_bwrap, false));
}

BOOST_AUTO_TEST_CASE(burrow_inside_debian_bwrap) {
    if (!have_debian_bwrap()) {
        btest::skip("no /usr/bin/bwrap");
        return;
    }
    expect_nested_ok(run_nested(debian_bwrap, inner_bin_dir + "/bwrap"));
}
