// Policy tree → Policy: the schema check (unknown keys, types), then each
// key the document wrote decoded by its entry of the schema table (value
// syntax, ${variable} substitution), then the rules between keys. Every
// error points at the value that caused it.
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include "policy/file/keys.hpp"
#include "policy/file/policy.hpp"
#include "policy/file/schema.hpp"

namespace burrow::policy {

Vars Vars::from_process() {
    Vars v;
    char buf[PATH_MAX];
    const std::string cwd = ::getcwd(buf, sizeof buf) ? buf : "/";
    v.values["cwd"] = cwd;
    v.values["project"] = cwd;
    const char* home = std::getenv("HOME");
    v.values["uid"] = std::to_string(::getuid());
    v.values["gid"] = std::to_string(::getgid());
    const passwd* pw = ::getpwuid(::getuid());
    v.values["home"] = home && *home ? home : (pw ? pw->pw_dir : "/");
    v.values["user"] = pw ? pw->pw_name : v.values["uid"];
    return v;
}

using Kind = Node::Kind;

void Decode::fail(const Node& at, const std::string& why) {
    throw PolicyError(at.pos, why);
}

std::string Decode::subst(const Node& n) const {
    std::string out;
    const std::string& s = n.str;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
            const auto end = s.find('}', i);
            if (end == std::string::npos) fail(n, "unterminated ${ in \"" + s + "\"");
            const std::string name = s.substr(i + 2, end - i - 2);
            auto it = vars_.values.find(name);
            if (it == vars_.values.end()) fail(n, "unknown variable ${" + name + "}");
            out += it->second;
            i = end;
        } else if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') {
            out += '$'; // "$$" is a literal dollar
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string Decode::path(const Node& n, std::string_view key_view) const {
    const std::string key(key_view);
    std::string p = subst(n);
    if (p.find('\0') != std::string::npos) fail(n, key + ": path contains a NUL byte");
    if (p.empty() || p[0] != '/') fail(n, key + ": path must be absolute: \"" + p + "\"");
    std::size_t i = 0;
    while (i < p.size()) {
        const auto j = p.find('/', i);
        const std::string comp = p.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (comp == "..") fail(n, key + ": \"..\" is not allowed in a path: \"" + p + "\"");
        if (j == std::string::npos) break;
        i = j + 1;
    }
    return p;
}

std::vector<std::string> Decode::strings(const Node& n) const {
    std::vector<std::string> out;
    for (const auto& e : n.array) out.push_back(subst(e));
    return out;
}

uint64_t Decode::size(const Node& n, std::string_view key_view) {
    const std::string key(key_view);
    if (n.kind == Kind::integer) {
        if (n.integer < 0) fail(n, key + ": size must not be negative");
        return static_cast<uint64_t>(n.integer);
    }
    const std::string& s = n.str;
    char* end = nullptr;
    errno = 0;
    if (s.empty() || s[0] < '0' || s[0] > '9') fail(n, key + ": bad size \"" + s + "\"");
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    std::string unit(end);
    uint64_t mult = 1;
    if (unit == "" || unit == "B")
        mult = 1;
    else if (unit == "k" || unit == "K" || unit == "KiB")
        mult = 1ull << 10;
    else if (unit == "M" || unit == "MiB")
        mult = 1ull << 20;
    else if (unit == "G" || unit == "GiB")
        mult = 1ull << 30;
    else if (unit == "T" || unit == "TiB")
        mult = 1ull << 40;
    else
        fail(n, key + ": bad size \"" + s + "\" (use a number with k, M, G or T)");
    if (errno == ERANGE || v > UINT64_MAX / mult) fail(n, key + ": size too large \"" + s + "\"");
    return v * mult;
}

uint64_t Decode::duration_ms(const Node& n, std::string_view key_view) {
    const std::string key(key_view);
    if (n.kind == Kind::integer) {
        if (n.integer < 0 || n.integer > INT64_MAX / 1000) fail(n, key + ": bad duration");
        return static_cast<uint64_t>(n.integer) * 1000;
    }
    const std::string& s = n.str;
    char* end = nullptr;
    if (s.empty() || s[0] < '0' || s[0] > '9') fail(n, key + ": bad duration \"" + s + "\"");
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    const std::string unit(end);
    uint64_t mult = 0;
    if (unit == "ms")
        mult = 1;
    else if (unit == "s" || unit.empty())
        mult = 1000;
    else if (unit == "m" || unit == "min")
        mult = 60'000;
    else if (unit == "h")
        mult = 3'600'000;
    else
        fail(n, key + ": bad duration \"" + s + "\" (use ms, s, m or h)");
    if (errno == ERANGE || v > UINT64_MAX / mult) fail(n, key + ": duration too large");
    return v * mult;
}

uint32_t Decode::mode(const Node& n, std::string_view key_view) {
    const std::string key(key_view);
    int64_t v = n.integer;
    if (n.kind == Kind::string) {
        char* end = nullptr;
        v = std::strtol(n.str.c_str(), &end, 8);
        if (n.str.empty() || *end != '\0') fail(n, key + ": bad mode \"" + n.str + "\" (octal)");
    }
    if (v < 0 || v > 07777) fail(n, key + ": mode out of range (0 to 07777)");
    return static_cast<uint32_t>(v);
}

namespace {

[[noreturn]] void fail(const Node& at, const std::string& why) {
    Decode::fail(at, why);
}

void expect_kind(const Node& n, Kind k, const std::string& key) {
    if (n.kind != k)
        fail(n, key + ": expected " + Node::kind_name(k) + ", got " + Node::kind_name(n.kind));
}

void check_value(const Node& n, const KeyDoc& doc, const std::string& key);

void check_table(const Node& t, const std::string& prefix) {
    for (const auto& [k, v] : t.table) {
        const std::string dotted = prefix.empty() ? k : prefix + "." + k;
        const KeyDoc* doc = find_schema_key(dotted);
        // A quoted "limits.nofile" would pass the table check as that key
        // and then be ignored, since the decoder looks for it nested.
        if (doc != nullptr && k.find('.') != std::string::npos)
            fail(v, "key \"" + k + "\": a key name cannot contain \".\" (nest it: [" +
                        dotted.substr(0, dotted.rfind('.')) + "] in TOML, an object in JSON)");
        if (doc == nullptr) {
            std::string msg = "unknown key \"" + dotted + "\"";
            if (std::string hint = suggest_key(dotted); !hint.empty())
                msg += " (did you mean \"" + hint + "\"?)";
            fail(v, msg);
        }
        check_value(v, *doc, dotted);
    }
}

void check_value(const Node& n, const KeyDoc& doc, const std::string& key) {
    switch (doc.type) {
    case KeyType::string:
        expect_kind(n, Kind::string, key);
        break;
    case KeyType::boolean:
        expect_kind(n, Kind::boolean, key);
        break;
    case KeyType::integer:
        expect_kind(n, Kind::integer, key);
        break;
    case KeyType::size:
    case KeyType::duration:
    case KeyType::mode:
        if (n.kind != Kind::integer && n.kind != Kind::string)
            fail(n, key + ": expected " + key_type_name(doc.type) +
                        " (an integer or a string), got " + Node::kind_name(n.kind));
        break;
    case KeyType::rlimit:
        if (n.kind == Kind::array) {
            if (n.array.size() != 2) fail(n, key + ": expected [soft, hard]");
        } else if (n.kind != Kind::integer && n.kind != Kind::string) {
            fail(n, key + ": expected a number, \"unlimited\" or [soft, hard], got " +
                        Node::kind_name(n.kind));
        }
        break;
    case KeyType::strings:
        expect_kind(n, Kind::array, key);
        for (const auto& e : n.array) expect_kind(e, Kind::string, key + " item");
        break;
    case KeyType::free_table:
        expect_kind(n, Kind::table, key);
        for (const auto& [k, v] : n.table) expect_kind(v, Kind::string, key + "." + k);
        break;
    case KeyType::table:
        expect_kind(n, Kind::table, key);
        check_table(n, key);
        break;
    case KeyType::string_or_table:
        if (n.kind == Kind::table)
            check_table(n, key);
        else if (n.kind != Kind::string)
            fail(n, key + ": expected a string or a table, got " + Node::kind_name(n.kind));
        break;
    case KeyType::tables:
        expect_kind(n, Kind::array, key);
        for (const auto& e : n.array) {
            expect_kind(e, Kind::table, key + " item");
            check_table(e, key + "[]");
        }
        break;
    }
}

// The keys of sections, not of array items (they travel with their item).
void collect_written(const Node& t, const std::string& prefix,
                     std::set<std::string, std::less<>>& out) {
    for (const auto& [k, v] : t.table) {
        const std::string dotted = prefix.empty() ? k : prefix + "." + k;
        out.insert(dotted);
        const KeyDoc* doc = find_schema_key(dotted);
        if (doc && (doc->type == KeyType::table ||
                    (doc->type == KeyType::string_or_table && v.kind == Kind::table)))
            collect_written(v, dotted, out);
    }
}

// The node of a dotted key ("limits.nofile"), if the document wrote it.
const Node* find_node(const Node& root, std::string_view dotted) {
    const Node* n = &root;
    for (std::size_t i = 0;;) {
        const auto dot = dotted.find('.', i);
        if (n->kind != Kind::table) return nullptr;
        n = n->get(dotted.substr(i, dot == std::string_view::npos ? dot : dot - i));
        if (n == nullptr || dot == std::string_view::npos) return n;
        i = dot + 1;
    }
}

Policy decode_tree(const Node& root, const Vars& vars) {
    check_table(root, "");
    const Decode d(vars);
    Policy p;
    collect_written(root, "", p.written);
    // Table order: a section before its keys (an explicit landlock.enabled
    // overrides what [landlock] itself implies). Keys of array items are
    // decoded with their item.
    std::vector<std::pair<const KeyDoc*, const Node*>> to_check;
    for (const KeyDoc& k : policy_schema()) {
        if (k.key.find('[') != std::string_view::npos) continue;
        const Node* n = find_node(root, k.key);
        if (n == nullptr) continue;
        if (k.ops.decode) k.ops.decode(d, *n, p, k.key);
        if (k.ops.check) to_check.emplace_back(&k, n);
    }
    // Rules between keys, once every key holds its value.
    for (const auto& [k, n] : to_check) k->ops.check(*n, p);
    return p;
}

} // namespace

Policy decode_policy(const Node& root, const Vars& vars) {
    Vars merged = vars;
    if (const Node* v = root.get("vars"))
        for (const auto& [k, val] : v->table)
            if (val.kind == Kind::string) merged.values[k] = val.str;
    return decode_tree(root, merged);
}

} // namespace burrow::policy
