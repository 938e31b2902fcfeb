// --seccomp-log-denials: the payload gets exactly the result it gets
// without the log (same errno, same output, same exit status), and every
// refused call is reported once, with its name, decoded arguments, pid and
// comm: on stderr, or as JSON objects on --json-status-fd. Also with many
// threads refused at once, and when the monitor dies under a waiting payload.
#define BOOST_TEST_MODULE seccomp_log
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/bwrap_runner.hpp"

using namespace btest;
using namespace std::chrono_literals;

namespace {

const std::string sc_payload = BURROW_SC_PAYLOAD;
const std::string seclog_payload = BURROW_SECLOG_PAYLOAD;

// sc_payload argument blocks: ABI NR A0..A5.
std::vector<std::string> call(const std::string& abi, long nr, const std::string& a0 = "0",
                              const std::string& a1 = "0") {
    return {abi, std::to_string(nr), a0, a1, "0", "0", "0", "0"};
}

// Refused by `default` (and `ci`): keyctl natively, through i386 and x32, ioctl
// TIOCSTI, socket(AF_PACKET); one allowed call (close(-1): -EBADF) in between.
std::vector<std::string> default_calls() {
    auto v = call("x86_64", 250);                  // keyctl
    v = cat(v, call("x86_64", 16, "0", "0x5412")); // ioctl(0, TIOCSTI)
    v = cat(v, call("x86_64", 3, "0xffffffff"));   // close(-1): allowed
    v = cat(v, call("x86_64", 41, "17", "3"));     // socket(AF_PACKET, SOCK_RAW)
    v = cat(v, call("i386", 288));                 // keyctl on i386
    v = cat(v, call("x32", 250));                  // keyctl on x32
    return v;
}

// ci also refuses new namespaces: unshare(CLONE_NEWUSER), unshare(CLONE_NEWNS).
std::vector<std::string> ci_calls() {
    auto v = call("x86_64", 272, "0x10000000");
    return cat(v, call("x86_64", 272, "0x20000"));
}

std::vector<std::string> sandbox(const std::string& profile, std::vector<std::string> extra,
                                 const std::vector<std::string>& payload) {
    auto a = cat({"--ro-bind", "/", "/", "--seccomp-profile", profile}, extra);
    return cat(a, payload);
}

std::vector<std::string> denial_lines(const std::string& err) {
    return lines_with(err, "burrow: seccomp: denied ");
}

std::vector<nlohmann::json> json_docs(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
}

// The same command with and without the log: identical stdout and status.
std::pair<Result, Result> both(const std::string& profile, const std::vector<std::string>& extra,
                               const std::vector<std::string>& payload, Command base = {}) {
    const Result plain = run_bwrap(burrow_front(), sandbox(profile, extra, payload), base);
    const Result logged = run_bwrap(
        burrow_front(), sandbox(profile, cat({"--seccomp-log-denials"}, extra), payload), base);
    BOOST_TEST(plain.out == logged.out, plain.describe() << "\n---\n" << logged.describe());
    BOOST_TEST(plain.code() == logged.code());
    BOOST_TEST(denial_lines(plain.err).empty(), plain.describe());
    return {plain, logged};
}

} // namespace

