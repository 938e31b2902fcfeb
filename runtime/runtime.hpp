// Entry point of the runtime: executes one resolved Sandbox.
#pragma once

#include "runtime/sandbox.hpp"

namespace burrow {

// Creates the namespaces, builds the file tree, drops privileges, installs
// seccomp, runs the payload and waits for it. Returns the status the caller
// should exit with: the payload's exit code, 128+N if it died of signal N, or
// 1 (bwrap's convention) when setup failed; the failure was already reported
// on stderr as "<prog>: <message>".
int run_sandbox(const Sandbox& sb);

} // namespace burrow
