// Placeholder until the container launch module lands (issue 6).
#include <cstdio>

#include "launcher/launch_backend.hpp"

namespace burrow::launch {

int launch_container(const project::ProjectSandbox&, const ContainerOptions&) {
    std::fprintf(stderr, "burrow: launch --backend container: not implemented yet\n");
    return 125;
}

} // namespace burrow::launch
