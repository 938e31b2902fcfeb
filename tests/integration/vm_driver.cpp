// Drives the vm launch module without the `burrow launch` CLI: builds a
// ProjectSandbox by hand (the way policy/project/sandbox.cpp will) and calls
// launch_vm. Used by tests/integration/test_vm.sh.
//
//   vm_driver [--kernel K] [--initrd I] [--accel A] [--memory MIB] [--cores N]
//             [--no-network] [--home DIR] [--ro SRC[:DEST]] [--bind SRC[:DEST]]
//             [--copy SRC:DEST] [--env NAME=VALUE] [--run-dir DIR]
//             [--system DIR] [--display] [--default-size]
//             PROJECT_DIR -- COMMAND [ARG...]
//   vm_driver --enter-sock SOCK --qemu-pid PID -- [COMMAND...]   (enter_vm)
//   vm_driver --stop --qemu-pid PID [--launcher-pid PID]        (stop_vm)
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/vm/launch.hpp"

using namespace burrow;

namespace {

std::string canon(const std::string& p) {
    char buf[PATH_MAX];
    if (!realpath(p.c_str(), buf)) {
        std::fprintf(stderr, "vm_driver: %s: %s\n", p.c_str(), std::strerror(errno));
        std::exit(2);
    }
    return buf;
}

std::pair<std::string, std::string> split(const std::string& s) {
    size_t c = s.find(':');
    if (c == std::string::npos) return {s, s};
    return {s.substr(0, c), s.substr(c + 1)};
}

} // namespace

int main(int argc, char** argv) {
    project::ProjectSandbox ps;
    ps.backend = project::Backend::vm;
    launch::VmOptions o;
    o.accel = "tcg";
    // The tests' boots keep 1024 MiB and one CPU (their timing); --default-size
    // leaves the backend's defaults (4096 MiB, 4 CPUs, capped to the host).
    o.memory_mib = 1024;
    o.cores = 1;
    std::string project, enter_sock;
    pid_t qemu_pid = 0, launcher_pid = 0;
    bool stop = false;
    std::vector<std::string> cmd;
    ps.uid = getuid();
    ps.gid = getgid();
    passwd* pw = getpwuid(ps.uid);
    ps.user = pw ? pw->pw_name : "user";
    ps.home = pw ? pw->pw_dir : "/root";
    ps.shell = "/bin/sh";
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "vm_driver: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--") {
            ++i;
            break;
        } else if (a == "--kernel")
            o.kernel = next();
        else if (a == "--initrd")
            o.initrd = next();
        else if (a == "--accel")
            o.accel = next();
        else if (a == "--qemu")
            o.qemu = next();
        else if (a == "--memory")
            o.memory_mib = std::stoull(next());
        else if (a == "--cores")
            o.cores = unsigned(std::stoul(next()));
        else if (a == "--default-size")
            o.memory_mib = 0, o.cores = 0;
        else if (a == "--system")
            o.system = next();
        else if (a == "--display")
            o.display = true;
        else if (a == "--no-network")
            ps.network = project::Network::none;
        else if (a == "--home")
            ps.home = next();
        else if (a == "--run-dir")
            ps.run_dir = next();
        else if (a == "--interactive")
            ps.interactive = true;
        else if (a == "--ro" || a == "--bind" || a == "--copy" || a == "--socket") {
            auto [src, dest] = split(next());
            project::Share s;
            s.kind = a == "--ro"     ? project::Share::Kind::ro_bind
                     : a == "--bind" ? project::Share::Kind::bind
                     : a == "--copy" ? project::Share::Kind::copy
                                     : project::Share::Kind::bind;
            s.source = canon(src);
            s.dest = dest;
            s.socket = a == "--socket";
            ps.shares.push_back(s);
        } else if (a == "--env") {
            auto v = next();
            size_t eq = v.find('=');
            ps.env.emplace_back(v.substr(0, eq), eq == std::string::npos ? "" : v.substr(eq + 1));
        } else if (a == "--enter-sock")
            enter_sock = next();
        else if (a == "--qemu-pid")
            qemu_pid = pid_t(std::stoi(next()));
        else if (a == "--launcher-pid")
            launcher_pid = pid_t(std::stoi(next()));
        else if (a == "--stop")
            stop = true;
        else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "vm_driver: unknown option %s\n", a.c_str());
            return 2;
        } else
            project = a;
    }
    for (; i < argc; ++i) cmd.push_back(argv[i]);

    if (stop || !enter_sock.empty()) {
        session::Entry e;
        e.backend = "vm";
        e.pid = qemu_pid;
        e.launcher_pid = launcher_pid;
        e.control = enter_sock;
        e.project_dir = "(test)";
        return stop ? launch::stop_vm(e) : launch::enter_vm(e, cmd);
    }

    if (project.empty() || cmd.empty()) {
        std::fprintf(stderr, "vm_driver: usage: vm_driver [OPTIONS] PROJECT -- COMMAND...\n");
        return 2;
    }
    ps.project_dir = canon(project);
    ps.project_id = "test-" + std::to_string(getpid());
    ps.cwd = ps.project_dir;
    if (ps.run_dir.empty()) ps.run_dir = ps.project_dir + "/.run";
    ps.hostname = "burrow-vm-test";
    ps.command = cmd;
    // The fresh home the builder makes: a tmpfs at $HOME.
    project::Share home;
    home.kind = project::Share::Kind::tmpfs;
    home.dest = ps.home;
    home.mode = 0700;
    ps.shares.insert(ps.shares.begin(), home);
    ps.shares.insert(ps.shares.begin() + 1,
                     project::Share{project::Share::Kind::bind, ps.project_dir, ps.project_dir,
                                    std::nullopt, "project", false});
    ps.env.emplace_back("HOME", ps.home);
    ps.env.emplace_back("USER", ps.user);
    ps.env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
    ps.env.emplace_back("BURROW_SANDBOX", "1");
    ps.env.emplace_back("BURROW_BACKEND", "vm");
    return launch::launch_vm(ps, o);
}
