// The one table of policy keys: type, documentation, default and how a
// layer merges it. Decoding checks every key of a document against it
// (unknown keys are errors with a "did you mean" hint), `burrow policy
// schema` prints it for the man page, and layer() (launch's --policy) takes
// each key a layer wrote through the key's own rule.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace burrow::policy {

enum class KeyType {
    string,
    boolean,
    integer,
    size,       // bytes: integer or "64M", "1G", "512k"
    duration,   // integer seconds or "30s", "500ms", "5m", "1h"
    mode,       // "0755" or 0o755
    strings,    // array of strings
    free_table, // table of string values with user-chosen keys
    table,      // a section
    tables,     // array of tables
    rlimit,     // size, "unlimited", or [soft, hard]
};

struct Policy;

// How a key that the top layer wrote lands in the base (policy::layer):
// `key` is the entry's own dotted key (limits.NAME share one rule).
using LayerFn = void (*)(Policy& base, const Policy& top, std::string_view key);

struct KeyDoc {
    std::string_view key; // dotted; "fs[].dest" for keys of array-of-table items
    KeyType type;
    std::string_view def; // "" when there is no default
    std::string_view doc;
    LayerFn layer; // never null: sections and item keys have no-op rules
};

std::span<const KeyDoc> policy_schema();
const KeyDoc* find_schema_key(std::string_view dotted);
// The known key closest to `dotted` among its siblings, or "".
std::string suggest_key(std::string_view dotted);
const char* key_type_name(KeyType t);

} // namespace burrow::policy
