#include "launcher/session/join.hpp"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "policy/seccomp/precompiled.hpp"
#include "policy/seccomp/profile.hpp"
#include "runtime/fd.hpp"
#include "runtime/join.hpp"
#include "runtime/exit_status.hpp"

namespace burrow::launch {

int namespaces_to_join(const std::map<std::string, uint64_t>& ns) {
    static const std::map<std::string, int> flags{{"user", CLONE_NEWUSER},    {"mnt", CLONE_NEWNS},
                                                  {"pid", CLONE_NEWPID},      {"ipc", CLONE_NEWIPC},
                                                  {"uts", CLONE_NEWUTS},      {"net", CLONE_NEWNET},
                                                  {"cgroup", CLONE_NEWCGROUP}};
    const auto own = session::process_namespaces(::getpid());
    int out = 0;
    for (const auto& [name, ino] : ns) {
        auto f = flags.find(name);
        auto mine = own.find(name);
        if (f != flags.end() && (mine == own.end() || mine->second != ino)) out |= f->second;
    }
    return out;
}

bool wait_pidfd(int pidfd, int ms) {
    pollfd p{pidfd, POLLIN, 0};
    for (;;) {
        const int r = ::poll(&p, 1, ms);
        if (r < 0 && errno == EINTR) continue;
        return r > 0;
    }
}

int join_session(const session::Entry& e, const std::vector<std::string>& argv, const char* what,
                 const std::vector<int>& keep_fds) {
    if (e.backend == "container" && ::geteuid() != 0) {
        std::fprintf(stderr, "burrow: %s: %s: joining a container sandbox needs root\n", what,
                     e.project_dir.c_str());
        return kExitFailure;
    }
    Fd pidfd(session::open_verified_pidfd(e));
    if (!pidfd) {
        std::fprintf(stderr, "burrow: %s: no sandbox runs for %s\n", what, e.project_dir.c_str());
        return kExitFailure;
    }
    join::JoinSpec spec;
    spec.pidfd = pidfd.get();
    // Only the namespaces that differ from ours: setns into one's own user
    // namespace is EINVAL, and a container may share some with the host.
    spec.ns_flags = namespaces_to_join(e.ns);
    spec.argv = argv;
    for (const auto& [k, v] : e.env) spec.env.push_back(k + "=" + v);
    spec.env.push_back("PWD=" + e.cwd);
    spec.cwd = e.cwd;
    spec.keep_fds = keep_fds;
    // The user's terminal stays the command's (job control in an
    // interactive shell); the join installs the tty guard instead of setsid.
    spec.new_session = false;
    try {
        spec.seccomp = seccomp::compile_named_profile("default");
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "burrow: %s: seccomp: %s\n", what, ex.what());
        return kExitFailure;
    }
    return join::run_joined(spec);
}

int stop_session(const session::Entry& e, unsigned grace_ms) {
    Fd pidfd(session::open_verified_pidfd(e));
    if (!pidfd) {
        std::fprintf(stderr, "burrow: stop: no sandbox runs for %s\n", e.project_dir.c_str());
        return kExitFailure;
    }
    // The payload ends, pid 1 follows it and takes the whole pid namespace
    // along; the launching burrow then exits with the payload's status.
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0) != 0 && errno != ESRCH) {
        std::fprintf(stderr, "burrow: stop: %s: %s\n", e.project_dir.c_str(), std::strerror(errno));
        return kExitFailure;
    }
    if (!wait_pidfd(pidfd.get(), static_cast<int>(grace_ms))) {
        ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
        if (!wait_pidfd(pidfd.get(), 10000)) {
            std::fprintf(stderr, "burrow: stop: %s: still running after SIGKILL\n",
                         e.project_dir.c_str());
            return kExitFailure;
        }
    }
    return 0;
}

} // namespace burrow::launch
