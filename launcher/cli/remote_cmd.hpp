// `burrow remote HOST create|list|attach|logs|stop|delete|ui`: drives the
// manager on HOST over ssh (see burrow-remote(1)). The remote command line
// is fixed words (`burrow manager request|token|attach`, plus options and
// an id that were checked to be shell-inert); the request itself (method,
// path, JSON body) travels as one JSON document on ssh's stdin, so nothing
// the user typed is ever read by the remote shell.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace burrow {

void add_remote_subcommand(CLI::App& app);
// The command after "--" of `burrow remote HOST create`, split off argv by
// main() before CLI11 parses.
void set_remote_command(std::vector<std::string> command);
// After parsing: the exit status of `burrow remote`, or -1.
int dispatch_remote_subcommand();

} // namespace burrow
