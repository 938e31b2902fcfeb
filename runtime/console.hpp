// The terminal of an OCI process (process.terminal): a pseudo-terminal of
// the devpts the calling process sees at /dev/pts (the container's, once
// its mount namespace is entered: the process can name its own tty there,
// as with runc), its master handed to the engine over --console-socket and
// its slave the process's controlling terminal and stdio.
//
// Both steps are raw syscalls without allocation, so that they can run
// between fork and exec (burrow oci exec) as well as in the runtime's child
// (create). The master is proven a pty master by the ioctls, whatever the
// container made of /dev.
#pragma once

namespace burrow::console {

struct Pty {
    int master = -1;
    int slave = -1;
    char name[32] = {}; // "/dev/pts/N", as the process sees it
};

// /dev/pts/ptmx (else /dev/ptmx) opened, unlocked, its peer opened.
// Returns 0, or errno with nothing left open.
int open_pty(Pty& p);

// Sends p.master (with p.name as the message) over sock and closes it;
// then setsid(), TIOCSCTTY on the slave and the slave on 0, 1 and 2 (the
// slave fd itself is closed unless it is one of them). Returns 0 or errno.
int take_terminal(int sock, Pty& p);

} // namespace burrow::console
