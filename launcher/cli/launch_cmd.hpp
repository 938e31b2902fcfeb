// `burrow launch`, `burrow enter`, `burrow stop`, `burrow ps`: the project
// sandbox on one of three backends, and its sessions (see burrow-launch(1)).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace burrow {

void add_launch_subcommands(CLI::App& app);
// The command after "--" of `burrow launch` / `burrow enter`, split off argv
// by main() before CLI11 parses.
void set_launch_command(std::vector<std::string> command);
// After app.parse(): the exit status of launch/enter/stop/ps, or -1 if
// another subcommand was given.
int dispatch_launch_subcommands();
// "launch", "enter", "stop" or "ps".
bool is_launch_subcommand(const char* name);

} // namespace burrow
