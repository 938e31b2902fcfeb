// The built-in profiles, written as data. Rule order is meaning (first match
// wins), so every narrowing rule comes before the broad allow it narrows.
#include "policy/seccomp/builtin.hpp"

#include <linux/sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <initializer_list>

namespace burrow::seccomp {

namespace {

constexpr uint64_t low32 = 0xffffffffULL;
// TIOCSTI pushes input into the terminal (a sandbox escape through the
// controlling tty); TIOCLINUX can do the same on a virtual console.
constexpr uint64_t tiocsti = 0x5412;
constexpr uint64_t tioclinux = 0x541C;
// personality() values that change nothing security relevant: PER_LINUX,
// PER_LINUX32, UNAME26 with either, and 0xffffffff (query only).
// ADDR_NO_RANDOMIZE and READ_IMPLIES_EXEC are what must stay out.
constexpr uint64_t harmless_personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
constexpr uint64_t clone_new_flags[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, 0x80 /* CLONE_NEWTIME */};

struct Builder {
    Profile p;
    void rule(std::initializer_list<const char*> calls, Action a,
              std::vector<ArgCondition> args = {}) {
        Rule r;
        for (const char* c : calls) r.syscalls.emplace_back(c);
        r.args = std::move(args);
        r.action = a;
        r.origin = "builtin profile " + p.name;
        p.rules.push_back(std::move(r));
    }
};

ArgCondition low32_eq(unsigned index, uint64_t v) {
    return ArgCondition{index, CmpOp::masked_eq, v, low32};
}
ArgCondition has_bit(unsigned index, uint64_t bit) {
    return ArgCondition{index, CmpOp::masked_eq, bit, bit};
}

const Action eperm = errno_action(EPERM);

// What every confined profile refuses: the union of Docker's and Flatpak's
// default filters, by group.
void container_denials(Builder& b, std::initializer_list<uint64_t> socket_families) {
    b.rule({"@mount", "@module", "@reboot", "@swap", "@raw-io", "@clock", "@cpu-emulation",
            "@obsolete", "@keyring", "@numa", "@host-admin", "@io-uring", "perf_event_open"},
           eperm);
    // glibc falls back to clone() on ENOSYS; clone3's flags live in memory
    // seccomp cannot read, so it cannot be filtered by flag.
    b.rule({"clone3"}, errno_action(ENOSYS));
    b.rule({"clone", "unshare"}, eperm, {has_bit(0, CLONE_NEWUSER)});
    for (uint64_t req : {tiocsti, tioclinux}) b.rule({"ioctl"}, eperm, {low32_eq(1, req)});
    for (uint64_t persona : harmless_personas)
        b.rule({"personality"}, allow_action, {low32_eq(0, persona)});
    b.rule({"personality"}, eperm);
    for (uint64_t family : socket_families) b.rule({"socket"}, allow_action, {low32_eq(0, family)});
    b.rule({"socket"}, errno_action(EAFNOSUPPORT));
    // i386's multiplexed socketcall(SYS_SOCKET, args) hides the family in
    // memory; refuse that form (glibc uses the direct socket call since
    // Linux 4.3) so the family rule cannot be bypassed.
    b.rule({"socketcall"}, errno_action(EAFNOSUPPORT), {low32_eq(0, 1 /* SYS_SOCKET */)});
}

Profile make_default() {
    Builder b;
    b.p.name = "default";
    b.p.description = "container-grade deny list (Docker's and Flatpak's defaults, on every ABI)";
    b.p.default_action = allow_action;
    container_denials(b, {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK});
    return b.p;
}

Profile make_ci() {
    Builder b;
    b.p.name = "ci";
    b.p.description = "default, plus no ptrace or other debugging and no new namespaces";
    b.p.default_action = allow_action;
    b.rule({"@debug", "@namespaces"}, eperm);
    for (uint64_t flag : clone_new_flags) b.rule({"clone"}, eperm, {has_bit(0, flag)});
    container_denials(b, {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK});
    return b.p;
}

Profile make_strict() {
    Builder b;
    b.p.name = "strict";
    b.p.description = "allowlist that runs a shell, coreutils, git, a C compiler, python3, node";
    // ENOSYS for everything unlisted: programs treat it as "old kernel" and
    // fall back, where EPERM would often be fatal.
    b.p.default_action = errno_action(ENOSYS);
    container_denials(b, {AF_UNIX, AF_INET, AF_INET6});
    b.rule({"@default", "@basic-io", "@file-system", "@chown", "@io-event", "@ipc", "@process",
            "@signal", "@network-io", "@timer", "@memory", "@aio", "@resources"},
           allow_action);
    return b.p;
}

Profile make_none() {
    Profile p;
    p.name = "none";
    p.description = "no filtering at all";
    p.default_action = allow_action;
    return p;
}

} // namespace

std::vector<std::string_view> builtin_profile_names() {
    return {"default", "strict", "ci", "none"};
}

std::optional<Profile> builtin_profile(std::string_view name) {
    if (name == "default") return make_default();
    if (name == "strict") return make_strict();
    if (name == "ci") return make_ci();
    if (name == "none") return make_none();
    return std::nullopt;
}

} // namespace burrow::seccomp
