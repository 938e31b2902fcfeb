// The one hardening sequence of every process that ends up running code in
// a sandbox: the runtime's payload and pid 1, a joining `burrow enter` /
// second `burrow launch` (runtime/join.cpp), and the container backend's
// in-container helper (launcher/container/exec.cpp). Each step is
// async-signal-safe (raw syscalls, no allocation), so that it can run
// between fork/clone and exec; everything it needs is prepared before the
// fork (Plan holds plain pointers).
//
// THE ORDER, and why (the threat: code already running in the sandbox, same
// uid, that watches for a new process and SIGSTOPs, ptraces or reads it
// before it execs):
//
//  1. not_dumpable()         PR_SET_DUMPABLE 0, FIRST, before any setns().
//     A process's mm keeps the user namespace it was exec'd in (the host's)
//     and a fork keeps it too. A non-dumpable process whose mm belongs to
//     the host user namespace can only be ptraced, or have its
//     /proc/PID/{environ,mem,fd,...} opened, by a holder of CAP_SYS_PTRACE
//     in the HOST user namespace: nothing inside the sandbox. So from the
//     moment the process becomes visible (it is forked into the sandbox's
//     pid namespace, or enters its user namespace) until exec, it holds the
//     caller's environment, argv and memory unreadably. Exec replaces the
//     mm (the new program is dumpable again, and holds only what we passed).
//  2. (the caller: setns / ids / cwd; still privileged where it needs to be)
//  3. lock():  NO_NEW_PRIVS, then the seccomp programs (the caller's, then
//     tty_guard() unless in a new session), while the process still holds
//     its capabilities: if a capability drop came first, a same-uid tracer
//     would be allowed in (ptrace needs the tracer's permitted set to cover
//     the tracee's) and could skip the filter install. Step 1 already shuts
//     ptrace out; this order keeps that true even where step 1 cannot apply.
//  4. drop_capabilities():   bounding set, ambient, then capset to nothing.
//  5. fds_for_exec(keep):    every fd but 0, 1, 2 and the kept ones made
//     close-on-exec (close_range CLOEXEC), so an inherited fd (a host
//     directory on fd 3, a socket) never reaches the command, while the
//     caller's own report pipes keep working until exec.
//  6. The terminal: a new session (setsid: no controlling tty, so TIOCSTI on
//     the user's terminal is refused by the kernel), or, where job control
//     on the user's terminal is wanted (launch, interactive enter), the
//     tty_guard() filter of step 3 refuses TIOCSTI and TIOCLINUX whatever
//     the other filters say and whatever dev.tty.legacy_tiocsti is.
//  7. execve() with the sandbox's allowlisted environment as envp: never the
//     caller's environ.
//
// The runtime's fresh sandbox (runtime.cpp) runs the same steps in its own
// order where a brand-new pid namespace holds no other process yet: it
// turns non-dumpable as soon as its id maps are written (before the first
// mount; the maps cannot be written by an unprivileged monitor into a
// non-dumpable child), and installs the payload's seccomp programs last,
// since they may refuse what its setup still needs.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <span>

#include "runtime/cap_sets.hpp"

namespace burrow::harden {

// Which step failed (0: none); the errno comes with it.
enum Step : int {
    ok = 0,
    dumpable,
    no_new_privs,
    seccomp,
    capabilities,
    fds,
    session,
};
const char* step_name(int step); // "prctl(PR_SET_DUMPABLE)", ...

struct Plan {
    // Installed in order after NO_NEW_PRIVS; may be empty.
    std::span<const sock_fprog> filters;
    // Stay open across exec besides 0, 1 and 2 (their close-on-exec flag is
    // cleared); every other fd is made close-on-exec.
    std::span<const int> keep_fds;
    // setsid(); otherwise tty_guard() is installed (unless tty_guard is false,
    // bwrap's own semantics).
    bool new_session = false;
    bool tty_guard = true;
    // Drop every capability (bounding, ambient, effective, permitted,
    // inheritable).
    bool drop_capabilities = true;
    // Instead of the drop: effective, permitted and inheritable made exactly
    // these and the ambient set raised to them (OCI exec: process.
    // capabilities). The bounding set is the caller's to cut before any uid
    // change (PR_CAPBSET_DROP needs CAP_SETPCAP, which a uid change clears
    // from the effective set): limit_bounding().
    const CapSets* cap_sets = nullptr;
};

// Step 1. Returns 0 or errno.
int not_dumpable();

// Steps 3 to 6 in order. Returns ok, or the failed step with *err set.
Step lock(const Plan& plan, int* err);

// The single pieces, for executors with an order of their own (runtime.cpp).
int drop_capabilities();
// Every capability not in keep leaves the bounding set. Returns 0 or errno.
int limit_bounding(uint64_t keep);
// capset(effective, permitted, inheritable), then the ambient set cleared
// and raised to exactly s.ambient (each must be permitted and inheritable).
// Returns 0 or errno; *failed_ambient names the ambient capability that
// could not be raised (64 when the failure was elsewhere).
int set_capability_sets(const CapSets& s, unsigned* failed_ambient);
int fds_for_exec(std::span<const int> keep);
int install(const sock_fprog& program);

// A small filter, stacked on top of any other: ioctl(TIOCSTI) and
// ioctl(TIOCLINUX) fail with EPERM on every ABI of this architecture.
const sock_fprog& tty_guard();

} // namespace burrow::harden
