// Shared by the burrow launch tests: a fake host home (so nothing depends on
// the real user's), a project directory, the environment burrow runs with,
// and the backend under test (BURROW_LAUNCH_BACKEND, default namespace, with
// BURROW_LAUNCH_EXTRA_ARGS for backend flags such as --kernel).
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"

namespace ltest {

inline std::string backend() {
    const char* b = std::getenv("BURROW_LAUNCH_BACKEND");
    return b && *b ? b : "namespace";
}

// Split on whitespace (test configuration, not user input).
inline std::vector<std::string> extra_args() {
    std::vector<std::string> out;
    const char* e = std::getenv("BURROW_LAUNCH_EXTRA_ARGS");
    std::istringstream in(e ? e : "");
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

struct Host {
    btest::TempDir dir;
    std::string home, project, run_dir;
    std::vector<std::string> env;

    explicit Host(const std::string& project_name = "proj") {
        home = dir / "home";
        project = dir / project_name;
        run_dir = dir / "run";
        std::filesystem::create_directories(home + "/.ssh");
        std::filesystem::create_directories(project);
        std::filesystem::create_directories(run_dir);
        ::chmod(run_dir.c_str(), 0700);
        btest::write_file(home + "/.ssh/id_test", "ssh-key-material\n", 0600);
        btest::write_file(home + "/.ssh/id_test.pub", "ssh-public-key\n", 0644);
        btest::write_file(home + "/.ssh/known_hosts", "host1 ssh-ed25519 AAAA\n", 0644);
        btest::write_file(home + "/.claude.json", "{\"seed\": true}\n", 0600);
        btest::write_file(home + "/.gitconfig", "[user]\n\tname = t\n");
        env = {"HOME=" + home,
               "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
               "TERM=dumb",
               "LANG=C.UTF-8",
               "SHELL=/bin/sh",
               "XDG_RUNTIME_DIR=" + run_dir,
               "BURROW_TEST_SECRET=leaked"};
    }

    std::string state_root() const { return home + "/.local/state/burrow"; }
    std::string registry() const { return run_dir + "/burrow"; }

    btest::Command command(const std::vector<std::string>& args,
                           const std::string& stdin_data = "") const {
        btest::Command c;
        c.argv = {btest::burrow_bin()};
        c.argv.insert(c.argv.end(), args.begin(), args.end());
        c.env = env;
        c.stdin_data = stdin_data;
        c.timeout = std::chrono::milliseconds(180000);
        return c;
    }
    btest::Result run(const std::vector<std::string>& args,
                      const std::string& stdin_data = "") const {
        return btest::run(command(args, stdin_data));
    }

    // burrow launch [--backend B EXTRA...] OPTIONS PROJECT -- argv...
    std::vector<std::string> launch_args(const std::vector<std::string>& options,
                                         const std::vector<std::string>& argv,
                                         const std::string& proj = "") const {
        std::vector<std::string> a = {"launch", "--backend", backend()};
        for (const auto& x : extra_args()) a.push_back(x);
        a.insert(a.end(), options.begin(), options.end());
        a.push_back(proj.empty() ? project : proj);
        a.push_back("--");
        a.insert(a.end(), argv.begin(), argv.end());
        return a;
    }
    btest::Result launch(const std::vector<std::string>& options, const std::string& script,
                         const std::string& stdin_data = "", const std::string& proj = "") const {
        return run(launch_args(options, {"sh", "-c", script}, proj), stdin_data);
    }
};

} // namespace ltest
