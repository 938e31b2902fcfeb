// What the manager may launch: the backends of its --config file (written
// by nix/manager/package.nix from sandboxPackages), else burrow's own three.
#pragma once

#include <string>
#include <vector>

namespace burrow::manager {

struct Backend {
    std::string name;                 // what a create request names
    std::string backend;              // "namespace", "container", "vm"
    std::vector<std::string> command; // the launcher, before [options] PROJECT_DIR -- ARGV
    bool network = true;              // false: the launcher has no network at all
    bool available = true;            // its launcher (and the backend's tools) exist
};

struct Config {
    std::vector<Backend> backends;
    const Backend* find(const std::string& name) const;
};

// burrow's own backends, run as `SELF launch --backend NAME`; available
// when their tools exist (systemd-nspawn; qemu-system-x86_64).
Config builtin_config(const std::string& self_exe);

// An executable name found in $PATH (or /usr/sbin, /sbin).
bool on_path(const std::string& name);

// The --config file: {"backends":[{"name","backend","launcher","network"}]}.
// Throws std::runtime_error "FILE: reason" (a JSON error with its byte).
Config load_config(const std::string& path);

} // namespace burrow::manager
