// Status fds: --info-fd and --json-status-fd documents (bwrap's exact text),
// --sync-fd lifetime, --block-fd and --userns-block-fd.
#define BOOST_TEST_MODULE runtime_status
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>
#include <regex>
#include <sys/stat.h>

#include "tests/integration/runtime_test_support.hpp"

using namespace rtest;
using json = nlohmann::json;

namespace {

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) std::abort();
        r = p[0];
        w = p[1];
    }
};

// The payload's own namespace ids, one "name inode" per line.
const char* print_ns =
    "for n in ipc mnt net pid uts; do stat -L -c \"$n %i\" /proc/self/ns/$n; done";

} // namespace

BOOST_AUTO_TEST_CASE(info_fd_document) {
    Pipe info;
    Sandbox sb = base(print_ns, true);
    sb.ns.pid = sb.ns.net = sb.ns.ipc = sb.ns.uts = true;
    sb.status.info_fd = 20;
    Running r = start(sb, [&] { ::dup2(info.w, 20); });
    ::close(info.w);
    const std::string doc = slurp(info.r);
    ::close(info.r);
    Result res = r.wait();
    BOOST_TEST_INFO(res.err);
    BOOST_REQUIRE_EQUAL(res.status, 0);
    // bwrap's layout, byte for byte (numbers aside); no user namespace entry.
    static const std::regex layout(
        "\\{\n    \"child-pid\": [0-9]+,\n    \"ipc-namespace\": [0-9]+,"
        "\n    \"mnt-namespace\": [0-9]+,\n    \"net-namespace\": [0-9]+,"
        "\n    \"pid-namespace\": [0-9]+,\n    \"uts-namespace\": [0-9]+\n\\}\n");
    BOOST_TEST(std::regex_match(doc, layout), doc);
    json j = json::parse(doc);
    for (const char* n : {"ipc", "mnt", "net", "pid", "uts"}) {
        const std::string line =
            std::string(n) + " " + std::to_string(j[std::string(n) + "-namespace"].get<uint64_t>());
        BOOST_TEST(res.out.find(line + "\n") != std::string::npos, line << " in " << res.out);
    }
    BOOST_TEST(j["child-pid"].get<int>() > 0);
}

BOOST_AUTO_TEST_CASE(info_fd_lists_only_created_namespaces) {
    Pipe info;
    Sandbox sb = base("true");
    sb.status.info_fd = 20;
    Running r = start(sb, [&] { ::dup2(info.w, 20); });
    ::close(info.w);
    const std::string doc = slurp(info.r);
    ::close(info.r);
    BOOST_TEST(r.wait().status == 0);
    static const std::regex layout(
        "\\{\n    \"child-pid\": [0-9]+,\n    \"mnt-namespace\": [0-9]+\n\\}\n");
    BOOST_TEST(std::regex_match(doc, layout), doc);
}

BOOST_AUTO_TEST_CASE(json_status_fd_start_and_exit) {
    Pipe js;
    Sandbox sb = base("exit 3", true);
    sb.ns.pid = true;
    sb.status.json_status_fd = 21;
    Running r = start(sb, [&] { ::dup2(js.w, 21); });
    ::close(js.w);
    const std::string doc = slurp(js.r);
    ::close(js.r);
    BOOST_TEST(r.wait().status == 3);
    static const std::regex layout("\\{ \"child-pid\": [0-9]+, \"mnt-namespace\": [0-9]+, "
                                   "\"pid-namespace\": [0-9]+ \\}\n\\{ \"exit-code\": 3 \\}\n");
    BOOST_TEST(std::regex_match(doc, layout), doc);
}

BOOST_AUTO_TEST_CASE(json_status_has_no_exit_code_when_exec_failed) {
    for (bool pid_ns : {true, false}) {
        Pipe js;
        Sandbox sb = base("", pid_ns);
        sb.ns.pid = pid_ns;
        sb.proc.argv = {"/no/such/program"};
        sb.status.json_status_fd = 21;
        Running r = start(sb, [&] { ::dup2(js.w, 21); });
        ::close(js.w);
        const std::string doc = slurp(js.r);
        ::close(js.r);
        BOOST_TEST(r.wait().status == 1);
        BOOST_TEST(doc.find("child-pid") != std::string::npos);
        BOOST_TEST(doc.find("exit-code") == std::string::npos, doc);
    }
}

