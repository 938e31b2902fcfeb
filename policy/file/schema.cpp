#include "policy/file/schema.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "policy/file/keys.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

// The sections in the order of the man page, `policy schema` and `policy
// show`. [nix] comes last: its store view must follow every other
// filesystem operation when a policy resolves.
const std::vector<KeyDoc>& table() {
    static const std::vector<KeyDoc> t = [] {
        std::vector<KeyDoc> all;
        for (const auto part : {top_level_keys(), namespaces_keys(), fs_keys(), env_keys(),
                                capabilities_keys(), seccomp_keys(), landlock_keys(), limits_keys(),
                                process_keys(), status_keys(), nix_keys()})
            all.insert(all.end(), part.begin(), part.end());
        return all;
    }();
    return t;
}

// Levenshtein distance, small strings only.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

} // namespace

std::span<const KeyDoc> policy_schema() {
    return table();
}

const KeyDoc* find_schema_key(std::string_view dotted) {
    for (const auto& k : table())
        if (k.key == dotted) return &k;
    return nullptr;
}

std::string suggest_key(std::string_view dotted) {
    const auto dot = dotted.rfind('.');
    const std::string_view parent = dot == std::string_view::npos ? "" : dotted.substr(0, dot + 1);
    const std::string_view leaf = dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
    std::string best;
    std::size_t best_d = 3; // more than two edits is not a typo
    for (const auto& k : table()) {
        if (!k.key.starts_with(parent)) continue;
        const std::string_view rest = k.key.substr(parent.size());
        if (rest.find('.') != std::string_view::npos) continue;
        const std::size_t d = distance(leaf, rest);
        if (d < best_d) {
            best_d = d;
            best = std::string(rest);
        }
    }
    return best;
}

void layer(Policy& base, const Policy& top) {
    for (const auto& k : table())
        if (top.wrote(k.key)) k.ops.layer(base, top, k.key);
    base.written.insert(top.written.begin(), top.written.end());
}

const char* key_type_name(KeyType t) {
    switch (t) {
    case K::string:
        return "string";
    case K::boolean:
        return "boolean";
    case K::integer:
        return "integer";
    case K::size:
        return "size";
    case K::duration:
        return "duration";
    case K::mode:
        return "mode";
    case K::strings:
        return "array of strings";
    case K::free_table:
        return "table of strings";
    case K::table:
        return "table";
    case K::tables:
        return "array of tables";
    case K::rlimit:
        return "limit";
    case K::string_or_table:
        return "string or table";
    }
    return "?";
}

} // namespace burrow::policy
