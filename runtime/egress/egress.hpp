// The egress proxy's life, seen from the monitor (Sandbox::egress): started
// once the sandbox's id maps are written and before "go", so every rule and
// listener is in place before the payload runs; stopped when the sandbox is
// over, handing back its counts.
//
// The proxy is a fork of the monitor (no exec: it needs nothing from the
// file system, and the caller's environment stays with the caller). It dies
// with the monitor (PR_SET_PDEATHSIG), drops every capability once its
// setup child (steer.hpp) has entered the sandbox's namespaces, is not
// dumpable, and lives outside the sandbox's pid namespace: the payload can
// neither see nor ptrace it.
#pragma once

#include <sys/types.h>

#include <vector>

#include "runtime/fd.hpp"
#include "runtime/runtime.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::egress {

class Running {
  public:
    Running() = default;
    Running(Running&&) noexcept = default;
    Running& operator=(Running&& o) noexcept {
        if (this != &o) {
            kill();
            pidfd_ = std::move(o.pidfd_);
            report_ = std::move(o.report_);
            stop_ = std::move(o.stop_);
        }
        return *this;
    }
    ~Running() { kill(); }

    // Returns once the proxy's listeners and rules are in place. Throws
    // SetupError with one line (the proxy's own reason); the proxy is gone
    // then.
    void wait_ready();
    // Asks the proxy to end, collects its counts (waiting a few seconds at
    // most), reaps it.
    std::vector<RunResult::NetTally> stop();
    // SIGKILL and reap; idempotent.
    void kill() noexcept;
    // The monitor's fds that must stay open while the sandbox runs.
    std::vector<int> fds() const;

  private:
    friend Running launch(const Egress& egress, pid_t child, int json_status_fd);
    Fd pidfd_, report_, stop_;
};

// Starts the proxy against the user and network namespaces of `child`
// (its id maps written) and returns at once: Running::wait_ready() says when
// it is ready. Denials go to json_status_fd as JSON when it is >= 0, else to
// stderr. Throws SetupError with one line; nothing is left running then.
Running launch(const Egress& egress, pid_t child, int json_status_fd);

} // namespace burrow::egress
