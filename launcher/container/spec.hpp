// What the in-container helper (launcher/container/exec.cpp) must do, written
// by the host side of the container backend into the per-launch meta dir
// (mode 0400, root) and read by the helper inside the container.
//
// Why a file and not systemd-nspawn's --setenv/--user: nspawn's argv is
// world-readable in /proc/PID/cmdline, so a forwarded GH_TOKEN would be
// visible to every local user for the whole session; nspawn also adds its
// own variables (container=, container_uuid=, NOTIFY_SOCKET=...) that the
// allowlist does not name, and it reports a payload killed by a signal as
// 255. The helper applies exactly this spec.
//
// Format: NUL-separated strings, a tag then its fields; nothing in here can
// contain a NUL (argv and environment strings cannot either).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace burrow::container {

struct ExecSpec {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string cwd;
    bool interactive = false;      // take the console as controlling terminal
    std::vector<std::string> env;  // "NAME=value", the complete environment
    std::vector<std::string> argv; // never empty
    // Directories nspawn created as root on a tmpfs the caller owns (mount
    // points of shares nested in it): chowned to uid/gid when they are still
    // on that tmpfs (same st_dev as `top`), so the user can write there.
    struct Chown {
        std::string top, path;
    };
    std::vector<Chown> chowns;
    struct Dir {
        std::string path;
        uint32_t mode = 0755;
    };
    std::vector<Dir> dirs; // created as the user (mkdir -p)
    struct Copy {
        std::string from, to; // from: a read-only bind of the host file
        uint32_t mode = 0600;
    };
    std::vector<Copy> copies; // copied as the user, before the command runs
    std::string status_path;  // where the exit status is written (root side)
    // The private network and --allow-net: the command waits until the
    // host side says the egress proxy steers the container's network:
    // "ready" in this file (written
    // by burrow outside, in the status dir), "fail" or nothing within 30 s:
    // exit 125 without running it. Empty: no wait.
    std::string net_ready_path;
    // --system (the container boots the system's init, which starts the
    // helper as a unit with /dev/null for stdio): a unix socket from which
    // the helper receives burrow's own stdin, stdout and stderr before
    // anything else. Empty: the helper's stdio is already the command's
    // (nspawn's payload, or the console of an interactive boot).
    std::string stdio_socket;
    // --system: the helper is a unit of the booted init; what the command
    // leaves running is killed when it ends (launcher/container/exec.cpp).
    bool booted = false;
};

std::string encode_spec(const ExecSpec& s);
// Throws std::runtime_error on a malformed spec.
ExecSpec decode_spec(const std::string& data);

} // namespace burrow::container
