// The fully resolved sandbox description: the one value every front end
// (bwrap argv, policy files, launch modules) produces and the runtime executes.
//
// Rules of this type:
//  - It is plain data. No parsing, no defaults that depend on the host: a front
//    end resolves everything (e.g. "--unshare-user-try" becomes user=true/false,
//    capabilities become a definite mask, environment becomes a final list).
//  - File descriptors in here belong to the caller (numbers the caller passed,
//    e.g. --file 3). The runtime never closes them in the parent; fds given for
//    the payload (sync_fd and any fd the caller did not name) stay inherited.
//  - Paths inside the sandbox ("dest") are absolute or relative to the new root
//    (a leading '/' is optional); the runtime resolves them inside the new root
//    only (openat2 RESOLVE_IN_ROOT), never on the host.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cap_sets.hpp"
#include "runtime/exit_status.hpp"

namespace burrow {

struct IdMapEntry {
    uint32_t inside = 0;  // id inside the new user namespace
    uint32_t outside = 0; // id in the parent user namespace
    uint32_t count = 1;
};

// One filesystem operation, applied in list order on the new root.
enum class FsOpKind {
    bind,        // source (host path) -> dest; readonly/allow_dev/optional flags apply
    bind_fd,     // fd (an O_PATH or normal fd of the caller) -> dest; readonly applies
    remount_ro,  // dest only: make that one mount point read-only (not its submounts)
    proc,        // fresh procfs at dest (falls back when nested in a masked /proc)
    dev,         // minimal /dev at dest (null zero full random urandom tty, pts, shm...)
    mqueue,      // mqueue fs at dest
    tmpfs,       // tmpfs at dest; perms (default 0755) and size apply
    dir,         // mkdir dest (and parents); perms (default 0755) apply
    file,        // copy the contents of fd into a new file dest; perms (default 0666) apply
    bind_data,   // contents of fd into a hidden file bind-mounted at dest; readonly, perms
                 // (default 0600) apply
    symlink,     // dest becomes a symlink to source (source is the link text, verbatim)
    chmod,       // chmod dest to perms (perms always set)
    overlay,     // overlayfs at dest: lowers = overlay_sources, upper/work from
                 // overlay_upper/overlay_work (bwrap --overlay)
    tmp_overlay, // overlayfs at dest, lowers = overlay_sources, upper on a tmpfs
    ro_overlay,  // overlayfs at dest, lowers only (read-only)
    lock_file,   // after setup, open dest inside the sandbox and hold a lock on it
    bind_view,   // dest becomes a read-only directory (a fresh tmpfs, perms default 0755)
                 // holding exactly one entry per view_sources path, named by its last
                 // component: directories and files bind-mounted read-only (nosuid, nodev,
                 // recursively), symlinks recreated with the same text. Nothing else of
                 // the sources' parent directories is visible.
    // --- OCI front end (issue 18, ocifront) ---
    mount,         // a new filesystem `fstype` at dest: source, mount_flags (MS_*), data
                   // ("k=v,flag,..."); propagation applies. When the kernel refuses it
                   // (EPERM: rootless sysfs, cgroup) and fallback_source is set, that host
                   // path is bound there instead, recursively, with the same flags.
    device,        // mknod dest (perms = S_IFCHR/S_IFBLK/S_IFIFO | mode, rdev, owner);
                   // refused (EPERM): the host's node `source` is bound there instead
    mask,          // OCI maskedPaths: dest (if it exists) hidden: a directory under an
                   // empty read-only tmpfs, anything else under a read-only /dev/null
    readonly_path, // OCI readonlyPaths: dest (if it exists) bound onto itself read-only
};

struct FsOp {
    FsOpKind kind = FsOpKind::bind;
    std::string source;     // host path (bind), link text (symlink)
    std::string dest;       // path inside the sandbox
    int fd = -1;            // caller's fd for bind_fd, file, bind_data
    bool readonly = false;  // bind, bind_fd, bind_data: make the mount (recursively) read-only
    bool allow_dev = false; // bind: keep device nodes usable (bwrap --dev-bind)
    bool optional = false;  // bind: a missing source is skipped (bwrap --*-bind-try)
    std::optional<uint32_t> perms; // mode for tmpfs/dir/file/bind_data/chmod
    std::optional<uint64_t> size;  // tmpfs size in bytes
    // Overlay lower layers in command-line order (bwrap --overlay-src order);
    // the runtime maps them onto overlayfs' lowerdir exactly as bwrap does.
    std::vector<std::string> overlay_sources;
    std::string overlay_upper; // overlay: host path of the writable layer
    std::string overlay_work;  // overlay: host path of the work dir
    // bind_view: absolute host paths; their last components must differ.
    std::vector<std::string> view_sources;

