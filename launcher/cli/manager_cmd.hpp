// `burrow manager`: the sandbox manager daemon (launcher/manager).
#pragma once

#include <CLI/CLI.hpp>

namespace burrow {

void add_manager_subcommand(CLI::App& app);
// The exit code when `manager` was parsed, else -1.
int dispatch_manager_subcommand();

} // namespace burrow
