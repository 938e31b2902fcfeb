// The namespace backend: burrow's own runtime, in process. The project
// sandbox becomes a policy (the same one `burrow run` executes), layered
// with the --policy files, resolved into a Sandbox and run; while it runs,
// a small registrar process records it in the session registry so that a
// second launch, enter, stop and ps find it.
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

#include <dirent.h>

#include <nlohmann/json.hpp>

#include "launcher/namespace/launch.hpp"
#include "launcher/session/registry.hpp"
#include "policy/bwrap/args.hpp"
#include "policy/file/resolve.hpp"
#include "policy/seccomp/precompiled.hpp"
#include "policy/seccomp/profile.hpp"
#include "runtime/fd.hpp"
#include "runtime/runtime.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

namespace burrow::launch {

namespace {

using project::Share;

// A copy-seeded file's content, read at start (never a mount: the agent's
// atomic rename over it must work, and nothing may reach the host).
std::string read_seed(const std::string& path) {
    // O_NONBLOCK: a FIFO planted under the seed's name must not hang the
    // launch (it is refused just below as not a regular file).
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) throw policy::PolicyError("seed " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw policy::PolicyError("seed " + path + ": not a regular file");
    if (st.st_size > (64 << 20)) throw policy::PolicyError("seed " + path + ": larger than 64 MiB");
    std::string out;
    // Capped while read too: the file may grow after the fstat.
    if (const int err = read_fd_to_end(fd.get(), out, 64 << 20))
        throw policy::PolicyError("seed " + path + ": " +
                                  (err == EFBIG ? "larger than 64 MiB" : std::strerror(err)));
    return out;
}

// The target of a symlink, or "" when path is not one.
std::string link_text(const std::string& path) {
    char buf[4096];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 && n < static_cast<ssize_t>(sizeof buf)
               ? std::string(buf, static_cast<std::size_t>(n))
               : "";
}

policy::FsEntry fs_entry(const char* type, const std::string& src, const std::string& dest,
                         const std::string& why) {
    policy::FsEntry e;
    e.type = type;
    e.src = src;
    e.dest = dest;
    e.pos = policy::Pos{"launch:" + why, 1, 1};
    return e;
}

// Namespace backend semantics of each share, in order; /proc and /dev are
// mounted right after the system shares.
void add_shares(const project::ProjectSandbox& ps, policy::Policy& p) {
    bool proc_dev_done = false;
    for (const Share& s : ps.shares) {
        if (!proc_dev_done && s.why != "system") {
            p.fs.push_back(fs_entry("proc", "", "/proc", "proc"));
            p.fs.push_back(fs_entry("dev", "", "/dev", "dev"));
            proc_dev_done = true;
        }
        switch (s.kind) {
        case Share::Kind::bind:
            p.fs.push_back(fs_entry("bind", s.source, s.dest, s.why));
            break;
        case Share::Kind::ro_bind: {
            // merged-/usr hosts: /bin, /lib ... are symlinks into /usr; the
            // same symlink inside costs no mount.
            const std::string link = s.why == "system" ? link_text(s.source) : "";
            if (!link.empty() && s.source == s.dest && link.find('/') != 0 &&
                link.find("..") == std::string::npos)
                p.fs.push_back(fs_entry("symlink", link, s.dest, s.why));
            else
                p.fs.push_back(fs_entry("ro-bind", s.source, s.dest, s.why));
            break;
        }
        case Share::Kind::dev_bind:
            p.fs.push_back(fs_entry("dev-bind", s.source, s.dest, s.why));
            break;
        case Share::Kind::tmpfs: {
            auto e = fs_entry("tmpfs", "", s.dest, s.why);
            e.mode = s.mode;
            p.fs.push_back(e);
            break;
        }
        case Share::Kind::dir: {
            auto e = fs_entry("dir", "", s.dest, s.why);
            e.mode = s.mode;
            p.fs.push_back(e);
            break;
        }
        case Share::Kind::copy: {
            auto e = fs_entry("file", "", s.dest, s.why);
            e.mode = s.mode.value_or(0600);
            e.content = read_seed(s.source);
            p.fs.push_back(e);
            break;
        }
        }
    }
    if (!proc_dev_done) {
        p.fs.push_back(fs_entry("proc", "", "/proc", "proc"));
        p.fs.push_back(fs_entry("dev", "", "/dev", "dev"));
    }
}

// The first child of pid 1 is the payload (runtime: pid 1 forks it after
// the mount tree is complete). Found by its parent pid: usually one of the
// next few pids (cheap to look at), else by a scan of /proc.
pid_t find_child_of(pid_t parent, bool full_scan) {
    for (pid_t p = parent + 1; p < parent + 8; ++p)
        if (session::parent_pid(p) == parent) return p;
    if (!full_scan) return 0;
    DIR* d = ::opendir("/proc");
    if (!d) return 0;
    pid_t found = 0;
    while (dirent* de = ::readdir(d)) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        const pid_t pid = static_cast<pid_t>(std::atoi(de->d_name));
        if (pid > 0 && session::parent_pid(pid) == parent) {
            found = pid;
            break;
        }
    }
    ::closedir(d);
    return found;
}

// The registrar: reads the runtime's info document (pid 1 and its
// namespaces), waits for the payload to have exec'd (its /proc/PID/ns is
// then readable to us), records the entry, exits. It dies with burrow.
[[noreturn]] void registrar_main(int info_read, const project::ProjectSandbox& ps, pid_t launcher) {
    int code = 1;
    try {
        ::signal(SIGINT, SIG_IGN);
        // Bookkeeping: never in the way of the sandbox's own start.
        ::setpriority(PRIO_PROCESS, 0, 10);
        ::signal(SIGQUIT, SIG_IGN);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != launcher) ::_exit(1);
        std::string text;
        // The runtime's info document: a few hundred bytes.
        if (read_fd_to_end(info_read, text, 1 << 20) != 0) ::_exit(1);
        if (text.empty()) ::_exit(1); // setup failed before the sandbox existed
        const auto info = nlohmann::json::parse(text);
        const pid_t init = info.at("child-pid").get<pid_t>();
        const auto own_mnt = session::process_namespaces(::getpid())["mnt"];
        pid_t found = 0;
        for (int i = 0; i < 700; ++i) {                             // up to ~10 s for a slow setup
            if (session::process_start_time(init) == 0) ::_exit(1); // sandbox gone
            const pid_t payload = find_child_of(init, i % 4 == 3);
            if (payload > 0) {
                auto ns = session::process_namespaces(payload);
                if (ns.count("mnt") && ns["mnt"] != own_mnt && ns.count("pid")) {
                    found = payload;
                    break;
                }
            }
            // Back off (1, 2, 4 ... 16 ms): setup takes a few ms, and the
            // polling must not steal the CPU the sandbox is starting on.
            std::this_thread::sleep_for(std::chrono::milliseconds(i < 5 ? 1 << i : 16));
        }
        if (found == 0) ::_exit(1);
        const session::Entry e = session::make_entry(ps, "namespace", found, launcher);
        if (e.start_time == 0 || !e.ns.count("mnt") || e.ns.at("mnt") == own_mnt)
            ::_exit(1); // gone, or not it
        // Cross-check with what the runtime reported for pid 1.
        for (const auto& [name, ino] : e.ns) {
            const auto key = name + "-namespace";
            if (info.contains(key) && info[key].get<uint64_t>() != ino) ::_exit(1);
        }
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        ::sigprocmask(SIG_BLOCK, &term, nullptr); // never a half-written entry
        // --new next to a running sandbox: that one stays the project's
        // session, this one runs unregistered.
        if (session::find(e.project_id)) ::_exit(0);
        session::add(e);
        code = 0;
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "burrow: launch: session registry: %s\n", ex.what());
    }
    ::_exit(code);
}