    // --- OCI front end (issue 18, ocifront) ---
    // bind/bind_fd with exact_flags: mount_flags (MS_RDONLY, MS_NOSUID, MS_NODEV,
    // MS_NOEXEC, MS_NOATIME, ...) are the mount's flags as written (nosuid is
    // still always added: burrow sets NO_NEW_PRIVS anyway), readonly/allow_dev
    // are ignored, and recursive chooses rbind or bind.
    bool exact_flags = false;
    bool recursive = true;
    unsigned long mount_flags = 0;
    // MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE, with MS_REC for the
    // r* forms; 0: as inherited (bind) / the default (mount).
    unsigned long propagation = 0;
    std::string fstype;                           // mount
    std::string data;                             // mount: options for the filesystem
    std::string fallback_source;                  // mount: host path bound instead on EPERM
    uint64_t rdev = 0;                            // device: makedev(major, minor)
    std::optional<uint32_t> owner_uid, owner_gid; // device: chown after mknod
};

struct Namespaces {
    // The mount namespace is always new.
    bool user = false;
    bool ipc = false;
    bool pid = false;
    bool net = false; // when true the runtime brings up "lo" inside
    // With net: bring "lo" up (bwrap always does). Policies with
    // network = "none" clear it: no interface at all is up.
    bool net_loopback = true;
    bool uts = false;
    bool cgroup = false;

    int join_user_fd = -1;       // bwrap --userns: setns into this user ns instead of creating one
    int join_user2_fd = -1;      // bwrap --userns2: switch to this user ns after setup
    int join_pid_fd = -1;        // bwrap --pidns: setns into this pid ns before creating children
    bool disable_userns = false; // payload cannot create further user namespaces
    bool assert_userns_disabled = false; // fail unless creating a user ns is already refused

