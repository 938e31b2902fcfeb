// Installs the sandbox's classic BPF programs, in order. Called as the very
// last step before exec (and by pid 1 before its wait loop, as bwrap does),
// so the filters never have to allow anything burrow's setup needs.
#pragma once

#include <linux/filter.h>

#include <span>
#include <vector>

namespace burrow {

void install_seccomp_programs(const std::vector<std::vector<sock_filter>>& programs);

// One program with seccomp(2) flags: the syscall's result (a listener fd
// with SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0), or -1 with errno set.
long try_install_seccomp_program(std::span<const sock_filter> program, unsigned flags);
// bwrap's message for a failed installation.
[[noreturn]] void fail_seccomp_install(int err);

} // namespace burrow
