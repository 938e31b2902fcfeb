#include "policy/file/schema.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace burrow::policy {

namespace {

using K = KeyType;

constexpr std::array kSchema{
    KeyDoc{"description", K::string, "", "One line saying what the policy is for."},
    KeyDoc{"extends", K::string, "",
           "A built-in policy name or a file (relative to this file) this policy layers on. "
           "Later keys win; arrays append unless named in replace."},
    KeyDoc{"replace", K::strings, "[]",
           "Dotted keys whose arrays this layer replaces instead of appending to (\"fs\", "
           "\"env.inherit\")."},
    KeyDoc{"vars", K::free_table, "",
           "Variables for ${NAME} in strings. Predefined: cwd, home, user, uid, gid, project "
           "(default: cwd). --set NAME=VALUE sets one."},
    KeyDoc{"network", K::string, "none",
           "none (new network namespace, no interface up), loopback (new namespace, lo up) or "
           "host (the host's network)."},
    KeyDoc{"uid", K::integer, "caller's uid", "User id inside the sandbox."},
    KeyDoc{"gid", K::integer, "caller's gid", "Group id inside the sandbox."},
    KeyDoc{"hostname", K::string, "", "Host name inside the sandbox (needs namespaces.uts)."},
    KeyDoc{"namespaces", K::table, "", "Namespaces to create besides the mount namespace."},
    KeyDoc{"namespaces.user", K::boolean, "true", "New user namespace."},
    KeyDoc{"namespaces.ipc", K::boolean, "true", "New IPC namespace."},
    KeyDoc{"namespaces.pid", K::boolean, "true", "New pid namespace."},
    KeyDoc{"namespaces.uts", K::boolean, "true", "New UTS namespace (host name)."},
    KeyDoc{"namespaces.cgroup", K::boolean, "true", "New cgroup namespace."},
    KeyDoc{"fs", K::tables, "[]", "Filesystem operations, applied in order on an empty root."},
    KeyDoc{"fs[].type", K::string, "",
           "bind, bind-try, ro-bind, ro-bind-try, dev-bind, dev-bind-try, tmpfs, proc, dev, "
           "mqueue, dir, symlink, file, bind-data, ro-bind-data, chmod, remount-ro, overlay, "
           "tmp-overlay, ro-overlay."},
    KeyDoc{"fs[].src", K::string, "dest", "Host path of a bind (defaults to dest)."},
    KeyDoc{"fs[].dest", K::string, "", "Path inside the sandbox (absolute)."},
    KeyDoc{"fs[].target", K::string, "", "Link text of a symlink."},
    KeyDoc{"fs[].mode", K::mode, "", "Permissions of tmpfs, dir, file, bind-data; chmod's mode."},
    KeyDoc{"fs[].size", K::size, "", "Size limit of a tmpfs."},
    KeyDoc{"fs[].content", K::string, "", "Contents of file, bind-data and ro-bind-data."},
    KeyDoc{"fs[].sources", K::strings, "", "Lower layers of an overlay (host paths, in order)."},
    KeyDoc{"fs[].upper", K::string, "", "Writable layer of an overlay (host path)."},
    KeyDoc{"fs[].work", K::string, "", "Work directory of an overlay (host path)."},
    KeyDoc{"env", K::table, "", "The payload's environment."},
    KeyDoc{"env.clear", K::boolean, "false",
           "Start from an empty environment (only env.inherit and env.set pass)."},
    KeyDoc{"env.inherit", K::strings, "[]",
           "Variables kept from the caller when env.clear; NAME* keeps every variable whose "
           "name starts with NAME. burrow run --env NAME adds one."},
    KeyDoc{"env.set", K::free_table, "", "Variables to set (NAME = \"value\")."},
    KeyDoc{"env.unset", K::strings, "[]", "Variables to remove."},
    KeyDoc{"capabilities", K::table, "", "Capabilities in the sandbox (default: none)."},
    KeyDoc{"capabilities.add", K::strings, "[]", "Capability names to keep (CAP_NET_RAW, ALL)."},
    KeyDoc{"capabilities.drop", K::strings, "[]", "Capability names to drop."},
    KeyDoc{"seccomp", K::table, "", "System call filter."},
    KeyDoc{"seccomp.profile", K::string, "",
           "Built-in profile (default, strict, ci, none) or profile file (see burrow-seccomp(7))."},
    KeyDoc{"seccomp.log_denials", K::boolean, "false",
           "Report each call the filter refuses with an errno (stderr, or the JSON status fd); "
           "the payload gets the same errno."},
    KeyDoc{"seccomp.rules", K::tables, "[]", "Rules checked before the profile's."},
    KeyDoc{"seccomp.rules[].syscalls", K::strings, "", "System call names and @groups."},
    KeyDoc{"seccomp.rules[].action", K::string, "",
           "allow, errno:NAME, kill-process, kill-thread, trap, log."},
    KeyDoc{"seccomp.rules[].args", K::tables, "[]", "Argument conditions, all must hold."},
    KeyDoc{"seccomp.rules[].args[].index", K::integer, "", "Argument number 0-5."},
    KeyDoc{"seccomp.rules[].args[].op", K::string, "eq", "eq ne lt le gt ge masked_eq."},
    KeyDoc{"seccomp.rules[].args[].value", K::integer, "", "Value compared with."},
    KeyDoc{"seccomp.rules[].args[].mask", K::integer, "", "Mask for masked_eq."},
    KeyDoc{"landlock", K::table, "",
           "Landlock: every filesystem right (and TCP port right when ports are given) is "
           "denied unless a rule grants it."},
    KeyDoc{"landlock.enabled", K::boolean, "true when [landlock] is present", "Apply landlock."},
    KeyDoc{"landlock.min_abi", K::integer, "0",
           "Fail unless the kernel offers this landlock ABI; 0: best effort."},
    KeyDoc{"landlock.paths", K::tables, "[]", "Path rules."},
    KeyDoc{"landlock.paths[].path", K::string, "", "Path inside the sandbox."},
    KeyDoc{"landlock.paths[].access", K::strings, "",
           "read, write, execute, make-dir, remove, truncate, refer, ioctl-dev, or the "
           "shorthands ro (read+execute) and rw (everything)."},
    KeyDoc{"landlock.paths[].optional", K::boolean, "false",
           "Skip the rule if the path is missing."},
    KeyDoc{"landlock.ports", K::tables, "[]", "TCP port rules."},
    KeyDoc{"landlock.ports[].port", K::integer, "", "TCP port."},
    KeyDoc{"landlock.ports[].access", K::strings, "", "bind, connect."},
    KeyDoc{"limits", K::table, "", "Resource limits and the wall-clock timeout."},
    KeyDoc{"limits.nofile", K::rlimit, "",
           "RLIMIT_NOFILE: a number, \"unlimited\" or [soft, hard]."},
    KeyDoc{"limits.nproc", K::rlimit, "", "RLIMIT_NPROC."},
    KeyDoc{"limits.as", K::rlimit, "", "RLIMIT_AS (bytes, sizes like \"4G\" allowed)."},
    KeyDoc{"limits.data", K::rlimit, "", "RLIMIT_DATA (bytes)."},
    KeyDoc{"limits.stack", K::rlimit, "", "RLIMIT_STACK (bytes)."},
    KeyDoc{"limits.cpu", K::rlimit, "", "RLIMIT_CPU (seconds)."},
    KeyDoc{"limits.fsize", K::rlimit, "", "RLIMIT_FSIZE (bytes)."},
    KeyDoc{"limits.core", K::rlimit, "", "RLIMIT_CORE (bytes)."},
    KeyDoc{"limits.memlock", K::rlimit, "", "RLIMIT_MEMLOCK (bytes)."},
    KeyDoc{"limits.timeout", K::duration, "",
           "Wall-clock limit of the whole sandbox; on expiry burrow exits 124."},
    KeyDoc{"limits.grace", K::duration, "2s", "Time between timeout_signal and SIGKILL."},
    KeyDoc{"limits.timeout_signal", K::string, "TERM", "Signal sent first on timeout."},
    KeyDoc{"limits.memory_max", K::size, "", "cgroup v2 memory.max."},
    KeyDoc{"limits.pids_max", K::integer, "", "cgroup v2 pids.max."},
    KeyDoc{"limits.cpu_max", K::string, "", "cgroup v2 cpu.max (\"QUOTA PERIOD\")."},
    KeyDoc{"limits.cgroup_required", K::boolean, "false",
           "Fail instead of reporting the cgroup limits unavailable."},
    KeyDoc{"process", K::table, "", "How the payload runs."},
    KeyDoc{"process.die_with_parent", K::boolean, "true", "Kill the sandbox when burrow dies."},
    KeyDoc{"process.new_session", K::boolean, "false", "setsid(): no access to the terminal."},
    KeyDoc{"process.as_pid_1", K::boolean, "false", "The payload is pid 1 (no reaper)."},
    KeyDoc{"process.chdir", K::string, "", "Working directory inside the sandbox."},
    KeyDoc{"process.argv0", K::string, "", "argv[0] as the payload sees it."},
    KeyDoc{"status", K::table, "", "Reporting."},
    KeyDoc{"status.file", K::string, "",
           "Write one JSON document about the run here (like --status-file)."},
    KeyDoc{"nix", K::table, "", "Nix store closure shown at the store directory."},
    KeyDoc{"nix.packages", K::strings, "[]", "Store paths or links into the store."},
    KeyDoc{"nix.closures", K::strings, "[]", "Closure files (closureInfo store-paths)."},
    KeyDoc{"nix.store_dir", K::string, "/nix/store", "The store directory."},
    KeyDoc{"nix.daemon", K::boolean, "false", "Expose the daemon socket (NIX_REMOTE=daemon)."},
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
