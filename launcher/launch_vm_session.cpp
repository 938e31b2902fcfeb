// Placeholders for the vm backend's sessions until the vm module provides
// them (the vm engineer replaces this file). Weak, so a definition elsewhere
// wins at link time.
#include <cstdio>

#include "launcher/launch_backend.hpp"

namespace burrow::launch {

__attribute__((weak)) int enter_vm(const session::Entry& e, const std::vector<std::string>&) {
    std::fprintf(stderr, "burrow: enter: %s: entering a vm sandbox is not implemented yet\n",
                 e.project_dir.c_str());
    return 125;
}

__attribute__((weak)) int stop_vm(const session::Entry& e) {
    std::fprintf(stderr, "burrow: stop: %s: stopping a vm sandbox is not implemented yet\n",
                 e.project_dir.c_str());
    return 125;
}

} // namespace burrow::launch
