// toml++ → policy tree. The only file of the policy layer that includes
// toml++ (it is header-only and slow to compile).
#include <toml++/toml.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "policy/file/node.hpp"

namespace burrow::policy {

namespace {

Pos pos_of(const toml::source_region& src, const std::string& file) {
    return Pos{file, src.begin.line, src.begin.column};
}

Node convert(const toml::node& n, const std::string& file) {
    Node out;
    out.pos = pos_of(n.source(), file);
    if (const auto* t = n.as_table()) {
        out.kind = Node::Kind::table;
        // toml++ keeps a table as a map sorted by key; the policy tree keeps
        // document order, as the JSON reader does (env.set is applied in
        // that order and `policy show` prints it so). Entries are put back
        // in the order their keys were written: a key's source position is
        // where it first appears (a [table] header, a dotted key, a plain
        // key), so every table reads in document order. Keys without a
        // position (none from toml::parse) keep the map's order, last.
        std::vector<std::pair<const toml::key*, const toml::node*>> entries;
        entries.reserve(t->size());
        for (const auto& [k, v] : *t) entries.emplace_back(&k, &v);
        auto before = [](const toml::key* a, const toml::key* b) {
            const auto& x = a->source().begin;
            const auto& y = b->source().begin;
            if ((x.line == 0) != (y.line == 0)) return y.line == 0;
            return x.line != y.line ? x.line < y.line : x.column < y.column;
        };
        std::stable_sort(entries.begin(), entries.end(),
                         [&](const auto& a, const auto& b) { return before(a.first, b.first); });
        for (const auto& [k, v] : entries) {
            out.table.emplace_back(std::string(k->str()), convert(*v, file));
            // The key's own position is more useful than the value's for
            // "unknown key" errors on tables.
            if (v->is_table() && k->source().begin.line != 0)
                out.table.back().second.pos = pos_of(k->source(), file);
        }
    } else if (const auto* a = n.as_array()) {
        out.kind = Node::Kind::array;
        for (const auto& v : *a) out.array.push_back(convert(v, file));
    } else if (const auto* s = n.as_string()) {
        out.kind = Node::Kind::string;
        out.str = s->get();
    } else if (const auto* i = n.as_integer()) {
        out.kind = Node::Kind::integer;
        out.integer = i->get();
    } else if (const auto* b = n.as_boolean()) {
        out.kind = Node::Kind::boolean;
        out.boolean = b->get();
    } else if (const auto* f = n.as_floating_point()) {
        out.kind = Node::Kind::floating;
        out.floating = f->get();
    } else {
        throw PolicyError(out.pos, "dates and times are not policy values");
    }
    return out;
}

} // namespace

Node parse_toml(std::string_view text, const std::string& file) {
    try {
        toml::table t = toml::parse(text, file);
        Node n = convert(t, file);
        n.pos = Pos{file, 1, 1};
        return n;
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw PolicyError(Pos{file, b.line, b.column}, std::string(e.description()));
    }
}

} // namespace burrow::policy
