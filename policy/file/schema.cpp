#include "policy/file/schema.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "policy/file/policy.hpp"
#include "runtime/rlimits.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

// ---- Layer rules: how a key the top layer wrote lands in the base ----
// The same as `extends` (merge_nodes on the trees: later values win, arrays
// append, tables merge key by key), except that the network and the
// namespaces may only get stricter. `replace` is not applied: it speaks of
// a file's own extends chain, and a launch layer must not drop the project
// sandbox's shares.

// Later wins (fields that go together, such as a value and its position).
template <auto... M> void later(Policy& b, const Policy& t, std::string_view) {
    ((b.*M = t.*M), ...);
}

// Arrays append.
template <auto M> void append(Policy& b, const Policy& t, std::string_view) {
    (b.*M).insert((b.*M).end(), (t.*M).begin(), (t.*M).end());
}

// A namespace a layer asks for is added; one it turns off stays.
template <auto M> void stricter(Policy& b, const Policy& t, std::string_view) {
    b.*M = b.*M || t.*M;
}

// host > private > loopback > none: the stricter of the two. private
// reaches outside, but not the host's loopback services nor its abstract
// unix sockets, as host does.
void stricter_network(Policy& b, const Policy& t, std::string_view) {
    auto rank = [](const std::string& n) {
        return n == "host" ? 3 : n == "private" ? 2 : n == "loopback" ? 1 : 0;
    };
    if (rank(t.network) < rank(b.network)) b.network = t.network;
}

// A table of strings merges name by name (a name keeps its place).
void merge_env_set(Policy& b, const Policy& t, std::string_view) {
    for (const auto& kv : t.env_set) {
        auto it = std::find_if(b.env_set.begin(), b.env_set.end(),
                               [&](const auto& e) { return e.first == kv.first; });
        if (it == b.env_set.end())
            b.env_set.push_back(kv);
        else
            it->second = kv.second;
    }
}

// limits.NAME: the layer's limit replaces the base's, in the order decode
// gives (rlimits::names()).
void limit_by_name(Policy& b, const Policy& t, std::string_view key) {
    const std::string name(key.substr(key.find('.') + 1));
    std::vector<Rlimit> out;
    for (const std::string& n : rlimits::names()) {
        auto from = [&](const std::vector<Rlimit>& v) {
            return std::find_if(v.begin(), v.end(), [&](const Rlimit& r) { return r.name == n; });
        };
        const std::vector<Rlimit>& src = n == name ? t.rlimits : b.rlimits;
        if (auto it = from(src); it != src.end()) out.push_back(*it);
    }
    b.rlimits = std::move(out);
}

// [landlock] written at all turns landlock on, unless `enabled` (the
// layer's, else the base's) says otherwise: as in the merged tree.
void landlock_section(Policy& b, const Policy& t, std::string_view) {
    if (t.wrote("landlock.enabled"))
        b.landlock = t.landlock;
    else if (!b.wrote("landlock.enabled"))
        b.landlock = true;
}

// [nix] written at all; errors point at the first [nix] table, as a merged
// tree keeps the base's.
void nix_section(Policy& b, const Policy& t, std::string_view) {
    if (!b.has_nix) b.nix_pos = t.nix_pos;
    b.has_nix = true;
}

// Sections whose keys carry their own rules; keys of array items travel
// with their item; extends, replace and vars are spent when the file loads.
void section(Policy&, const Policy&, std::string_view) {}
void item(Policy&, const Policy&, std::string_view) {}
void consumed(Policy&, const Policy&, std::string_view) {}

