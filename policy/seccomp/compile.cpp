#include "policy/seccomp/compile.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "policy/seccomp/groups.hpp"
#include "runtime/fd.hpp"

namespace burrow::seccomp {

namespace {

#if defined(__x86_64__)
constexpr Abi abis[] = {
    {"x86_64", SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, false},
    {"i386", SCMP_ARCH_X86, AUDIT_ARCH_I386, true},
    // libseccomp compares x32 arguments as 32-bit values.
    {"x32", SCMP_ARCH_X32, AUDIT_ARCH_X86_64, true},
};
#elif defined(__aarch64__)
constexpr Abi abis[] = {
    {"aarch64", SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64, false},
    {"arm", SCMP_ARCH_ARM, AUDIT_ARCH_ARM, true},
};
#else
#error "burrow's seccomp compiler knows x86_64 and aarch64 only"
#endif

constexpr uint64_t low32 = 0xffffffffULL;

struct CtxDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

[[noreturn]] void lib_fail(const std::string& what, int rc) {
    throw ProfileError("libseccomp: " + what + ": " + std::strerror(-rc));
}

bool is_unconditional(const TermSet& t) {
    return t.size() == 1 && t[0] == Term{};
}

// All names a rule's entry stands for, checked.
std::vector<std::string> names_of(const std::string& entry, const std::string& origin) {
    if (!entry.empty() && entry[0] == '@') {
        if (!find_group(entry)) throw ProfileError(origin + ": unknown syscall group: " + entry);
        std::vector<std::string> out;
        for (auto& n : expand_group(entry))
            if (seccomp_syscall_resolve_name(n.c_str()) != __NR_SCMP_ERROR)
                out.push_back(std::move(n));
        return out;
    }
    if (!syscall_known(entry)) throw ProfileError(origin + ": unknown system call: " + entry);
    return {entry};
}

Ctx new_ctx(const Abi& abi, const Plan& plan, int optimize) {
    Ctx ctx{seccomp_init(to_ret(plan.default_action))};
    if (!ctx) throw ProfileError("libseccomp: cannot create a filter");
    int rc;
    if (abi.scmp_arch != seccomp_arch_native()) {
        if ((rc = seccomp_arch_add(ctx.get(), abi.scmp_arch)) < 0) lib_fail("add ABI", rc);
        if ((rc = seccomp_arch_remove(ctx.get(), seccomp_arch_native())) < 0)
            lib_fail("remove native ABI", rc);
    }
    if ((rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, to_ret(plan.bad_arch))) < 0)
        lib_fail("bad-architecture action", rc);
    // The program is exported, not loaded here: NO_NEW_PRIVS is the
    // runtime's job (it sets it before installing).
    if ((rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0)) < 0) lib_fail("nnp", rc);
    // Binary-tree dispatch on the syscall number: O(log n) per call for
    // long allow/deny lists instead of a linear scan.
    if ((rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, optimize)) < 0)
        lib_fail("optimize", rc);
    return ctx;
}

// Adds one term as a libseccomp rule for one ABI; skipped if the term cannot
// match on this ABI (it needs high argument bits a 32-bit ABI never has).
void add_term(void* ctx, const Abi& abi, int nr, const Term& term, const Action& action,
              const SyscallPlan& sp, const std::string& origin) {
    std::vector<scmp_arg_cmp> cmps;
    const uint64_t width = abi.args32 ? low32 : ~uint64_t{0};
    for (unsigned i = 0; i < term.size(); ++i) {
        if (!term[i]) continue;
        Cube c = *term[i];
        if (abi.args32) {
            if ((c.value & ~low32) != 0) return; // never true for zero-extended args
            c.mask &= low32;
        }
        if (c.mask == 0) continue;
        if (c.mask == width)
            cmps.push_back(scmp_arg_cmp{i, SCMP_CMP_EQ, c.value, 0});
        else
            cmps.push_back(scmp_arg_cmp{i, SCMP_CMP_MASKED_EQ, c.mask, c.value});
    }
    const int rc = seccomp_rule_add_exact_array(ctx, to_ret(action), nr,
                                                static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc < 0)
        throw ProfileError(origin + ": libseccomp refused the rule for " + sp.name + " on " +
                           abi.name + ": " + std::strerror(-rc));
}

