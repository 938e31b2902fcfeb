// The one table of policy keys: type, documentation and default. Decoding
// checks every key of a document against it (unknown keys are errors with a
// "did you mean" hint), and `burrow policy schema` prints it for the man page.
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

struct KeyDoc {
    std::string_view key; // dotted; "fs[].dest" for keys of array-of-table items
    KeyType type;
    std::string_view def; // "" when there is no default
    std::string_view doc;
};

std::span<const KeyDoc> policy_schema();
const KeyDoc* find_schema_key(std::string_view dotted);
// The known key closest to `dotted` among its siblings, or "".
std::string suggest_key(std::string_view dotted);
const char* key_type_name(KeyType t);

} // namespace burrow::policy
