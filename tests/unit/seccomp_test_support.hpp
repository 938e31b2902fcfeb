// Runs a program with seccomp programs installed (NO_NEW_PRIVS, then each
// filter in order, as the runtime does), without any namespace: enough to
// hold burrow's compiled filters against the real kernel.
#pragma once

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace burrow::test {

struct RunResult {
    int status = -1;    // wait status
    std::string output; // stdout (and stderr when merged)
    bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

inline bool install_filter(const std::vector<sock_filter>& prog) {
    sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                     const_cast<sock_filter*>(prog.data())};
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0;
}

// argv[0] is a path. stderr goes along with stdout when merge_stderr.
inline RunResult run_filtered(const std::vector<std::vector<sock_filter>>& progs,
                              const std::vector<std::string>& argv, bool merge_stderr = false,
                              const std::string& cwd = "") {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return {};
    const pid_t pid = fork();
    if (pid < 0) return {};
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        if (merge_stderr) dup2(out[1], STDERR_FILENO);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(121);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(122);
        for (const auto& p : progs)
            if (!install_filter(p)) _exit(123);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(124);
    }
    close(out[1]);
    RunResult r;
    char buf[4096];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) r.output.append(buf, static_cast<std::size_t>(n));
    close(out[0]);
    while (waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
    }
    return r;
}

} // namespace burrow::test