BpfProgram export_bpf(void* ctx) {
    Fd mem{memfd_create("burrow-seccomp", MFD_CLOEXEC)};
    if (!mem) throw ProfileError(std::string("memfd_create: ") + std::strerror(errno));
    const int rc = seccomp_export_bpf(ctx, mem.get());
    if (rc < 0) lib_fail("export", rc);
    const off_t size = lseek(mem.get(), 0, SEEK_END);
    if (size < 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        throw ProfileError("libseccomp: exported program has a bad size");
    BpfProgram prog(static_cast<std::size_t>(size) / sizeof(sock_filter));
    const ssize_t n = pread(mem.get(), prog.data(), static_cast<std::size_t>(size), 0);
    if (n != size) throw ProfileError("reading the exported seccomp program failed");
    return prog;
}

#if defined(__x86_64__)
// i386 has the socket and SysV IPC calls twice: multiplexed (socketcall,
// ipc) and, since Linux 4.3, as direct calls (socket = 359 ...). libseccomp
// only knows them as multiplexed pseudo-calls and will not add exact rules
// for them, and its own rewriting drops argument conditions. So the direct
// i386 numbers get a small hand-built prefix in front of libseccomp's
// program, with the same per-argument regions as every other call.
const std::map<std::string, int>& i386_direct_calls() {
    static const std::map<std::string, int> table = [] {
        std::map<std::string, int> t;
        for (int nr = 0; nr < 512; ++nr) {
            char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr);
            if (!name) continue;
            if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name) < 0) t.emplace(name, nr);
            std::free(name);
        }
        return t;
    }();
    return table;
}

sock_filter stmt(uint16_t code, uint32_t k) {
    return sock_filter{code, 0, 0, k};
}
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    return sock_filter{code, jt, jf, k};
}

BpfProgram i386_direct_prefix(const Plan& plan) {
    BpfProgram body;
    for (const SyscallPlan& sp : plan.syscalls) {
        auto it = i386_direct_calls().find(sp.name);
        if (it == i386_direct_calls().end()) continue;
        BpfProgram call; // entered with A = nr == this call
        for (const auto& region : sp.regions) {
            if (region.action == plan.default_action) continue;
            for (const Term& t : region.terms) {
                BpfProgram checks;
                bool impossible = false;
                for (unsigned i = 0; i < t.size(); ++i) {
                    if (!t[i]) continue;
                    if ((t[i]->value & ~low32) != 0) impossible = true;
                    const uint32_t mask = static_cast<uint32_t>(t[i]->mask & low32);
                    if (mask == 0) continue;
                    // Low word of args[i] (little endian).
                    checks.push_back(
                        stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args) + 8 * i));
                    if (mask != 0xffffffffu)
                        checks.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, mask));
                    checks.push_back(
                        jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(t[i]->value), 0, 0));
                }
                if (impossible) continue;
                checks.push_back(stmt(BPF_RET | BPF_K, to_ret(region.action)));
                // Failed comparisons jump past this term's return.
                for (std::size_t k = 0; k < checks.size(); ++k)
                    if (BPF_CLASS(checks[k].code) == BPF_JMP) {
                        const std::size_t dist = checks.size() - k - 1;
                        if (dist > 255) throw ProfileError("i386 rule too long for " + sp.name);
                        checks[k].jf = static_cast<uint8_t>(dist);
                    }
                call.insert(call.end(), checks.begin(), checks.end());
            }
        }
        if (call.empty()) continue;
        call.push_back(stmt(BPF_RET | BPF_K, to_ret(plan.default_action)));
        // A holds nr again at the next call's test: a mismatch jumps there
        // straight from its own comparison.
        body.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(it->second), 1, 0));
        body.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(call.size())));
        body.insert(body.end(), call.begin(), call.end());
    }
    if (body.empty()) return {};
    BpfProgram prefix;
    prefix.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    prefix.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0));
    prefix.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(body.size() + 1)));
    prefix.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    prefix.insert(prefix.end(), body.begin(), body.end());
    return prefix;
}
#endif

} // namespace

std::span<const Abi> machine_abis() {
    return abis;
}

const Abi* find_abi(std::string_view name) {
    for (const Abi& a : abis)
        if (name == a.name) return &a;
    return nullptr;
}

int syscall_number(const Abi& abi, const std::string& name) {
    const int nr = seccomp_syscall_resolve_name_arch(abi.scmp_arch, name.c_str());
#if defined(__x86_64__)
    if (nr < 0 && abi.scmp_arch == SCMP_ARCH_X86) {
        auto it = i386_direct_calls().find(name);
        if (it != i386_direct_calls().end()) return it->second;
    }
#endif
    return nr < 0 ? -1 : nr;
}

bool syscall_known(const std::string& name) {
    for (const Abi& abi : abis)
        if (syscall_number(abi, name) >= 0) return true;
    return false;
}

std::string syscall_name(const Abi& abi, int nr) {
    char* s = seccomp_syscall_resolve_num_arch(abi.scmp_arch, nr);
    if (!s) return "";
    std::string out(s);
    std::free(s);
    return out;
}