    // --- OCI front end (issue 18, ocifront) ---
    // setns by the monitor before clone, after join_user_fd and join_pid_fd
    // (the matching "new" flag above must be false).
    int join_net_fd = -1;
    int join_ipc_fd = -1;
    int join_uts_fd = -1;
    int join_cgroup_fd = -1;
};

struct Ids {
    // Written by the parent (or by the child itself when the kernel requires
    // it); empty when no user namespace is created.
    std::vector<IdMapEntry> uid_map;
    std::vector<IdMapEntry> gid_map;
    bool deny_setgroups = true; // write "deny" to setgroups before gid_map
    // The ids the payload runs as, as seen inside the sandbox.
    uint32_t uid = 0;
    uint32_t gid = 0;
};

struct Process {
    std::vector<std::string> argv;    // argv[0] is the program to execute (PATH-searched
                                      // inside the sandbox when it has no '/')
    std::optional<std::string> argv0; // bwrap --argv0: argv[0] as the payload sees it
    std::vector<std::string> env;     // the complete final environment, "NAME=VALUE"
                                      // (bwrap then also sets PWD=<final cwd> before exec;
                                      // only the runtime knows that cwd, so it adds PWD)
    std::optional<std::string> chdir; // default: same cwd if reachable, else $HOME, else /
                                      // ($HOME as found in env above, after --setenv etc.)
    std::optional<std::string> hostname;
    bool new_session = false;     // setsid()
    bool die_with_parent = false; // PR_SET_PDEATHSIG(SIGKILL) on every sandbox process
    bool as_pid_1 = false;        // no reaper: the payload is pid 1 of the pid namespace
    uint64_t capabilities = 0;    // exact effective/permitted/inheritable (+ambient when
                                  // uid != 0) set; the bounding set is cut to it too
    // bwrap run by uid 0 without --cap-add/--cap-drop never calls capset():
    // the payload keeps the caller's sets as they are (inheritable and ambient
    // stay as inherited, usually empty; `capabilities` then equals the
    // caller's effective set). With any --cap-add/--cap-drop, bwrap sets
    // effective=permitted=inheritable=capabilities and raises the same ambient
    // caps for uid 0 too (observed with bwrap 0.8.0: CapAmb is non-zero).
    bool keep_capabilities = false;
    // burrow's own front ends (run, launch), never bwrap mode: the monitor
    // and pid 1 are non-dumpable whatever the caller (their memory holds
    // what the caller had: environment, argv, files read), only stdio and
    // keep_fds reach the payload, and TIOCSTI/TIOCLINUX are refused unless
    // new_session (runtime/hardening.hpp).
    bool hardened = false;
    std::vector<int> keep_fds;             // with hardened: open in the payload besides 0, 1, 2
    std::optional<std::string> exec_label; // SELinux exec context (ignored without SELinux)
    std::optional<std::string> file_label; // SELinux file context for created files

    // --- detached mode (burrow oci create; issue 18, engineer ocilife) ---
    // run_sandbox_report returns as soon as the child has finished its whole
    // setup (everything but seccomp and exec) and waits on status.block_fd
    // (the OCI exec fifo, which must then be set): RunResult::child_pid is
    // that child, left unreaped for the caller (or its subreaper) to wait
    // for. No monitor stays and no reaper is forked, so a pid namespace
    // needs as_pid_1; what needs a monitor (die_with_parent, egress,
    // user_net, seccomp_log, timeout, cgroup limits, lock files, sync_fd) is
    // refused. The caller's own process is left as it was: no fd closed, no
    // capability dropped, its signal mask restored.
    bool detach = false;
    // Detached mode with process.terminal: a connected unix socket (the
    // caller's --console-socket). After the mount tree the child opens a
    // pseudo-terminal of the container's own devpts, makes its slave the
    // payload's stdin/stdout/stderr, controlling terminal (a new session:
    // leave new_session false) and /dev/console, and sends the master over
    // this socket (SCM_RIGHTS), as runc does for conmon and the shim.
    int console_socket_fd = -1;

