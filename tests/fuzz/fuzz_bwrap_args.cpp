// libFuzzer target: the bwrap command line front end (parse_bwrap_args),
// including the payloads it reads from fds during parsing (--args,
// --seccomp, --add-seccomp-fd).
//
// Input: NUL-separated arguments (argv without argv[0]); optionally followed
// by up to four fd payloads, each introduced by the line "\n#fd\n". Payload
// k is put on fd 200+k (a memfd) before parsing. The fd argument of --args,
// --seccomp and --add-seccomp-fd is mapped onto those fds (n -> 200 + n % 4)
// when it is a number, so the parser never reads or closes an fd of the
// fuzzer itself; non-numbers are left alone (the "Invalid fd" path).
//
// What the harness keeps out, because it is not parsing and has side
// effects: --nix-* (closure resolution may run nix-store or open a store
// database) and --seccomp-profile with a path (could name a FIFO or
// /dev/stdin). Both are replaced before parsing; their parsers have targets
// of their own (fuzz_nix_*, fuzz_seccomp_profile).
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "policy/bwrap/args.hpp"
#include "policy/bwrap/lint.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

constexpr int kFdBase = 200;
constexpr int kMaxPayloads = 4;
constexpr std::string_view kPayloadMark = "\n#fd\n";

std::vector<std::string> split_nul(std::string_view s) {
    std::vector<std::string> out;
    std::size_t p = 0;
    while (p < s.size()) {
        std::size_t nul = s.find('\0', p);
        if (nul == std::string_view::npos) nul = s.size();
        out.emplace_back(s.substr(p, nul - p));
        p = nul + 1;
    }
    return out;
}

std::string join_nul(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += s;
        out.push_back('\0');
    }
    return out;
}

bool reads_fd(const std::string& opt) {
    return opt == "--args" || opt == "--seccomp" || opt == "--add-seccomp-fd";
}

// Rewrites what must not reach the parser (see the file comment).
void tame(std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i].starts_with("--nix-")) {
            args[i] = "--nix-not-fuzzed";
        } else if (args[i] == "--seccomp-profile" && i + 1 < args.size() &&
                   args[i + 1].find('/') != std::string::npos) {
            args[i + 1] = "none";
        } else if (reads_fd(args[i]) && i + 1 < args.size()) {
            // The parser's own rule (strtol, whole string, int, not negative).
            const std::string& s = args[i + 1];
            char* end = nullptr;
            errno = 0;
            const long v = s.empty() ? -1 : std::strtol(s.c_str(), &end, 10);
            if (!s.empty() && *end == '\0' && static_cast<int>(v) >= 0)
                args[i + 1] = std::to_string(kFdBase + static_cast<int>(v) % kMaxPayloads);
        }
    }
}

// Puts the payloads on fds 200..203 (closing whatever an earlier run left).
void place_payloads(const std::vector<std::string>& payloads) {
    for (int k = 0; k < kMaxPayloads; ++k) ::close(kFdBase + k);
    for (std::size_t k = 0; k < payloads.size(); ++k) {
        const int fd = ::memfd_create("fuzz-payload", MFD_CLOEXEC);
        fuzz::check(fd >= 0, std::string("memfd_create: ") + std::strerror(errno));
        const std::string& p = payloads[k];
        std::size_t done = 0;
        while (done < p.size()) {
            const ssize_t n = ::write(fd, p.data() + done, p.size() - done);
            fuzz::check(n > 0, "write to memfd");
            done += static_cast<std::size_t>(n);
        }
        ::lseek(fd, 0, SEEK_SET);
        const int target = kFdBase + static_cast<int>(k);
        fuzz::check(::dup3(fd, target, O_CLOEXEC) == target, "dup3");
        ::close(fd);
    }
}

void close_payloads() {
    for (int k = 0; k < kMaxPayloads; ++k) ::close(kFdBase + k);
}

burrow::HostFacts host(bool root) {
    burrow::HostFacts h;
    h.uid = root ? 0 : 1000;
    h.gid = root ? 0 : 1000;
    h.env = {"PATH=/usr/bin:/bin", "HOME=/home/fuzz", "TERM=dumb", "LANG=C.UTF-8"};
    h.effective_caps = root ? 0x1ffffffffff : 0;
    h.permitted_caps = h.effective_caps;
    return h;
}

void parse_once(const std::vector<std::string>& args, const std::vector<std::string>& payloads,
                bool root) {
    place_payloads(payloads);
    try {
        burrow::BwrapInvocation inv = burrow::parse_bwrap_args(args, host(root));
        // What bwrap mode and `burrow bwrap --lint` do next with the result.
        for (const auto& f : burrow::lint_fs(inv.sandbox.fs))
            fuzz::check(f.hidden < f.by && f.by < inv.sandbox.fs.size(), "lint finding indexes");
        for (const auto& op : inv.sandbox.fs) (void)burrow::describe_fs_op(op);
    } catch (const burrow::BwrapUsageError&) {
    }
    close_payloads();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FdLeakCheck leaks;
    std::string_view in = fuzz::as_text(data, size);
    std::vector<std::string_view> parts;
    for (;;) {
        const auto at = in.find(kPayloadMark);
        if (at == std::string_view::npos || parts.size() == kMaxPayloads) break;
        parts.push_back(in.substr(0, at));
        in.remove_prefix(at + kPayloadMark.size());
    }
    parts.push_back(in);

    std::vector<std::string> args = split_nul(parts[0]);
    tame(args);
    std::vector<std::string> payloads;
    for (std::size_t k = 1; k < parts.size(); ++k) {
        // A payload read by --args is an argument list: tamed the same way.
        std::vector<std::string> inner = split_nul(parts[k]);
        tame(inner);
        std::string joined = join_nul(inner);
        if (!parts[k].empty() && parts[k].back() != '\0') joined.pop_back();
        payloads.push_back(std::move(joined));
    }
    parse_once(args, payloads, true);
    parse_once(args, payloads, false);
    return 0;
}