// A bind source in a directory a sandbox can write (the project dir, the
// per-project state), opened as an O_PATH fd without following any
// symlink: below `root` (opened as named: ~/.local/state may be a link the
// user made), every component must be a real directory. Empty Fd (errno
// set) otherwise.
Fd open_no_symlinks(const std::string& root, const std::string& path) {
    Fd r(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!r) return {};
    std::string rel = path.substr(root.size());
    while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    if (rel.empty()) return r;
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH;
    return Fd(static_cast<int>(::syscall(SYS_openat2, r.get(), rel.c_str(), &how, sizeof how)));
}

// The binds of sandbox-writable host dirs become binds of fds opened above
// (the runtime checks the fd and the path it names are one object), so a
// symlink swapped in after the builder's checks is never followed. The fds
// stay open in `held` until the sandbox has run.
void bind_writable_dirs_by_fd(const project::ProjectSandbox& ps, Sandbox& sb,
                              std::vector<Fd>& held) {
    const std::string state = ps.state_dir + "/";
    for (FsOp& op : sb.fs) {
        if (op.kind != FsOpKind::bind) continue;
        const bool in_state = op.source.rfind(state, 0) == 0;
        if (!in_state && op.source != ps.project_dir) continue;
        // The state dir's own parents are burrow's (checked by the
        // builder); the project dir is canonical, so no symlink at all.
        Fd fd =
            in_state ? open_no_symlinks(ps.state_dir, op.source) : open_no_symlinks("/", op.source);
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode) ||
            (in_state && st.st_uid != ::geteuid()))
            throw policy::PolicyError(
                op.source + ": " +
                (fd ? std::string("not a directory of ours") : std::string(std::strerror(errno))) +
                " (a symlink planted there is never followed)");
        op.kind = FsOpKind::bind_fd;
        op.fd = fd.get();
        held.push_back(std::move(fd));
    }
}

} // namespace