Plan plan_profile(const Profile& profile) {
    if (profile.bad_arch.kind == ActionKind::allow)
        throw ProfileError(profile.name + ": bad_arch_action: allow");
    WorkBudget budget;
    // Per syscall, the rules that name it, in profile order.
    struct Entry {
        TermSet cond;
        Action action;
        const std::string* origin;
    };
    std::map<std::string, std::vector<Entry>> per_call;
    for (const Rule& r : profile.rules) {
        TermSet cond;
        try {
            cond = terms_of(r.args);
        } catch (const ProfileError& e) {
            throw ProfileError(r.origin + ": " + e.what());
        }
        for (const std::string& entry : r.syscalls)
            for (const std::string& name : names_of(entry, r.origin))
                per_call[name].push_back(Entry{cond, r.action, &r.origin});
    }
    Plan plan{profile.default_action, profile.bad_arch, {}};
    for (auto& [name, entries] : per_call) {
        SyscallPlan sp{name, {}};
        // region(i) = cond(i) minus every earlier cond with another action
        // (earlier conds with the same action need no subtracting).
        // Rules after an unconditional one can never match.
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const Entry& e = entries[i];
            try {
                // Subtract earlier conditions one at a time: each step stays
                // within this rule's own condition, which keeps the sets small.
                TermSet region = e.cond;
                for (std::size_t j = 0; j < i && !region.empty(); ++j)
                    if (!(entries[j].action == e.action))
                        region = intersect(region, complement(entries[j].cond));
                if (!region.empty()) sp.regions.push_back({region, e.action, *e.origin});
            } catch (const ProfileError& err) {
                throw ProfileError(*e.origin + ": " + name + ": " + err.what());
            }
            if (is_unconditional(e.cond)) break;
        }
        plan.syscalls.push_back(std::move(sp));
    }
    return plan;
}

BpfProgram compile_plan(const Plan& plan, int optimize) {
    // Every term becomes a libseccomp rule. Measured, a term costs 3.4 to 3.7
    // BPF instructions over the machine's ABIs (the built-ins, the unit
    // tests' stress profile: 1,125 terms, 3,609 instructions), so far more
    // than this many cannot fit the kernel's 4,096 instructions, and
    // libseccomp needs seconds to find that out (9 s for a 22-line profile
    // of 2,900 terms, found by tests/fuzz/fuzz_seccomp_profile). Refuse
    // before asking it.
    constexpr std::size_t kMaxTerms = 1536;
    std::size_t terms = 0;
    for (const SyscallPlan& sp : plan.syscalls)
        for (const auto& region : sp.regions)
            if (!(region.action == plan.default_action)) terms += region.terms.size();
    if (terms > kMaxTerms)
        throw ProfileError("the profile needs " + std::to_string(terms) +
                           " filter rules, more than " + std::to_string(kMaxTerms) +
                           " fit in one BPF program; simplify its argument conditions");
    Ctx merged;
    for (const Abi& abi : abis) {
        Ctx ctx = new_ctx(abi, plan, optimize);
        for (const SyscallPlan& sp : plan.syscalls) {
            // Rules are added exactly (no libseccomp rewriting onto
            // socketcall/ipc, which would drop the argument conditions), only
            // on ABIs that have the call directly; profiles handle socketcall
            // by name. libseccomp wants the native number (negative pseudo
            // numbers for calls the native ABI lacks) and translates it.
            if (seccomp_syscall_resolve_name_arch(abi.scmp_arch, sp.name.c_str()) < 0) continue;
            const int nr = seccomp_syscall_resolve_name(sp.name.c_str());
            for (const auto& region : sp.regions) {
                if (region.action == plan.default_action) continue;
                for (const Term& t : region.terms)
                    add_term(ctx.get(), abi, nr, t, region.action, sp, region.origin);
            }
        }
        if (!merged) {
            merged = std::move(ctx);
        } else {
            const int rc = seccomp_merge(merged.get(), ctx.get());
            if (rc < 0) lib_fail(std::string("merge ") + abi.name, rc);
            (void)ctx.release(); // seccomp_merge freed it
        }
    }
    BpfProgram prog = export_bpf(merged.get());
#if defined(__x86_64__)
    BpfProgram prefix = i386_direct_prefix(plan);
    prog.insert(prog.begin(), prefix.begin(), prefix.end());
#endif
    if (prog.size() > BPF_MAXINSNS)
        throw ProfileError("the compiled program has " + std::to_string(prog.size()) +
                           " instructions, more than the kernel's " + std::to_string(BPF_MAXINSNS));
    return prog;
}

} // namespace burrow::seccomp
