// Who in the sandbox made a refused connection or query: the process
// holding the client's socket, for the denial log ("pid=... comm=...").
// Found from the proxy's side, through the sandbox's /proc/PID/net tables
// (the socket's inode by its local port) and the fds of the processes in
// the sandbox's network namespace. Best effort: a process that is gone, or
// a socket passed around, gives nothing; the proxy caps how many lookups a
// sandbox gets (each walks /proc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace burrow::egress {

struct Culprit {
    pid_t pid = 0; // in the caller's pid namespace; 0: not found
    std::string comm;
};

// sandbox_pid: a process in the sandbox's network namespace (its first);
// netns: that namespace as /proc/PID/ns/net names it ("net:[4026532174]",
// known from the fd the proxy was given: the sandbox's first process is a
// non-dumpable fork of the monitor, whose ns links the proxy may not read).
// udp: the client's socket is UDP (a DNS query), else TCP. local_port: the
// client's own port; remote_port: where it sent (0: any).
Culprit find_culprit(pid_t sandbox_pid, const std::string& netns, bool udp, uint16_t local_port,
                     uint16_t remote_port);

} // namespace burrow::egress