constexpr std::array kSchema{
    KeyDoc{"description", K::string, "", "One line saying what the policy is for.",
           later<&Policy::description>},
    KeyDoc{"extends", K::string, "",
           "A built-in policy name or a file (relative to this file) this policy layers on. "
           "Later keys win; arrays append unless named in replace.",
           consumed},
    KeyDoc{"replace", K::strings, "[]",
           "Dotted keys whose arrays this layer replaces instead of appending to (\"fs\", "
           "\"env.inherit\").",
           consumed},
    KeyDoc{"vars", K::free_table, "",
           "Variables for ${NAME} in strings. Predefined: cwd, home, user, uid, gid, project "
           "(default: cwd). --set NAME=VALUE sets one.",
           consumed},
    KeyDoc{"network", K::string, "none",
           "none (new network namespace, no interface up), loopback (new namespace, lo up), "
           "private (new namespace with outbound connectivity through pasta, else slirp4netns; "
           "not the host's loopback services nor its abstract sockets) or host (the host's "
           "network).",
           stricter_network},
    KeyDoc{"uid", K::integer, "caller's uid", "User id inside the sandbox.", later<&Policy::uid>},
    KeyDoc{"gid", K::integer, "caller's gid", "Group id inside the sandbox.", later<&Policy::gid>},
    KeyDoc{"hostname", K::string, "", "Host name inside the sandbox (needs namespaces.uts).",
           later<&Policy::hostname>},
    KeyDoc{"namespaces", K::table, "", "Namespaces to create besides the mount namespace.",
           section},
    KeyDoc{"namespaces.user", K::boolean, "true", "New user namespace.",
           stricter<&Policy::ns_user>},
    KeyDoc{"namespaces.ipc", K::boolean, "true", "New IPC namespace.", stricter<&Policy::ns_ipc>},
    KeyDoc{"namespaces.pid", K::boolean, "true", "New pid namespace.", stricter<&Policy::ns_pid>},
    KeyDoc{"namespaces.uts", K::boolean, "true", "New UTS namespace (host name).",
           stricter<&Policy::ns_uts>},
    KeyDoc{"namespaces.cgroup", K::boolean, "true", "New cgroup namespace.",
           stricter<&Policy::ns_cgroup>},
    KeyDoc{"fs", K::tables, "[]", "Filesystem operations, applied in order on an empty root.",
           append<&Policy::fs>},
    KeyDoc{"fs[].type", K::string, "",
           "bind, bind-try, ro-bind, ro-bind-try, dev-bind, dev-bind-try, tmpfs, proc, dev, "
           "mqueue, dir, symlink, file, bind-data, ro-bind-data, chmod, remount-ro, overlay, "
           "tmp-overlay, ro-overlay.",
           item},
    KeyDoc{"fs[].src", K::string, "dest", "Host path of a bind (defaults to dest).", item},
    KeyDoc{"fs[].dest", K::string, "", "Path inside the sandbox (absolute).", item},
    KeyDoc{"fs[].target", K::string, "", "Link text of a symlink.", item},
    KeyDoc{"fs[].mode", K::mode, "", "Permissions of tmpfs, dir, file, bind-data; chmod's mode.",
           item},
    KeyDoc{"fs[].size", K::size, "", "Size limit of a tmpfs.", item},
    KeyDoc{"fs[].content", K::string, "", "Contents of file, bind-data and ro-bind-data.", item},
    KeyDoc{"fs[].sources", K::strings, "", "Lower layers of an overlay (host paths, in order).",
           item},
    KeyDoc{"fs[].upper", K::string, "", "Writable layer of an overlay (host path).", item},
    KeyDoc{"fs[].work", K::string, "", "Work directory of an overlay (host path).", item},
    KeyDoc{"env", K::table, "", "The payload's environment.", section},
    KeyDoc{"env.clear", K::boolean, "false",
           "Start from an empty environment (only env.inherit and env.set pass).",
           later<&Policy::env_clear>},
    KeyDoc{"env.inherit", K::strings, "[]",
           "Variables kept from the caller when env.clear; NAME* keeps every variable whose "
           "name starts with NAME. burrow run --env NAME adds one.",
           append<&Policy::env_inherit>},
    KeyDoc{"env.set", K::free_table, "", "Variables to set (NAME = \"value\").", merge_env_set},
    KeyDoc{"env.unset", K::strings, "[]", "Variables to remove.", append<&Policy::env_unset>},
    KeyDoc{"capabilities", K::table, "", "Capabilities in the sandbox (default: none).", section},
    KeyDoc{"capabilities.add", K::strings, "[]", "Capability names to keep (CAP_NET_RAW, ALL).",
           append<&Policy::caps_add>},
    KeyDoc{"capabilities.drop", K::strings, "[]", "Capability names to drop.",
           append<&Policy::caps_drop>},
    KeyDoc{"seccomp", K::table, "", "System call filter.", section},
    KeyDoc{"seccomp.profile", K::string, "",
           "Built-in profile (default, strict, ci, none) or profile file (see burrow-seccomp(7)).",
           later<&Policy::seccomp_profile, &Policy::seccomp_profile_pos>},
    KeyDoc{"seccomp.log_denials", K::boolean, "false",
           "Report each call the filter refuses with an errno (stderr, or the JSON status fd); "
           "the payload gets the same errno.",
           later<&Policy::seccomp_log_denials, &Policy::seccomp_log_denials_pos>},
    KeyDoc{"seccomp.rules", K::tables, "[]", "Rules checked before the profile's.",
           append<&Policy::seccomp_rules>},
    KeyDoc{"seccomp.rules[].syscalls", K::strings, "", "System call names and @groups.", item},
    KeyDoc{"seccomp.rules[].action", K::string, "",
           "allow, errno:NAME, kill-process, kill-thread, trap, log.", item},
    KeyDoc{"seccomp.rules[].args", K::tables, "[]", "Argument conditions, all must hold.", item},
    KeyDoc{"seccomp.rules[].args[].index", K::integer, "", "Argument number 0-5.", item},
    KeyDoc{"seccomp.rules[].args[].op", K::string, "eq", "eq ne lt le gt ge masked_eq.", item},
    KeyDoc{"seccomp.rules[].args[].value", K::integer, "", "Value compared with.", item},
    KeyDoc{"seccomp.rules[].args[].mask", K::integer, "", "Mask for masked_eq.", item},
    KeyDoc{"landlock", K::table, "",
           "Landlock: every filesystem right (and TCP port right when ports are given) is "
           "denied unless a rule grants it.",
           landlock_section},
    KeyDoc{"landlock.enabled", K::boolean, "true when [landlock] is present", "Apply landlock.",
           later<&Policy::landlock>},
    KeyDoc{"landlock.min_abi", K::integer, "0",
           "Fail unless the kernel offers this landlock ABI; 0: best effort.",
           later<&Policy::landlock_min_abi>},
    KeyDoc{"landlock.paths", K::tables, "[]", "Path rules.", append<&Policy::landlock_paths>},
    KeyDoc{"landlock.paths[].path", K::string, "", "Path inside the sandbox.", item},
    KeyDoc{"landlock.paths[].access", K::strings, "",
           "read, write, execute, make-dir, remove, truncate, refer, ioctl-dev, or the "
           "shorthands ro (read+execute) and rw (everything).",
           item},
    KeyDoc{"landlock.paths[].optional", K::boolean, "false",
           "Skip the rule if the path is missing.", item},
    KeyDoc{"landlock.ports", K::tables, "[]", "TCP port rules.", append<&Policy::landlock_ports>},
    KeyDoc{"landlock.ports[].port", K::integer, "", "TCP port.", item},
    KeyDoc{"landlock.ports[].access", K::strings, "", "bind, connect.", item},
    KeyDoc{"limits", K::table, "", "Resource limits and the wall-clock timeout.", section},
    KeyDoc{"limits.nofile", K::rlimit, "",
           "RLIMIT_NOFILE: a number, \"unlimited\" or [soft, hard].", limit_by_name},
    KeyDoc{"limits.nproc", K::rlimit, "", "RLIMIT_NPROC.", limit_by_name},
    KeyDoc{"limits.as", K::rlimit, "", "RLIMIT_AS (bytes, sizes like \"4G\" allowed).",
           limit_by_name},
    KeyDoc{"limits.data", K::rlimit, "", "RLIMIT_DATA (bytes).", limit_by_name},
    KeyDoc{"limits.stack", K::rlimit, "", "RLIMIT_STACK (bytes).", limit_by_name},
    KeyDoc{"limits.cpu", K::rlimit, "", "RLIMIT_CPU (seconds).", limit_by_name},
    KeyDoc{"limits.fsize", K::rlimit, "", "RLIMIT_FSIZE (bytes).", limit_by_name},
    KeyDoc{"limits.core", K::rlimit, "", "RLIMIT_CORE (bytes).", limit_by_name},
    KeyDoc{"limits.memlock", K::rlimit, "", "RLIMIT_MEMLOCK (bytes).", limit_by_name},
    KeyDoc{"limits.timeout", K::duration, "",
           "Wall-clock limit of the whole sandbox; on expiry burrow exits 124.",
           later<&Policy::timeout_ms>},
    KeyDoc{"limits.grace", K::duration, "2s", "Time between timeout_signal and SIGKILL.",
           later<&Policy::grace_ms>},
    KeyDoc{"limits.timeout_signal", K::string, "TERM", "Signal sent first on timeout.",
           later<&Policy::timeout_signal>},
    KeyDoc{"limits.memory_max", K::size, "", "cgroup v2 memory.max.", later<&Policy::memory_max>},
    KeyDoc{"limits.pids_max", K::integer, "", "cgroup v2 pids.max.", later<&Policy::pids_max>},
    KeyDoc{"limits.cpu_max", K::string, "", "cgroup v2 cpu.max (\"QUOTA PERIOD\").",
           later<&Policy::cpu_max>},
    KeyDoc{"limits.cgroup_required", K::boolean, "false",
           "Fail instead of reporting the cgroup limits unavailable.",
           later<&Policy::cgroup_required>},
    KeyDoc{"process", K::table, "", "How the payload runs.", section},
    KeyDoc{"process.die_with_parent", K::boolean, "true", "Kill the sandbox when burrow dies.",
           later<&Policy::die_with_parent>},
    KeyDoc{"process.new_session", K::boolean, "false", "setsid(): no access to the terminal.",
           later<&Policy::new_session>},
    KeyDoc{"process.as_pid_1", K::boolean, "false", "The payload is pid 1 (no reaper).",
           later<&Policy::as_pid_1>},
    KeyDoc{"process.chdir", K::string, "", "Working directory inside the sandbox.",
           later<&Policy::chdir>},
    KeyDoc{"process.argv0", K::string, "", "argv[0] as the payload sees it.",
           later<&Policy::argv0>},
    KeyDoc{"status", K::table, "", "Reporting.", section},
    KeyDoc{"status.file", K::string, "",
           "Write one JSON document about the run here (like --status-file).",
           later<&Policy::status_file>},
    KeyDoc{"nix", K::table, "", "Nix store closure shown at the store directory.", nix_section},
    KeyDoc{"nix.packages", K::strings, "[]", "Store paths or links into the store.",
           append<&Policy::nix_packages>},
    KeyDoc{"nix.closures", K::strings, "[]", "Closure files (closureInfo store-paths).",
           append<&Policy::nix_closures>},
    KeyDoc{"nix.store_dir", K::string, "/nix/store", "The store directory.",
           later<&Policy::nix_store_dir>},
    KeyDoc{"nix.daemon", K::boolean, "false", "Expose the daemon socket (NIX_REMOTE=daemon).",
           later<&Policy::nix_daemon>},
};

