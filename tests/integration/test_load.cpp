// Load (issue 8, item 5): 500 sandboxes started 8 at a time, then 64
// running at once; the caller's fds, its descendants and the host mount
// table are the same before and after, and no zombie is left.
//
// System-wide counters (open files, processes) are printed for the record
// but not compared: on a shared machine anything else running moves them.
#define BOOST_TEST_MODULE load
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "tests/support/bwrap_runner.hpp"

using namespace btest;

namespace {

struct Subreaper {
    Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
};
Subreaper subreaper_on;

size_t count_entries(const char* dir) {
    size_t n = 0;
    DIR* d = ::opendir(dir);
    while (dirent* e = d ? ::readdir(d) : nullptr)
        if (e->d_name[0] != '.') ++n;
    if (d) ::closedir(d);
    return n;
}

// Our children (sandbox orphans come to us), zombies included, after up to
// `ms` for them to go.
size_t children(int ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        size_t n = 0;
        DIR* d = ::opendir("/proc");
        while (dirent* e = d ? ::readdir(d) : nullptr) {
            if (std::atoi(e->d_name) <= 0) continue;
            std::string st = read_text("/proc/" + std::string(e->d_name) + "/stat");
            auto close = st.rfind(')');
            if (close == std::string::npos) continue;
            std::istringstream rest(st.substr(close + 2));
            char state;
            long ppid;
            rest >> state >> ppid;
            if (ppid == ::getpid()) ++n;
        }
        if (d) ::closedir(d);
        if (n == 0 || std::chrono::steady_clock::now() > until) return n;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string system_counts() {
    std::string nr = read_text("/proc/sys/fs/file-nr");
    if (!nr.empty() && nr.back() == '\n') nr.pop_back();
    return "file-nr " + nr + ", processes " + std::to_string(count_entries("/proc") - 0);
}

struct Host {
    std::string mounts = host_mount_table();
    size_t fds = count_entries("/proc/self/fd");
};

void same_host(const Host& before) {
    BOOST_TEST(children(5000) == 0u);
    BOOST_TEST(host_mount_table() == before.mounts);
    BOOST_TEST(count_entries("/proc/self/fd") == before.fds);
}

Command sandbox(int code) {
    Command c;
    c.argv = cat({burrow_bin(), "bwrap", "--unshare-all", "--die-with-parent"}, probe_bind());
    c.argv = cat(c.argv, {"/probe", "exit=" + std::to_string(code)});
    c.timeout = std::chrono::milliseconds(60000);
    return c;
}

} // namespace

BOOST_AUTO_TEST_CASE(five_hundred_sandboxes_eight_at_a_time) {
    BOOST_TEST_MESSAGE("before: " << system_counts());
    const Host before;
    const auto t0 = std::chrono::steady_clock::now();
    int failures = 0;
    for (int started = 0; started < 500;) {
        std::vector<std::unique_ptr<Running>> batch;
        for (int i = 0; i < 8 && started < 500; ++i, ++started)
            batch.push_back(std::make_unique<Running>(sandbox(started % 200)));
        for (size_t i = 0; i < batch.size(); ++i) {
            Result r = batch[i]->finish();
            const int want = (started - static_cast<int>(batch.size()) + static_cast<int>(i)) % 200;
            if (r.code() != want && failures++ < 5)
                BOOST_ERROR("sandbox " << want << ": " << r.describe());
        }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST(failures == 0);
    BOOST_TEST_MESSAGE("500 sandboxes in " << secs << " s; after: " << system_counts());
    same_host(before);
}

BOOST_AUTO_TEST_CASE(sixty_four_running_at_once) {
    const Host before;
    std::vector<std::unique_ptr<Running>> all;
    for (int i = 0; i < 64; ++i) {
        Command c;
        c.argv = cat({burrow_bin(), "bwrap", "--unshare-all", "--die-with-parent"}, probe_bind());
        // Says it runs (fd 4), then waits for us to close fd 3.
        c.argv = cat(c.argv, {"/probe", "write-fd=4", "wait-fd=3", "exit=" + std::to_string(i)});
        c.fds = {pipe_in_fd(3), pipe_out_fd(4)};
        c.timeout = std::chrono::milliseconds(60000);
        all.push_back(std::make_unique<Running>(c));
    }
    int running = 0;
    for (auto& r : all)
        if (r->read_from(4, 1, std::chrono::milliseconds(30000)) == "x") ++running;
    BOOST_TEST(running == 64);
    BOOST_TEST_MESSAGE("64 running: " << system_counts());
    for (auto& r : all) r->close_parent_end(3);
    for (int i = 0; i < 64; ++i) {
        Result res = all[static_cast<size_t>(i)]->finish();
        BOOST_TEST(res.code() == i, res.describe());
    }
    all.clear();
    same_host(before);
}
