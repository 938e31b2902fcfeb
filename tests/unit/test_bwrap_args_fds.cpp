// What the bwrap front end reads from fds at parse time: --args payloads
// (NUL-separated, from pipes, nested, empty, huge) and seccomp programs; and
// the argument-count limit for huge command lines.
#define BOOST_TEST_MODULE bwrap_args_fds
#include "tests/unit/bwrap_test_support.hpp"

#include <linux/filter.h>

#include "runtime/io.hpp"

#include <chrono>
#include <cstring>

using namespace bwrap_test;
using burrow::FsOpKind;

BOOST_AUTO_TEST_SUITE(args_fd)

BOOST_AUTO_TEST_CASE(options_from_a_pipe) {
    FedPipe p(
        nul_join({"--ro-bind", "/usr", "/usr", "--setenv", "A", "with space", "--unshare-pid"}));
    auto inv = parse({"--dir", "/first", "--args", p.arg(), "--dir", "/last", "cmd", "arg"});
    p.expect_consumed();
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 3u);
    BOOST_TEST(fs[0].dest == "/first");
    BOOST_TEST((fs[1].kind == FsOpKind::bind));
    BOOST_TEST(fs[1].source == "/usr");
    BOOST_TEST(fs[1].readonly);
    BOOST_TEST(fs[2].dest == "/last");
    BOOST_TEST(inv.sandbox.ns.pid);
    BOOST_TEST(inv.sandbox.proc.env.back() == "A=with space");
    BOOST_TEST(inv.sandbox.proc.argv == (std::vector<std::string>{"cmd", "arg"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(last_item_without_trailing_nul_and_empty_items) {
    std::string data = std::string("--setenv\0E\0\0--chdir\0/x", 22);
    FedPipe p(data);
    auto inv = parse({"--args", p.arg(), "true"});
    p.expect_consumed();
    BOOST_TEST(inv.sandbox.proc.env.back() == "E=");
    BOOST_TEST(*inv.sandbox.proc.chdir == "/x");
}

BOOST_AUTO_TEST_CASE(empty_payload) {
    FedPipe p("");
    auto inv = parse({"--args", p.arg(), "--unshare-net", "true"});
    p.expect_consumed();
    BOOST_TEST(inv.sandbox.ns.net);
    BOOST_TEST(inv.sandbox.fs.empty());
}

BOOST_AUTO_TEST_CASE(several_args_fds_in_order) {
    FedPipe a(nul_join({"--dir", "/a"}));
    FedPipe b(nul_join({"--dir", "/b"}));
    auto inv = parse({"--args", a.arg(), "--dir", "/mid", "--args", b.arg(), "true"});
    a.expect_consumed();
    b.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.fs.size() == 3u);
    BOOST_TEST(inv.sandbox.fs[0].dest == "/a");
    BOOST_TEST(inv.sandbox.fs[1].dest == "/mid");
    BOOST_TEST(inv.sandbox.fs[2].dest == "/b");
}

BOOST_AUTO_TEST_CASE(nested_args_is_refused) {
    FedPipe inner(nul_join({"--dir", "/inner"}));
    FedPipe outer(nul_join({"--dir", "/outer", "--args", inner.arg()}));
    expect_error({"--args", outer.arg(), "true"}, "--args not supported in arguments file");
    outer.expect_consumed();
}

BOOST_AUTO_TEST_CASE(command_inside_the_payload_is_ignored) {
    // bwrap stops at the first non-option of the file and drops the rest: the
    // command always comes from the real command line.
    FedPipe p(nul_join({"--dir", "/a", "echo", "--dir", "/ignored"}));
    auto inv = parse({"--args", p.arg(), "real"});
    p.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.fs.size() == 1u);
    BOOST_TEST(inv.sandbox.proc.argv == (std::vector<std::string>{"real"}),
               boost::test_tools::per_element());
    FedPipe q(nul_join({"--", "echo"}));
    expect_usage({"--args", q.arg()});
    q.expect_consumed();
}

BOOST_AUTO_TEST_CASE(errors_inside_the_payload) {
    FedPipe p(nul_join({"--bogus"}));
    expect_error({"--args", p.arg(), "true"}, "Unknown option --bogus");
    p.expect_consumed();
    FedPipe q(nul_join({"--bind", "/a"}));
    expect_error({"--args", q.arg(), "true"}, "--bind takes two arguments");
    q.expect_consumed();
    // A modifier cannot reach across the end of the payload.
    FedPipe r(nul_join({"--perms", "0700"}));
    expect_error({"--args", r.arg(), "--dir", "/a", "true"},
                 "--perms must be followed by an option that creates a file");
    r.expect_consumed();
}

BOOST_AUTO_TEST_CASE(unreadable_fd) {
    // An fd number that is certainly not open.
    expect_error({"--args", "1000000", "true"}, "Can't read --args data: Bad file descriptor");
    int fds[2];
    BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    // The write end of a pipe cannot be read.
    expect_error({"--args", std::to_string(fds[1]), "true"},
                 "Can't read --args data: Bad file descriptor");
    ::close(fds[0]);
    BOOST_TEST(!fd_is_open(fds[1])); // consumed even on failure
}

BOOST_AUTO_TEST_CASE(ten_megabyte_payload) {
    // One huge value among a few options: 10 MB parses, in well under a second.
    const std::string big(10 * 1024 * 1024, 'v');
    FedPipe p(nul_join({"--setenv", "BIG", big, "--dir", "/after"}));
    const auto t0 = std::chrono::steady_clock::now();
    auto inv = parse({"--args", p.arg(), "true"});
    const auto dt = std::chrono::steady_clock::now() - t0;
    p.expect_consumed();
    BOOST_TEST(inv.sandbox.proc.env.back().size() == big.size() + 4);
    BOOST_TEST(inv.sandbox.fs.at(0).dest == "/after");
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(dt).count() < 3000);
}

