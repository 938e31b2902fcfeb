// `burrow run --policy FILE|NAME [--set K=V]... [--bind SRC DEST]... -- CMD`:
// runs a command in the sandbox a policy describes (see burrow-run(1)).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace burrow {

void add_run_subcommand(CLI::App& app);
// The command after "--", split off argv by main() before CLI11 parses.
void set_run_command(std::vector<std::string> command);
// After app.parse(): the exit status of `burrow run` (the payload's, or
// 124-127), or -1 if another subcommand was given.
int dispatch_run_subcommand();

} // namespace burrow
