// The user-mode network stack of a sandbox (Sandbox::user_net): pasta or
// slirp4netns, started by the monitor against the sandbox's fresh network
// namespace, supervised, and gone when the sandbox is.
//
// How each helper is driven (facts measured for issue 15, see the README):
//  * pasta 2023-03: `pasta --config-net -f -q -t none -u none -T none -U none
//    --no-map-gw -P /proc/self/fd/3 PID`. It joins PID's user and network
//    namespaces, configures the tap interface (the host's address, its
//    default route), and only then writes its PID file: fd 3 is a pipe, so
//    one line there means "configured", EOF without it means "failed". No
//    port forwards either way; --no-map-gw keeps the host's loopback out of
//    reach at the gateway address. As root it would switch to "nobody" and
//    then be refused the root-owned user namespace: --runas 0:0. It refuses
//    to start with SIGPIPE inherited as ignored, so every disposition is
//    reset before exec.
//  * slirp4netns 1.2: `slirp4netns --configure --disable-host-loopback
//    --ready-fd 3 --exit-fd 4 PID tap0`; "1" on fd 3 = configured; it exits
//    when fd 4's other end (held by the monitor) closes.
//  * Neither exits when the namespace's processes are gone. So the helper
//    stays the monitor's direct child (pasta: -f), gets PR_SET_PDEATHSIG
//    (SIGKILL) before exec (it survives the helpers' own setup: checked as
//    root and as a user), and the monitor kills it through its pidfd when
//    the sandbox ends or its setup fails.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::user_net {

// A running helper. Destroying it kills and reaps the helper.
class Helper {
  public:
    Helper() = default;
    Helper(const Helper&) = delete;
    Helper& operator=(const Helper&) = delete;
    Helper(Helper&&) noexcept = default;
    Helper& operator=(Helper&& o) noexcept {
        if (this != &o) {
            stop();
            pidfd_ = std::move(o.pidfd_);
            exit_fd_ = std::move(o.exit_fd_);
        }
        return *this;
    }
    ~Helper() { stop(); }

    // SIGKILL through the pidfd, then reap; idempotent.
    void stop() noexcept;
    bool running() const noexcept { return pidfd_.valid(); }
    // The monitor's fds that must stay open while the sandbox runs.
    std::vector<int> fds() const;

  private:
    friend Helper start(const UserNet& net, pid_t child, const std::vector<PortForward>& forward);
    Fd pidfd_;
    Fd exit_fd_; // slirp4netns: the write end of its --exit-fd pipe
};

// "pasta", "slirp4netns".
const char* stack_name(NetStack s);

// Starts net's helper against the user and network namespaces of `child`
// (the sandbox's first process: waiting for "go", its id maps written) and
// returns once the helper says the namespace is configured. Throws
// SetupError with one line naming the helper and the reason; nothing is
// left running then. forward: the caller's loopback ports the sandbox
// reaches at its own 127.0.0.1 (pasta's --tcp-ns; slirp4netns has none).
Helper start(const UserNet& net, pid_t child, const std::vector<PortForward>& forward = {});

} // namespace burrow::user_net