    // --- OCI front end (issue 18, ocifront) ---
    std::optional<std::string> domainname; // setdomainname (needs ns.uts)
    bool exact_env = false;        // env exactly as given: no PWD added (runc and crun add none)
    std::optional<uint32_t> umask; // the payload's umask
    // setgroups() to exactly these before exec (needs setgroups allowed:
    // Ids::deny_setgroups false when a user namespace is created).
    std::optional<std::vector<uint32_t>> supplementary_gids;
    std::optional<int> oom_score_adj; // written to /proc/self/oom_score_adj
    // Exact capability sets (OCI process.capabilities); when set they replace
    // `capabilities` for each set: bounding cut to it, then effective,
    // permitted, inheritable set, ambient raised (masks of 1 << CAP_*).
    using CapSets = burrow::CapSets;
    std::optional<CapSets> cap_sets;
    // Written in the child before the mount tree (linux.sysctl): keys in
    // dotted form, namespaced ones only (the front end checks).
    std::vector<std::pair<std::string, std::string>> sysctl;
};

struct StatusFds {
    int info_fd = -1;         // bwrap --info-fd: one JSON object with child-pid and ns ids
    int json_status_fd = -1;  // bwrap --json-status-fd: start object, then exit object
    int sync_fd = -1;         // kept open by the sandbox until it ends
    int block_fd = -1;        // wait for data (or EOF) here before exec
    int userns_block_fd = -1; // wait here after the user namespace exists, before the
                              // maps are written (the caller writes them)
    // Detached (Process::detach): a pipe or stream socket from the caller that creates the
    // sandbox (burrow oci create). While the payload waits on block_fd it
    // watches commit_fd too: a byte means the caller committed the sandbox
    // (it may exit now); end of file before that byte means the caller died
    // half-way (SIGKILLed during its hooks, say), and the payload exits
    // instead of waiting forever for a start nobody can send.
    // commit_write_fd, the caller's end, is closed in the child at once.
    int commit_fd = -1;
    int commit_write_fd = -1;
};

struct Diagnostics {
    std::string prog = "bwrap"; // "bwrap: Can't ..." prefix
    bool level_prefix = false;  // prefix messages with "<3>" style syslog levels
    // bwrap 0.12 --not-a-security-boundary: setup failures that only weaken
    // isolation (e.g. an unreachable automount) become warnings.
    bool not_a_security_boundary = false;
    // burrow run --verbose: report on stderr what was enforced (landlock ABI,
    // limits, cgroup) and what was unavailable.
    bool verbose = false;
    // bwrap mode: pid 1 of the sandbox killed once the command was started is
    // not reported on stderr (bubblewrap only exits with 128+N there);
    // burrow run and launch say what happened.
    bool quiet_pid1_death = false;
};

// Landlock (applied after the mount tree is built, before seccomp). Access
// masks use the kernel's own bits (LANDLOCK_ACCESS_FS_* and
// LANDLOCK_ACCESS_NET_*, linux/landlock.h) so nothing is translated twice.
struct LandlockPathRule {
    std::string path; // inside the sandbox (resolved after pivot_root)
    uint64_t access = 0;
    bool optional = false; // a missing path is skipped instead of failing setup
};

struct LandlockPortRule {
    uint16_t port = 0;
    uint64_t access = 0; // LANDLOCK_ACCESS_NET_BIND_TCP / _CONNECT_TCP
};

struct Landlock {
    bool enabled = false;
    uint64_t handled_fs = 0;  // rights the ruleset restricts: denied unless a rule grants them
    uint64_t handled_net = 0; // likewise for TCP ports
    std::vector<LandlockPathRule> paths;
    std::vector<LandlockPortRule> ports;
    // 0: best effort (rights the kernel's ABI lacks are dropped and reported
    // as unavailable); N: setup fails unless the kernel offers ABI >= N.
    int min_abi = 0;
    // 0: the best ABI the kernel offers; N: use at most ABI N, so a policy
    // behaves the same on a newer kernel (and tests can take the best-effort
    // path on any kernel). Rights above N are reported unavailable.
    int max_abi = 0;
};

struct Rlimit {
    int resource = 0;  // RLIMIT_*
    uint64_t soft = 0; // RLIM_INFINITY for unlimited
    uint64_t hard = 0;
};

struct Limits {
    std::vector<Rlimit> rlimits; // set in the payload before exec
    // Wall-clock limit for the whole sandbox, counted from clone. Forces a
    // pid namespace. On expiry every process of the sandbox gets
    // timeout_signal (sent by burrow's pid 1; with as_pid_1 only the payload
    // gets it), then pid 1 gets SIGKILL after the grace period (0: at once),
    // which kills the whole namespace; run_sandbox returns exit_codes.timeout
    // once nothing of the sandbox is left. A payload that ends in time
    // keeps its status, and what it left running in the sandbox is killed.
    std::optional<uint64_t> timeout_ms;
    int timeout_signal = SIGTERM;
    uint64_t timeout_grace_ms = 2000;
    // cgroup v2 limits, applied in a child cgroup "burrow-<monitor pid>" of
    // the caller's own cgroup when the caller owns it (delegated), its
    // controllers are available, and they can be enabled in its
    // subtree_control; otherwise reported unavailable, or a setup failure
    // (before anything starts) when cgroup_required. The cgroup is removed
    // when the payload ends, killing whatever the payload left running.
    std::optional<uint64_t> memory_max; // bytes
    std::optional<uint64_t> pids_max;
    std::optional<std::string> cpu_max; // cpu.max syntax: "QUOTA PERIOD" or "max PERIOD"
    bool cgroup_required = false;
};

// Exit statuses for failures of burrow itself. bwrap mode keeps bwrap's 1;
// burrow's own subcommands use 125/126/127 like env(1) and timeout(1):
// ExitCodes::burrow(). A payload killed by signal N gives 128+N in both.
struct ExitCodes {
    static constexpr ExitCodes burrow() {
        return ExitCodes{kExitFailure, kExitCannotExecute, kExitNotFound, kExitTimeout};
    }
    int setup_failed = 1;   // namespaces, mounts, seccomp, ... failed
    int cannot_execute = 1; // exec of the payload failed (EACCES, ENOEXEC, ...)
    int not_found = 1;      // the payload does not exist (ENOENT)
    int timeout = 124;
};

// Denials made visible (bwrap --seccomp-log-denials, seccomp::log_denials()).
// The errno returns of seccomp_programs[program] become
// SECCOMP_RET_USER_NOTIF; the payload hands the listener to the monitor
// before exec, and the monitor answers every notification with the errno
// the original program returns for that call (so the payload sees the same
// result) and reports the call: a JSON object per line on
// status.json_status_fd when set, else one "burrow: seccomp: denied" line on
// stderr. The kernel allows one listener per process, hence one program.
// Kill/trap returns stay as they are. With this on, the processes the
// monitor and pid 1 start die with them (PR_SET_PDEATHSIG), so nothing waits
// on a listener that is gone.
struct SeccompLog {
    bool enabled = false;
    std::size_t program = 0; // index into Sandbox::seccomp_programs
};

// A user-mode network stack for the new network namespace (policy files'
// network = "private"): outbound connectivity without privilege, but not the
// host's loopback services nor its abstract unix sockets. The monitor starts
// the helper against the sandbox's network namespace once the id maps are
// written and before "go", waits until the helper has configured it (address,
// default route), so the payload never sees a half-configured network, and
// kills it when the sandbox ends (runtime/user_net.hpp). The front end
// resolves the helper's absolute path; the runtime searches no PATH. Needs
// ns.net.
enum class NetStack { none, pasta, slirp4netns };

struct UserNet {
    NetStack stack = NetStack::none;
    std::string helper; // absolute path of the pasta or slirp4netns binary
};

// Egress by allowlist (policy files' [network] mode = "allowlist", burrow
// launch --allow-net). Replaces the user-mode stack: the monitor forks an
// egress proxy that stays in the caller's network namespace, enters the
// sandbox's user and network namespaces once (a short-lived child) to
// create its listeners there and to install nftables rules that steer every
// TCP connection leaving the sandbox to the proxy's listener and every DNS
// query (UDP and TCP port 53, any address) to its resolver, and drop all
// other traffic except the sandbox's own loopback. The resolver answers
// only allowed names (NXDOMAIN otherwise) from the caller's resolver; the
// proxy connects from the caller's side only when the original destination
// is allowed: an address rule covers it, or the resolver handed that
// address out for an allowed name and the TLS SNI / HTTP Host, when the
// client sends one, is such a name too. Refusals: a reset, and one line
// ("burrow: net: refused ...") on stderr or a JSON object on
// status.json_status_fd. runtime/egress/ implements it. Needs ns.net and
// ns.user (created here, so the monitor owns it), excludes user_net.
struct EgressRule {
    // Either a host name or an address range (name empty).
    //  name: lower case, no trailing dot. wildcard: "*.NAME" in the policy,
    //  matching every name strictly below NAME (not NAME itself).
    std::string name;
    bool wildcard = false;
    int family = 0;                 // AF_INET or AF_INET6 (address rules)
    std::array<uint8_t, 16> addr{}; // network byte order, first 4 bytes for AF_INET
    int prefix = 0;                 // 0..32 / 0..128
    uint16_t port = 0;              // 0: every port
    std::string text;               // as written, for messages and the summary
};

// forward = ["tcp:5432"]: the sandbox reaches the caller's 127.0.0.1:PORT at
// its own 127.0.0.1:PORT (and [::1]:PORT), nothing else of the caller's
// loopback.
struct PortForward {
    uint16_t port = 0;
};

struct Egress {
    bool enabled = false;
    std::vector<EgressRule> allow;
    std::vector<PortForward> forward;
    // For programs that prefer a proxy (HTTPS_PROXY): an HTTP CONNECT
    // endpoint on the sandbox's 127.0.0.1 and [::1] at this port (0: none),
    // held to the same rules. The front end points the variables at it.
    uint16_t connect_proxy_port = 0;
    // With a user-mode stack (user_net) whose DNS cannot reach the caller's
    // resolver (one on the caller's loopback, as systemd-resolved's
    // 127.0.0.53): the same proxy, steering only DNS (UDP and TCP port 53,
    // any address) to its resolver, which answers every name from the
    // caller's side. No allowlist, nothing else steered or dropped.
    // Excludes `enabled`.
    bool dns_only = false;
    // With `enabled`: the same steering (TCP and DNS to the proxy, all other
    // UDP and ICMP dropped), but every name resolves and every destination
    // is allowed except the special ones (loopback, unspecified, link-local,
    // multicast: egress/rules.hpp is_special), which still need an address
    // rule in `allow` or a forward. A private network for a sandbox that has
    // no user-mode stack (the container: nspawn's lo-only network): the
    // caller's loopback services stay out of reach. Nothing to check in the
    // client's first bytes, so no wait for them.
    bool open = false;
    // A user-mode network stack that itself runs inside the steered
    // namespace (the vm backend's passt, whose own connections then go
    // through the proxy) refuses to start without a non-loopback interface
    // to take its template from: a persistent tap, burrow0, left down, with
    // no address and no route. Nothing is ever routed through it.
    bool stack_template = false;
};

// A program the child runs once the tree is built, before the final
// pivot_root (OCI createContainer hooks): in every namespace of the
// sandbox, with the caller's root as its root (its path and everything it
// opens resolve as the caller sees them) and the sandbox's finished tree
// shown at PrePivot::tree_at, as runc shows the container's root at its
// own path before pivot_root. Its stdin is stdin_prefix, the sandbox's
// first process's pid as the caller sees it, stdin_suffix (an OCI state).
struct PrePivotProgram {
    std::string name; // in messages ("createContainer hook /x"); default "program PATH"
    std::string path; // absolute, in the caller's file system
    std::vector<std::string> argv;
    std::vector<std::string> env;
    int timeout_s = 0; // 0: none
    std::string stdin_prefix, stdin_suffix;
};

struct PrePivot {
    std::vector<PrePivotProgram> programs;
    std::string tree_at; // absolute path in the caller's file system (an existing directory)
    // Detached only: once the namespaces exist and before the tree is
    // built, the child stops until the caller's callback given to
    // run_sandbox_report has run (OCI prestart and createRuntime hooks, which
    // come before the createContainer ones above).
    bool caller_first = false;
};

struct Sandbox {
    Namespaces ns;
    UserNet user_net;
    Egress egress;
    Ids ids;
    std::vector<FsOp> fs;
    Process proc;
    StatusFds status;
    Diagnostics diag;
    // Classic BPF programs installed in order as the last step before exec
    // (bwrap --seccomp / --add-seccomp-fd, and compiled profiles).
    std::vector<std::vector<sock_filter>> seccomp_programs;
    SeccompLog seccomp_log;
    Landlock landlock;
    Limits limits;
    ExitCodes exit_codes;
    PrePivot pre_pivot;
};

} // namespace burrow
