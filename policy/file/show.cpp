#include "policy/file/show.hpp"

#include <nlohmann/json.hpp>

#include "policy/file/keys.hpp"
#include "policy/file/schema.hpp"

namespace burrow::policy {

std::string lit(const std::string& s) {
    std::string out;
    for (char c : s) {
        out += c;
        if (c == '$') out += '$';
    }
    return out;
}

std::vector<std::string> lit(const std::vector<std::string>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(lit(s));
    return out;
}

namespace {

using json = Json;

std::string_view parent_of(std::string_view key) {
    const auto dot = key.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
}

// The table `prefix` ("" for the document): its keys in the schema's order,
// each as its entry shows it; a section when its entry says it is shown.
json to_json(const Policy& p, std::string_view prefix = "") {
    json t = json::object();
    for (const KeyDoc& k : policy_schema()) {
        if (k.key.find('[') != std::string_view::npos || parent_of(k.key) != prefix) continue;
        const std::string_view leaf = prefix.empty() ? k.key : k.key.substr(prefix.size() + 1);
        if (k.type == KeyType::table) {
            if (!k.ops.shown || k.ops.shown(p)) t[std::string(leaf)] = to_json(p, k.key);
        } else if (k.ops.show) {
            k.ops.show(p, t, leaf);
        }
    }
    return t;
}

// A JSON string literal as a TOML basic string: the same escapes, except
// that TOML also forbids a raw DEL (U+007F), which JSON allows.
std::string toml_string(const json& v) {
    std::string s = v.dump();
    std::string out;
    for (char c : s) {
        if (c == '\x7f')
            out += "\\u007f";
        else
            out += c;
    }
    return out;
}

// Bare keys where TOML allows them, quoted otherwise (env.set names).
std::string toml_key(const std::string& k) {
    if (!k.empty() && k.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-") == std::string::npos)
        return k;
    return toml_string(json(k));
}

// Strings are written as TOML basic strings with JSON escapes, which TOML
// accepts except for \/ (nlohmann does not produce it).
std::string toml_value(const json& v) {
    if (v.is_array()) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + toml_value(v[i]);
        return s + "]";
    }
    if (v.is_object()) {
        std::string s = "{ ";
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            s += (first ? "" : ", ") + toml_key(it.key()) + " = " + toml_value(it.value());
            first = false;
        }
        return s + (first ? "}" : " }");
    }
    return toml_string(v);
}

bool is_table_array(const json& v) {
    return v.is_array() && !v.empty() && v[0].is_object();
}

// A table of strings with user-chosen keys (env.set) is written inline.
bool is_section(const std::string& name, const std::string& key, const json& v) {
    if (!v.is_object()) return false;
    const KeyDoc* k = find_schema_key(name.empty() ? key : name + "." + key);
    return k == nullptr || k->type != KeyType::free_table;
}

void emit_table(std::string& out, const std::string& name, const json& t) {
    // Scalars and inline values first, then sub-tables and arrays of tables.
    std::string body;
    for (auto it = t.begin(); it != t.end(); ++it) {
        if (is_section(name, it.key(), it.value()) || is_table_array(it.value())) continue;
        body += toml_key(it.key()) + " = " + toml_value(it.value()) + "\n";
    }
    if (!name.empty()) out += "\n[" + name + "]\n";
    out += body;
    for (auto it = t.begin(); it != t.end(); ++it) {
        const std::string sub = name.empty() ? it.key() : name + "." + it.key();
        if (is_section(name, it.key(), it.value())) {
            emit_table(out, sub, it.value());
        } else if (is_table_array(it.value())) {
            for (const auto& e : it.value()) {
                out += "\n[[" + sub + "]]\n";
                for (auto f = e.begin(); f != e.end(); ++f)
                    out += toml_key(f.key()) + " = " + toml_value(f.value()) + "\n";
            }
        }
    }
}

} // namespace

std::string policy_to_json(const Policy& p) {
    return to_json(p).dump(2) + "\n";
}

std::string policy_to_toml(const Policy& p) {
    std::string out = "# resolved by burrow policy show\n";
    emit_table(out, "", to_json(p));
    return out;
}

} // namespace burrow::policy
