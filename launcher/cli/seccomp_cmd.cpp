#include "launcher/cli/seccomp_cmd.hpp"

#include <linux/seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/io.hpp"
#include "runtime/seccomp_bpf_eval.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/groups.hpp"
#include "policy/seccomp/precompiled.hpp"
#include "policy/seccomp/profile_file.hpp"
#include "runtime/exit_status.hpp"

namespace burrow {

namespace {

using namespace burrow::seccomp;

struct Options {
    CLI::App* root = nullptr;
    CLI::App* exp = nullptr;
    CLI::App* explain = nullptr;
    CLI::App* check = nullptr;
    CLI::App* groups = nullptr;
    std::string profile;
    std::string syscall;
    std::vector<std::string> args;
    std::string abi;
};
Options opts;

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
    return v < 10 ? std::to_string(v) : buf;
}

std::string term_text(const Term& t) {
    std::string out;
    for (unsigned i = 0; i < t.size(); ++i) {
        if (!t[i]) continue;
        if (!out.empty()) out += " && ";
        if (t[i]->mask == ~uint64_t{0})
            out += "arg" + std::to_string(i) + " == " + hex(t[i]->value);
        else
            out += "arg" + std::to_string(i) + " & " + hex(t[i]->mask) + " == " + hex(t[i]->value);
    }
    return out.empty() ? "-" : out;
}

std::string region_text(const TermSet& terms) {
    if (terms.size() > 3)
        return term_text(terms[0]) + " || ... (" + std::to_string(terms.size()) + " patterns)";
    std::string out;
    for (const Term& t : terms) out += (out.empty() ? "" : " || ") + term_text(t);
    return out;
}

int do_export() {
    // Built-ins: the precompiled program, the very bytes --seccomp-profile installs.
    const BpfProgram prog = compile_named_profile(opts.profile);
    if (write_all(STDOUT_FILENO, prog.data(), prog.size() * sizeof(sock_filter)) != 0)
        throw ProfileError(std::string("writing the program: ") + std::strerror(errno));
    return 0;
}

int do_explain() {
    const Profile profile = load_profile(opts.profile);
    const Plan plan = plan_profile(profile);
    const BpfProgram prog = compile_plan(plan);
    std::ostringstream out;
    out << "profile " << profile.name;
    if (!profile.description.empty()) out << ": " << profile.description;
    out << "\ndefault action: " << to_string(plan.default_action)
        << "\nbad-architecture action: " << to_string(plan.bad_arch) << "\nABIs:";
    for (const Abi& abi : machine_abis()) out << ' ' << abi.name;
    out << "\nprogram: " << prog.size() << " BPF instructions\n\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-22s", "SYSCALL");
    out << line;
    for (const Abi& abi : machine_abis()) {
        std::snprintf(line, sizeof line, " %-11s", abi.name);
        out << line;
    }
    out << " ACTION           CONDITION\n";
    for (const SyscallPlan& sp : plan.syscalls) {
        for (const auto& region : sp.regions) {
            std::snprintf(line, sizeof line, "%-22s", sp.name.c_str());
            out << line;
            for (const Abi& abi : machine_abis()) {
                const int nr = syscall_number(abi, sp.name);
                std::snprintf(line, sizeof line, " %-11s",
                              nr < 0 ? "-" : hex(static_cast<uint64_t>(nr)).c_str());
                out << line;
            }
            std::snprintf(line, sizeof line, " %-16s", to_string(region.action).c_str());
            out << line << ' ' << region_text(region.terms) << '\n';
        }
    }
    out << "(every other call: " << to_string(plan.default_action) << ")\n";
    const std::string text = out.str();
    return write_all(STDOUT_FILENO, text) == 0 ? 0 : kExitFailure;
}

uint64_t parse_arg(const std::string& s) {
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (s.empty() || s[0] == '-' || *end != '\0' || errno != 0)
        throw ProfileError("check: bad argument value: " + s);
    return v;
}

int do_check() {
    if (opts.args.size() > 6) throw ProfileError("check: too many arguments (at most 6)");
    const std::vector<BpfProgram> progs{compile_named_profile(opts.profile)};
    if (!syscall_known(opts.syscall)) throw ProfileError("unknown system call: " + opts.syscall);
    seccomp_data data{};
    for (std::size_t i = 0; i < opts.args.size(); ++i) data.args[i] = parse_arg(opts.args[i]);
    const Abi* only = nullptr;
    if (!opts.abi.empty() && !(only = find_abi(opts.abi)))
        throw ProfileError("unknown ABI: " + opts.abi);
    std::string text;
    for (const Abi& abi : machine_abis()) {
        if (only && only != &abi) continue;
        const int nr = syscall_number(abi, opts.syscall);
        std::string verdict;
        if (nr < 0) {
            verdict = "no such call on this ABI";
        } else {
            data.nr = nr;
            data.arch = abi.audit_arch;
            const uint32_t ret = run_stack(progs, data);
            const auto action = from_ret(ret);
            verdict = action ? to_string(*action) : "ret " + hex(ret);
        }
        text += only ? verdict + "\n" : std::string(abi.name) + ": " + verdict + "\n";
    }
    return write_all(STDOUT_FILENO, text) == 0 ? 0 : kExitFailure;
}

int do_groups() {
    std::string text;
    for (const SyscallGroup& g : syscall_groups()) {
        text += std::string(g.name) + " - " + std::string(g.description) + "\n   ";
        for (auto m : g.members) text += " " + std::string(m);
        text += "\n";
    }
    return write_all(STDOUT_FILENO, text) == 0 ? 0 : kExitFailure;
}

} // namespace

void add_seccomp_subcommand(CLI::App& app) {
    opts.root = app.add_subcommand("seccomp", "Compile, show and query seccomp profiles "
                                              "(see burrow-seccomp(7))");
    opts.root->require_subcommand(1);
    opts.exp = opts.root->add_subcommand(
        "export", "Write PROFILE's raw BPF program to stdout (for bwrap --seccomp FD)");
    opts.exp->add_option("profile", opts.profile, "built-in profile name or profile file")
        ->required();
    opts.explain = opts.root->add_subcommand("explain", "Print PROFILE as a table per ABI");
    opts.explain->add_option("profile", opts.profile, "built-in profile name or profile file")
        ->required();
    opts.check = opts.root->add_subcommand(
        "check", "Print the action PROFILE's compiled program gives SYSCALL with ARGs");
    opts.check->add_option("profile", opts.profile, "built-in profile name or profile file")
        ->required();
    opts.check->add_option("syscall", opts.syscall, "system call name")->required();
    opts.check->add_option("args", opts.args, "argument values (decimal or 0x hex), up to 6");
    opts.check->add_option("--abi", opts.abi, "only this ABI (x86_64, i386, x32)");
    opts.groups = opts.root->add_subcommand("groups", "List the syscall groups");
}

int dispatch_seccomp_subcommand(const CLI::App& app) {
    (void)app;
    if (!opts.root || !opts.root->parsed()) return -1;
    try {
        if (opts.exp->parsed()) return do_export();
        if (opts.explain->parsed()) return do_explain();
        if (opts.check->parsed()) return do_check();
        if (opts.groups->parsed()) return do_groups();
    } catch (const ProfileError& e) {
        std::fprintf(stderr, "burrow: seccomp: %s\n", e.what());
        return kExitFailure;
    }
    return kExitFailure;
}

} // namespace burrow
