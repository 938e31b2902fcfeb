// A decoded policy file: what the user wrote, checked and with variables
// substituted, before it is resolved against the host into a Sandbox.
// Positions are kept where a later step (resolve, lint) may need to point
// back at the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/file/node.hpp"

namespace burrow::policy {

struct FsEntry {
    std::string type; // schema name: "ro-bind", "tmpfs", "bind-data", ...
    std::string src;  // bind sources, symlink target
    std::string dest;
    std::optional<uint32_t> mode;
    std::optional<uint64_t> size;
    std::optional<std::string> content; // file, bind-data, ro-bind-data
    std::vector<std::string> sources;   // overlay lowers
    std::string upper, work;            // overlay
    Pos pos;
};

struct Rlimit {
    std::string name; // "nofile", ...
    uint64_t soft = 0, hard = 0;
    bool unlimited = false;
};

struct LandlockPath {
    std::string path;
    std::vector<std::string> access; // "read", "write", ...
    bool optional = false;
};

struct LandlockPort {
    uint16_t port = 0;
    std::vector<std::string> access; // "bind", "connect"
};

struct SeccompRule {
    std::vector<std::string> syscalls;
    std::string action;
    // {index, op, value, mask}
    struct Arg {
        unsigned index = 0;
        std::string op = "eq";
        uint64_t value = 0;
        std::optional<uint64_t> mask;
    };
    std::vector<Arg> args;
    Pos pos;
};

struct Policy {
    std::string description;
    // Namespaces beyond the mount namespace (always new).
    bool ns_user = true, ns_ipc = true, ns_pid = true, ns_uts = true, ns_cgroup = true;
    std::string network = "none"; // none | loopback | private | host | allowlist
    // [network] allow (mode "allowlist") and forward (modes "private" and
    // "allowlist"), as written: policy/network/egress_rules.hpp checked
    // them when the file was decoded; resolution parses them again. The
    // positions are where each was written, for layering errors.
    std::vector<std::string> network_allow, network_forward;
    std::vector<Pos> network_allow_pos, network_forward_pos;
    std::optional<uint32_t> uid, gid;
    std::optional<std::string> hostname;
    std::vector<FsEntry> fs;
    bool env_clear = false;
    std::vector<std::string> env_inherit;
    std::vector<std::pair<std::string, std::string>> env_set;
    std::vector<std::string> env_unset;
    std::vector<std::string> caps_add, caps_drop;
    std::optional<std::string> seccomp_profile;
    Pos seccomp_profile_pos; // where the profile was named (load errors point there)
    std::vector<SeccompRule> seccomp_rules;
    bool seccomp_log_denials = false; // report refused calls (seccomp::log_denials)
    Pos seccomp_log_denials_pos;
    bool landlock = false;
    int landlock_min_abi = 0;
    std::vector<LandlockPath> landlock_paths;
    std::vector<LandlockPort> landlock_ports;
    std::vector<Rlimit> rlimits;
    std::optional<uint64_t> timeout_ms;
    uint64_t grace_ms = 2000;
    std::string timeout_signal = "TERM";
    std::optional<uint64_t> memory_max, pids_max;
    std::optional<std::string> cpu_max;
    bool cgroup_required = false;
    bool die_with_parent = true, new_session = false, as_pid_1 = false;
    std::optional<std::string> chdir, argv0;
    std::optional<std::string> status_file;
    // [nix]: store paths (or links into the store) and closure files.
    std::vector<std::string> nix_packages, nix_closures;
    std::string nix_store_dir;
    bool nix_daemon = false;
    bool has_nix = false;
    Pos nix_pos; // the [nix] table
    // The dotted keys the document wrote (after extends and --set), down to
    // the keys of sections: "network", "env.set", "limits.nofile", "fs".
    // What a layer did not write leaves the base as it is (layer()).
    std::set<std::string, std::less<>> written;
    bool wrote(std::string_view key) const { return written.find(key) != written.end(); }
};

// Host facts used for ${...} variables; filled from the process by default.
struct Vars {
    std::map<std::string, std::string> values; // cwd, home, user, uid, gid, project
    static Vars from_process();
};

// Where a policy comes from and how it is edited on the command line.
struct LoadOptions {
    std::vector<std::string> sets; // "KEY=VALUE" from --set, in order
    Vars vars = Vars::from_process();
};

// A built-in policy name or a file; follows `extends`, applies --set, checks
// against the schema and substitutes variables. Throws PolicyError.
Policy load_policy(const std::string& name_or_path, const LoadOptions& opts);
// The merged tree before decoding (extends followed, --set applied).
Node load_policy_tree(const std::string& name_or_path, const std::vector<std::string>& sets);
// The same from an already merged tree (unit tests, `show` round trips).
Policy decode_policy(const Node& root, const Vars& vars);

// `burrow launch --policy`: `top` layered onto `base`, key by key as the
// schema table says (policy/file/keys/): the merge of `extends`, except
// that the network and the namespaces only ever get stricter. Keys `top`
// did not write leave `base` as it is.
void layer(Policy& base, const Policy& top);

// Built-in policies (policy/file/profiles/*.toml compiled into the binary).
std::vector<std::string> builtin_policy_names();
const char* builtin_policy_text(const std::string& name); // nullptr if unknown

} // namespace burrow::policy
