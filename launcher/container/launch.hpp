// The container backend of `burrow launch`: the project sandbox in a
// systemd-nspawn container (contract as in launcher/namespace/launch.hpp).
#pragma once

#include <string>

#include "policy/project/sandbox.hpp"

namespace burrow::launch {

struct ContainerOptions {
    bool sudo = false;                     // not root: re-exec through sudo (else fail, 125)
    std::string nspawn = "systemd-nspawn"; // PATH-searched unless it has a '/'
    // --system DIR: boot that system's init in the container (empty: the
    // command runs under burrow's helper as pid 1's child, as before).
    std::string system;
};

int launch_container(const project::ProjectSandbox& ps, const ContainerOptions& o);

} // namespace burrow::launch
