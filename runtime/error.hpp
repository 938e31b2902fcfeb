// Setup errors. Everything in runtime/ reports failure by throwing SetupError
// with a bwrap-style message ("Can't mount proc on /newroot/proc: Operation not
// permitted"); the outermost frame of each process prints it once, prefixed
// with Diagnostics::prog, and exits 1.
//
// Throwing (and allocating) after clone is fine here: burrow is single
// threaded, and clone3 without CLONE_VM gives the child a private copy of the
// heap, so no lock can be held by a thread that no longer exists. The only
// code that must stay async-signal-safe is signal handlers.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

#include "runtime/sandbox.hpp"

namespace burrow {

struct SetupError : std::runtime_error {
    explicit SetupError(const std::string& message, int err = 0)
        : std::runtime_error(message), error(err) {}
    int error; // the errno behind the failure, 0 when none
};

// "what: strerror(err)"
[[noreturn]] void fail_errno(const std::string& what, int err = errno);
[[noreturn]] void fail(const std::string& message);

// Prints "<prefix><prog>: <message>\n" to stderr with a single write(2).
void report_error(const Diagnostics& diag, const std::string& message);
void report_warning(const Diagnostics& diag, const std::string& message);
void report_info(const Diagnostics& diag, const std::string& message);

} // namespace burrow
