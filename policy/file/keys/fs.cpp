// [[fs]]: the filesystem operations, applied in order on an empty root. An
// entry's keys (fs[].*) travel with their entry: the array's operations
// decode, show and translate whole entries.
#include <array>
#include <cstdio>
#include <map>

#include "policy/file/keys.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

std::string octal(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", mode);
    return buf;
}

FsEntry decode_entry(const Decode& d, const Node& t) {
    FsEntry e;
    e.pos = t.pos;
    const Node* type = t.get("type");
    if (type == nullptr) Decode::fail(t, "fs: operation without \"type\"");
    e.type = type->str;
    static const char* const kTypes[] = {
        "bind",         "bind-try",   "ro-bind", "ro-bind-try", "dev-bind",
        "dev-bind-try", "tmpfs",      "proc",    "dev",         "mqueue",
        "dir",          "symlink",    "file",    "bind-data",   "ro-bind-data",
        "chmod",        "remount-ro", "overlay", "tmp-overlay", "ro-overlay"};
    bool known = false;
    for (const char* k : kTypes) known = known || e.type == k;
    if (!known) Decode::fail(*type, "fs.type: unknown operation \"" + e.type + "\"");
    const Node* dest = t.get("dest");
    if (dest == nullptr) Decode::fail(t, "fs: \"" + e.type + "\" needs \"dest\"");
    e.dest = d.path(*dest, "fs.dest");
    const bool is_bind =
        e.type.find("bind") != std::string::npos && e.type.find("data") == std::string::npos;
    const bool is_data = e.type == "file" || e.type.ends_with("bind-data");
    const bool is_overlay = e.type.ends_with("overlay");
    // Which keys make sense for which type: anything else is a mistake.
    auto allow = [&](const char* key, bool ok) {
        if (const Node* n = t.get(key); n && !ok)
            Decode::fail(*n,
                         std::string("fs: \"") + key + "\" does not apply to \"" + e.type + "\"");
    };
    allow("src", is_bind);
    allow("target", e.type == "symlink");
    allow("content", is_data);
    allow("size", e.type == "tmpfs");
    allow("mode", e.type == "tmpfs" || e.type == "dir" || is_data || e.type == "chmod");
    allow("sources", is_overlay);
    allow("upper", e.type == "overlay");
    allow("work", e.type == "overlay");
    if (is_bind) e.src = t.get("src") ? d.path(*t.get("src"), "fs.src") : e.dest;
    if (e.type == "symlink") {
        const Node* target = t.get("target");
        if (target == nullptr) Decode::fail(t, "fs: symlink needs \"target\"");
        e.src = d.subst(*target);
        if (e.src.find('\0') != std::string::npos)
            Decode::fail(*target, "fs.target: contains a NUL byte");
    }
    if (is_data) {
        const Node* c = t.get("content");
        e.content = c ? d.subst(*c) : std::string();
    }
    if (const Node* m = t.get("mode")) e.mode = Decode::mode(*m, "fs.mode");
    if (e.type == "chmod" && !e.mode) Decode::fail(t, "fs: chmod needs \"mode\"");
    if (const Node* s = t.get("size")) e.size = Decode::size(*s, "fs.size");
    if (is_overlay) {
        const Node* s = t.get("sources");
        if (s == nullptr || s->array.empty())
            Decode::fail(t, "fs: " + e.type + " needs \"sources\"");
        for (const auto& src : s->array) e.sources.push_back(d.path(src, "fs.sources"));
    }
    if (e.type == "overlay") {
        const Node* u = t.get("upper");
        const Node* w = t.get("work");
        if (!u || !w) Decode::fail(t, "fs: overlay needs \"upper\" and \"work\"");
        e.upper = d.path(*u, "fs.upper");
        e.work = d.path(*w, "fs.work");
    }
    return e;
}

void decode_fs(const Decode& d, const Node& n, Policy& p, std::string_view) {
    for (const auto& e : n.array) p.fs.push_back(decode_entry(d, e));
}

void show_fs(const Policy& p, Json& t, std::string_view leaf) {
    Json fs = Json::array();
    for (const auto& e : p.fs) {
        Json o;
        o["type"] = e.type;
        if (e.type == "symlink")
            o["target"] = lit(e.src);
        else if (!e.src.empty())
            o["src"] = lit(e.src);
        o["dest"] = lit(e.dest);
        if (e.mode) o["mode"] = octal(*e.mode);
        if (e.size) o["size"] = *e.size;
        if (e.content) o["content"] = lit(*e.content);
        if (!e.sources.empty()) o["sources"] = lit(e.sources);
        if (!e.upper.empty()) o["upper"] = lit(e.upper);
        if (!e.work.empty()) o["work"] = lit(e.work);
        fs.push_back(o);
    }
    t[std::string(leaf)] = fs;
}

