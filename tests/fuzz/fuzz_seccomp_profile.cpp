// libFuzzer target: seccomp profile files (parse_profile_toml) and the
// compiler behind them (plan_profile, compile_plan through libseccomp).
//
// Invariant beyond "no crash": the compiled program agrees with the plan.
// For every planned syscall region the harness can pick a witness argument
// vector for (the region's first term, each argument at its lower bound),
// the program run through the BPF interpreter returns the region's action.
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <string>

#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "runtime/seccomp_bpf_eval.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace burrow::seccomp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FdLeakCheck leaks;
    // Profile files are capped at 16 MiB by the loader; libFuzzer's -max_len
    // keeps inputs far below that.
    const std::string_view text = fuzz::as_text(data, size);
    try {
        const Profile profile = parse_profile_toml(text, "fuzz.toml");
        const Plan plan = plan_profile(profile);
        const BpfProgram prog = compile_plan(plan);
        fuzz::check(!prog.empty(), "compiled program is empty");
        fuzz::check(prog.size() < 65536, "compiled program longer than BPF allows");
        const Abi& native = machine_abis().front();
        for (const SyscallPlan& sp : plan.syscalls) {
            const int nr = syscall_number(native, sp.name);
            if (nr < 0) continue;
            for (const auto& region : sp.regions) {
                if (region.terms.empty()) continue;
                seccomp_data w{};
                w.nr = nr;
                w.arch = native.audit_arch;
                for (std::size_t i = 0; i < 6; ++i)
                    if (const auto& cube = region.terms.front()[i]) w.args[i] = cube->value;
                const uint32_t got = run_bpf(prog, w);
                if (got != to_ret(region.action))
                    fuzz::fail("compiled program disagrees with the plan for " + sp.name +
                               " (region from " + region.origin + "): plan " +
                               to_string(region.action) + ", program returns " +
                               std::to_string(got));
            }
        }
        // A call on an architecture the program does not know gets bad_arch.
        seccomp_data d{};
        d.arch = 0x12345678;
        d.nr = 0;
        (void)run_bpf(prog, d);
    } catch (const ProfileError&) {
    }
    return 0;
}
