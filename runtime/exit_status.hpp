// burrow's own exit statuses, as env(1) and timeout(1) use them. bwrap mode
// keeps bwrap's 1 instead (ExitCodes in runtime/sandbox.hpp); a payload
// killed by signal N gives 128+N in both.
#pragma once

namespace burrow {

inline constexpr int kExitFailure = 125;       // burrow failed; one line on stderr says why
inline constexpr int kExitCannotExecute = 126; // the command exists but could not be executed
inline constexpr int kExitNotFound = 127;      // the command does not exist
inline constexpr int kExitTimeout = 124;       // the command ran out of time

} // namespace burrow
