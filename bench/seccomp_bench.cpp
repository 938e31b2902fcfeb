// Seccomp costs, measured in one run on this machine:
//  - per-syscall overhead of the default and strict profiles: a getppid()
//    loop in a child with the filter installed, against the same loop with
//    no filter (interleaved rounds, median per call);
//  - time to get each built-in profile's program: compiled by libseccomp
//    (as at every start before) and looked up precompiled (now), and the
//    time to compile a few profile files (always at run time);
//  - the same loop under a filter that allows everything (the kernel's
//    fixed cost of any filter) and with libseccomp's linear dispatch.
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
#include <utility>
#include <vector>

#include "policy/seccomp/builtin.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/precompiled.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using burrow::seccomp::BpfProgram;

// ns per getppid() in a child with `progs` installed.
// The measured call: getppid() (no rule looks at its arguments, so the
// kernel's per-syscall action cache can skip the program), or
// ioctl(-1, TCGETS) (ioctl has argument rules: the program runs every time).
enum class Call { getppid, ioctl };

long make_call(Call c) {
    return c == Call::getppid ? syscall(SYS_getppid)
                              : syscall(SYS_ioctl, -1, 0x5401 /* TCGETS */, 0);
}

double loop_ns(const std::vector<BpfProgram>& progs, long iterations, Call call) {
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
        for (long i = 0; i < iterations / 10; ++i) make_call(call); // warm up
        const auto t0 = Clock::now();
        for (long i = 0; i < iterations; ++i) make_call(call);
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

// Median microseconds of f() over n runs; f returns the program it made.
template <class F> double median_us(int n, F f, std::size_t* insns) {
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        const BpfProgram p = f();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        *insns = p.size();
    }
    return median(us);
}

std::string write_temp(const std::string& name, const std::string& text) {
    const char* dir = std::getenv("TMPDIR");
    const std::string path = std::string(dir && *dir ? dir : "/tmp") + "/burrow-bench-" +
                             std::to_string(getpid()) + "-" + name;
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) std::exit(1);
    return path;
}

} // namespace

int main(int argc, char** argv) {
    using namespace burrow::seccomp;
    const long iterations = argc > 1 ? std::atol(argv[1]) : 2'000'000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 9;

    std::printf(
        "profile compile time (median of 20; libseccomp = plan + libseccomp + export,\n"
        "as every start paid before; precompiled = what --seccomp-profile NAME costs now):\n");
    for (auto name : builtin_profile_names()) {
        std::size_t insns = 0;
        const std::string n(name);
        const double lib = median_us(
            20, [&] { return compile_profile(*builtin_profile(name)); }, &insns);
        const double pre = median_us(
            20, [&] { return compile_named_profile(n); }, &insns);
        std::printf("  %-8s libseccomp %8.0f us   precompiled %6.2f us   (%zu BPF instructions)\n",
                    n.c_str(), lib, pre, insns);
    }
    // Profile files are compiled at run time: the precompiled table cannot
    // know them.
    const std::string small =
        write_temp("small.toml", "default_action = \"allow\"\n"
                                 "[[rule]]\nsyscalls = [\"@mount\", \"ptrace\", \"keyctl\"]\n"
                                 "action = \"errno:EPERM\"\n");
    const std::string on_default =
        write_temp("on-default.toml", "base = \"default\"\n"
                                      "[[rule]]\nsyscalls = [\"ptrace\"]\n"
                                      "action = \"errno:EPERM\"\n");
    const std::string on_strict = write_temp("on-strict.toml", "base = \"strict\"\n"
                                                               "[[rule]]\nsyscalls = [\"ptrace\"]\n"
                                                               "action = \"errno:EPERM\"\n");
    for (const auto& [label, path] :
         {std::pair{"file: 3 rules", small}, std::pair{"file: default + 1", on_default},
          std::pair{"file: strict + 1", on_strict}}) {
        std::size_t insns = 0;
        const double us = median_us(
            20, [&] { return compile_named_profile(path); }, &insns);
        std::printf("  %-18s %8.0f us   (%zu BPF instructions)\n", label, us, insns);
        std::remove(path.c_str());
    }

    auto linear = [](const char* name) {
        return compile_plan(plan_profile(*builtin_profile(name)), 1);
    };
    struct Variant {
        const char* label;
        std::vector<BpfProgram> progs;
        std::vector<double> ns;
    };
    std::vector<Variant> v = {
        {"no filter", {}, {}},
        // The kernel's fixed cost of having any filter at all.
        {"allow-all filter", {compile_profile(*builtin_profile("none"))}, {}},
        {"default", {compile_named_profile("default")}, {}},
        {"default (linear)", {linear("default")}, {}},
        {"ci", {compile_named_profile("ci")}, {}},
        {"strict", {compile_named_profile("strict")}, {}},
        {"strict (linear)", {linear("strict")}, {}},
    };
    for (Call call : {Call::getppid, Call::ioctl}) {
        for (auto& x : v) x.ns.clear();
        for (int r = 0; r < rounds; ++r) // interleaved so drift hits every variant
            for (auto& x : v) x.ns.push_back(loop_ns(x.progs, iterations, call));
        const double base = median(v[0].ns);
        std::printf("%s per call (median of %d rounds x %ld calls; binary-tree dispatch\n"
                    "unless \"linear\"):\n",
                    call == Call::getppid ? "getppid()" : "ioctl(-1, TCGETS)", rounds, iterations);
        // The fastest round as well: on a shared machine the median carries
        // other people's load, the minimum is closer to the filter's own cost.
        const double base_min = *std::min_element(v[0].ns.begin(), v[0].ns.end());
        for (auto& x : v) {
            const double m = median(x.ns);
            const double lo = *std::min_element(x.ns.begin(), x.ns.end());
            std::printf("  %-18s %7.1f ns  overhead %+6.1f ns  ratio %.2f   min %7.1f ns  "
                        "overhead %+6.1f ns\n",
                        x.label, m, m - base, m / base, lo, lo - base_min);
        }
    }
    return 0;
}
