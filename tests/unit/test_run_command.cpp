// The test support's command runner (tests/support/run_command), which every
// test that starts a process relies on: argv[0] apart from the executed
// file, cwd, before_exec, inherited fds, stdin that is never read, timeouts.
#define BOOST_TEST_MODULE run_command
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "tests/support/run_command.hpp"

using btest::Command;

BOOST_AUTO_TEST_CASE(argv0_apart_from_the_executed_file) {
    Command c;
    c.path = "/bin/sh";
    c.argv = {"not-a-shell", "-c", "echo \"$0\"; echo err >&2; exit 3"};
    const auto r = btest::run(c);
    BOOST_TEST(r.code() == 3);
    BOOST_TEST(r.out == "not-a-shell\n");
    BOOST_TEST(r.err == "err\n");
}

BOOST_AUTO_TEST_CASE(cwd_and_before_exec) {
    btest::TempDir d;
    Command c;
    c.argv = {"/bin/sh", "-c", "pwd; echo to-stderr >&2"};
    c.cwd = d.path();
    c.before_exec = [] { ::dup2(STDOUT_FILENO, STDERR_FILENO); };
    const auto r = btest::run(c);
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.out == d.path() + "\nto-stderr\n");
    BOOST_TEST(r.err == "");
    Command bad;
    bad.argv = {"/bin/true"};
    bad.cwd = d / "missing";
    BOOST_TEST(btest::run(bad).code() == 121);
}

BOOST_AUTO_TEST_CASE(open_fds_only_when_asked) {
    btest::TempDir d;
    btest::write_file(d / "f", "inherited\n");
    const int fd = ::open((d / "f").c_str(), O_RDONLY); // not close-on-exec on purpose
    BOOST_REQUIRE(fd >= 0);
    Command c;
    c.argv = {"/bin/sh", "-c", "cat <&" + std::to_string(fd) + " 2>/dev/null || echo closed"};
    BOOST_TEST(btest::run(c).out == "closed\n");
    c.inherit_open_fds = true;
    BOOST_TEST(btest::run(c).out == "inherited\n");
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(stdin_the_command_never_reads_does_not_kill_the_test) {
    // Far more than a pipe holds, to a command that exits at once: the write
    // fails with EPIPE (the test would die of SIGPIPE otherwise).
    for (int i = 0; i < 20; ++i) {
        Command c;
        c.argv = {"/bin/true"};
        c.stdin_data.assign(1 << 20, 'x');
        const auto r = btest::run(c);
        BOOST_TEST(r.code() == 0);
    }
    // And stdin that is read arrives whole.
    Command cat;
    cat.argv = {"/bin/sh", "-c", "wc -c"};
    cat.stdin_data.assign(300000, 'y');
    BOOST_TEST(btest::run(cat).out == "300000\n");
}

BOOST_AUTO_TEST_CASE(timeout_kills_the_process_group) {
    Command c;
    c.argv = {"/bin/sh", "-c", "sleep 60 & sleep 60"};
    c.timeout = std::chrono::milliseconds(300);
    const auto r = btest::run(c);
    BOOST_TEST(r.timed_out);
    BOOST_TEST(r.code() == 128 + SIGKILL);
}
