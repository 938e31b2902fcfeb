// Nix store closures: which store paths a program needs, and the filesystem
// operations that show exactly those paths (and nothing else) at the store
// directory inside the sandbox. Used by the bwrap front end (--nix-closure),
// by policy files ([nix] section) and by `burrow nix closure`.
//
// Typical use by a front end:
//     nix::ClosureRequest req;
//     req.roots = {"/nix/store/...-app"};          // or a profile / result link
//     req.daemon = true;                            // optional
//     auto closure = nix::compute_closure(req);     // throws nix::NixError
//     nix::append_store_view(req, closure, sandbox);
// The error text is one line naming the path and the reason; the front end
// adds its own prefix ("bwrap: ", "burrow: ") and exit status.
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

// How the references of the roots are found.
enum class Reader {
    automatic, // the SQLite database; nix-store when the default database cannot be
               // opened or read (permissions, a WAL database in a directory we may not
               // write); locked or corrupt databases are errors, not fallbacks
    sqlite,    // the SQLite database only
    nix_store, // `nix-store --query --requisites` only (through the daemon if NIX_REMOTE says so)
};

struct ClosureRequest {
    // Store paths, or symlinks into the store (a profile, a result link), or
    // paths below a store path (its store path is taken).
    std::vector<std::string> roots;
    // Closure files: closureInfo's store-paths (or its output directory),
    // or exportReferencesGraph output. Their entries are taken as they are.
    std::vector<std::string> closure_files;
    // Empty: $NIX_STORE_DIR, else /nix/store.
    std::string store_dir;
    // Empty: $NIX_STATE_DIR/db/db.sqlite, else /nix/var/nix/db/db.sqlite.
    std::string db_path;
    Reader reader = Reader::automatic;
    // Program run by the nix-store reader (PATH-searched when it has no '/').
    std::string nix_store_program = "nix-store";
    // Also expose the daemon socket and set NIX_REMOTE=daemon.
    bool daemon = false;
    // Empty: the directory of $NIX_DAEMON_SOCKET_PATH, else
    // $NIX_STATE_DIR/daemon-socket, else /nix/var/nix/daemon-socket.
    std::string daemon_socket_dir;
};

struct StorePath {
    std::string path;      // absolute, in the store directory
    uint64_t nar_size = 0; // from the database when known, else 0
    friend bool operator==(const StorePath&, const StorePath&) = default;
};

// The defaults above, resolved from the environment.
std::string effective_store_dir(const ClosureRequest& req);
std::string effective_db_path(const ClosureRequest& req);
std::string effective_daemon_socket_dir(const ClosureRequest& req);

// The transitive closure of every root plus the entries of the closure
// files, sorted, without duplicates. Throws NixError.
std::vector<StorePath> compute_closure(const ClosureRequest& req);

// Appends to sb.fs the operations that make the store directory inside the
// sandbox a read-only directory holding only `closure`, each entry
// bind-mounted read-only (one FsOpKind::bind_view); with req.daemon, binds
// the daemon socket directory and sets NIX_REMOTE=daemon in sb.proc.env.
// Call it after the front end's own filesystem operations so the view is
// not covered by a later bind of the store's parent. Throws NixError.
void append_store_view(const ClosureRequest& req, const std::vector<StorePath>& closure,
                       Sandbox& sb);

} // namespace burrow::nix
