// The last steps of a child the VM backend forks (QEMU, passt): the signal
// state burrow set up for itself is not theirs. Async-signal-safe only.
#pragma once

#include <signal.h>
#include <unistd.h>

#include "runtime/exit_status.hpp"

namespace burrow::vm {

[[noreturn]] inline void exec_child(char* const* argv) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv);
    _exit(kExitNotFound);
}

} // namespace burrow::vm
