// [nix]: a Nix store closure shown read-only at the store directory. The
// one place policy files meet the Nix closure code (policy/nix).
#include <array>

#include "policy/file/keys.hpp"
#include "policy/nix/closure.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

// [nix] written at all; errors point at the first [nix] table, as a merged
// tree keeps the base's.
void decode_section(const Decode&, const Node& n, Policy& p, std::string_view) {
    p.has_nix = true;
    p.nix_pos = n.pos;
}

void layer_section(Policy& b, const Policy& t, std::string_view) {
    if (!b.has_nix) b.nix_pos = t.nix_pos;
    b.has_nix = true;
}

// The closure's entries, read-only at the store directory. The table puts
// [nix] last, so this runs after every other filesystem operation was
// parsed (a bind of / or /nix cannot cover the view).
void resolve_section(const Policy& p, Sandbox& sb) {
    if (!p.has_nix) return;
    nix::ClosureRequest req;
    req.roots = p.nix_packages;
    req.closure_files = p.nix_closures;
    req.store_dir = p.nix_store_dir;
    req.daemon = p.nix_daemon;
    if (req.roots.empty() && req.closure_files.empty()) {
        if (!req.daemon) return;
        throw PolicyError(p.nix_pos, "[nix]: daemon = true needs packages or closure files");
    }
    try {
        nix::append_store_view(req, nix::compute_closure(req), sb);
    } catch (const nix::NixError& e) {
        throw PolicyError(p.nix_pos, std::string("[nix]: ") + e.what());
    }
}

constexpr std::array kKeys{
    KeyDoc{"nix",
           K::table,
           "",
           "Nix store closure shown at the store directory.",
           {.decode = decode_section,
            .shown = [](const Policy& p) { return p.has_nix; },
            .layer = layer_section,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.has_nix) o.cannot("[nix] store view: bind the closure paths yourself");
                },
            .resolve = resolve_section}},
    KeyDoc{"nix.packages",
           K::strings,
           "[]",
           "Store paths or links into the store.",
           {.decode = key::texts<&Policy::nix_packages>,
            .show = key::show_lit<&Policy::nix_packages>,
            .layer = key::append<&Policy::nix_packages>}},
    KeyDoc{"nix.closures",
           K::strings,
           "[]",
           "Closure files (closureInfo store-paths).",
           {.decode = key::texts<&Policy::nix_closures>,
            .show = key::show_lit<&Policy::nix_closures>,
            .layer = key::append<&Policy::nix_closures>}},
    KeyDoc{"nix.daemon",
           K::boolean,
           "false",
           "Expose the daemon socket (NIX_REMOTE=daemon).",
           {.decode = key::boolean<&Policy::nix_daemon>,
            .show = key::show<&Policy::nix_daemon>,
            .layer = key::later<&Policy::nix_daemon>}},
    KeyDoc{"nix.store_dir",
           K::string,
           "/nix/store",
           "The store directory.",
           {.decode = key::path<&Policy::nix_store_dir>,
            .show =
                [](const Policy& p, Json& t, std::string_view leaf) {
                    if (!p.nix_store_dir.empty()) t[std::string(leaf)] = lit(p.nix_store_dir);
                },
            .layer = key::later<&Policy::nix_store_dir>}},
};

} // namespace

std::span<const KeyDoc> nix_keys() {
    return kKeys;
}

} // namespace burrow::policy
