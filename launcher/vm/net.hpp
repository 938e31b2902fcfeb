// The guest's network: QEMU's virtio-net frames go over a socket pair to
// passt, a user-mode network stack in a process of its own. QEMU's built-in
// slirp answers a listener on the host's 127.0.0.1 at the gateway address
// (10.0.2.2) and cannot be told not to, so every service on the host's
// loopback was one connect away from the guest; passt with --no-map-gw has
// no way to the host's loopback at all. passt is given slirp's addresses, so
// the guest agent's static configuration (10.0.2.15/24, gateway 10.0.2.2,
// DNS 10.0.2.3 forwarded to the host's resolver) stays as it is. With an
// egress allowlist passt itself runs in a namespace burrow's proxy steers.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/egress/egress.hpp"
#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::vm {

class GuestNet {
  public:
    // Starts passt (an absolute path) on one end of a socket pair, logging
    // to `log` (in the launch dir). With `egress` (an allowlist), passt runs
    // in a user and network namespace of its own that burrow's egress proxy
    // steers: the guest then reaches exactly what the allowlist allows, and
    // the proxy's denial lines go to stderr. Throws VmError; nothing is left
    // running then.
    GuestNet(const std::string& passt, const std::string& log, const Egress* egress = nullptr);
    GuestNet(const GuestNet&) = delete;
    GuestNet& operator=(const GuestNet&) = delete;
    // passt ends by itself only once QEMU has closed a connection that
    // carried frames (a guest that never sent any leaves it running):
    // killed, if still running, and reaped here.
    ~GuestNet();

    // QEMU's end: `-netdev socket,fd=N` speaks passt's framing (a 32-bit
    // length before each frame).
    int qemu_end() const { return qemu_end_.get(); }
    void close_qemu_end() { qemu_end_.reset(); }
    // "" while passt runs or after its normal end (exit 0, QEMU gone); once
    // it has failed (another status, a signal): how, with the last line of
    // its log.
    std::string ended();

  private:
    void kill() noexcept;
    std::string log_;
    egress::Running proxy_; // with an allowlist: dies with passt's namespace's use
    Fd qemu_end_;
    Fd pidfd_;
    pid_t pid_ = -1;
};

} // namespace burrow::vm