policy::Policy project_policy(const project::ProjectSandbox& ps) {
    policy::Policy p;
    p.description = "burrow launch " + ps.project_dir;
    p.ns_user = p.ns_ipc = p.ns_pid = p.ns_uts = p.ns_cgroup = true;
    p.network = project::network_name(ps.network); // the policy values
    p.network_allow = ps.allow_net;                // --allow-net: the allowlist's rules

    p.hostname = ps.hostname;
    add_shares(ps, p);
    p.env_clear = true;
    p.env_set = ps.env;
    // Blocks TIOCSTI (and the rest of "default"), so an interactive shell
    // keeps its terminal and job control without --new-session.
    p.seccomp_profile = "default";
    // No capabilities inside, whoever launches (bwrap keeps root's).
    p.caps_drop = {"ALL"};
    p.die_with_parent = true;
    p.new_session = false;
    p.chdir = ps.cwd;
    // Each key a layer wrote, by the schema's rule for it (the network and
    // the namespaces only get stricter).
    for (const auto& l : ps.layers) policy::layer(p, l);
    return p;
}

int launch_namespace(const project::ProjectSandbox& ps) {
    policy::Resolved res;
    std::vector<Fd> held_fds; // bind sources by fd, open until the sandbox ran
    try {
        policy::Policy p = project_policy(ps);
        // A built-in profile with nothing added is precompiled: take that
        // program instead of compiling it with libseccomp at every launch.
        const bool precompiled = p.seccomp_profile && p.seccomp_rules.empty() &&
                                 !p.seccomp_log_denials &&
                                 seccomp::precompiled_program(*p.seccomp_profile).has_value();
        const std::string profile = p.seccomp_profile.value_or("");
        if (precompiled) p.seccomp_profile.reset();
        res = policy::resolve_policy(p, ps.command, host_facts_from_process());
        if (precompiled)
            res.sandbox.seccomp_programs.push_back(seccomp::compile_named_profile(profile));
        bind_writable_dirs_by_fd(ps, res.sandbox, held_fds);
    } catch (const seccomp::ProfileError& e) {
        std::fprintf(stderr, "burrow: launch: seccomp: %s\n", e.what());
        return kExitFailure;
    } catch (const policy::PolicyError& e) {
        std::fprintf(stderr, "burrow: launch: %s\n", e.what());
        return kExitFailure;
    }
    for (const auto& w : res.warnings)
        std::fprintf(stderr, "burrow: launch: warning: %s\n", w.c_str());

    try {
        (void)session::registry_dir(); // fixed now, before the runtime scrubs the environment
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "burrow: launch: session registry: %s\n", ex.what());
        return kExitFailure;
    }
    // The registrar gets the read end of the info pipe; the runtime writes
    // pid 1 and the namespace ids to the other end and closes it.
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        std::fprintf(stderr, "burrow: launch: pipe2: %s\n", std::strerror(errno));
        return kExitFailure;
    }
    Fd info_read(p[0]), info_write(p[1]);
    const pid_t launcher = ::getpid();
    std::fflush(nullptr);
    const pid_t registrar = ::fork();
    if (registrar < 0) {
        std::fprintf(stderr, "burrow: launch: fork: %s\n", std::strerror(errno));
        return kExitFailure;
    }
    if (registrar == 0) {
        info_write.reset();
        registrar_main(info_read.get(), ps, launcher);
    }
    info_read.reset();
    res.sandbox.status.info_fd = info_write.release(); // the runtime closes it
    // pid 1 and the monitor non-dumpable for every caller, stdio and
    // --keep-fd only, TIOCSTI refused (runtime/hardening.hpp).
    res.sandbox.proc.hardened = true;
    res.sandbox.proc.keep_fds = ps.keep_fds;
    const RunResult r = run_sandbox_report(res.sandbox);

    // The registrar is over, or can stop: SIGTERM ends it at once unless it
    // is writing the entry (it blocks SIGTERM around that), then we remove
    // what it wrote.
    ::kill(registrar, SIGTERM);
    int ws = 0;
    while (::waitpid(registrar, &ws, 0) < 0 && errno == EINTR) {
    }
    try {
        if (auto e = session::find(ps.project_id); !e || e->launcher_pid == launcher)
            session::remove(ps.project_id);
        // The run dir holds nothing once the sandbox is over; another
        // launch (or the host-side tmux of --tmux) may still use it.
        ::rmdir(ps.run_dir.c_str());
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "burrow: launch: session registry: %s\n", ex.what());
    }
    return r.status;
}

} // namespace burrow::launch
