// Seccomp costs, measured in one run on this machine:
//  - per-syscall overhead of the default and strict profiles: a getppid()
//    loop in a child with the filter installed, against the same loop with
//    no filter (interleaved rounds, median per call);
//  - time to compile each built-in profile to BPF (median).
// The filter is installed in a plain forked child (NO_NEW_PRIVS + seccomp),
// exactly as the runtime does as its last step; namespaces do not change
// the per-call cost of a filter.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "policy/seccomp_builtin.hpp"
#include "policy/seccomp_compile.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using burrow::seccomp::BpfProgram;

// ns per getppid() in a child with `progs` installed.
double loop_ns(const std::vector<BpfProgram>& progs, long iterations) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) std::exit(1);
    const pid_t pid = fork();
    if (pid < 0) std::exit(1);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
        for (const auto& p : progs) {
            sock_fprog f{static_cast<unsigned short>(p.size()), const_cast<sock_filter*>(p.data())};
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f) != 0) _exit(3);
        }
        for (long i = 0; i < iterations / 10; ++i) syscall(SYS_getppid); // warm up
        const auto t0 = Clock::now();
        for (long i = 0; i < iterations; ++i) syscall(SYS_getppid);
        const double ns =
            std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / iterations;
        if (write(fds[1], &ns, sizeof ns) != sizeof ns) _exit(4);
        _exit(0);
    }
    close(fds[1]);
    double ns = -1;
    if (read(fds[0], &ns, sizeof ns) != sizeof ns) ns = -1;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || ns < 0) {
        std::fprintf(stderr, "seccomp_bench: measuring child failed (status %d)\n", status);
        std::exit(1);
    }
    return ns;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    const long iterations = argc > 1 ? std::atol(argv[1]) : 2'000'000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 9;

    std::printf("profile compile time (median of 50, plan + libseccomp + export):\n");
    for (auto name : burrow::seccomp::builtin_profile_names()) {
        std::vector<double> us;
        std::size_t insns = 0;
        for (int i = 0; i < 50; ++i) {
            const auto t0 = Clock::now();
            const BpfProgram p =
                burrow::seccomp::compile_profile(*burrow::seccomp::builtin_profile(name));
            us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
            insns = p.size();
        }
        std::printf("  %-8s %8.0f us  (%zu BPF instructions)\n", std::string(name).c_str(),
                    median(us), insns);
    }

    const std::vector<BpfProgram> none;
    const std::vector<BpfProgram> def{
        burrow::seccomp::compile_profile(*burrow::seccomp::builtin_profile("default"))};
    const std::vector<BpfProgram> strict{
        burrow::seccomp::compile_profile(*burrow::seccomp::builtin_profile("strict"))};
    std::vector<double> t_none, t_def, t_strict;
    for (int r = 0; r < rounds; ++r) { // interleaved so drift hits all three
        t_none.push_back(loop_ns(none, iterations));
        t_def.push_back(loop_ns(def, iterations));
        t_strict.push_back(loop_ns(strict, iterations));
    }
    const double n = median(t_none), d = median(t_def), s = median(t_strict);
    std::printf("getppid() per call (median of %d rounds x %ld calls):\n", rounds, iterations);
    std::printf("  no filter %7.1f ns\n", n);
    std::printf("  default   %7.1f ns  overhead %+6.1f ns\n", d, d - n);
    std::printf("  strict    %7.1f ns  overhead %+6.1f ns\n", s, s - n);
    return 0;
}
