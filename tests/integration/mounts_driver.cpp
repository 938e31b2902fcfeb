// Test driver for the mount plan, until (and independently of) the full
// runtime: enters a user (optional), mount and pid (optional) namespace the
// way run_sandbox does, writes the id maps, runs build_mount_tree() and execs
// the given command inside the result.
//
//   mounts_driver SPEC_JSON|@SPEC_FILE COMMAND [ARGS...]
//
// SPEC_JSON: {"user": bool, "pid": bool, "ipc": bool, "nasb": bool, "legacy": bool,
//             "ops": [{"kind": "bind", "source": ..., "dest": ..., "fd": N,
//                      "readonly": bool, "dev": bool, "optional": bool,
//                      "perms": N, "size": N, "sources": [...],
//                      "upper": ..., "work": ..., "view": [...]}, ...]}
// Setup errors are printed as "bwrap: <message>" and exit 1, like bwrap.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mounts.hpp"
#include "runtime/path_resolve.hpp"

namespace {

using burrow::FsOpKind;

FsOpKind kind_of(const std::string& s) {
    static const std::map<std::string, FsOpKind> kinds = {{"bind", FsOpKind::bind},
                                                          {"bind_fd", FsOpKind::bind_fd},
                                                          {"remount_ro", FsOpKind::remount_ro},
                                                          {"proc", FsOpKind::proc},
                                                          {"dev", FsOpKind::dev},
                                                          {"mqueue", FsOpKind::mqueue},
                                                          {"tmpfs", FsOpKind::tmpfs},
                                                          {"dir", FsOpKind::dir},
                                                          {"file", FsOpKind::file},
                                                          {"bind_data", FsOpKind::bind_data},
                                                          {"symlink", FsOpKind::symlink},
                                                          {"chmod", FsOpKind::chmod},
                                                          {"overlay", FsOpKind::overlay},
                                                          {"tmp_overlay", FsOpKind::tmp_overlay},
                                                          {"ro_overlay", FsOpKind::ro_overlay},
                                                          {"lock_file", FsOpKind::lock_file},
                                                          {"bind_view", FsOpKind::bind_view}};
    return kinds.at(s);
}

void write_file(const char* path, const std::string& s) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, s.data(), s.size()) != static_cast<ssize_t>(s.size())) {
        std::perror(path);
        std::_Exit(125);
    }
    ::close(fd);
}

// Exit from inside the new namespaces without atexit handlers, as burrow's
// own sandbox processes do: the process may be a forked pid 1 (static
// destructors belong to the parent), and its root and /proc are no longer
// the host's, so LeakSanitizer's exit-time check (ASan build) cannot find
// its threads there and aborts with "fatal error" instead of checking.
[[noreturn]] void leave(int code) {
    std::fflush(nullptr);
    ::_exit(code);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: mounts_driver SPEC_JSON COMMAND [ARGS...]\n");
        return 125;
    }
    // "@FILE": the spec is in FILE (large plans exceed one argv string's limit).
    nlohmann::json spec;
    if (argv[1][0] == '@') {
        std::ifstream in(argv[1] + 1);
        spec = nlohmann::json::parse(in);
    } else {
        spec = nlohmann::json::parse(argv[1]);
    }
    burrow::Sandbox sb;
    sb.ns.user = spec.value("user", false);
    sb.ns.pid = spec.value("pid", false);
    sb.ns.ipc = spec.value("ipc", false);
    sb.diag.not_a_security_boundary = spec.value("nasb", false);
    // "legacy": run the pre-5.2 code paths (mount(2), libmount remounts,
    // userspace in-root walk) as on an old kernel.
    if (spec.value("legacy", false)) {
        burrow::mountapi::force_legacy();
        burrow::inroot::force_userspace_walk();
    }
    for (const auto& j : spec.value("ops", nlohmann::json::array())) {
        burrow::FsOp op;
        op.kind = kind_of(j.at("kind"));
        op.source = j.value("source", "");
        op.dest = j.value("dest", "");
        op.fd = j.value("fd", -1);
        op.readonly = j.value("readonly", false);
        op.allow_dev = j.value("dev", false);
        op.optional = j.value("optional", false);
        if (j.contains("perms")) op.perms = j.at("perms").get<uint32_t>();
        if (j.contains("size")) op.size = j.at("size").get<uint64_t>();
        op.overlay_sources = j.value("sources", std::vector<std::string>{});
        op.overlay_upper = j.value("upper", "");
        op.overlay_work = j.value("work", "");
        op.view_sources = j.value("view", std::vector<std::string>{});
        sb.fs.push_back(op);
    }

    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    int flags = CLONE_NEWNS | (sb.ns.user ? CLONE_NEWUSER : 0) | (sb.ns.pid ? CLONE_NEWPID : 0) |
                (sb.ns.ipc ? CLONE_NEWIPC : 0);
    if (::unshare(flags) != 0) {
        std::perror("unshare");
        return 125;
    }
    if (sb.ns.user) {
        write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n");
        write_file("/proc/self/setgroups", "deny\n");
        write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
    }
    if (sb.ns.pid) {
        pid_t child = ::fork();
        if (child < 0) return 125;
        if (child > 0) {
            int status = 0;
            while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
            }
            // After unshare(CLONE_NEWPID) LeakSanitizer's helper thread
            // would be created in the new pid namespace: leave() as well.
            leave(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
    try {
        burrow::build_mount_tree(sb);
        auto locks = burrow::take_lock_files(sb);
        // Held by the command itself from here on (bwrap's pid 1 holds them).
        for (auto& l : locks) ::fcntl(l.release(), F_SETFD, 0);
    } catch (const burrow::SetupError& e) {
        burrow::report_error(sb.diag, e.what());
        leave(1);
    }
    ::execvp(argv[2], argv + 2);
    std::fprintf(stderr, "bwrap: execvp %s: %s\n", argv[2], std::strerror(errno));
    leave(1);
}