// Levenshtein distance, small strings only.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

} // namespace

std::span<const KeyDoc> policy_schema() {
    return kSchema;
}

const KeyDoc* find_schema_key(std::string_view dotted) {
    for (const auto& k : kSchema)
        if (k.key == dotted) return &k;
    return nullptr;
}

std::string suggest_key(std::string_view dotted) {
    const auto dot = dotted.rfind('.');
    const std::string_view parent = dot == std::string_view::npos ? "" : dotted.substr(0, dot + 1);
    const std::string_view leaf = dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
    std::string best;
    std::size_t best_d = 3; // more than two edits is not a typo
    for (const auto& k : kSchema) {
        if (!k.key.starts_with(parent)) continue;
        const std::string_view rest = k.key.substr(parent.size());
        if (rest.find('.') != std::string_view::npos) continue;
        const std::size_t d = distance(leaf, rest);
        if (d < best_d) {
            best_d = d;
            best = std::string(rest);
        }
    }
    return best;
}

void layer(Policy& base, const Policy& top) {
    for (const auto& k : kSchema)
        if (top.wrote(k.key)) k.layer(base, top, k.key);
    base.written.insert(top.written.begin(), top.written.end());
}

const char* key_type_name(KeyType t) {
    switch (t) {
    case K::string:
        return "string";
    case K::boolean:
        return "boolean";
    case K::integer:
        return "integer";
    case K::size:
        return "size";
    case K::duration:
        return "duration";
    case K::mode:
        return "mode";
    case K::strings:
        return "array of strings";
    case K::free_table:
        return "table of strings";
    case K::table:
        return "table";
    case K::tables:
        return "array of tables";
    case K::rlimit:
        return "limit";
    }
    return "?";
}

} // namespace burrow::policy
