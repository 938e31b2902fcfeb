// The project sandbox: what `burrow launch` means, described once and
// backend-neutral. policy/project/sandbox.cpp builds it from the launch
// options and the host (what exists in $HOME, which sockets are there, the
// environment); each launch module in launcher/ (namespace, container, vm)
// translates it into its own terms. Nothing here knows a backend's syntax.
//
// Rules of this type:
//  - Plain data, fully resolved against the host: every share's source
//    exists (missing optional things were dropped by the builder), paths are
//    absolute and canonical, the environment is the final allowlisted list.
//  - Shares are applied in order; a later share may sit inside an earlier
//    one (e.g. ~/.ssh read-only inside the tmpfs home).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "policy/file/policy.hpp"

namespace burrow::project {

enum class Backend { ns, container, vm };
const char* backend_name(Backend b); // "namespace", "container", "vm"

// What the sandbox's network is (--network; issue 15). private: a network
// of its own with outbound connectivity through a user-mode stack (the
// namespace backend: pasta, else slirp4netns; vm: passt), which reaches
// neither the host's loopback services nor its abstract unix sockets. host:
// the host's network namespace, all of it (explicit, with a warning).
// allowlist (--allow-net RULE): a network of its own whose only way out is
// burrow's egress proxy, for the destinations the rules name (namespace and
// container backends). The container's private network is nspawn's lo-only
// one with that proxy in open mode (every destination but the host's
// loopback; TCP and DNS only).
enum class Network { none, private_stack, host, allowlist };
const char* network_name(Network n); // "none", "private", "host", "allowlist"

// One thing made visible inside the sandbox.
struct Share {
    enum class Kind {
        bind,     // host source read-write at dest
        ro_bind,  // host source read-only at dest
        dev_bind, // host device directory (e.g. /dev/dri) with devices usable
        tmpfs,    // empty writable directory at dest (source empty)
        dir,      // directory created at dest (inside a writable parent)
        copy,     // host file source copied to dest at start ("copy-seeding"):
                  // writable inside, never written back, never a mount, so an
                  // atomic rename over it works
    };
    Kind kind = Kind::ro_bind;
    std::string source;           // host path (empty for tmpfs/dir)
    std::string dest;             // absolute path inside
    std::optional<uint32_t> mode; // tmpfs/dir/copy
    // Why it is there, for --verbose and the man page's list: "project",
    // "home", "git", "ssh", "agent-config", "state-tmp", "x11", "wayland",
    // "dbus-system", "dbus-session", "pipewire", "pulse", "dri", "opengl",
    // "keyring", "ssh-agent", "nix-daemon", "user-bind", "system" ...
    std::string why;
    // A unix socket (or a directory of them) rather than files: the VM
    // backend cannot carry these over 9p and says so.
    bool socket = false;
};

struct ProjectSandbox {
    Backend backend = Backend::ns;

    // Host facts.
    std::string project_dir; // canonical absolute host path; same path inside
    std::string project_id;  // "<basename>-<hash>" (hash of project_dir)
    std::string state_dir;   // ${XDG_STATE_HOME:-~/.local/state}/burrow/projects/<id>
                             // (created by the builder, mode 0700): holds tmp/,
                             // local/{bin,lib,share}/ — shared into the sandbox —
                             // and nothing the sandbox may not write
    std::string run_dir;     // launcher metadata, never shared into the sandbox:
                             // ${XDG_RUNTIME_DIR or /run/user/UID or state}/burrow/<id>
                             // (session registry entry, tmux socket dir, VM sockets);
                             // with --new "<id>-<pid>", as it may run next to
                             // the project's registered sandbox
    uid_t uid = 0;
    gid_t gid = 0;
    std::string user;  // login name of uid
    std::string home;  // $HOME, same path inside (a fresh tmpfs there)
    std::string shell; // the user's shell (policy / $SHELL / passwd), for --shell

    // The sandbox.
    std::vector<Share> shares;                            // in order, see Share
    std::vector<std::pair<std::string, std::string>> env; // final environment, allowlisted;
                                                          // includes BURROW_SANDBOX=1 and
                                                          // BURROW_BACKEND=<name>
    std::vector<std::string> command;                     // argv; never empty after the builder
    std::string cwd;                                      // inside; the project dir
    bool interactive = false;                             // --shell, or stdin is a terminal
    bool tmux = false; // run inside a tmux server on the host side (launcher/cli/launch_cmd.cpp),
                       // socket in run_dir/tmux; never shared into the sandbox
    Network network = Network::private_stack; // the backend's default unless --network
    std::vector<std::string> allow_net;       // Network::allowlist: --allow-net rules as
                                              // given (checked by the builder)
    bool new_session = false;                 // --new: do not join a running sandbox
    std::string hostname;                     // "burrow-<basename>" unless a policy says otherwise
    std::vector<int> keep_fds;                // --keep-fd: passed to the command besides stdio
                               // (namespace backend; every other inherited fd is closed)

