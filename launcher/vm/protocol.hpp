// What the host side of the VM backend (launcher/vm/launch.cpp) and the guest
// agent (launcher/vm/guest/agent.cpp, /init of the guest) agree on. Kept in
// one header so the two ends cannot drift.
//
// Boot: the initramfs holds the agent as /init and the kernel modules it
// needs under /burrow/modules/, loaded in the order of /burrow/modules.order
// (one file name per line, dependencies first). The agent then mounts the
// per-launch meta share (9p tag kMetaTag, read-only) and reads the manifest.
//
// Manifest (kManifestName in the meta share): a flat list of NUL-terminated
// strings; each record is a keyword followed by a fixed number of fields, so
// no value (paths with newlines, quotes, '$(') is ever parsed as syntax:
//   "mount9p" TAG DEST "ro"|"rw"   a 9p share at DEST (mkdir -p first)
//   "tmpfs"   DEST MODE(octal)     an empty tmpfs (the caller's)
//   "roottmpfs" DEST MODE(octal)   an empty tmpfs (root's: a NixOS /etc, /usr)
//   "dir"     DEST MODE(octal)     a directory
//   "copy"    META_REL DEST MODE   a file of the meta share copied to DEST
//   "bindfile" META_REL DEST       a file of the meta share bound read-only
//   "symlink" TARGET LINK
//   "env"     NAME=VALUE
//   "arg"     ARG                  the command, in order
//   "cwd"     DIR
//   "uid" N / "gid" N / "user" NAME / "hostname" NAME
//   "network" "0"|"1"              1: configure eth0 for QEMU's user-mode NAT
//   "interactive" "0"|"1"          1: command on the console tty (hvc0)
//                                  0: stdin/stdout/stderr on three ports
//   "enter" "0"|"1"                1: serve `burrow enter` on kPortEnter
//   "init"    PATH                 --system: once the tree is built, exec PATH
//                                  (the system's init) as pid 1; the agent goes
//                                  on as burrow-agent.service (`/run/burrow/agent
//                                  --service`), reopens the ports, runs the command
// Control port (kPortCtl), lines of text:
//   guest -> host: "boot\n" (stage 1 runs: sent as soon as the port opens,
//                  before any share is mounted), "ready\n" (command started),
//                  "exit N\n", "signal N\n",
//                  "error TEXT\n" (the agent failed: one line for the user)
//   host -> guest: "kill N\n" (send signal N to the command's process group),
//                  "ack\n" (a status or error line arrived: the agent waits
//                  for it, at most 8 s, before powering off, since port data
//                  QEMU has not yet passed on dies with the machine)
// Enter port (kPortEnter, one `burrow enter` at a time, QEMU serves the
// host side as a unix socket in the launch dir): frames of
//   [type: 1 byte][length: 4 bytes little-endian][payload]
//   host -> guest: 'h' mode ('t' pty, 'p' pipes) then NUL-terminated argv
//                  (empty argv: the user's shell, interactive), 'i' input,
//                  'e' end of input, 'w' rows and columns (2 x uint16 LE)
//                  'p' ping (the guest answers 'q' at once)
//   guest -> host: 'o' output, 'x' exit status (uint32 LE, 128+N: signal N),
//                  'q' the answer to a ping
// Lengths come from the guest, which is hostile: the host refuses a frame
// over kMaxFrame and a control line over kMaxCtlLine (and stops the guest).
#pragma once

#include <cstddef>
#include <cstdint>

namespace burrow::vm {

inline constexpr const char* kMetaTag = "burrow-meta";
inline constexpr const char* kManifestName = "manifest";
inline constexpr const char* kPortCtl = "burrow.ctl";
inline constexpr const char* kPortStdin = "burrow.stdin";
inline constexpr const char* kPortStdout = "burrow.stdout";
inline constexpr const char* kPortStderr = "burrow.stderr";
inline constexpr const char* kPortEnter = "burrow.enter";
inline constexpr const char* kModulesOrder = "/burrow/modules.order";
inline constexpr const char* kModulesDir = "/burrow/modules";

inline constexpr size_t kFrameHeader = 5;
// The agent sends at most 4 KiB of output a frame.
inline constexpr uint32_t kMaxFrame = 65536;
inline constexpr size_t kMaxCtlLine = 4096;
// `burrow enter` gives up on a guest that does not answer a ping in this time.
inline constexpr int kEnterSilenceS = 15;

} // namespace burrow::vm