BOOST_AUTO_TEST_CASE(ten_megabytes_of_tiny_items_are_refused_cleanly) {
    // 10 MB of NULs is 10 million empty arguments: bwrap's 9000 limit.
    FedPipe p(std::string(10 * 1024 * 1024, '\0'));
    expect_error({"--args", p.arg(), "true"}, "Exceeded maximum number of arguments 9000");
    p.expect_consumed();
}

BOOST_AUTO_TEST_CASE(limit_counts_payload_and_command_line) {
    std::vector<std::string> items;
    for (int i = 0; i < 4498; ++i) items.insert(items.end(), {"--dir", "/d"});
    // 8996 items + 4 on the command line = 9000: allowed.
    {
        FedPipe p(nul_join(items));
        auto inv = parse({"--args", p.arg(), "true", "x"});
        p.expect_consumed();
        BOOST_TEST(inv.sandbox.fs.size() == 4498u);
    }
    items.push_back("--unshare-net"); // 9001
    FedPipe p(nul_join(items));
    expect_error({"--args", p.arg(), "true", "x"}, "Exceeded maximum number of arguments 9000");
    p.expect_consumed();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(huge_command_lines)

BOOST_AUTO_TEST_CASE(nine_thousand_arguments_parse_in_linear_time) {
    std::vector<std::string> args;
    for (int i = 0; i < 2999; ++i)
        args.insert(args.end(), {"--setenv", "V" + std::to_string(i), "x"});
    args.insert(args.end(), {"cmd", "a", "b"}); // 9000 in total
    const auto t0 = std::chrono::steady_clock::now();
    auto inv = parse(args);
    const auto dt = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(inv.sandbox.proc.env.size() == user_host().env.size() + 2999);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(dt).count() < 2000);

    std::vector<std::string> ops;
    for (int i = 0; i < 2999; ++i)
        ops.insert(ops.end(), {"--bind", "/s" + std::to_string(i), "/d" + std::to_string(i)});
    ops.insert(ops.end(), {"cmd", "a", "b"});
    auto binds = parse(ops);
    BOOST_TEST_REQUIRE(binds.sandbox.fs.size() == 2999u);
    BOOST_TEST(binds.sandbox.fs[2998].dest == "/d2998");
}

BOOST_AUTO_TEST_CASE(ten_thousand_options_are_refused_cleanly) {
    std::vector<std::string> args;
    for (int i = 0; i < 10000; ++i) args.push_back("--unshare-net");
    args.push_back("true");
    expect_error(args, "Exceeded maximum number of arguments 9000");
    // Even --help does not get past the limit: bwrap checks before parsing.
    args.insert(args.begin(), "--help");
    expect_error(args, "Exceeded maximum number of arguments 9000");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(seccomp)

namespace {
std::string program_bytes(const std::vector<sock_filter>& prog) {
    std::string s(prog.size() * sizeof(sock_filter), '\0');
    if (!prog.empty()) std::memcpy(s.data(), prog.data(), s.size());
    return s;
}
const std::vector<sock_filter> kAllow = {BPF_STMT(BPF_RET | BPF_K, 0x7fff0000u)};
const std::vector<sock_filter> kTwo = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                                       BPF_STMT(BPF_RET | BPF_K, 0x7fff0000u)};
bool same(const sock_filter& a, const sock_filter& b) {
    return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
}
} // namespace

BOOST_AUTO_TEST_CASE(seccomp_program_is_read_at_parse_time) {
    FedPipe p(program_bytes(kTwo));
    auto inv = parse({"--seccomp", p.arg(), "true"});
    p.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.seccomp_programs.size() == 1u);
    BOOST_TEST_REQUIRE(inv.sandbox.seccomp_programs[0].size() == 2u);
    BOOST_TEST(same(inv.sandbox.seccomp_programs[0][0], kTwo[0]));
    BOOST_TEST(same(inv.sandbox.seccomp_programs[0][1], kTwo[1]));
}

