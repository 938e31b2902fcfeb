// Policy tree → Policy: schema check (unknown keys, types), value syntax
// (sizes, durations, modes, paths) and ${variable} substitution. Every
// error points at the value that caused it.
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include <strings.h>

#include "policy/bwrap/caps_names.hpp"
#include "policy/file/policy.hpp"
#include "policy/file/schema.hpp"
#include "runtime/rlimits.hpp"

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

namespace {

using Kind = Node::Kind;

[[noreturn]] void fail(const Node& at, const std::string& why) {
    throw PolicyError(at.pos, why);
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
    case KeyType::tables:
        expect_kind(n, Kind::array, key);
        for (const auto& e : n.array) {
            expect_kind(e, Kind::table, key + " item");
            check_table(e, key + "[]");
        }
        break;
    }
}

class Decoder {
  public:
    explicit Decoder(const Vars& vars) : vars_(vars) {}

    Policy decode(const Node& root);

  private:
    std::string subst(const Node& n) const {
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

    // Host or sandbox path: absolute, no NUL, no ".." component (a policy
    // never needs one, and it is how a path escapes the tree it names).
    std::string path(const Node& n, const std::string& key) const {
        std::string p = subst(n);
        if (p.find('\0') != std::string::npos) fail(n, key + ": path contains a NUL byte");
        if (p.empty() || p[0] != '/') fail(n, key + ": path must be absolute: \"" + p + "\"");
        std::size_t i = 0;
        while (i < p.size()) {
            const auto j = p.find('/', i);
            const std::string comp =
                p.substr(i, j == std::string::npos ? std::string::npos : j - i);
            if (comp == "..") fail(n, key + ": \"..\" is not allowed in a path: \"" + p + "\"");
            if (j == std::string::npos) break;
            i = j + 1;
        }
        return p;
    }

    static uint64_t size(const Node& n, const std::string& key) {
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
        if (errno == ERANGE || v > UINT64_MAX / mult)
            fail(n, key + ": size too large \"" + s + "\"");
        return v * mult;
    }

    static uint64_t duration_ms(const Node& n, const std::string& key) {
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

    static uint32_t mode(const Node& n, const std::string& key) {
        int64_t v = n.integer;
        if (n.kind == Kind::string) {
            char* end = nullptr;
            v = std::strtol(n.str.c_str(), &end, 8);
            if (n.str.empty() || *end != '\0')
                fail(n, key + ": bad mode \"" + n.str + "\" (octal)");
        }
        if (v < 0 || v > 07777) fail(n, key + ": mode out of range (0 to 07777)");
        return static_cast<uint32_t>(v);
    }

    std::vector<std::string> strings(const Node& n) const {
        std::vector<std::string> out;
        for (const auto& e : n.array) out.push_back(subst(e));
        return out;
    }

    FsEntry fs_entry(const Node& t);
    void rlimit(const std::string& name, const Node& n, Policy& p);

    const Vars& vars_;
};

FsEntry Decoder::fs_entry(const Node& t) {
    FsEntry e;
    e.pos = t.pos;
    const Node* type = t.get("type");
    if (type == nullptr) fail(t, "fs: operation without \"type\"");
    e.type = type->str;
    static const char* const kTypes[] = {
        "bind",         "bind-try",   "ro-bind", "ro-bind-try", "dev-bind",
        "dev-bind-try", "tmpfs",      "proc",    "dev",         "mqueue",
        "dir",          "symlink",    "file",    "bind-data",   "ro-bind-data",
        "chmod",        "remount-ro", "overlay", "tmp-overlay", "ro-overlay"};
    bool known = false;
    for (const char* k : kTypes) known = known || e.type == k;
    if (!known) fail(*type, "fs.type: unknown operation \"" + e.type + "\"");
    const Node* dest = t.get("dest");
    if (dest == nullptr) fail(t, "fs: \"" + e.type + "\" needs \"dest\"");
    e.dest = path(*dest, "fs.dest");
    const bool is_bind =
        e.type.find("bind") != std::string::npos && e.type.find("data") == std::string::npos;
    const bool is_data = e.type == "file" || e.type.ends_with("bind-data");
    const bool is_overlay = e.type.ends_with("overlay");
    // Which keys make sense for which type: anything else is a mistake.
    auto allow = [&](const char* key, bool ok) {
        if (const Node* n = t.get(key); n && !ok)
            fail(*n, std::string("fs: \"") + key + "\" does not apply to \"" + e.type + "\"");
    };
    allow("src", is_bind);
    allow("target", e.type == "symlink");
    allow("content", is_data);
    allow("size", e.type == "tmpfs");
    allow("mode", e.type == "tmpfs" || e.type == "dir" || is_data || e.type == "chmod");
    allow("sources", is_overlay);
    allow("upper", e.type == "overlay");
    allow("work", e.type == "overlay");
    if (is_bind) e.src = t.get("src") ? path(*t.get("src"), "fs.src") : e.dest;
    if (e.type == "symlink") {
        const Node* target = t.get("target");
        if (target == nullptr) fail(t, "fs: symlink needs \"target\"");
        e.src = subst(*target);
        if (e.src.find('\0') != std::string::npos) fail(*target, "fs.target: contains a NUL byte");
    }
    if (is_data) {
        const Node* c = t.get("content");
        e.content = c ? subst(*c) : std::string();
    }
    if (const Node* m = t.get("mode")) e.mode = mode(*m, "fs.mode");
    if (e.type == "chmod" && !e.mode) fail(t, "fs: chmod needs \"mode\"");
    if (const Node* s = t.get("size")) e.size = size(*s, "fs.size");
    if (is_overlay) {
        const Node* s = t.get("sources");
        if (s == nullptr || s->array.empty()) fail(t, "fs: " + e.type + " needs \"sources\"");
        for (const auto& src : s->array) e.sources.push_back(path(src, "fs.sources"));
    }
    if (e.type == "overlay") {
        const Node* u = t.get("upper");
        const Node* w = t.get("work");
        if (!u || !w) fail(t, "fs: overlay needs \"upper\" and \"work\"");
        e.upper = path(*u, "fs.upper");
        e.work = path(*w, "fs.work");
    }
    return e;
}

void Decoder::rlimit(const std::string& name, const Node& n, Policy& p) {
    Rlimit r;
    r.name = name;
    const std::string key = "limits." + name;
    auto one = [&](const Node& v) -> uint64_t {
        if (v.kind == Kind::string && v.str == "unlimited") return UINT64_MAX;
        if (v.kind != Kind::string && v.kind != Kind::integer)
            fail(v, key + ": expected a number or \"unlimited\"");
        return size(v, key);
    };
    if (n.kind == Kind::array) {
        r.soft = one(n.array[0]);
        r.hard = one(n.array[1]);
        if (r.soft > r.hard) fail(n, key + ": soft limit above the hard limit");
    } else {
        r.soft = r.hard = one(n);
    }
    p.rlimits.push_back(r);
}

// The keys of sections, not of array items (they travel with their item).
void collect_written(const Node& t, const std::string& prefix,
                     std::set<std::string, std::less<>>& out) {
    for (const auto& [k, v] : t.table) {
        const std::string dotted = prefix.empty() ? k : prefix + "." + k;
        out.insert(dotted);
        const KeyDoc* doc = find_schema_key(dotted);
        if (doc && doc->type == KeyType::table) collect_written(v, dotted, out);
    }
}

Policy Decoder::decode(const Node& root) {
    check_table(root, "");
    Policy p;
    collect_written(root, "", p.written);
    if (const Node* n = root.get("description")) p.description = n->str;
    if (const Node* n = root.get("network")) {
        if (n->str != "none" && n->str != "loopback" && n->str != "private" && n->str != "host")
            fail(*n, "network: expected \"none\", \"loopback\", \"private\" or \"host\", got \"" +
                         n->str + "\"");
        p.network = n->str;
    }
    auto id = [](const Node& n, const char* key) {
        if (n.integer < 0 || n.integer > 0xfffffffe) fail(n, std::string(key) + ": out of range");
        return static_cast<uint32_t>(n.integer);
    };
    if (const Node* n = root.get("uid")) p.uid = id(*n, "uid");
    if (const Node* n = root.get("gid")) p.gid = id(*n, "gid");
    if (const Node* n = root.get("hostname")) p.hostname = subst(*n);
    if (const Node* ns = root.get("namespaces")) {
        auto flag = [&](const char* k, bool& out) {
            if (const Node* n = ns->get(k)) out = n->boolean;
        };
        flag("user", p.ns_user);
        flag("ipc", p.ns_ipc);
        flag("pid", p.ns_pid);
        flag("uts", p.ns_uts);
        flag("cgroup", p.ns_cgroup);
    }
    if (p.hostname && !p.ns_uts)
        fail(*root.get("hostname"), "hostname: needs namespaces.uts = true");
    if (const Node* fs = root.get("fs"))
        for (const auto& e : fs->array) p.fs.push_back(fs_entry(e));
    if (const Node* env = root.get("env")) {
        if (const Node* n = env->get("clear")) p.env_clear = n->boolean;
        if (const Node* n = env->get("inherit")) p.env_inherit = strings(*n);
        if (const Node* n = env->get("unset")) p.env_unset = strings(*n);
        if (const Node* n = env->get("set"))
            for (const auto& [k, v] : n->table) {
                if (k.empty() || k.find('=') != std::string::npos)
                    fail(v, "env.set: bad variable name \"" + k + "\"");
                p.env_set.emplace_back(k, subst(v));
            }
        if (const Node* n = env->get("inherit"); n && !p.env_clear)
            fail(*n, "env.inherit: only meaningful with env.clear = true");
    }
    if (const Node* c = root.get("capabilities")) {
        // Checked here, where the position is known (resolve would say it
        // through the bwrap front end without one).
        auto caps = [&](const char* key, std::vector<std::string>& out) {
            const Node* n = c->get(key);
            if (n == nullptr) return;
            for (const auto& e : n->array) {
                if (::strcasecmp(e.str.c_str(), "ALL") != 0 && !capability_from_name(e.str))
                    fail(e, std::string("capabilities.") + key + ": unknown capability \"" + e.str +
                                "\"");
                out.push_back(e.str);
            }
        };
        caps("add", p.caps_add);
        caps("drop", p.caps_drop);
    }
    if (const Node* s = root.get("seccomp")) {
        if (const Node* n = s->get("profile")) {
            p.seccomp_profile = subst(*n);
            p.seccomp_profile_pos = n->pos;
        }
        if (const Node* n = s->get("log_denials")) {
            p.seccomp_log_denials = n->boolean;
            p.seccomp_log_denials_pos = n->pos;
        }
        if (const Node* rules = s->get("rules"))
            for (const auto& r : rules->array) {
                SeccompRule rule;
                rule.pos = r.pos;
                const Node* sc = r.get("syscalls");
                const Node* act = r.get("action");
                if (!sc || !act) fail(r, "seccomp.rules: needs \"syscalls\" and \"action\"");
                rule.syscalls = strings(*sc);
                rule.action = act->str;
                if (const Node* args = r.get("args"))
                    for (const auto& a : args->array) {
                        SeccompRule::Arg arg;
                        const Node* idx = a.get("index");
                        const Node* val = a.get("value");
                        if (!idx || !val)
                            fail(a, "seccomp.rules.args: needs \"index\" and \"value\"");
                        if (idx->integer < 0 || idx->integer > 5)
                            fail(*idx, "seccomp.rules.args.index: must be 0 to 5");
                        arg.index = static_cast<unsigned>(idx->integer);
                        arg.value = static_cast<uint64_t>(val->integer);
                        if (const Node* op = a.get("op")) arg.op = op->str;
                        if (const Node* m = a.get("mask"))
                            arg.mask = static_cast<uint64_t>(m->integer);
                        rule.args.push_back(arg);
                    }
                p.seccomp_rules.push_back(std::move(rule));
            }
        if (p.seccomp_log_denials && !p.seccomp_profile)
            fail(*s, "seccomp: log_denials needs a \"profile\"");
        if (!p.seccomp_rules.empty() && !p.seccomp_profile)
            fail(*s,
                 "seccomp: rules need a \"profile\" to fall back on (\"none\" allows the rest)");
    }
    if (const Node* l = root.get("landlock")) {
        p.landlock = true;
        if (const Node* n = l->get("enabled")) p.landlock = n->boolean;
        if (const Node* n = l->get("min_abi")) {
            if (n->integer < 0 || n->integer > 100) fail(*n, "landlock.min_abi: out of range");
            p.landlock_min_abi = static_cast<int>(n->integer);
        }
        static const char* const kFs[] = {"read",     "write", "execute",   "make-dir", "remove",
                                          "truncate", "refer", "ioctl-dev", "ro",       "rw"};
        if (const Node* paths = l->get("paths"))
            for (const auto& e : paths->array) {
                LandlockPath lp;
                const Node* pn = e.get("path");
                const Node* an = e.get("access");
                if (!pn || !an) fail(e, "landlock.paths: needs \"path\" and \"access\"");
                lp.path = path(*pn, "landlock.paths.path");
                for (const auto& a : an->array) {
                    bool ok = false;
                    for (const char* k : kFs) ok = ok || a.str == k;
                    if (!ok) fail(a, "landlock.paths.access: unknown right \"" + a.str + "\"");
                    lp.access.push_back(a.str);
                }
                if (const Node* o = e.get("optional")) lp.optional = o->boolean;
                p.landlock_paths.push_back(lp);
            }
        if (const Node* ports = l->get("ports"))
            for (const auto& e : ports->array) {
                LandlockPort lp;
                const Node* pn = e.get("port");
                const Node* an = e.get("access");
                if (!pn || !an) fail(e, "landlock.ports: needs \"port\" and \"access\"");
                if (pn->integer < 0 || pn->integer > 65535)
                    fail(*pn, "landlock.ports.port: out of range");
                lp.port = static_cast<uint16_t>(pn->integer);
                for (const auto& a : an->array) {
                    if (a.str != "bind" && a.str != "connect")
                        fail(a, "landlock.ports.access: expected \"bind\" or \"connect\"");
                    lp.access.push_back(a.str);
                }
                p.landlock_ports.push_back(lp);
            }
    }
    if (const Node* l = root.get("limits")) {
        for (const std::string& r : rlimits::names())
            if (const Node* n = l->get(r)) rlimit(r, *n, p);
        if (const Node* n = l->get("timeout")) {
            p.timeout_ms = duration_ms(*n, "limits.timeout");
            if (*p.timeout_ms == 0) fail(*n, "limits.timeout: must be more than 0");
        }
        if (const Node* n = l->get("grace")) p.grace_ms = duration_ms(*n, "limits.grace");
        if (const Node* n = l->get("timeout_signal")) {
            std::string s = n->str.starts_with("SIG") ? n->str.substr(3) : n->str;
            if (s != "TERM" && s != "INT" && s != "HUP" && s != "KILL" && s != "QUIT" &&
                s != "USR1" && s != "USR2")
                fail(*n,
                     "limits.timeout_signal: expected TERM, INT, HUP, QUIT, USR1, USR2 or KILL");
            p.timeout_signal = s;
        }
        if (const Node* n = l->get("memory_max")) p.memory_max = size(*n, "limits.memory_max");
        if (const Node* n = l->get("pids_max")) {
            if (n->integer <= 0) fail(*n, "limits.pids_max: must be more than 0");
            p.pids_max = static_cast<uint64_t>(n->integer);
        }
        if (const Node* n = l->get("cpu_max")) p.cpu_max = n->str;
        if (const Node* n = l->get("cgroup_required")) p.cgroup_required = n->boolean;
    }
    if (const Node* pr = root.get("process")) {
        if (const Node* n = pr->get("die_with_parent")) p.die_with_parent = n->boolean;
        if (const Node* n = pr->get("new_session")) p.new_session = n->boolean;
        if (const Node* n = pr->get("as_pid_1")) p.as_pid_1 = n->boolean;
        if (const Node* n = pr->get("chdir")) p.chdir = path(*n, "process.chdir");
        if (const Node* n = pr->get("argv0")) p.argv0 = subst(*n);
        if (p.as_pid_1 && !p.ns_pid)
            fail(*pr->get("as_pid_1"), "process.as_pid_1: needs namespaces.pid = true");
    }
    if (const Node* s = root.get("status"))
        if (const Node* n = s->get("file")) p.status_file = path(*n, "status.file");
    if (const Node* nx = root.get("nix")) {
        p.has_nix = true;
        p.nix_pos = nx->pos;
        if (const Node* n = nx->get("packages")) p.nix_packages = strings(*n);
        if (const Node* n = nx->get("closures")) p.nix_closures = strings(*n);
        if (const Node* n = nx->get("store_dir")) p.nix_store_dir = path(*n, "nix.store_dir");
        if (const Node* n = nx->get("daemon")) p.nix_daemon = n->boolean;
    }
    return p;
}

} // namespace

Policy decode_policy(const Node& root, const Vars& vars) {
    Vars merged = vars;
    if (const Node* v = root.get("vars"))
        for (const auto& [k, val] : v->table)
            if (val.kind == Kind::string) merged.values[k] = val.str;
    return Decoder(merged).decode(root);
}

} // namespace burrow::policy
