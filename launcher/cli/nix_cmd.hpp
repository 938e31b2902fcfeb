// `burrow nix closure PATH... [--json]`: print the closure burrow would show
// in a sandbox (see burrow-nix(1)), for inspection and for feeding stock bwrap.
#pragma once

namespace CLI {
class App;
}

namespace burrow {

// Registers the "nix" subcommand on burrow's CLI11 app.
void add_nix_subcommand(CLI::App& app);
// After app.parse(): runs `burrow nix ...` if it was given and returns its
// exit status (0, or 125 with one "burrow: ..." line on stderr); -1 if
// another subcommand was given.
int dispatch_nix_subcommand(const CLI::App& app);

} // namespace burrow
