// `burrow policy check|show|to-bwrap|schema`: validate, print and convert
// policy files (see burrow-policy(5)).
#pragma once

namespace CLI {
class App;
}

namespace burrow {

void add_policy_subcommand(CLI::App& app);
// After app.parse(): 0, 1 (check found warnings with --strict) or 125; -1 if
// another subcommand was given.
int dispatch_policy_subcommand();

} // namespace burrow
