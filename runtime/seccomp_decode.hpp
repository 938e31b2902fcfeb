// Turns a denied system call, as the kernel hands it to a seccomp listener
// (struct seccomp_data), into words a person can read: the call's name on
// its ABI and its key register arguments decoded (ioctl request, socket
// family, clone/unshare namespace flags). Only register values are decoded:
// reading the target's memory would race with the target itself.
#pragma once

#include <linux/seccomp.h>

#include <string>

namespace burrow::seccomp_decode {

// "x86_64", "i386", "x32", "aarch64", "arm", or the hex audit arch.
std::string abi_name(const seccomp_data& d);
// The call's name on its ABI, or "syscall_N" when unknown.
std::string syscall_name(const seccomp_data& d);
// "ioctl(fd=1, request=TIOCSTI)", "socket(family=AF_PACKET, type=SOCK_RAW)",
// "unshare(flags=CLONE_NEWUSER)", or "keyctl(0x1, 0x0, ...)" with six raw
// arguments for calls without a decoder.
std::string describe_call(const seccomp_data& d);
// Symbolic errno ("EPERM"), or the number.
std::string errno_name(int err);

} // namespace burrow::seccomp_decode
