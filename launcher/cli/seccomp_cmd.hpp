// `burrow seccomp export|explain|check|groups`: compile, show and query
// seccomp profiles (see burrow-seccomp(7)).
#pragma once

namespace CLI {
class App;
}

namespace burrow {

// Registers the "seccomp" subcommand on burrow's CLI11 app.
void add_seccomp_subcommand(CLI::App& app);
// After app.parse(): runs `burrow seccomp ...` if it was the subcommand
// given and returns its exit status (0, or 125 with one "burrow: ..." line on
// stderr); -1 if another subcommand was given.
int dispatch_seccomp_subcommand(const CLI::App& app);

} // namespace burrow
