// Mount propagation around the sandbox, as bwrap: the old tree is made a
// recursive slave, so mounts made inside never reach the host, while mounts
// the host makes later under a bound directory still show up inside.
// Needs a shared mount to observe anything, so it builds one in a private
// mount namespace of its own (root only; skipped otherwise).
#define BOOST_TEST_MODULE test_mounts_propagation
#include <boost/test/unit_test.hpp>

#include <sched.h>
#include <sys/mount.h>

#include "tests/integration/mounts_test_support.hpp"
#include "tests/support/skip.hpp"

using namespace mtest;

BOOST_AUTO_TEST_CASE(nothing_propagates_out_and_host_mounts_propagate_in) {
    if (::geteuid() != 0) {
        btest::skip("building a shared mount needs real root");
        return;
    }
    TempDir d;
    int report[2];
    BOOST_REQUIRE(::pipe(report) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        // Our own namespace: whatever happens here cannot touch the host.
        auto check = [](bool ok, char code) {
            if (!ok) {
                std::perror("setup");
                ::_exit(code);
            }
        };
        check(::unshare(CLONE_NEWNS) == 0, 10);
        check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, 11);
        check(::mount("tmpfs", d.path.c_str(), "tmpfs", 0, nullptr) == 0, 12);
        check(::mount(nullptr, d.path.c_str(), nullptr, MS_SHARED, nullptr) == 0, 13);
        ::mkdir((d / "later").c_str(), 0755);
        // Inside: mount a tmpfs on the bound (shared) directory, then wait
        // for the mount we make on d/later meanwhile.
        // (No /dev inside, so no 2>/dev/null in the script.)
        json ops = with_base({bind_op(d.path, "/d"), op("tmpfs", "/d/inside")});
        pid_t sb = ::fork();
        if (sb == 0) {
            auto r = run(spec(ops, false, false), "sleep 1; cat /d/later/marker || echo missing");
            ::write(report[1], r.out.data(), r.out.size());
            ::_exit(r.status);
        }
        ::usleep(300 * 1000);
        check(::mount("tmpfs", (d / "later").c_str(), "tmpfs", 0, nullptr) == 0, 14);
        write_file(d / "later/marker", "propagated-in\n");
        int status = 0;
        ::waitpid(sb, &status, 0);
        // Out: the sandbox's tmpfs on /d/inside must not exist here.
        const bool leaked = host_mountinfo().find(d / "inside") != std::string::npos;
        ::_exit(leaked ? 20 : (WIFEXITED(status) ? WEXITSTATUS(status) : 21));
    }
    ::close(report[1]);
    std::string seen = slurp_fd(report[0]);
    ::close(report[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0); // 20: a sandbox mount leaked out
    BOOST_TEST(seen == "propagated-in\n");
}
