// A classic-BPF interpreter for seccomp programs: what `burrow seccomp check`
// runs, so its answer is the compiled program's answer, not a re-reading of
// the profile, and what the monitor asks for the errno of a logged denial
// (hence in runtime/). Tests hold it against the kernel.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <span>
#include <vector>

namespace burrow::seccomp {

// The SECCOMP_RET_* value the program returns for data. Invalid programs
// (jumps out of range, no return) yield SECCOMP_RET_KILL_PROCESS, which is
// what the kernel's verifier-less view of a broken program should mean.
uint32_t run_bpf(std::span<const sock_filter> prog, const seccomp_data& data);

// Several stacked programs, combined as the kernel does: the most
// restrictive action wins; between equals, the most recently installed.
uint32_t run_stack(std::span<const std::vector<sock_filter>> progs, const seccomp_data& data);

} // namespace burrow::seccomp
