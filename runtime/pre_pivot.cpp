#include "runtime/pre_pivot.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"

namespace burrow::pre_pivot {

namespace {

// The pid of this process as the caller sees it: the caller's /proc, under
// the old root, names it (our own /proc, if any, is the sandbox's).
std::string caller_pid(const std::string& old_root) {
    char buf[32];
    const ssize_t n = ::readlink((old_root + "/proc/self").c_str(), buf, sizeof buf - 1);
    if (n <= 0) fail_errno("pre-pivot programs: cannot read " + old_root + "/proc/self");
    return std::string(buf, static_cast<size_t>(n));
}

void run_one(const PrePivotProgram& p, const std::string& old_root, const std::string& pid) {
    const std::string what = p.name.empty() ? "program " + p.path : p.name;
    std::vector<const char*> argv, envp;
    for (const auto& a : p.argv) argv.push_back(a.c_str());
    if (argv.empty()) argv.push_back(p.path.c_str());
    argv.push_back(nullptr);
    for (const auto& e : p.env) envp.push_back(e.c_str());
    envp.push_back(nullptr);
    // A socket, so that a program that never reads its stdin gives EPIPE
    // (MSG_NOSIGNAL), not SIGPIPE.
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) fail_errno(what);
    Fd mine(sv[0]), theirs(sv[1]);
    const pid_t child = ::fork();
    if (child < 0) fail_errno(what + ": fork");
    if (child == 0) {
        ::close(mine.get());
        ::shutdown(theirs.get(), SHUT_WR);
        if (::dup2(theirs.get(), 0) < 0 || ::chroot(old_root.c_str()) != 0 || ::chdir("/") != 0)
            ::_exit(126);
        ::execve(p.path.c_str(), const_cast<char* const*>(argv.data()),
                 const_cast<char* const*>(envp.data()));
        ::_exit(127);
    }
    theirs.reset();
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
    // A program that does not read its stdin is not an error.
    (void)send_all(mine.get(), p.stdin_prefix + pid + p.stdin_suffix);
    mine.reset();
    if (pidfd && p.timeout_s > 0) {
        pollfd pf{pidfd.get(), POLLIN, 0};
        int r;
        do r = ::poll(&pf, 1, p.timeout_s > INT_MAX / 1000 ? INT_MAX : p.timeout_s * 1000);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
            fail(what + ": timed out after " + std::to_string(p.timeout_s) + " s");
        }
    }
    int ws = 0;
    while (::waitpid(child, &ws, 0) < 0)
        if (errno != EINTR) fail_errno(what + ": waitpid");
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127) fail(what + ": cannot be executed");
    fail(what + ": " +
         (WIFEXITED(ws) ? "exited with status " + std::to_string(WEXITSTATUS(ws))
                        : "killed by signal " + std::to_string(WTERMSIG(ws))));
}

} // namespace

void run(const PrePivot& pp, const std::string& old_root, const std::string& new_root) {
    if (pp.programs.empty()) return;
    // The finished tree where the caller's view has the container's root:
    // in this mount namespace only (it is a slave of the caller's, nothing
    // flows back), and gone with the old root at the pivot.
    if (!pp.tree_at.empty()) {
        const std::string at = old_root + pp.tree_at;
        if (::mount(new_root.c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            fail_errno("pre-pivot programs: cannot show the tree at " + pp.tree_at);
    }
    const std::string pid = caller_pid(old_root);
    for (const auto& p : pp.programs) run_one(p, old_root, pid);
}

} // namespace burrow::pre_pivot