const std::map<std::string, std::string>& simple_binds() {
    static const std::map<std::string, std::string> m{
        {"bind", "--bind"},         {"bind-try", "--bind-try"},
        {"ro-bind", "--ro-bind"},   {"ro-bind-try", "--ro-bind-try"},
        {"dev-bind", "--dev-bind"}, {"dev-bind-try", "--dev-bind-try"}};
    return m;
}

void fs_to_bwrap(const Policy& p, BwrapOut& o) {
    auto& a = o.plan.args;
    for (std::size_t i = 0; i < p.fs.size(); ++i) {
        const FsEntry& e = p.fs[i];
        const std::size_t before = a.size();
        if (auto it = simple_binds().find(e.type); it != simple_binds().end()) {
            o.add({it->second, e.src, e.dest});
        } else if (e.type == "tmpfs") {
            if (e.mode) o.add({"--perms", octal(*e.mode)});
            if (e.size) o.add({"--size", std::to_string(*e.size)});
            o.add({"--tmpfs", e.dest});
        } else if (e.type == "proc" || e.type == "dev" || e.type == "mqueue" ||
                   e.type == "remount-ro") {
            o.add({"--" + e.type, e.dest});
        } else if (e.type == "dir") {
            if (e.mode) o.add({"--perms", octal(*e.mode)});
            o.add({"--dir", e.dest});
        } else if (e.type == "symlink") {
            o.add({"--symlink", e.src, e.dest});
        } else if (e.type == "file" || e.type == "bind-data" || e.type == "ro-bind-data") {
            if (e.mode) o.add({"--perms", octal(*e.mode)});
            o.add({"--" + e.type, std::to_string(o.data_fd(e.content.value_or(""))), e.dest});
        } else if (e.type == "chmod") {
            o.add({"--chmod", octal(*e.mode), e.dest});
        } else if (e.type.ends_with("overlay")) {
            for (const auto& s : e.sources) o.add({"--overlay-src", s});
            if (e.type == "overlay")
                o.add({"--overlay", e.upper, e.work, e.dest});
            else
                o.add({"--" + e.type, e.dest});
            o.cannot("fs " + e.type + " " + e.dest + " needs bwrap 0.11 or later");
        }
        if (a.size() != before) o.plan.fs_entry_of_op.push_back(i);
    }
}

constexpr std::array kKeys{
    KeyDoc{"fs",
           K::tables,
           "[]",
           "Filesystem operations, applied in order on an empty root.",
           {.decode = decode_fs,
            .show = show_fs,
            .layer = key::append<&Policy::fs>,
            .bwrap = fs_to_bwrap}},
    KeyDoc{"fs[].type",
           K::string,
           "",
           "bind, bind-try, ro-bind, ro-bind-try, dev-bind, dev-bind-try, tmpfs, proc, dev, "
           "mqueue, dir, symlink, file, bind-data, ro-bind-data, chmod, remount-ro, overlay, "
           "tmp-overlay, ro-overlay.",
           {.layer = key::item}},
    KeyDoc{"fs[].src",
           K::string,
           "dest",
           "Host path of a bind (defaults to dest).",
           {.layer = key::item}},
    KeyDoc{"fs[].dest", K::string, "", "Path inside the sandbox (absolute).", {.layer = key::item}},
    KeyDoc{"fs[].target", K::string, "", "Link text of a symlink.", {.layer = key::item}},
    KeyDoc{"fs[].mode",
           K::mode,
           "",
           "Permissions of tmpfs, dir, file, bind-data; chmod's mode.",
           {.layer = key::item}},
    KeyDoc{"fs[].size", K::size, "", "Size limit of a tmpfs.", {.layer = key::item}},
    KeyDoc{"fs[].content",
           K::string,
           "",
           "Contents of file, bind-data and ro-bind-data.",
           {.layer = key::item}},
    KeyDoc{"fs[].sources",
           K::strings,
           "",
           "Lower layers of an overlay (host paths, in order).",
           {.layer = key::item}},
    KeyDoc{"fs[].upper",
           K::string,
           "",
           "Writable layer of an overlay (host path).",
           {.layer = key::item}},
    KeyDoc{"fs[].work",
           K::string,
           "",
           "Work directory of an overlay (host path).",
           {.layer = key::item}},
};

} // namespace

std::span<const KeyDoc> fs_keys() {
    return kKeys;
}

} // namespace burrow::policy
