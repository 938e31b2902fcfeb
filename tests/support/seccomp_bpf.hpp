// Seccomp programs for --seccomp/--add-seccomp-fd tests, compiled by the
// test itself with libseccomp into the raw BPF bytes bwrap reads from an fd.
#pragma once

#include <string>
#include <vector>

namespace btest {

// Allows everything except `syscalls`, which fail with errno `err`.
std::string bpf_denying(const std::vector<std::string>& syscalls, int err);

} // namespace btest
