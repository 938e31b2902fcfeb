// Finding policies (built-in names and files), following `extends` with
// cycle detection, and applying --set edits, before decoding.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <set>
#include <string>

#include "policy/file/policy.hpp"
#include "policy/file/schema.hpp"
#include "runtime/io.hpp"

namespace burrow::policy {

namespace {

// extends chains deeper than this are a mistake, not a design.
constexpr int kMaxExtendsDepth = 16;

struct Source {
    std::string text;
    std::string name;     // file name for messages, "builtin:NAME" for built-ins
    std::string dir;      // base for a relative `extends`
    std::string identity; // what cycle detection compares
};

// A policy or `extends` target: a regular file (a FIFO used to hang `burrow
// run` forever), read without blocking and capped (read_regular_file).
std::string read_file_capped(const std::string& path, const Pos& from) {
    std::string text, why;
    switch (read_regular_file(path, kMaxPolicyBytes, text, why)) {
    case ReadFileError::none:
        return text;
    case ReadFileError::open:
        throw PolicyError(from, "cannot open policy " + path + ": " + why);
    case ReadFileError::not_regular:
        throw PolicyError(from, "policy " + path + " is " + why);
    case ReadFileError::too_large:
        // Refused before holding a huge file in memory.
        throw PolicyError(Pos{path, 1, 1}, "policy is too large (more than 1 MiB)");
    case ReadFileError::read:
        break;
    }
    throw PolicyError(from, "cannot read policy " + path + ": " + why);
}

bool looks_like_path(const std::string& s) {
    return s.find('/') != std::string::npos || s.ends_with(".toml") || s.ends_with(".json");
}

Source find_source(const std::string& ref, const std::string& base_dir, const Pos& from) {
    if (!looks_like_path(ref)) {
        const char* text = builtin_policy_text(ref);
        if (text == nullptr) {
            std::string names;
            for (const auto& n : builtin_policy_names()) names += (names.empty() ? "" : ", ") + n;
            throw PolicyError(from, "unknown built-in policy \"" + ref + "\" (built-in: " + names +
                                        "; a file name needs a '/' or .toml/.json)");
        }
        return Source{text, "builtin:" + ref, "", "builtin:" + ref};
    }
    const std::string path = (ref[0] == '/' || base_dir.empty()) ? ref : base_dir + "/" + ref;
    Source s;
    s.text = read_file_capped(path, from);
    s.name = path;
    const auto slash = path.rfind('/');
    s.dir = slash == std::string::npos ? "" : path.substr(0, slash == 0 ? 1 : slash);
    char real[PATH_MAX];
    s.identity = ::realpath(path.c_str(), real) ? real : path;
    return s;
}

std::vector<std::string> replace_list(const Node& n) {
    std::vector<std::string> out;
    if (const Node* r = n.get("replace")) {
        if (r->kind != Node::Kind::array) throw PolicyError(r->pos, "replace: expected an array");
        for (const auto& e : r->array) {
            if (e.kind != Node::Kind::string) throw PolicyError(e.pos, "replace: expected strings");
            out.push_back(e.str);
        }
    }
    return out;
}

// Loads one layer and everything under it; returns the merged tree.
Node load_layers(const std::string& ref, const std::string& base_dir, const Pos& from,
                 std::vector<std::string>& chain) {
    if (static_cast<int>(chain.size()) >= kMaxExtendsDepth)
        throw PolicyError(from, "extends: more than 16 levels");
    Source src = find_source(ref, base_dir, from);
    for (const auto& seen : chain)
        if (seen == src.identity)
            throw PolicyError(from, "extends: cycle: " + ref + " extends itself");
    chain.push_back(src.identity);
    Node doc = parse_document(src.text, src.name);
    const Node* ext = doc.get("extends");
    Node merged;
    if (ext != nullptr) {
        if (ext->kind != Node::Kind::string)
            throw PolicyError(ext->pos, "extends: expected a string");
        merged = load_layers(ext->str, src.dir, ext->pos, chain);
        merged.table.erase(std::remove_if(merged.table.begin(), merged.table.end(),
                                          [](const auto& kv) { return kv.first == "replace"; }),
                           merged.table.end());
        merge_nodes(merged, doc, replace_list(doc));
    } else {
        merged = std::move(doc);
    }
    chain.pop_back();
    // The merged tree no longer extends anything: the chain is resolved.
    merged.table.erase(std::remove_if(merged.table.begin(), merged.table.end(),
                                      [](const auto& kv) { return kv.first == "extends"; }),
                       merged.table.end());
    return merged;
}

// --set KEY=VALUE: VALUE is read as a TOML value when it is one (true, 42,
// ["a"]), else taken as a string. A KEY that is not a policy key names a
// variable (--set project=/src is vars.project).
void apply_set(Node& root, const std::string& set) {
    const Pos at{"--set " + set, 1, 1};
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
        throw PolicyError("--set " + set + ": expected KEY=VALUE");
    std::string key = set.substr(0, eq);
    const std::string value = set.substr(eq + 1);
    if (find_schema_key(key) == nullptr && key.find('.') == std::string::npos) key = "vars." + key;
    Node v;
    try {
        Node doc = parse_toml("v = " + value, "--set " + set);
        v = *doc.get("v");
    } catch (const PolicyError&) {
        v.kind = Node::Kind::string;
        v.str = value;
    }
    if (v.kind != Node::Kind::string && key.starts_with("vars.")) {
        v.kind = Node::Kind::string;
        v.str = value;
    }
    // Strings from the command line are not TOML-escaped paths.
    if (v.kind == Node::Kind::table) {
        v.kind = Node::Kind::string;
        v.str = value;
    }
    auto mark = [&](auto&& self, Node& n) -> void {
        n.pos = at;
        for (auto& [k, c] : n.table) self(self, c);
        for (auto& c : n.array) self(self, c);
    };
    mark(mark, v);
    Node* t = &root;
    std::size_t start = 0;
    for (;;) {
        const auto dot = key.find('.', start);
        const std::string part =
            key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
            t->set(part, std::move(v));
            return;
        }
        Node* next = t->get(part);
        if (next == nullptr) {
            Node tbl;
            tbl.pos = at;
            next = &t->set(part, std::move(tbl));
        }
        if (next->kind != Node::Kind::table)
            throw PolicyError(at, key + ": " + part + " is not a table");
        t = next;
        start = dot + 1;
    }
}

} // namespace

Node load_policy_tree(const std::string& name_or_path, const std::vector<std::string>& sets) {
    std::vector<std::string> chain;
    Node root = load_layers(name_or_path, "", Pos{"--policy " + name_or_path, 1, 1}, chain);
    root.table.erase(std::remove_if(root.table.begin(), root.table.end(),
                                    [](const auto& kv) { return kv.first == "replace"; }),
                     root.table.end());
    for (const auto& s : sets) apply_set(root, s);
    return root;
}

Policy load_policy(const std::string& name_or_path, const LoadOptions& opts) {
    return decode_policy(load_policy_tree(name_or_path, opts.sets), opts.vars);
}

} // namespace burrow::policy
