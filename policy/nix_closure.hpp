// Nix store closures: which store paths a program needs, and the filesystem
// operations that show exactly those paths (and nothing else) at the store
// directory inside the sandbox. Used by the bwrap front end (--nix-closure),
// by policy files ([nix] section) and by `burrow nix closure`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow::nix {

// One line, naming the path and the reason ("...: not in the Nix store").
struct NixError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ClosureRequest {
    // Store paths, or symlinks into the store (a profile, a result link).
    std::vector<std::string> roots;
    // Closure files: closureInfo's store-paths, or exportReferencesGraph output.
    std::vector<std::string> closure_files;
    // Empty: $NIX_STORE_DIR, else /nix/store.
    std::string store_dir;
    // Also expose the daemon socket and set NIX_REMOTE=daemon.
    bool daemon = false;
};

struct StorePath {
    std::string path;       // absolute, in the store directory
    uint64_t nar_size = 0;  // from the database when known, else 0
};

// The transitive closure of every root plus the entries of the closure
// files, sorted, without duplicates. Throws NixError.
std::vector<StorePath> compute_closure(const ClosureRequest& req);

// Appends to sb.fs the operations that make the store directory inside the
// sandbox a read-only directory holding only `closure`, each entry
// bind-mounted read-only; with req.daemon, binds the daemon socket directory
// and adds NIX_REMOTE=daemon to sb.proc.env. Throws NixError.
void append_store_view(const ClosureRequest& req, const std::vector<StorePath>& closure,
                       Sandbox& sb);

} // namespace burrow::nix