BOOST_AUTO_TEST_CASE(only_the_last_seccomp_counts) {
    FedPipe first(program_bytes(kTwo));
    FedPipe last(program_bytes(kAllow));
    auto inv = parse({"--seccomp", first.arg(), "--seccomp", last.arg(), "true"});
    last.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.seccomp_programs.size() == 1u);
    BOOST_TEST(inv.sandbox.seccomp_programs[0].size() == 1u);
    BOOST_TEST_REQUIRE(inv.warnings.size() == 1u);
    BOOST_TEST(inv.warnings[0].message == "Only the last --seccomp option will take effect");
}

BOOST_AUTO_TEST_CASE(add_seccomp_fd_is_repeatable_in_order) {
    FedPipe a(program_bytes(kTwo));
    FedPipe b(program_bytes(kAllow));
    auto inv = parse({"--add-seccomp-fd", a.arg(), "--add-seccomp-fd", b.arg(), "true"});
    a.expect_consumed();
    b.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.seccomp_programs.size() == 2u);
    BOOST_TEST(inv.sandbox.seccomp_programs[0].size() == 2u);
    BOOST_TEST(inv.sandbox.seccomp_programs[1].size() == 1u);
    FedPipe c(program_bytes(kAllow));
    expect_error({"--add-seccomp-fd", c.arg(), "--seccomp", "9", "true"},
                 "--seccomp cannot be combined with --add-seccomp-fd");
    c.expect_consumed();
}

BOOST_AUTO_TEST_CASE(seccomp_length_is_validated) {
    FedPipe p(std::string(12, 'x'));
    expect_error({"--seccomp", p.arg(), "true"}, "Invalid seccomp data, must be multiple of 8");
    p.expect_consumed();
    FedPipe q(std::string(7, 'x'));
    expect_error({"--add-seccomp-fd", q.arg(), "true"},
                 "Invalid seccomp data, must be multiple of 8");
    q.expect_consumed();
    // An empty program is passed on; the kernel's refusal is the runtime's message.
    FedPipe e("");
    auto inv = parse({"--seccomp", e.arg(), "true"});
    e.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.seccomp_programs.size() == 1u);
    BOOST_TEST(inv.sandbox.seccomp_programs[0].empty());
    expect_error({"--seccomp", "1000000", "true"}, "Can't read seccomp data: Bad file descriptor");
}

BOOST_AUTO_TEST_CASE(log_denials_picks_the_first_profile) {
    // Off unless asked.
    auto inv = parse({"--seccomp-profile", "default", "true"});
    BOOST_TEST(!inv.sandbox.seccomp_log.enabled);
    // The first --seccomp-profile, even after an --add-seccomp-fd program.
    FedPipe a(program_bytes(kAllow));
    inv = parse({"--add-seccomp-fd", a.arg(), "--seccomp-profile", "ci", "--seccomp-profile",
                 "default", "--seccomp-log-denials", "true"});
    a.expect_consumed();
    BOOST_TEST_REQUIRE(inv.sandbox.seccomp_programs.size() == 3u);
    BOOST_TEST(inv.sandbox.seccomp_log.enabled);
    BOOST_TEST(inv.sandbox.seccomp_log.program == 1u);
    // No profile: the first program (--seccomp's, read at the end).
    FedPipe s(program_bytes(kTwo));
    inv = parse({"--seccomp-log-denials", "--seccomp", s.arg(), "true"});
    s.expect_consumed();
    BOOST_TEST(inv.sandbox.seccomp_log.enabled);
    BOOST_TEST(inv.sandbox.seccomp_log.program == 0u);
    // Nothing installed: nothing to log.
    inv = parse({"--seccomp-profile", "none", "--seccomp-log-denials", "true"});
    BOOST_TEST(inv.sandbox.seccomp_programs.empty());
    BOOST_TEST(!inv.sandbox.seccomp_log.enabled);
    // A program that computes its return value cannot be rewritten.
    const std::vector<sock_filter> ret_a = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                                            BPF_STMT(BPF_RET | BPF_A, 0)};
    FedPipe r(program_bytes(ret_a));
    expect_error({"--seccomp-log-denials", "--add-seccomp-fd", r.arg(), "true"},
                 "--seccomp-log-denials: seccomp denial log: the program computes its return "
                 "values");
    r.expect_consumed();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reading_fds)

BOOST_AUTO_TEST_CASE(endless_sources_are_cut_off) {
    // The parser's cap is 256 MiB; the helper's behaviour at its limit is the
    // same at any size, so a small one keeps the test fast.
    FedPipe p(std::string(5000, 'a'));
    std::string out;
    BOOST_TEST(burrow::read_fd_to_end(p.fd(), out, 1000) == EFBIG);
    std::string all;
    FedPipe q(std::string(5000, 'b'));
    BOOST_TEST(burrow::read_fd_to_end(q.fd(), all, 5000) == 0);
    BOOST_TEST(all == std::string(5000, 'b'));
}

BOOST_AUTO_TEST_SUITE_END()
