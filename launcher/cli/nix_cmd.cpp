#include "launcher/cli/nix_cmd.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "policy/nix/closure.hpp"
#include "runtime/io.hpp"
#include "runtime/status.hpp"
#include "runtime/exit_status.hpp"

namespace burrow {

namespace {

struct Options {
    CLI::App* root = nullptr;
    CLI::App* closure = nullptr;
    std::vector<std::string> paths;
    std::vector<std::string> closure_files;
    std::string store_dir, db, reader = "auto";
    bool json = false;
};
Options opts;

int do_closure() {
    nix::ClosureRequest req;
    req.roots = opts.paths;
    req.closure_files = opts.closure_files;
    req.store_dir = opts.store_dir;
    req.db_path = opts.db;
    req.reader = opts.reader == "sqlite"      ? nix::Reader::sqlite
                 : opts.reader == "nix-store" ? nix::Reader::nix_store
                                              : nix::Reader::automatic;
    const std::vector<nix::StorePath> closure = nix::compute_closure(req);
    std::string out;
    if (opts.json) {
        out = "[";
        for (size_t i = 0; i < closure.size(); ++i) {
            out += i ? ",\n " : "\n ";
            out += "{\"path\": " + status::json_quote(closure[i].path) +
                   ", \"narSize\": " + std::to_string(closure[i].nar_size) + "}";
        }
        out += closure.empty() ? "]\n" : "\n]\n";
    } else {
        for (const auto& p : closure) out += p.path + "\n";
    }
    if (write_all(STDOUT_FILENO, out) != 0) {
        std::fprintf(stderr, "burrow: nix closure: cannot write to standard output\n");
        return kExitFailure;
    }
    return 0;
}

} // namespace

void add_nix_subcommand(CLI::App& app) {
    opts.root = app.add_subcommand("nix", "Nix store closures (see burrow-nix(1))");
    opts.root->require_subcommand(1);
    opts.closure = opts.root->add_subcommand(
        "closure", "Print the closure of store paths, one path a line (sorted)");
    opts.closure->add_option("PATH", opts.paths,
                             "Store paths, paths below one, or symlinks into the store");
    opts.closure->add_option("--closure-file", opts.closure_files,
                             "Also list the paths of a closureInfo store-paths file or "
                             "exportReferencesGraph file (repeatable)");
    opts.closure->add_flag("--json", opts.json,
                           "Print a JSON array of {\"path\", \"narSize\"} (narSize 0 when "
                           "unknown)");
    opts.closure->add_option("--store-dir", opts.store_dir,
                             "The store directory (default: $NIX_STORE_DIR or /nix/store)");
    opts.closure->add_option("--db", opts.db,
                             "The Nix database (default: $NIX_STATE_DIR/db/db.sqlite or "
                             "/nix/var/nix/db/db.sqlite)");
    opts.closure
        ->add_option("--reader", opts.reader,
                     "auto: the database, or nix-store when it cannot be opened; sqlite; "
                     "nix-store")
        ->check(CLI::IsMember({"auto", "sqlite", "nix-store"}));
}

int dispatch_nix_subcommand(const CLI::App&) {
    if (!opts.root || !opts.root->parsed()) return -1;
    try {
        if (opts.closure->parsed()) {
            if (opts.paths.empty() && opts.closure_files.empty()) {
                std::fprintf(stderr, "burrow: nix closure: no store path given\n");
                return kExitFailure;
            }
            return do_closure();
        }
    } catch (const nix::NixError& e) {
        std::fprintf(stderr, "burrow: nix closure: %s\n", e.what());
        return kExitFailure;
    }
    return kExitFailure;
}

} // namespace burrow
