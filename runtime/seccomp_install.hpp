// Installs the sandbox's classic BPF programs, in order. Called as the very
// last step before exec (and by pid 1 before its wait loop, as bwrap does),
// so the filters never have to allow anything burrow's setup needs.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace burrow {

void install_seccomp_programs(const std::vector<std::vector<sock_filter>>& programs);

} // namespace burrow
