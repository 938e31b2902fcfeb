// The fallback reader: `nix-store --query --requisites PATH...`, for
// installs where only the nix-daemon may read the database. Run with
// posix_spawn and an argv (no shell), its output read from a pipe.
#pragma once

#include <string>
#include <vector>

namespace burrow::nix {

// The requisites of store_paths (which must be store paths already), one
// entry per line of nix-store's output. `program` is PATH-searched when it
// has no '/'. store_dir, when not empty, is passed as NIX_STORE_DIR.
// Throws NixError with nix-store's own first error line when it fails.
std::vector<std::string> nix_store_requisites(const std::string& program,
                                              const std::vector<std::string>& store_paths,
                                              const std::string& store_dir);

} // namespace burrow::nix
