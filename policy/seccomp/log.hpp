// The policy hook for denial logging (Sandbox::SeccompLog): any front end
// (bwrap's --seccomp-log-denials, a policy file key) calls this after it has
// filled sb.seccomp_programs.
#pragma once

#include <cstddef>

#include "runtime/sandbox.hpp"

namespace burrow::seccomp {

// Reports every call sb.seccomp_programs[program] answers with an errno
// (same errno for the payload, plus a line on stderr or a JSON object on the
// json-status fd). Only one program per sandbox can be logged (the kernel
// allows one listener per process); a later call replaces the earlier.
// Throws ProfileError if program is out of range or the program computes
// its return values (only constant returns can be rewritten).
void log_denials(Sandbox& sb, std::size_t program);

} // namespace burrow::seccomp