    // Namespace backend only: the layered --policy files, applied on top of
    // what the shares above say (their seccomp, landlock, limits, extra fs).
    // Container/VM apply the parts they can (fs binds, env) and name the rest
    // as unsupported once on stderr. A layer's `network` is empty when the
    // file does not set it (Policy's default "none" would otherwise turn
    // every layer into --no-network); set, it can only make things stricter.
    std::vector<policy::Policy> layers;
};

// ---- The builder (policy/project/sandbox.cpp) ----

// What `burrow launch` was asked for, before anything is looked up.
struct LaunchOptions {
    Backend backend = Backend::ns;
    std::string project = ".";        // PROJECT_DIR as given (relative to the cwd)
    std::vector<std::string> command; // after "--"; empty: the user's shell
    bool shell = false;               // --shell: interactive shell instead of command
    bool tmux = false;
    bool no_network = false; // --no-network: the same as --network none
    std::string network;     // --network: private, host or none; "" the backend's default
    std::vector<std::string> allow_net; // --allow-net RULE: Network::allowlist with these
    bool gh_token = false;              // forward GH_TOKEN / GITHUB_TOKEN and share ~/.config/gh
    bool ssh_keys = false;              // --ssh-keys: all of ~/.ssh read-only (default:
                                        // known_hosts, config and *.pub only)
    bool new_session = false;           // --new
    std::vector<std::string> env_names; // --env NAME
    std::vector<std::string> binds;     // --bind SRC[:DEST]
    std::vector<std::string> ro_binds;  // --ro-bind SRC[:DEST]
    // --agent-dir DIR: the agent's config directory, read-write at its own
    // path (default ~/.claude). When it does not exist on the host, a
    // per-project directory in the state dir (agent/) is bound there instead,
    // so the agent's config persists per project and the host's home is
    // never written. --no-agent-dir: none.
    std::optional<std::string> agent_dir;
    bool no_agent_dir = false;
    // --seed FILE: copy-seeded files (copied in at start, never written back);
    // default ~/.claude.json. --no-seed: none.
    std::vector<std::string> seeds;
    bool no_seed = false;
    std::vector<policy::Policy> layers; // --policy, loaded: ProjectSandbox::layers
};

// The host as the builder sees it; host_from_process() fills it for real,
// unit tests inject their own.
struct HostInfo {
    std::map<std::string, std::string> env;
    std::string home; // $HOME, else the passwd entry's
    std::string user; // login name
    std::string passwd_shell;
    uid_t uid = 0;
    gid_t gid = 0;
    bool stdin_tty = false;
    // Does this host path exist (stat: a dangling symlink does not)? Used for every optional share
    // (sockets, ~/.ssh, /dev/dri ...); the project dir, --bind sources and
    // the state dir always use the real filesystem.
    std::function<bool(const std::string&)> exists;
};
HostInfo host_from_process();

// A launch that cannot be described: message is "<what>: <why>", printed
// as "burrow: launch: <message>".
struct LaunchError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Resolves everything (project dir canonical, ids, state dir created 0700
// with tmp/ and local/{bin,lib,share}, run dir created 0700, shares, env,
// command). Throws LaunchError, also when the project dir (by real path)
// is, holds or lies inside burrow's state, run or registry dir, or is or
// holds the home; and when a directory of the per-project state that a
// sandbox writes (tmp, local/*, agent/*) is not a real directory owned by
// the caller (a symlink planted there is refused, never followed).
ProjectSandbox build_project_sandbox(const LaunchOptions& opts, const HostInfo& host);

// The project directory rules of build_project_sandbox alone, with no side
// effect (the manager checks a request with them before it launches):
// dir's canonical path, which must be a directory that is not and does not
// hold the home, and is not, holds or lies in burrow's state, run or
// registry dir. Throws LaunchError.
std::string checked_project_dir(const std::string& dir, const HostInfo& host);

// The container and vm backends' network under their --policy layers (ps.layers),
// by the policy files' layering rule (a layer only makes the network
// stricter: host > private > allowlist > loopback > none; a layer's allow
// rules must be allowed by what it narrows, its forwards forwarded by it).
// Sets ps.network and ps.allow_net; loopback becomes none (nspawn's lo-only
// network; a vm without a NIC). Throws LaunchError ("--policy FILE:LINE:COL: ...").
void layer_network(ProjectSandbox& ps);

// "<basename>-<16 hex digits of a hash of the canonical path>"; the basename
// is reduced to [A-Za-z0-9._-] so the id is always a plain file name.
std::string project_id_for(const std::string& canonical_dir);

// Root of the launcher's metadata for this user, never shared into a
// sandbox: ${XDG_RUNTIME_DIR}/burrow when that is an existing directory,
// else /run/user/UID/burrow when that exists, else
// ${XDG_STATE_HOME:-~/.local/state}/burrow/run. Not created here.
std::string run_root(const HostInfo& host);
// ${XDG_STATE_HOME:-HOME/.local/state}/burrow
std::string state_root(const HostInfo& host);

} // namespace burrow::project
