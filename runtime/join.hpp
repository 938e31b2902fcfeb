// Joining a running sandbox (burrow launch on a running project, burrow
// enter): enter the namespaces of one of its processes through a pidfd,
// harden with the one sequence of runtime/hardening.hpp (not dumpable
// before setns; NO_NEW_PRIVS and the seccomp program before the capability
// drop; fds; session or tty guard), chdir and exec with env only.
//
// This file takes a plain description and parses nothing: which process,
// which namespaces, argv, env, cwd and the BPF program are decided by the
// caller (launcher/session/), which also verified the process's identity
// before opening the pidfd. Between fork and exec only async-signal-safe
// calls run: everything is prepared before the first fork.
#pragma once

#include <linux/filter.h>

#include <optional>

#include <string>
#include <vector>

#include "runtime/cap_sets.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::join {

struct JoinSpec {
    int pidfd = -1;                   // a process of the sandbox (pidfd_open), owned by the caller
    int ns_flags = 0;                 // CLONE_NEWUSER|CLONE_NEWNS|... to enter, all at once
    std::vector<std::string> argv;    // argv[0] searched in env's PATH when it has no '/'
    std::string program;              // executed instead of argv[0] when set (an OCI hook's
                                      // path, whose args[0] may differ); searched the same way
    std::vector<std::string> env;     // complete environment, "NAME=VALUE"
    std::string cwd;                  // inside; must exist there
    std::vector<sock_filter> seccomp; // installed before the capability drop; empty: none
    std::vector<int> keep_fds;        // open across exec besides stdio (--keep-fd)
    bool new_session = false;         // setsid(); otherwise TIOCSTI is refused by seccomp
    // The ids the payload runs as, inside the joined user namespace (burrow
    // oci exec: process.user); unset: the ids setns left (burrow enter).
    // Set after setns and before the hardening sequence drops the
    // capabilities that allow it. groups: setgroups() first, unless empty
    // and refused (a user namespace with setgroups denied).
    bool set_ids = false;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> groups;
    // Exact capability sets instead of none (burrow oci exec: process.
    // capabilities): the bounding set cut right after setns, the others
    // kept across the uid change (PR_SET_KEEPCAPS) and set by the hardening
    // sequence in place of its drop.
    std::optional<CapSets> cap_sets;
    // setrlimit() each right after setns, while CAP_SYS_RESOURCE is held
    // (OCI exec: process.rlimits, else the container's).
    std::vector<Rlimit> rlimits;
    // A terminal (process.terminal): a pty of the devpts the joined mount
    // namespace shows at /dev/pts, opened once the ids are set (the slave is
    // the process's own), its master sent over this socket; the slave
    // becomes the controlling terminal of a new session and stdio.
    // Leave new_session false: the session is the terminal's.
    int console_socket_fd = -1;
    std::string prog = "burrow"; // message prefix
};

// Runs argv joined to the sandbox and waits for it. The process tree is
//   caller -> helper (setns; outside the sandbox's pid namespace, as setns
//   only moves children into it) -> payload (in every joined namespace).
// Both die with their parent (PR_SET_PDEATHSIG). SIGTERM, SIGHUP, SIGUSR1,
// SIGUSR2 and signals another process sends (SI_USER) are forwarded down;
// terminal-generated SIGINT/SIGQUIT reach the payload directly through the
// shared foreground process group, so they are not sent twice.
// Returns the payload's exit status, 128+N for a death by signal N, 125 when
// joining failed (one line "<prog>: join: <step>: <reason>" on stderr), 126
// when the command could not be executed, 127 when it was not found.
int run_joined(const JoinSpec& spec);

} // namespace burrow::join
