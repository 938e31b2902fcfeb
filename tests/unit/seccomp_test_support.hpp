// Runs a program with seccomp programs installed (NO_NEW_PRIVS, then each
// filter in order, as the runtime does), without any namespace: enough to
// hold burrow's compiled filters against the real kernel.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"

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

// argv[0] is a path. stderr goes along with stdout when merge_stderr. The
// filters are installed in the child just before exec (tests/support
// run_command's before_exec); a failure there exits 122 (NO_NEW_PRIVS) or
// 123 (a filter).
inline RunResult run_filtered(const std::vector<std::vector<sock_filter>>& progs,
                              const std::vector<std::string>& argv, bool merge_stderr = false,
                              const std::string& cwd = "") {
    btest::Command c;
    c.argv = argv;
    c.cwd = cwd;
    c.timeout = std::chrono::minutes(4); // a hang is CTest's to report
    c.before_exec = [&progs, merge_stderr] {
        if (merge_stderr) ::dup2(STDOUT_FILENO, STDERR_FILENO);
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(122);
        for (const auto& p : progs)
            if (!install_filter(p)) ::_exit(123);
    };
    const btest::Result res = btest::run(c);
    RunResult r;
    r.status = res.wait_status;
    r.output = res.out;
    return r;
}

} // namespace burrow::test
