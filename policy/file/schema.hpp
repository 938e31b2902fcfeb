// The one table of policy keys. Each entry says everything about its key:
// type, default and documentation (`burrow policy schema`, the man page
// check), and the operations that decoding, `burrow policy show`, layering
// (launch's --policy), to-bwrap and resolution run for it. Those walk the
// table in order; none of them names a key. Adding a key is one entry here
// (in the file of its section, policy/file/keys/) plus its Policy field and
// whatever runtime field it drives.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace burrow {
struct Sandbox;
}

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
    // A string or a table of the keys below it ("network" or [network]
    // mode, allow, forward): the entry decodes and shows both forms, its
    // keys have no operations of their own.
    string_or_table,
};

struct Node;
struct Policy;
class Decode;
struct BwrapOut;
using Json = nlohmann::ordered_json;

// The key is in the document (after its type was checked against `type`):
// check the value and set the Policy field. `key` is the entry's dotted key,
// for messages.
using DecodeFn = void (*)(const Decode& d, const Node& n, Policy& p, std::string_view key);
// After every key is decoded: rules between keys ("hostname needs
// namespaces.uts"); `n` is this key's node.
using CheckFn = void (*)(const Node& n, const Policy& p);
// `policy show`: add this key's entry (named `leaf`) to its table, or leave
// it out. Output must parse back to the same Policy.
using ShowFn = void (*)(const Policy& p, Json& table, std::string_view leaf);
// Sections: whether `policy show` prints the section at all.
using ShownFn = bool (*)(const Policy& p);
// How a key that the top layer wrote lands in the base (policy::layer).
using LayerFn = void (*)(Policy& base, const Policy& top, std::string_view key);
// policy_to_bwrap: this key's bwrap options, or what stock bwrap cannot say.
using BwrapFn = void (*)(const Policy& p, BwrapOut& out);
// resolve_policy, after the bwrap options were parsed into the Sandbox:
// the fields bwrap has no option for.
using ResolveFn = void (*)(const Policy& p, Sandbox& sb);

struct KeyOps {
    DecodeFn decode = nullptr; // null: sections without a value, item keys
    CheckFn check = nullptr;
    ShowFn show = nullptr;   // null: not printed (consumed keys, items)
    ShownFn shown = nullptr; // sections only; null: always printed
    LayerFn layer = nullptr; // never null (no-op rules are named)
    BwrapFn bwrap = nullptr;
    ResolveFn resolve = nullptr;
};

struct KeyDoc {
    std::string_view key; // dotted; "fs[].dest" for keys of array-of-table items
    KeyType type;
    std::string_view def; // "" when there is no default
    std::string_view doc;
    KeyOps ops;
};

std::span<const KeyDoc> policy_schema();
const KeyDoc* find_schema_key(std::string_view dotted);
// The known key closest to `dotted` among its siblings, or "".
std::string suggest_key(std::string_view dotted);
const char* key_type_name(KeyType t);

} // namespace burrow::policy
