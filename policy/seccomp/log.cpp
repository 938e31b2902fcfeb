#include "policy/seccomp/log.hpp"

#include <linux/filter.h>

#include <string>

#include "policy/seccomp/profile.hpp"

namespace burrow::seccomp {

void log_denials(Sandbox& sb, std::size_t program) {
    if (program >= sb.seccomp_programs.size())
        throw ProfileError("seccomp denial log: no seccomp program #" + std::to_string(program));
    // Checked here, where the error can name the option, rather than at
    // run time (runtime/seccomp_notify rewrites the program the same way).
    for (const sock_filter& insn : sb.seccomp_programs[program])
        if (BPF_CLASS(insn.code) == BPF_RET && BPF_RVAL(insn.code) != BPF_K)
            throw ProfileError("seccomp denial log: the program computes its return values");
    sb.seccomp_log.enabled = true;
    sb.seccomp_log.program = program;
}

} // namespace burrow::seccomp