BOOST_AUTO_TEST_CASE(sync_fd_lives_as_long_as_the_sandbox) {
    // The payload exits at once but leaves a background child: pid 1 keeps
    // the sync fd open until that child is gone too. The payload itself
    // does not inherit it.
    Pipe sync;
    Sandbox sb = base("ls /proc/self/fd | tr '\\n' ' '; echo end; "
                      "exec python3 -c 'import os, time; os.fork() or time.sleep(0.6)' >&-",
                      true);
    sb.ns.pid = true;
    sb.status.sync_fd = 22;
    Running r = start(sb, [&] {
        ::dup2(sync.w, 22);
        ::close_range(3, 21, 0);
        ::close_range(23, ~0U, 0);
    });
    ::close(sync.w);
    // pid 1 keeps stdout open as long as it lives: read up to the marker
    // only, and take the monitor's exit status directly.
    const std::string out = r.read_until("end\n");
    int st = 0;
    ::waitpid(r.pid, &st, 0);
    auto monitor_done = std::chrono::steady_clock::now();
    BOOST_TEST(decode(st) == 0);
    BOOST_TEST(out.find(" 22 ") == std::string::npos, out);
    BOOST_TEST(out.find("end") != std::string::npos, out);
    char c;
    BOOST_TEST(::read(sync.r, &c, 1) == 0); // EOF: the sandbox is gone
    auto eof = std::chrono::steady_clock::now();
    ::close(sync.r);
    ::close(r.out_fd);
    ::close(r.err_fd);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(eof - monitor_done).count() >=
               300);
}

BOOST_AUTO_TEST_CASE(block_fd_holds_the_payload_until_readable) {
    Pipe block;
    Sandbox sb = base("echo started");
    sb.status.block_fd = 23;
    Running r = start(sb, [&] { ::dup2(block.r, 23); });
    ::close(block.r);
    BOOST_TEST(r.read_until("started", 400) == "");
    (void)!::write(block.w, "x", 1);
    ::close(block.w);
    BOOST_TEST(r.read_until("started") == "started\n");
    BOOST_TEST(r.wait().status == 0);
}

BOOST_AUTO_TEST_CASE(userns_block_fd_lets_the_caller_write_the_maps) {
    Pipe info, block;
    Sandbox sb = base("id -u; id -g; cat /proc/self/uid_map");
    sb.ns.user = true;
    sb.ids.uid_map.clear();
    sb.ids.gid_map.clear();
    sb.ids.uid = ::getuid();
    sb.ids.gid = ::getgid();
    sb.proc.keep_capabilities = false;
    sb.proc.capabilities = 0;
    sb.status.info_fd = 20;
    sb.status.userns_block_fd = 24;
    Running r = start(sb, [&] {
        ::dup2(info.w, 20);
        ::dup2(block.r, 24);
    });
    ::close(info.w);
    ::close(block.r);
    const json j = json::parse(slurp(info.r));
    ::close(info.r);
    const std::string proc = "/proc/" + std::to_string(j["child-pid"].get<int>());
    auto write_file = [](const std::string& path, const std::string& text) {
        std::ofstream f(path);
        f << text;
        f.flush();
        return f.good();
    };
    BOOST_TEST(write_file(proc + "/uid_map", "0 " + std::to_string(::getuid()) + " 1\n"));
    BOOST_TEST(write_file(proc + "/setgroups", "deny\n"));
    BOOST_TEST(write_file(proc + "/gid_map", "0 " + std::to_string(::getgid()) + " 1\n"));
    (void)!::write(block.w, "x", 1);
    ::close(block.w);
    Result res = r.wait();
    BOOST_TEST_INFO(res.err);
    BOOST_TEST(res.status == 0);
    BOOST_TEST(res.out.rfind("0\n0\n", 0) == 0, res.out);
}
