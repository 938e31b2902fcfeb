// Closure files written by Nix builds, read without running Nix:
//  - closureInfo's `store-paths`: one store path a line (the file, or the
//    closureInfo output directory holding it);
//  - exportReferencesGraph: blocks of "path", "deriver" (may be empty),
//    a reference count N, then N referenced paths.
// The format is recognised from the text: a file whose third line is a
// number is a references graph.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace burrow::nix {

// Every store path the text names (in a graph: the paths and their
// references), in file order, duplicates kept. `name` is used in errors
// ("NAME:LINE: not a store path in STORE_DIR: TEXT"). Throws NixError.
std::vector<std::string> parse_closure_text(std::string_view text, const std::string& name,
                                            const std::string& store_dir);

// Reads `path` (a file, or a directory holding store-paths) and parses it.
// Throws NixError naming the path.
std::vector<std::string> read_closure_file(const std::string& path, const std::string& store_dir);

// True when `path` is an entry directly in store_dir ("<store_dir>/<name>",
// name non-empty, without '/', not "." or "..").
bool is_store_entry(std::string_view path, std::string_view store_dir);

} // namespace burrow::nix
