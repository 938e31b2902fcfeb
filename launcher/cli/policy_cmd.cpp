#include "launcher/cli/policy_cmd.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "policy/bwrap/args.hpp"
#include "policy/file/policy.hpp"
#include "policy/file/resolve.hpp"
#include "policy/file/schema.hpp"
#include "policy/file/show.hpp"
#include "policy/file/to_bwrap.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

namespace burrow {

namespace {

struct PolicyOptions {
    CLI::App* root = nullptr;
    CLI::App *check = nullptr, *show = nullptr, *to_bwrap = nullptr, *schema = nullptr;
    std::string file;
    std::vector<std::string> sets;
    bool json = false, nul = false, shell = false;
};
PolicyOptions opts;

policy::Policy load() {
    policy::LoadOptions lo;
    lo.sets = opts.sets;
    return policy::load_policy(opts.file, lo);
}

int do_check() {
    policy::Policy p = load();
    // Resolving compiles seccomp and runs the bwrap front end's checks; the
    // Nix closure is computed only when the policy runs.
    p.has_nix = false;
    const policy::Resolved r = policy::resolve_policy(p, {"true"}, host_facts_from_process());
    for (const auto& w : r.warnings) std::fprintf(stderr, "burrow: warning: %s\n", w.c_str());
    return 0;
}

int do_show() {
    const policy::Policy p = load();
    const std::string text = opts.json ? policy::policy_to_json(p) : policy::policy_to_toml(p);
    return write_all(STDOUT_FILENO, text) == 0 ? 0 : kExitFailure;
}

int do_to_bwrap() {
    const policy::Policy p = load();
    const HostFacts host = host_facts_from_process();
    std::vector<std::string> warnings;
    const std::string text = opts.nul ? policy::bwrap_command_nul(p, host.env, warnings)
                                      : policy::bwrap_command_shell(p, host.env, warnings);
    for (const auto& w : warnings)
        std::fprintf(stderr, "burrow: warning: stock bwrap cannot express: %s\n", w.c_str());
    return write_all(STDOUT_FILENO, text) == 0 ? 0 : kExitFailure;
}

int do_schema() {
    std::string text;
    for (const auto& k : policy::policy_schema()) {
        text += std::string(k.key) + " (" + policy::key_type_name(k.type) + ")";
        if (!k.def.empty()) text += " default " + std::string(k.def);
        text += "\n    " + std::string(k.doc) + "\n";
    }
    return write_all(STDOUT_FILENO, text) == 0 ? 0 : kExitFailure;
}

void file_and_sets(CLI::App* c) {
    c->add_option("file", opts.file, "policy file or built-in name")->required();
    c->add_option("--set", opts.sets, "set a policy key or variable: KEY=VALUE");
}

} // namespace

void add_policy_subcommand(CLI::App& app) {
    opts.root = app.add_subcommand("policy", "Check, show and convert policy files "
                                             "(see burrow-policy(5))");
    opts.root->require_subcommand(1);
    opts.check = opts.root->add_subcommand(
        "check", "Validate FILE (errors name file:line:column) and warn about order mistakes");
    file_and_sets(opts.check);
    opts.show = opts.root->add_subcommand(
        "show", "Print FILE resolved (extends followed, --set applied) as TOML or JSON");
    file_and_sets(opts.show);
    opts.show->add_flag("--json", opts.json, "print JSON instead of TOML");
    opts.to_bwrap = opts.root->add_subcommand(
        "to-bwrap",
        "Print an equivalent bwrap command line (warns about what bwrap cannot express)");
    file_and_sets(opts.to_bwrap);
    auto* nul =
        opts.to_bwrap->add_flag("--nul", opts.nul, "NUL-separated arguments (for --args FD)");
    auto* sh =
        opts.to_bwrap->add_flag("--shell", opts.shell, "one shell-quoted command line (default)");
    nul->excludes(sh);
    opts.schema =
        opts.root->add_subcommand("schema", "List every policy key with type and default");
}

int dispatch_policy_subcommand() {
    if (opts.root == nullptr || !opts.root->parsed()) return -1;
    try {
        if (opts.check->parsed()) return do_check();
        if (opts.show->parsed()) return do_show();
        if (opts.to_bwrap->parsed()) return do_to_bwrap();
        if (opts.schema->parsed()) return do_schema();
    } catch (const policy::PolicyError& e) {
        std::fprintf(stderr, "burrow: %s\n", e.what());
        return kExitFailure;
    }
    return kExitFailure;
}

} // namespace burrow
