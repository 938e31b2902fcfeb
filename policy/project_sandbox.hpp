// The project sandbox: what `burrow launch` means, described once and
// backend-neutral. policy/project_sandbox.cpp builds it from the launch
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
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/policy.hpp"

namespace burrow::project {

enum class Backend { ns, container, vm };
const char* backend_name(Backend b); // "namespace", "container", "vm"

// One thing made visible inside the sandbox.
struct Share {
    enum class Kind {
        bind,    // host source read-write at dest
        ro_bind, // host source read-only at dest
        dev_bind,// host device directory (e.g. /dev/dri) with devices usable
        tmpfs,   // empty writable directory at dest (source empty)
        dir,     // directory created at dest (inside a writable parent)
        copy,    // host file source copied to dest at start ("copy-seeding"):
                 // writable inside, never written back, never a mount, so an
                 // atomic rename over it works
    };
    Kind kind = Kind::ro_bind;
    std::string source;      // host path (empty for tmpfs/dir)
    std::string dest;        // absolute path inside
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
                             // (session registry entry, tmux socket dir, VM sockets)
    uid_t uid = 0;
    gid_t gid = 0;
    std::string user;        // login name of uid
    std::string home;        // $HOME, same path inside (a fresh tmpfs there)
    std::string shell;       // the user's shell (policy / $SHELL / passwd), for --shell

    // The sandbox.
    std::vector<Share> shares;                          // in order, see Share
    std::vector<std::pair<std::string, std::string>> env; // final environment, allowlisted;
                                                          // includes BURROW_SANDBOX=1 and
                                                          // BURROW_BACKEND=<name>
    std::vector<std::string> command; // argv; never empty after the builder
    std::string cwd;                  // inside; the project dir
    bool interactive = false;         // --shell, or stdin is a terminal
    bool tmux = false;                // run inside tmux, socket in run_dir
    bool network = true;              // false: --no-network (no usable network at all)
    bool new_session = false;         // --new: do not join a running sandbox
    std::string hostname;             // "burrow-<basename>" unless a policy says otherwise

    // Namespace backend only: the layered --policy files, applied on top of
    // what the shares above say (their seccomp, landlock, limits, extra fs).
    // Container/VM apply the parts they can (fs binds, env) and name the rest
    // as unsupported once on stderr.
    std::vector<policy::Policy> layers;
};

} // namespace burrow::project
