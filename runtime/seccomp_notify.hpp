// Denials you can see (Sandbox::seccomp_log): SECCOMP_RET_USER_NOTIF in
// place of the errno returns of one program, the listener handed from the
// payload to the monitor over a socketpair (SCM_RIGHTS) before exec, and the
// monitor's side that answers each notification with the original errno and
// reports the call.
//
// Why a socket and not pidfd_getfd(): the latter needs ptrace access to the
// payload, which a non-dumpable child or one with other ids does not grant.
//
// When user notification is unavailable (kernel < 5.0: EINVAL; EBUSY: a
// listener exists already in the process's filter chain), the original
// program is installed with SECCOMP_FILTER_FLAG_LOG instead: the payload
// gets the same errno, the kernel's audit log gets the denial, and burrow
// warns once on stderr. SECCOMP_RET_LOG itself is not used: it allows the
// call, which would change what the payload sees.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/sandbox.hpp"

namespace burrow::seccomp_notify {

// A copy of program with every SECCOMP_RET_ERRNO return turned into
// SECCOMP_RET_USER_NOTIF. Throws SetupError if the program computes a return
// value (BPF_RET|BPF_A), which cannot be rewritten statically.
std::vector<sock_filter> notifying_variant(std::span<const sock_filter> program);

// The payload's side, the last step before exec: installs every program in
// order, programs[log_index] as notify_program with a new listener that is
// sent over sock and closed here (the payload never keeps it). sock is
// closed too, so the monitor sees EOF if no listener comes.
void install_programs_with_listener(const std::vector<std::vector<sock_filter>>& programs,
                                    std::size_t log_index,
                                    std::span<const sock_filter> notify_program, int sock,
                                    const Diagnostics& diag);

// One line "burrow: seccomp: denied ..." (without the newline) and the
// JSON object "{ \"seccomp-denied\": {...} }" (without the newline).
struct Denial {
    seccomp_data data{};
    uint32_t pid = 0;
    std::string comm;
    int err = 0; // the errno answered
};
std::string denial_line(const Denial& d);
std::string denial_json(const Denial& d);

// The monitor's side.
class DenialLog {
  public:
    // answers: the original program; sock: the monitor's end of the pair;
    // out: where reports go; json: JSON objects instead of stderr lines.
    DenialLog(std::vector<sock_filter> answers, Fd sock, int out, bool json);
    // The fd to poll now: the socket until the listener arrives, then the
    // listener; -1 once neither is left.
    int fd() const;
    // poll() said fd() is ready.
    void on_ready(short revents);
    // Answered notifications so far.
    unsigned long answered() const { return answered_; }

  private:
    void receive_listener();
    void answer_one();
    std::vector<sock_filter> answers_;
    Fd sock_, listener_;
    int out_;
    bool json_;
    std::vector<unsigned char> req_buf_, resp_buf_;
    unsigned long answered_ = 0;
};

} // namespace burrow::seccomp_notify