BOOST_AUTO_TEST_CASE(same_errno_and_a_line_per_denial) {
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{}, std::vector<std::string>{"--unshare-pid"}}) {
        BOOST_TEST_CONTEXT("extra options: " << extra.size()) {
            auto [plain, logged] = both("default", extra, cat({sc_payload}, default_calls()));
            BOOST_TEST(plain.code() == 0, plain.describe());
            // keyctl: EPERM, ioctl: EPERM, close: EBADF, socket: EAFNOSUPPORT, i386 keyctl: EPERM
            BOOST_TEST(plain.out == "-1\n-1\n-9\n-97\n-1\n-1\n", plain.describe());
            const auto lines = denial_lines(logged.err);
            BOOST_TEST_REQUIRE(lines.size() == 5u, logged.describe());
            BOOST_TEST(contains(lines[0], "denied keyctl(0x0, 0x0"), lines[0]);
            BOOST_TEST(contains(lines[0], "= -EPERM"), lines[0]);
            BOOST_TEST(contains(lines[0], "abi=x86_64"), lines[0]);
            BOOST_TEST(contains(lines[1], "denied ioctl(fd=0, request=TIOCSTI) = -EPERM"),
                       lines[1]);
            BOOST_TEST(contains(lines[2], "denied socket(family=AF_PACKET, type=SOCK_RAW"),
                       lines[2]);
            BOOST_TEST(contains(lines[2], "= -EAFNOSUPPORT"), lines[2]);
            BOOST_TEST(contains(lines[3], "denied keyctl("), lines[3]);
            BOOST_TEST(contains(lines[3], "abi=i386"), lines[3]);
            BOOST_TEST(contains(lines[4], "denied keyctl("), lines[4]);
            BOOST_TEST(contains(lines[4], "abi=x32"), lines[4]);
            for (const auto& l : lines) {
                BOOST_TEST(contains(l, " comm=sc_payload "), l);
                const auto at = l.find(" pid=");
                BOOST_TEST_REQUIRE(at != std::string::npos, l);
                BOOST_TEST(std::stol(l.substr(at + 5)) > 1, l);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(ci_namespace_flags_decoded) {
    auto [plain, logged] = both("ci", {}, cat({sc_payload}, ci_calls()));
    BOOST_TEST(plain.out == "-1\n-1\n", plain.describe());
    const auto lines = denial_lines(logged.err);
    BOOST_TEST_REQUIRE(lines.size() == 2u, logged.describe());
    BOOST_TEST(contains(lines[0], "denied unshare(flags=CLONE_NEWUSER) = -EPERM"), lines[0]);
    BOOST_TEST(contains(lines[1], "denied unshare(flags=CLONE_NEWNS) = -EPERM"), lines[1]);
}

BOOST_AUTO_TEST_CASE(json_objects_on_the_status_fd) {
    Command base;
    base.fds = {capture_fd(3)};
    auto [plain, logged] =
        both("default", {"--json-status-fd", "3"}, cat({sc_payload}, default_calls()), base);
    BOOST_TEST(denial_lines(logged.err).empty(), logged.describe());
    const auto docs = json_docs(logged.captured[3]);
    std::vector<nlohmann::json> denials;
    for (const auto& d : docs)
        if (d.contains("seccomp-denied")) denials.push_back(d["seccomp-denied"]);
    BOOST_TEST_REQUIRE(denials.size() == 5u, logged.captured[3]);
    BOOST_TEST(denials[0]["syscall"] == "keyctl");
    BOOST_TEST(denials[0]["errno"] == "EPERM");
    BOOST_TEST(denials[0]["errno-value"] == 1);
    BOOST_TEST(denials[0]["abi"] == "x86_64");
    BOOST_TEST(denials[1]["call"] == "ioctl(fd=0, request=TIOCSTI)");
    BOOST_TEST(denials[1]["args"][1] == 0x5412);
    BOOST_TEST(denials[2]["errno"] == "EAFNOSUPPORT");
    BOOST_TEST(denials[3]["abi"] == "i386");
    BOOST_TEST(denials[4]["abi"] == "x32");
    for (const auto& d : denials) {
        BOOST_TEST(d["comm"] == "sc_payload");
        BOOST_TEST(d["pid"].get<long>() > 1);
    }
    // bwrap's documents are still there, first and last.
    BOOST_TEST_REQUIRE(docs.size() == 7u, logged.captured[3]);
    BOOST_TEST(docs.front().contains("child-pid"));
    BOOST_TEST(docs.back()["exit-code"] == 0);
}

BOOST_AUTO_TEST_CASE(many_threads_denied_at_once) {
    // 8 threads x 1000 refused calls; the exit status passes through.
    const auto t0 = std::chrono::steady_clock::now();
    auto [plain, logged] = both("default", {}, {seclog_payload, "8", "1000", "1", "7"});
    const auto took = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(!logged.timed_out);
    BOOST_TEST(logged.code() == 7, logged.describe());
    BOOST_TEST(logged.out == "denied 8000 of 8000\n", logged.describe());
    // Each new thread also has its clone3 refused (ENOSYS: glibc falls back
    // to clone), which is logged as well.
    std::size_t keyctl = 0, clone3 = 0;
    for (const auto& l : denial_lines(logged.err)) {
        keyctl += contains(l, "denied keyctl(") && contains(l, "= -EPERM");
        clone3 += contains(l, "denied clone3(") && contains(l, "= -ENOSYS");
    }
    BOOST_TEST(keyctl == 8000u);
    BOOST_TEST(clone3 == 8u);
    BOOST_TEST((took < 20s));
}

BOOST_AUTO_TEST_CASE(strict_default_action_is_logged_too) {
    // strict refuses everything unlisted with ENOSYS: kcmp(2) is such a call.
    auto [plain, logged] = both("strict", {}, cat({sc_payload}, call("x86_64", 312)));
    BOOST_TEST(plain.out == "-38\n", plain.describe());
    const auto lines = denial_lines(logged.err);
    BOOST_TEST_REQUIRE(lines.size() == 1u, logged.describe());
    BOOST_TEST(contains(lines[0], "denied kcmp("), lines[0]);
    BOOST_TEST(contains(lines[0], "= -ENOSYS"), lines[0]);
}

BOOST_AUTO_TEST_CASE(nothing_to_log_without_a_filter) {
    // No program at all: the option changes nothing.
    auto r = run_bwrap(burrow_front(),
                       {"--ro-bind", "/", "/", "--seccomp-profile", "none", "--seccomp-log-denials",
                        sc_payload, "x86_64", "250", "0", "0", "0", "0", "0", "0"});
    BOOST_TEST(r.code() == 0, r.describe());
    BOOST_TEST(r.out != "-1\n", r.describe());
    BOOST_TEST(denial_lines(r.err).empty());
}

BOOST_AUTO_TEST_CASE(payload_dies_with_the_monitor) {
    // Endless refused calls; SIGKILL to the monitor (it can forward nothing
    // then) must not leave the payload waiting on an answer forever.
    Command c;
    c.argv = cat(burrow_front().prefix, sandbox("default", {"--seccomp-log-denials"},
                                                {seclog_payload, "4", "1000000000", "1", "0"}));
    c.timeout = 20s;
    Running run(c);
    std::this_thread::sleep_for(300ms);
    BOOST_TEST_REQUIRE(::kill(run.pid(), SIGKILL) == 0);
    const auto t0 = std::chrono::steady_clock::now();
    // The payload would otherwise run for a very long time.
    BOOST_TEST(wait_gone("1000000000", 10s));
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 10s));
    run.finish();
}

BOOST_AUTO_TEST_CASE(fallback_when_a_listener_exists) {
    // burrow in burrow, both logging: the inner payload's filter chain
    // already has the outer listener, so the kernel refuses a second one
    // (EBUSY). The inner burrow warns and installs its program with
    // SECCOMP_FILTER_FLAG_LOG: same errno for the payload, no hang.
    TempDir dir;
    const std::string outer = dir / "outer.toml";
    write_file(outer, "default_action = \"allow\"\n[[rule]]\nsyscalls = [\"keyctl\"]\n"
                      "action = \"errno:EACCES\"\n");
    auto inner = cat({burrow_bin(), "bwrap", "--ro-bind", "/", "/", "--seccomp-profile", "default",
                      "--seccomp-log-denials", sc_payload},
                     call("x86_64", 250));
    auto r =
        run_bwrap(burrow_front(), cat({"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                       "--seccomp-profile", outer, "--seccomp-log-denials"},
                                      inner));
    BOOST_TEST(r.code() == 0, r.describe());
    // The inner errno program wins over the outer notification (the
    // kernel ranks errno above user-notif): EPERM, and no report of it.
    BOOST_TEST(r.out == "-1\n", r.describe());
    BOOST_TEST(contains(r.err, "seccomp: cannot report denials here (user notification: "
                               "Device or resource busy)"),
               r.describe());
    BOOST_TEST(denial_lines(r.err).empty(), r.describe());
}

BOOST_AUTO_TEST_CASE(policy_key_log_denials) {
    // The policy key seccomp.log_denials reaches the same machinery through
    // burrow run: same errno as without it, one line per refused call.
    char dir[] = "/tmp/burrow-seclog-policy.XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string pol = std::string(dir) + "/p.toml";
    {
        std::ofstream f(pol);
        f << "extends = \"minimal\"\n[seccomp]\nprofile = \"default\"\nlog_denials = true\n";
    }
    ::chmod(dir, 0755);
    const auto payload = cat({sc_payload}, call("x86_64", 250)); // keyctl
    Command with_log, without_log;
    // "minimal" shows only a /usr-style host view: bind the payload in.
    const std::string bin_dir = sc_payload.substr(0, sc_payload.rfind('/'));
    with_log.argv =
        cat({burrow_bin(), "run", "--policy", pol, "--ro-bind", bin_dir, bin_dir, "--"}, payload);
    without_log.argv = cat({burrow_bin(), "run", "--policy", pol, "--ro-bind", bin_dir, bin_dir,
                            "--set", "seccomp.log_denials=false", "--"},
                           payload);
    const Result logged = run(with_log);
    const Result plain = run(without_log);
    ::unlink(pol.c_str());
    ::rmdir(dir);
    BOOST_TEST(logged.code() == plain.code(), logged.describe() << plain.describe());
    BOOST_TEST(logged.out == plain.out, logged.describe() << plain.describe());
    BOOST_TEST(logged.out == "-1\n", logged.describe());
    const auto lines = denial_lines(logged.err);
    BOOST_TEST_REQUIRE(lines.size() == 1u, logged.describe());
    BOOST_TEST(contains(lines[0], "denied keyctl("), lines[0]);
    BOOST_TEST(contains(lines[0], "= -EPERM"), lines[0]);
    BOOST_TEST(denial_lines(plain.err).empty(), plain.describe());
}
