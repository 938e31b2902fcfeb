// Placeholder until the vm launch module lands (issue 6).
#include <cstdio>

#include "launcher/launch_backend.hpp"

namespace burrow::launch {

int launch_vm(const project::ProjectSandbox&, const VmOptions&) {
    std::fprintf(stderr, "burrow: launch --backend vm: not implemented yet\n");
    return 125;
}

} // namespace burrow::launch
