// Shared helpers for the bwrap front-end unit tests: canned HostFacts, a
// parse() shortcut, an exact-message error check and pipes that feed data.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "policy/bwrap/args.hpp"

namespace bwrap_test {

using burrow::BwrapInvocation;
using burrow::BwrapUsageError;
using burrow::HostFacts;

constexpr uint64_t kAllCaps40 = (uint64_t{1} << 41) - 1;

// An ordinary user: uid 1000, user namespaces available.
inline HostFacts user_host() {
    HostFacts h;
    h.uid = 1000;
    h.gid = 1000;
    h.env = {"HOME=/home/u", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
    h.userns_available = true;
    h.cgroupns_available = true;
    h.cap_last_cap = 40;
    return h;
}

// root with every capability (bwrap keeps them unless told otherwise).
inline HostFacts root_host() {
    HostFacts h = user_host();
    h.uid = 0;
    h.gid = 0;
    h.env = {"HOME=/root", "PATH=/usr/sbin:/usr/bin"};
    h.effective_caps = kAllCaps40;
    h.permitted_caps = kAllCaps40;
    return h;
}

inline BwrapInvocation parse(const std::vector<std::string>& args,
                             const HostFacts& host = user_host()) {
    return burrow::parse_bwrap_args(args, host);
}

// The parse must fail with exactly this "bwrap: <message>" text.
inline void expect_error(const std::vector<std::string>& args, const std::string& message,
                         const HostFacts& host = user_host()) {
    std::string joined;
    for (const auto& a : args) joined += " " + a;
    try {
        (void)burrow::parse_bwrap_args(args, host);
        BOOST_ERROR("expected failure \"" << message << "\" for:" << joined);
    } catch (const BwrapUsageError& e) {
        BOOST_TEST(!e.show_usage, "unexpected usage text for:" << joined);
        BOOST_TEST(std::string(e.what()) == message, "for:" << joined);
    }
}

inline void expect_usage(const std::vector<std::string>& args,
                         const HostFacts& host = user_host()) {
    try {
        (void)burrow::parse_bwrap_args(args, host);
        BOOST_ERROR("expected the usage text");
    } catch (const BwrapUsageError& e) {
        BOOST_TEST(e.show_usage);
    }
}

// The read end of a pipe through which data arrives; a thread writes it so
// payloads larger than the pipe buffer work. The write end closes after the
// data (EOF for the reader).
class FedPipe {
  public:
    explicit FedPipe(std::string data) {
        // A parser that stops reading early must not kill the test with SIGPIPE.
        ::signal(SIGPIPE, SIG_IGN);
        int fds[2];
        BOOST_REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read_fd_ = fds[0];
        const int w = fds[1];
        writer_ = std::thread([w, d = std::move(data)] {
            size_t off = 0;
            while (off < d.size()) {
                ssize_t n = ::write(w, d.data() + off, d.size() - off);
                if (n <= 0) break; // reader gone (EPIPE); the test reports it
                off += static_cast<size_t>(n);
            }
            ::close(w);
        });
    }
    FedPipe(const FedPipe&) = delete;
    FedPipe& operator=(const FedPipe&) = delete;
    ~FedPipe() {
        // Unblocks the writer if the parser never read (an earlier error).
        if (!consumed_) ::close(read_fd_);
        writer_.join();
    }
    int fd() const { return read_fd_; }
    std::string arg() const { return std::to_string(read_fd_); }
    // The parser must have closed the read end, as bwrap closes --args and
    // seccomp fds once read.
    void expect_consumed() {
        BOOST_TEST(::fcntl(read_fd_, F_GETFD) == -1, "fd " << read_fd_ << " left open");
        consumed_ = true;
    }

  private:
    int read_fd_ = -1;
    bool consumed_ = false;
    std::thread writer_;
};

inline std::string nul_join(const std::vector<std::string>& items, bool trailing_nul = true) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        out += items[i];
        if (trailing_nul || i + 1 < items.size()) out.push_back('\0');
    }
    return out;
}

inline bool fd_is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

} // namespace bwrap_test
