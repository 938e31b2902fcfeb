// The OCI front end: an OCI runtime bundle (config.json, runtime-spec 1.0-1.2)
// turned into the runtime's one description, like the bwrap argv and the
// policy files. What the description cannot carry (hooks, annotations, the
// cgroup path, the console) is returned beside it for `burrow oci` to act on.
//
// Contract of issue 18 (the lead's; engineers implement, do not change the
// signatures without saying so in the report):
//  - load_bundle reads BUNDLE/config.json (O_NOFOLLOW, a regular file, at
//    most 4 MiB), rejects unknown fields and wrong types with the JSON
//    pointer of the offending value, resolves root.path against the bundle,
//    and returns a Sandbox that run_sandbox can execute: the payload is pid 1
//    of its pid namespace when the config asks for one (proc.as_pid_1), the
//    mount tree is built exactly as config.json says (root first, mounts in
//    order, then maskedPaths/readonlyPaths, root made read-only last when
//    root.readonly), nothing of the host is visible that the config does
//    not name.
//  - Namespaces given by path are opened here (O_RDONLY|O_CLOEXEC) and the
//    fds are stored in the Sandbox (they belong to the caller: the Bundle
//    owns them and closes them in its destructor).
//  - Everything accepted but not enforced (e.g. a cgroup v1 host, an
//    unsupported seccomp flag) is listed in `notes`, one line each, so
//    `burrow oci` can log it; everything refused is a ConfigError.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::oci {

// "config.json: /linux/namespaces/2/type: unknown namespace type \"foo\"".
// where is a JSON pointer (RFC 6901) into the document, or "" for the file
// as a whole.
struct ConfigError : std::runtime_error {
    ConfigError(std::string file, std::string where, const std::string& why)
        : std::runtime_error(file + ": " + (where.empty() ? "" : where + ": ") + why),
          file(std::move(file)), where(std::move(where)) {}
    std::string file;
    std::string where;
};

struct Hook {
    std::string path; // absolute, on the host (createRuntime/prestart/poststart/poststop)
                      // or in the container (createContainer/startContainer)
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout_s;
};

struct Hooks {
    std::vector<Hook> prestart; // deprecated by the spec, still sent by podman
    std::vector<Hook> create_runtime;
    std::vector<Hook> create_container;
    std::vector<Hook> start_container;
    std::vector<Hook> poststart;
    std::vector<Hook> poststop;
};

struct Resources {
    std::optional<int64_t> memory_limit; // bytes; -1 unlimited
    std::optional<int64_t> memory_swap;
    std::optional<int64_t> pids_limit;
    std::optional<uint64_t> cpu_quota; // with cpu_period: cpu.max
    std::optional<uint64_t> cpu_period;
    std::optional<uint64_t> cpu_shares;
};

struct Bundle {
    std::string dir;         // the bundle, absolute
    std::string oci_version; // as written
    std::string root_path;   // root.path, absolute
    Sandbox sandbox;
    bool terminal = false;    // process.terminal: burrow oci hands a pty master to
                              // --console-socket; the Sandbox's stdio is set up by it
    std::string cgroups_path; // linux.cgroupsPath as written ("" if absent)
    Resources resources;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    std::vector<std::string> notes; // accepted, not enforced: one human line each
    // Namespace fds opened for linux.namespaces[].path; Sandbox refers to them.
    std::vector<Fd> owned_fds;
};

struct LoadOptions {
    // euid != 0 (or in a user namespace without a full map): podman's rootless
    // mode. Devices become binds of the host's nodes, as runc and crun do.
    bool rootless = false;
    // Compiled linux.seccomp programs are looked up and kept here
    // (seccomp_cache.hpp); empty: always compiled.
    std::string seccomp_cache_dir;
};

// Throws ConfigError (and nothing else for bad input).
Bundle load_bundle(const std::string& bundle_dir, const LoadOptions& opt);
// Only the hooks of BUNDLE/config.json (start and delete need nothing
// else: no mount, namespace or seccomp work). Throws ConfigError.
Hooks load_hooks(const std::string& bundle_dir);
// The same on a document already read (unit tests, `burrow oci spec` checks).
Bundle parse_config(std::string_view json, const std::string& bundle_dir, const LoadOptions& opt);

// `burrow oci exec --process FILE`: a process object (the "process" member of
// config.json) applied to a copy of the container's description. Throws
// ConfigError with file = the --process path. Without "capabilities" or
// "rlimits" the container's stay (as runc's exec).
void apply_process(std::string_view json, const std::string& file, Sandbox& sb, bool& terminal);

} // namespace burrow::oci
