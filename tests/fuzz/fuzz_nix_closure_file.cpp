// libFuzzer target: Nix closure files (closureInfo's store-paths and
// exportReferencesGraph), parse_closure_text.
//
// Invariant beyond "no crash": every path returned is an entry directly in
// the store directory (the store view binds exactly these, read-only, so a
// path outside the store or a nested one would widen the sandbox).
#include <string>

#include "policy/nix/closure.hpp"
#include "policy/nix/closure_file.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    for (const char* store : {"/nix/store", "/gnu/store"}) {
        try {
            const auto paths = burrow::nix::parse_closure_text(text, "fuzz-closure", store);
            for (const auto& p : paths)
                fuzz::check(burrow::nix::is_store_entry(p, store),
                            "closure path outside " + std::string(store) + ": " + p);
        } catch (const burrow::nix::NixError&) {
        }
    }
    return 0;
}
