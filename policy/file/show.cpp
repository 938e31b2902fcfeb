#include "policy/file/show.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace burrow::policy {

namespace {

using json = nlohmann::ordered_json;

std::string octal(uint32_t m) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", m);
    return buf;
}

// Strings that decode_policy passes through ${...} substitution are written
// with every '$' doubled ("$$" reads back as one '$'), so that show -> parse
// gives the same policy even when a value holds "${" after substitution.
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

json to_json(const Policy& p) {
    json j;
    if (!p.description.empty()) j["description"] = p.description;
    j["network"] = p.network;
    if (p.uid) j["uid"] = *p.uid;
    if (p.gid) j["gid"] = *p.gid;
    if (p.hostname) j["hostname"] = lit(*p.hostname);
    j["namespaces"] = {{"user", p.ns_user},
                       {"ipc", p.ns_ipc},
                       {"pid", p.ns_pid},
                       {"uts", p.ns_uts},
                       {"cgroup", p.ns_cgroup}};
    json fs = json::array();
    for (const auto& e : p.fs) {
        json o;
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
    j["fs"] = fs;
    json env;
    env["clear"] = p.env_clear;
    if (p.env_clear) env["inherit"] = lit(p.env_inherit);
    json set = json::object();
    for (const auto& [k, v] : p.env_set) set[k] = lit(v);
    env["set"] = set;
    env["unset"] = lit(p.env_unset);
    j["env"] = env;
    j["capabilities"] = {{"add", p.caps_add}, {"drop", p.caps_drop}};
    if (p.seccomp_profile) {
        json s;
        s["profile"] = lit(*p.seccomp_profile);
        if (p.seccomp_log_denials) s["log_denials"] = true;
        json rules = json::array();
        for (const auto& r : p.seccomp_rules) {
            json o{{"syscalls", lit(r.syscalls)}, {"action", r.action}};
            json args = json::array();
            for (const auto& a : r.args) {
                json aj{{"index", a.index}, {"op", a.op}, {"value", a.value}};
                if (a.mask) aj["mask"] = *a.mask;
                args.push_back(aj);
            }
            if (!args.empty()) o["args"] = args;
            rules.push_back(o);
        }
        s["rules"] = rules;
        j["seccomp"] = s;
    }
    if (p.landlock || !p.landlock_paths.empty() || !p.landlock_ports.empty()) {
        json l{{"enabled", p.landlock}, {"min_abi", p.landlock_min_abi}};
        json paths = json::array();
        for (const auto& lp : p.landlock_paths)
            paths.push_back(
                {{"path", lit(lp.path)}, {"access", lp.access}, {"optional", lp.optional}});
        json ports = json::array();
        for (const auto& lp : p.landlock_ports)
            ports.push_back({{"port", lp.port}, {"access", lp.access}});
        l["paths"] = paths;
        l["ports"] = ports;
        j["landlock"] = l;
    }
    json lim = json::object();
    auto limit_value = [](uint64_t v) -> json {
        if (v == UINT64_MAX) return "unlimited";
        return v;
    };
    for (const auto& r : p.rlimits)
        lim[r.name] = r.soft == r.hard ? limit_value(r.soft)
                                       : json::array({limit_value(r.soft), limit_value(r.hard)});
    if (p.timeout_ms) lim["timeout"] = std::to_string(*p.timeout_ms) + "ms";
    lim["grace"] = std::to_string(p.grace_ms) + "ms";
    lim["timeout_signal"] = p.timeout_signal;
    if (p.memory_max) lim["memory_max"] = *p.memory_max;
    if (p.pids_max) lim["pids_max"] = *p.pids_max;
    if (p.cpu_max) lim["cpu_max"] = *p.cpu_max;
    lim["cgroup_required"] = p.cgroup_required;
    j["limits"] = lim;
    json pr{{"die_with_parent", p.die_with_parent},
            {"new_session", p.new_session},
            {"as_pid_1", p.as_pid_1}};
    if (p.chdir) pr["chdir"] = lit(*p.chdir);
    if (p.argv0) pr["argv0"] = lit(*p.argv0);
    j["process"] = pr;
    if (p.status_file) j["status"] = {{"file", lit(*p.status_file)}};
    if (p.has_nix) {
        json n{{"packages", lit(p.nix_packages)},
               {"closures", lit(p.nix_closures)},
               {"daemon", p.nix_daemon}};
        if (!p.nix_store_dir.empty()) n["store_dir"] = lit(p.nix_store_dir);
        j["nix"] = n;
    }
    return j;
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

void emit_table(std::string& out, const std::string& name, const json& t) {
    // Scalars and inline values first, then sub-tables and arrays of tables.
    std::string body;
    for (auto it = t.begin(); it != t.end(); ++it) {
        if ((it.value().is_object() && it.key() != "set") || is_table_array(it.value())) continue;
        body += toml_key(it.key()) + " = " + toml_value(it.value()) + "\n";
    }
    if (!name.empty()) out += "\n[" + name + "]\n";
    out += body;
    for (auto it = t.begin(); it != t.end(); ++it) {
        const std::string sub = name.empty() ? it.key() : name + "." + it.key();
        if (it.value().is_object() && it.key() != "set") {
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
