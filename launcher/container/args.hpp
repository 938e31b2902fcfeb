// The project sandbox in systemd-nspawn's terms: the nspawn argv, the spec
// of the in-container helper, and what the host side prepares in the
// per-launch directory (launcher/container/root.hpp). Pure translation: no
// process is started and nothing is written here.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "launcher/container/spec.hpp"
#include "policy/project/sandbox.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::container {

// Where the helper's files are inside the container (never a share's dest).
inline constexpr const char* kMetaInside = "/run/.burrow-container";
inline constexpr const char* kStatusInside = "/run/.burrow-container-status";
// --system: a system directory outside the Nix store, bound read-only here.
inline constexpr const char* kSystemInside = "/run/.burrow-system";
// --system: the unit that runs the helper (and so the command) in the
// booted container; its file is bound into /run/systemd/system.
inline constexpr const char* kCommandUnit = "burrow-command.service";

// --system DIR, checked by the launch (DIR/init an executable file).
struct SystemInput {
    std::string dir;       // resolved host path (no symlink left)
    bool nixos = false;    // DIR/activate: /etc an empty writable tmpfs
    bool has_etc = false;  // plain system: DIR/etc is /etc, read-only
    std::string store_dir; // nixos: the Nix store directory (/nix/store)
    // nixos: the closure of DIR, each bound read-only at its own path;
    // empty when the project already shares the whole store.
    std::vector<std::string> store_paths;
};

struct PlanInput {
    std::string nspawn;                // resolved path of systemd-nspawn
    std::string machine;               // machine name (the instance's name)
    std::string uuid;                  // the instance's UUID (32 hex digits)
    std::string root, meta, status;    // host paths of the instance (container_root.hpp)
    std::string exe;                   // host path of burrow itself (bound in as the helper)
    bool interactive = false;          // stdin is a terminal: --console=interactive
    bool register_machine = false;     // a system bus and systemd: register with machined
    std::optional<SystemInput> system; // --system: boot its init (else the helper is pid 2)
};

struct Plan {
    std::vector<std::string> argv; // nspawn's, argv[0] = PlanInput::nspawn
    ExecSpec spec;
    // Host side, in the instance before nspawn starts:
    std::vector<std::pair<std::string, std::string>> root_symlinks; // name in root -> target
    std::vector<std::string> root_dirs;  // relative to root (mount points, "dir" shares)
    std::vector<std::string> meta_files; // empty files relative to meta (file mount points)
    std::vector<std::string> meta_dirs;  // relative to meta
    std::vector<std::pair<std::string, std::string>> meta_texts; // name in meta -> content
};

// --system: burrow-command.service, the unit that starts the helper once
// the system is up (after basic.target, before the gettys) and ends the
// container with its exit status when the helper ends.
std::string command_unit(bool interactive);

// nspawn's --bind/--bind-ro/--tmpfs split SRC:DEST:OPTIONS at colons and
// read backslash escapes, so both are escaped in paths.
std::string escape_path(const std::string& path);

// The egress proxy that steers the container's network, which nspawn's
// --private-network leaves with lo only: for Network::private_stack the
// proxy in open mode (every destination but the host's loopback and other
// special addresses; TCP and DNS only), for Network::allowlist the rules
// and a CONNECT endpoint whose variables (HTTPS_PROXY...) go into *env.
// plan_container (the variables) and the launch (the proxy) both call it,
// so both agree on the endpoint's port. enabled is false for the others.
Egress container_egress(const project::ProjectSandbox& ps, std::vector<std::string>* env);

// Throws std::runtime_error (message names the share) on what nspawn cannot express.
Plan plan_container(const project::ProjectSandbox& ps, const PlanInput& in);

} // namespace burrow::container
