#include "runtime/seccomp_notify.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/fd_passing.hpp"
#include "runtime/seccomp_bpf_eval.hpp"
#include "runtime/seccomp_decode.hpp"
#include "runtime/seccomp_install.hpp"
#include "runtime/status.hpp"

namespace burrow::seccomp_notify {

namespace {

// The kernel clamps SECCOMP_RET_ERRNO's data to MAX_ERRNO.
constexpr int max_errno = 4095;

void send_fd(int sock, int fd) {
    const char byte = 0;
    const ssize_t r = send_fds(sock, &fd, 1, &byte, 1);
    if (r != 1) fail_errno("sending the seccomp listener to the monitor", r < 0 ? errno : EIO);
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            // comm is whatever the payload set: keep the output valid JSON.
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// comm is whatever the payload set (PR_SET_NAME): on the one-line report,
// control characters and backslashes are escaped so it cannot forge lines.
std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c != 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

std::string read_comm(uint32_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/comm";
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return "?";
    char buf[64];
    ssize_t n;
    do n = ::read(fd.get(), buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return "?";
    std::string s(buf, static_cast<std::size_t>(n));
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

} // namespace

std::vector<sock_filter> notifying_variant(std::span<const sock_filter> program) {
    std::vector<sock_filter> out(program.begin(), program.end());
    for (sock_filter& insn : out) {
        if (BPF_CLASS(insn.code) != BPF_RET) continue;
        if (BPF_RVAL(insn.code) != BPF_K)
            fail("--seccomp-log-denials: the program computes its return value; cannot log it");
        if ((insn.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
            insn.k = SECCOMP_RET_USER_NOTIF;
    }
    return out;
}

void install_programs_with_listener(const std::vector<std::vector<sock_filter>>& programs,
                                    std::size_t log_index,
                                    std::span<const sock_filter> notify_program, int sock,
                                    const Diagnostics& diag) {
    for (std::size_t i = 0; i < programs.size(); ++i) {
        if (i != log_index) {
            if (try_install_seccomp_program(programs[i], 0) != 0) fail_seccomp_install(errno);
            continue;
        }
        const long fd =
            try_install_seccomp_program(notify_program, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        if (fd >= 0) {
            Fd listener(static_cast<int>(fd));
            send_fd(sock, listener.get());
            continue;
        }
        const int err = errno;
        if (err != EBUSY && err != EINVAL) fail_seccomp_install(err);
        report_warning(diag,
                       std::string("seccomp: cannot report denials here (user notification: ") +
                           std::strerror(err) + "); they go to the kernel's audit log");
        if (try_install_seccomp_program(programs[i], SECCOMP_FILTER_FLAG_LOG) != 0 &&
            try_install_seccomp_program(programs[i], 0) != 0)
            fail_seccomp_install(errno);
    }
    ::close(sock);
}

std::string denial_line(const Denial& d) {
    return "burrow: seccomp: denied " + seccomp_decode::describe_call(d.data) + " = -" +
           seccomp_decode::errno_name(d.err) + " pid=" + std::to_string(d.pid) +
           " comm=" + printable(d.comm) + " abi=" + seccomp_decode::abi_name(d.data);
}

std::string denial_json(const Denial& d) {
    std::string args;
    for (int i = 0; i < 6; ++i) {
        if (i) args += ", ";
        args += std::to_string(d.data.args[i]);
    }
    return "{ \"seccomp-denied\": { \"syscall\": " +
           json_string(seccomp_decode::syscall_name(d.data)) +
           ", \"nr\": " + std::to_string(d.data.nr) +
           ", \"abi\": " + json_string(seccomp_decode::abi_name(d.data)) +
           ", \"call\": " + json_string(seccomp_decode::describe_call(d.data)) + ", \"args\": [" +
           args + "], \"errno\": " + json_string(seccomp_decode::errno_name(d.err)) +
           ", \"errno-value\": " + std::to_string(d.err) + ", \"pid\": " + std::to_string(d.pid) +
           ", \"comm\": " + json_string(d.comm) + " } }";
}

DenialLog::DenialLog(std::vector<sock_filter> answers, Fd sock, int out, bool json)
    : answers_(std::move(answers)), sock_(std::move(sock)), out_(out), json_(json) {
    // The kernel's structures may be larger than our headers' (newer fields):
    // RECV and SEND want buffers of the kernel's size.
    seccomp_notif_sizes sizes{};
    if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) sizes = {};
    req_buf_.resize(std::max<std::size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
    resp_buf_.resize(std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
}

int DenialLog::fd() const {
    if (listener_) return listener_.get();
    return sock_.get();
}

void DenialLog::on_ready(short revents) {
    if (listener_) {
        if (revents & POLLIN)
            answer_one();
        else if (revents & (POLLHUP | POLLERR))
            listener_.reset(); // no process uses the filter any more
        return;
    }
    receive_listener();
}

void DenialLog::receive_listener() {
    char byte;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t r = ::recvmsg(sock_.get(), &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    // EOF (or an error): the payload installed no listener (fallback, or
    // setup failed); nothing more will come.
    cmsghdr* c = r == 1 ? CMSG_FIRSTHDR(&msg) : nullptr;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
        listener_.reset(fd);
    }
    sock_.reset();
}

void DenialLog::answer_one() {
    std::fill(req_buf_.begin(), req_buf_.end(), 0); // RECV wants it zeroed
    auto* req = reinterpret_cast<seccomp_notif*>(req_buf_.data());
    if (::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
        // ENOENT: the caller was interrupted or died meanwhile.
        if (errno == EINTR || errno == ENOENT) return;
        fail_errno("seccomp listener");
    }
    Denial d;
    d.data = req->data;
    d.pid = req->pid;
    const uint32_t ret = seccomp::run_bpf(answers_, req->data);
    // The notifying program differs from answers_ only in its errno
    // returns, so anything else cannot come here; ENOSYS is what the kernel
    // answers when no listener is there at all.
    d.err = (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO
                ? std::min<int>(static_cast<int>(ret & SECCOMP_RET_DATA), max_errno)
                : ENOSYS;
    d.comm = read_comm(req->pid);
    // The pid is only the caller's if the notification is still pending
    // after we read its comm (pids are reused).
    uint64_t id = req->id;
    if (::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) d.comm = "?";

    std::fill(resp_buf_.begin(), resp_buf_.end(), 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf_.data());
    resp->id = req->id;
    resp->error = -d.err; // 0 with val 0: "errno 0" returns success, as the kernel does
    resp->val = 0;
    if (::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno != ENOENT)
        fail_errno("seccomp listener answer");
    ++answered_;
    const std::string text = (json_ ? denial_json(d) : denial_line(d)) + "\n";
    status::write_document(out_, text, false);
}

} // namespace burrow::seccomp_notify
