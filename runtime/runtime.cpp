// run_sandbox(): the order of every setup step, in one place.
//
//  monitor (the caller's process)           child (clone3, new namespaces)
//  ------------------------------           ------------------------------
//  NO_NEW_PRIVS, block forwarded signals
//  setns --userns / --pidns
//  clone3 ---------------------------------> scrub argv/env, PDEATHSIG
//  scrub argv/env                            wait for "go"
//  read ns ids, write uid/gid maps
//  setns --userns2, drop caps, not dumpable
//  info-fd / json-status-fd, userns-block-fd
//  "go" ----------------------------------->  (switch uid/gid for --userns)
//  close other fds                           lo up, hostname
//  wait + forward signals                    build_mount_tree (pivot_root)
//                                            --userns2, nested userns,
//                                              --disable-userns / assert
//                                            not dumpable, bounding set, capset
//                                            --block-fd, chdir + PWD, setsid
//                                            lock files, landlock
//                                            fork pid 1 (reaper) if needed:
//                                              pid 1: close fds, drop caps,
//                                              seccomp, reap + forward
//                                            payload: mask, PDEATHSIG, rlimits,
//                                              ambient caps, seccomp (last; the
//                                              denial log's listener -> monitor),
//                                              exec
//
//  The steps every sandbox executor shares, and their order, are described
//  in runtime/hardening.hpp; the deviations of a fresh sandbox are too.
//  With Process::hardened (run, launch) the monitor and pid 1 are not
//  dumpable for any caller, the payload's inherited fds other than stdio
//  and keep_fds are closed on exec, and the tty guard comes with seccomp.
//
//  Before clone the monitor also plans landlock (ABI check), creates the
//  cgroup; after clone it moves the child into the cgroup before "go"; while
//  waiting it enforces the timeout.
#include "runtime/runtime.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "runtime/caps.hpp"
#include "runtime/console.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/error.hpp"
#include "runtime/exec.hpp"
#include "runtime/fd_passing.hpp"
#include "runtime/fd.hpp"
#include "runtime/hardening.hpp"
#include "runtime/io.hpp"
#include "runtime/landlock.hpp"
#include "runtime/mounts.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/oci_setup.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/seccomp_install.hpp"
#include "runtime/seccomp_notify.hpp"
#include "runtime/setup_step.hpp"
#include "runtime/status.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/egress/egress.hpp"
#include "runtime/user_net.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace burrow {

namespace {

// What the monitor prepares before clone and the child inherits as a copy.
struct Launch {
    explicit Launch(const Sandbox& s) : sb(s) {}
    const Sandbox& sb;
    ns::MapPlan maps;
    supervisor::Signals signals{};
    supervisor::ProcStrings strings;
    std::string caller_cwd;
    uid_t real_uid = 0;
    gid_t real_gid = 0;
    bool needs_init = false;
    // Monitor and pid 1 turn non-dumpable (see hide_exe()).
    bool hide_exe = true;
    // The child reads "go" here; the monitor keeps the write end for its
    // whole life, so a hang-up tells the child its parent is gone.
    Fd link_read, link_write;
    Fd event_fd; // pid 1 -> monitor: payload wait status and peak RSS (run_init)
    // payload -> monitor: did exec start, and did it fail (errno)?
    // (supervisor::report_exec_*); close-on-exec, so EOF after a good exec.
    Fd setup_done_read, setup_done_write;
    landlock::Plan landlock; // decided by the monitor, applied by the child
    // Sandbox::seccomp_log: the payload sends its listener over this pair.
    Fd seclog_monitor, seclog_payload;
    std::vector<sock_filter> seclog_program; // the notifying variant
};

// Who answers the payload's denied calls must not leave it waiting: with the
// denial log on, the processes the monitor starts die with it.
bool dies_with_monitor(const Sandbox& sb) {
    return sb.proc.die_with_parent || sb.seccomp_log.enabled;
}

bool has_lock_files(const Sandbox& sb) {
    for (const auto& op : sb.fs)
        if (op.kind == FsOpKind::lock_file) return true;
    return false;
}

// Process::detach: nothing may need a process that outlives setup on our
// side, as none does (the container's init is the caller's direct child).
void validate_detached(const Sandbox& sb) {
    const auto refuse = [](const std::string& what) {
        fail("detached mode: " + what + " needs a monitor process");
    };
    if (sb.status.block_fd < 0) fail("detached mode: no fd to wait on before exec");
    if (sb.ns.pid && !sb.proc.as_pid_1)
        fail("detached mode: a new pid namespace needs the payload as its pid 1");
    if (sb.proc.die_with_parent) refuse("dying with the parent");
    if (sb.egress.enabled || sb.egress.dns_only) refuse("the egress proxy");
    if (sb.user_net.stack != NetStack::none) refuse("a user-mode network stack");
    if (sb.seccomp_log.enabled) refuse("the seccomp denial log");
    if (sb.limits.timeout_ms) refuse("a timeout");
    if (sb.limits.memory_max || sb.limits.pids_max || sb.limits.cpu_max)
        refuse("a cgroup of burrow's own (the caller places the process)");
    if (has_lock_files(sb)) refuse("a lock file");
    if (sb.status.sync_fd >= 0) refuse("--sync-fd");
    if (sb.status.userns_block_fd >= 0) refuse("--userns-block-fd");
    if (sb.proc.console_socket_fd >= 0 && sb.proc.new_session)
        fail("detached mode: the terminal makes the session itself (new_session must be off)");
}

// The rules bwrap checks before it creates anything, for front ends that
// did not check them already (policy files).
void validate(const Sandbox& sb) {
    if (sb.proc.argv.empty() || sb.proc.argv[0].empty()) fail("No command specified");
    if (sb.ns.join_user_fd >= 0 && sb.ns.user) fail("--userns not compatible --unshare-user");
    if (sb.status.userns_block_fd >= 0 && !sb.ns.user)
        fail("--userns-block-fd requires --unshare-user");
    if (sb.status.userns_block_fd >= 0 && sb.status.info_fd < 0)
        fail("--userns-block-fd requires --info-fd");
    if (sb.ns.disable_userns && !sb.ns.user) fail("--disable-userns requires --unshare-user");
    if (sb.ns.disable_userns && sb.status.userns_block_fd >= 0)
        fail("--disable-userns is not compatible with  --userns-block-fd");
    if (sb.proc.hostname && !sb.ns.uts) fail("Specifying --hostname requires --unshare-uts");
    if (sb.proc.as_pid_1 && !sb.ns.pid) fail("Specifying --as-pid-1 requires --unshare-pid");
    if (sb.proc.as_pid_1 && has_lock_files(sb))
        fail("Specifying --as-pid-1 and --lock-file is not permitted");
    for (const auto& l : sb.limits.rlimits)
        if (l.soft > l.hard)
            fail("rlimit " + rlimits::describe(l) + ": soft limit above hard limit");
    if (sb.user_net.stack != NetStack::none && !sb.ns.net)
        fail("network: a user-mode network stack needs a new network namespace");
    // The helper enters the sandbox's network namespace through its user
    // namespace: pasta 2023-03 cannot enter one of the initial user
    // namespace's by path (it isolates itself first), so no user namespace,
    // no helper.
    if (sb.user_net.stack != NetStack::none && (!sb.ns.user || sb.ns.join_user_fd >= 0))
        fail("network: a user-mode network stack needs the sandbox's own user namespace "
             "(namespaces.user)");
    if (sb.egress.enabled && (!sb.ns.net || !sb.ns.user || sb.ns.join_user_fd >= 0))
        fail("network: the egress allowlist needs the sandbox's own user and network "
             "namespaces");
    if (sb.egress.open && !sb.egress.enabled)
        fail("network: the open egress proxy is a mode of the egress allowlist (enabled)");
    if (sb.egress.enabled && sb.egress.dns_only)
        fail("network: the egress allowlist and the DNS-only resolver exclude each other");
    if (sb.egress.dns_only && (!sb.ns.net || !sb.ns.user || sb.ns.join_user_fd >= 0))
        fail("network: burrow's resolver needs the sandbox's own user and network namespaces");
    if (sb.egress.enabled && sb.user_net.stack != NetStack::none)
        fail("network: the egress allowlist replaces the user-mode network stack; not both");
    if (!sb.egress.forward.empty() && !sb.egress.enabled && sb.user_net.stack != NetStack::pasta)
        fail("network: forwarded ports need the egress allowlist or pasta");
    if (sb.egress.forward.size() > 32) fail("network: at most 32 forwarded ports");
    if (sb.egress.connect_proxy_port != 0 && !sb.egress.enabled)
        fail("network: the CONNECT endpoint needs the egress allowlist");
    for (const auto& f : sb.egress.forward)
        if (f.port == sb.egress.connect_proxy_port)
            fail("network: port " + std::to_string(f.port) +
                 " is both forwarded and the CONNECT endpoint");
    if (sb.limits.timeout_ms && *sb.limits.timeout_ms == 0) fail("timeout must be positive");
    if (sb.limits.timeout_ms && (sb.limits.timeout_signal <= 0 || sb.limits.timeout_signal >= NSIG))
        fail("invalid timeout signal " + std::to_string(sb.limits.timeout_signal));
    if (sb.proc.detach) validate_detached(sb);
    if (sb.pre_pivot.caller_first && !sb.proc.detach)
        fail("pre-pivot: caller_first is for detached mode only");
    if (sb.proc.console_socket_fd >= 0 && !sb.proc.detach)
        fail("a console socket is for detached mode only");
}

void read_one_byte(int fd) {
    char b;
    ssize_t r;
    do r = ::read(fd, &b, 1);
    while (r < 0 && errno == EINTR);
}

// Detached: data (or EOF) on block_fd is the start. commit_fd (when given)
// is the creating caller: its byte is the commit, its EOF before that a
// caller that died before committing: then nobody can start us, so exit.
void wait_for_start(int block_fd, int commit_fd) {
    while (commit_fd >= 0) {
        pollfd p[2] = {{block_fd, POLLIN, 0}, {commit_fd, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            fail_errno("poll (waiting for start)");
        }
        if (p[0].revents) break;
        if (p[1].revents) {
            char b;
            ssize_t n;
            do n = ::read(commit_fd, &b, 1);
            while (n < 0 && errno == EINTR);
            if (n != 1) ::_exit(1); // the caller is gone, uncommitted
            ::close(commit_fd);
            commit_fd = -1;
        }
    }
    read_one_byte(block_fd);
}

void write_one_byte(int fd) {
    char b = 0;
    ssize_t r;
    do r = ::write(fd, &b, 1);
    while (r < 0 && errno == EINTR);
}

// "go" to the child. The child may be dead already (killed during its first
// steps): the write must then fail with EPIPE, not kill the monitor with
// SIGPIPE, so that the monitor goes on to reap the child and report how
// setup ended (found by the fault-injection walk: exit 141, nothing said).
void write_go(int fd) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if (::sigprocmask(SIG_BLOCK, &pipe_only, &old) != 0) fail_errno("sigprocmask");
    write_one_byte(fd);
    if (sigismember(&old, SIGPIPE)) return;
    const struct timespec now {};
    while (::sigtimedwait(&pipe_only, nullptr, &now) == SIGPIPE) {
    }
    if (::sigprocmask(SIG_SETMASK, &old, nullptr) != 0) fail_errno("sigprocmask");
}

// --userns (or a map wider than one id): the ids the payload asked for are
// not the ones the maps gave us. bwrap switches only when they differ from
// the caller's own, so a caller mapped to root in a joined namespace stays
// root there.
void switch_ids(const Launch& l) {
    // A nested user namespace will map the requested ids itself.
    if (l.maps.nested) return;
    const Ids& ids = l.sb.ids;
    const bool gid = ::getgid() != ids.gid && ids.gid != l.real_gid;
    const bool uid = ::getuid() != ids.uid && ids.uid != l.real_uid;
    if (!gid && !uid) return;
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_KEEPCAPS) failed");
    if (gid && ::setgid(ids.gid) != 0)
        fail_errno("unable to switch to gid " + std::to_string(ids.gid));
    if (uid && ::setuid(ids.uid) != 0)
        fail_errno("unable to switch to uid " + std::to_string(ids.uid));
    caps::raise_effective();
}

// runc CVE-2019-5736 class: a payload that reaches /proc/PID/exe of pid 1 or
// of the monitor must not get a writable handle to our binary. Not dumpable
// => that link needs CAP_SYS_PTRACE in the initial user namespace. But it
// also closes /proc/PID/ns/* to the caller's own uid (nsenter -t, "flatpak
// enter"), which bwrap allows. So only where a write could succeed: a root
// caller (root in the sandbox may hold DAC override over root's files), or a
// binary the caller could write itself (a self-built burrow). An
// unprivileged caller running a binary it cannot write keeps bwrap's
// behaviour: the payload may read the binary, never write it. That is bwrap
// mode only: run and launch (Process::hardened) always hide, as pid 1's
// memory is the caller's (issue 13 item 4), and need no /proc/1/ns access.
bool hide_exe(uid_t real_uid) {
    return real_uid == 0 || ::access("/proc/self/exe", W_OK) == 0;
}

// Process::console_socket_fd, in the child once the container's /dev is
// built: its pty (so tty(1) names it and /dev/console is it), the session
// it controls, and the master to the caller's console socket.
void setup_console(int socket_fd) {
    console::Pty pty;
    if (const int e = console::open_pty(pty))
        fail_errno("terminal: can't open a pseudo-terminal of the container (/dev/pts/ptmx)", e);
    // /dev/console: a file to bind the slave onto (runc's mount).
    Fd dev_console(::open("/dev/console", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!dev_console) fail_errno("terminal: can't create /dev/console");
    dev_console.reset();
    if (::mount(pty.name, "/dev/console", nullptr, MS_BIND, nullptr) != 0)
        fail_errno(std::string("terminal: can't bind ") + pty.name + " on /dev/console");
    if (const int e = console::take_terminal(socket_fd, pty))
        fail_errno("terminal: can't hand the pseudo-terminal over (console socket, setsid, "
                   "TIOCSCTTY)",
                   e);
    ::close(socket_fd);
}

[[noreturn]] void init_main(Launch& l, pid_t payload, std::vector<Fd>& locks) {
    const Sandbox& sb = l.sb;
    l.setup_done_write.reset();
    l.seclog_payload.reset(); // pid 1 runs the original programs, no listener
    setup_step::set_role(setup_step::Role::pid1);
    setup_step::enter(setup_step::Step::pid1_seccomp);
    // pid 1 keeps stdio, its reports and what must live as long as the
    // sandbox; every other fd was passed on to the payload already.
    std::vector<int> keep = {l.event_fd.get(), l.link_read.get(), sb.status.sync_fd};
    for (const auto& fd : locks) keep.push_back(fd.get());
    supervisor::close_fds_except(keep);
    caps::drop_all();
    if (dies_with_monitor(sb)) {
        supervisor::set_parent_death_signal();
        supervisor::die_if_pipe_hung_up(l.link_read.get());
    }
    Fd sigfd(supervisor::init_signalfd(l.signals));
    install_seccomp_programs(sb.seccomp_programs);
    setup_step::setup_finished();
    ::_exit(supervisor::run_init(sigfd.get(), payload, l.event_fd.get(), sb.proc.new_session,
                                 l.signals, sb.limits.timeout_signal));
}

void child_setup_and_exec(Launch& l) {
    const Sandbox& sb = l.sb;
    supervisor::scrub_process_strings(l.strings);
    l.link_write.reset();
    l.setup_done_read.reset();
    l.seclog_monitor.reset();
    if (dies_with_monitor(sb)) supervisor::set_parent_death_signal();
    // bwrap keeps these from the payload.
    if (sb.status.info_fd >= 0) ::close(sb.status.info_fd);
    if (sb.status.json_status_fd >= 0) ::close(sb.status.json_status_fd);
    if (sb.status.commit_write_fd >= 0) ::close(sb.status.commit_write_fd);

    setup_step::enter(setup_step::Step::wait_go);
    // Wait until the monitor has written our maps. EOF: the monitor died.
    char go;
    ssize_t r;
    do r = ::read(l.link_read.get(), &go, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1) ::_exit(1);

    setup_step::enter(setup_step::Step::switch_ids);
    switch_ids(l);
    setup_step::enter(setup_step::Step::loopback);
    if (sb.ns.net && sb.ns.net_loopback) ns::bring_up_loopback();
    setup_step::enter(setup_step::Step::hostname);
    if (sb.proc.hostname) ns::set_hostname(*sb.proc.hostname);
    oci_setup::before_mounts(sb);
    // The nested user namespace steps need the host's /proc after pivot.
    Fd proc_fd;
    if (l.maps.nested || sb.ns.disable_userns) {
        proc_fd.reset(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!proc_fd) fail_errno("Can't open /proc");
    }

    if (sb.pre_pivot.caller_first) {
        // The caller's turn (its callback, run_sandbox_report): 'P' on the
        // setup pipe, then wait for its byte on the link. EOF: it is gone.
        setup_step::enter(setup_step::Step::pre_pivot);
        if (write_all(l.setup_done_write.get(), "P") != 0) ::_exit(1);
        char go_on;
        ssize_t n;
        do n = ::read(l.link_read.get(), &go_on, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1) ::_exit(1);
    }
    build_mount_tree(sb); // steps mount-private ... pivot-root

    setup_step::enter(setup_step::Step::user_namespaces);
    if (sb.ns.join_user2_fd >= 0) ns::join_user2(sb.ns.join_user2_fd);
    ns::finish_user_namespaces(sb, l.maps, proc_fd.get());
    proc_fd.reset();
    oci_setup::after_mounts(sb);
    if (sb.proc.console_socket_fd >= 0) setup_console(sb.proc.console_socket_fd);

    // From here on nothing needs our /proc files writable by our own uid
    // (the maps are written), so pid 1 can be made non-dumpable here.
    if (l.hide_exe)
        if (const int e = harden::not_dumpable()) fail_errno("can't set dumpable", e);
    // bwrap cuts the bounding set only in a user namespace (new or joined):
    // on the host, NO_NEW_PRIVS already keeps exec from granting anything
    // beyond the permitted set, and CapBnd stays what the caller had.
    setup_step::enter(setup_step::Step::bounding_set);
    if (sb.proc.cap_sets)
        oci_setup::set_capabilities(*sb.proc.cap_sets);
    else if (sb.ns.user || sb.ns.join_user_fd >= 0)
        caps::limit_bounding_set(sb.proc.capabilities);
    // bwrap's root caller without --cap-add/--cap-drop: no capset() at all
    // (systemd-nspawn's seccomp policy refuses it; inheritable stays as is).
    setup_step::enter(setup_step::Step::capset);
    if (!sb.proc.keep_capabilities && !sb.proc.cap_sets) caps::set_exact(sb.proc.capabilities);

    setup_step::enter(setup_step::Step::block_fd);
    // Detached: the wait comes last (below), once everything that can fail
    // before the payload's own code has run.
    if (sb.status.block_fd >= 0 && !sb.proc.detach) {
        read_one_byte(sb.status.block_fd);
        ::close(sb.status.block_fd);
    }

    std::vector<std::string> env = sb.proc.env;
    setup_step::enter(setup_step::Step::chdir);
    exec::enter_working_directory(sb.proc, l.caller_cwd, env);
    setup_step::enter(setup_step::Step::setsid);
    if (sb.proc.new_session && ::setsid() == -1) fail_errno("setsid");

    setup_step::enter(setup_step::Step::lock_files);
    std::vector<Fd> locks = take_lock_files(sb);
    // After every path burrow itself opens, so that only the payload (and
    // pid 1) live under the ruleset; NO_NEW_PRIVS was set before clone.
    setup_step::enter(setup_step::Step::landlock);
    landlock::apply(sb.landlock, l.landlock);
    // The egress proxy was set up while we built the mount tree: its rules
    // and listeners must be in place before anything of the payload runs.
    // A second byte on the link says so; EOF: the monitor failed or died.
    setup_step::enter(setup_step::Step::wait_net);
    if (sb.egress.enabled || sb.egress.dns_only) {
        char ready;
        ssize_t n;
        do n = ::read(l.link_read.get(), &ready, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1) ::_exit(1);
    }
    setup_step::enter(setup_step::Step::fork_pid1);
    pid_t init_pid = 0;
    std::vector<int> pending;
    if (l.needs_init) {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        if (::sigprocmask(SIG_BLOCK, &chld, nullptr) != 0) fail_errno("sigprocmask");
        init_pid = ::getpid();
        pending = supervisor::take_pending_forwarded(l.signals);
        pid_t pid = ::fork();
        if (pid < 0) fail_errno("Can't fork for pid 1");
        if (pid != 0) init_main(l, pid, locks);
        setup_step::set_role(setup_step::Role::payload);
        supervisor::raise_again(pending);
    }

    // The payload. Lock fds are close-on-exec; the locks stay with pid 1.
    if (!sb.proc.as_pid_1 && sb.status.sync_fd >= 0) ::close(sb.status.sync_fd);
    supervisor::restore_mask_for_exec(l.signals);
    if (dies_with_monitor(sb)) {
        supervisor::set_parent_death_signal();
        if (init_pid != 0)
            supervisor::die_if_parent_gone(init_pid);
        else
            supervisor::die_if_pipe_hung_up(l.link_read.get());
    }
    // In the payload only: pid 1 and the monitor keep the caller's limits
    // (a low nofile or nproc must not break the reaper).
    setup_step::enter(setup_step::Step::rlimits);
    rlimits::apply(sb.limits.rlimits);
    setup_step::enter(setup_step::Step::ambient_caps);
    if (!sb.proc.cap_sets) caps::raise_ambient(sb.proc.capabilities);
    // Inherited fds: only stdio and the kept ones reach the command; ours
    // (the exec report pipe) are close-on-exec already and stay usable.
    if (sb.proc.hardened)
        if (const int e = harden::fds_for_exec(sb.proc.keep_fds))
            fail_errno("--keep-fd: fd not open", e);
    // Last, so that the filters need not allow anything burrow needs.
    // Before seccomp: a filter may refuse write(), and a payload that runs
    // must not be taken for a failed setup (its status would be lost).
    if (sb.proc.detach) {
        // A program that is not there is create's failure, not a payload
        // that dies after `start` (runc; podman reads the message).
        exec::check_executable(sb.proc, env);
        // Ready: the caller returns on this byte and nobody reads the pipe
        // again, so it is closed before anything else could write to it
        // (a write would be EPIPE, or SIGPIPE with the default action).
        // Then wait for `start` (the exec fifo): EOF or data, go on.
        setup_step::enter(setup_step::Step::block_fd);
        if (write_all(l.setup_done_write.get(), "R") != 0) ::_exit(1);
        l.setup_done_write.reset();
        wait_for_start(sb.status.block_fd, sb.status.commit_fd);
        ::close(sb.status.block_fd);
    }
    setup_step::enter(setup_step::Step::seccomp);
    if (l.setup_done_write) supervisor::report_exec_starting(l.setup_done_write.get());
    try {
        // The tty guard first, so that no program below can refuse its
        // install; stacked filters all apply.
        if (sb.proc.hardened && !sb.proc.new_session)
            if (const int e = harden::install(harden::tty_guard())) fail_seccomp_install(e);
        if (l.seclog_payload)
            seccomp_notify::install_programs_with_listener(sb.seccomp_programs,
                                                           sb.seccomp_log.program, l.seclog_program,
                                                           l.seclog_payload.release(), sb.diag);
        else
            install_seccomp_programs(sb.seccomp_programs);
    } catch (...) {
        if (l.setup_done_write) supervisor::report_setup_failed_late(l.setup_done_write.get());
        throw;
    }
    setup_step::enter(setup_step::Step::exec);
    exec::exec_payload(sb.proc, env);
    const int err = errno;
    if (l.setup_done_write) supervisor::report_exec_failed(l.setup_done_write.get(), err);
    fail_errno("execvp " + sb.proc.argv[0], err);
}

[[noreturn]] void child_main(Launch& l) noexcept {
    setup_step::set_role(setup_step::Role::child);
    try {
        setup_step::enter(setup_step::Step::child_start);
        child_setup_and_exec(l);
    } catch (const SetupError& e) {
        setup_step::record_failure(e.error, e.what());
        report_error(l.sb.diag, e.what());
    } catch (const std::exception& e) {
        setup_step::record_failure(0, e.what());
        report_error(l.sb.diag, e.what());
    }
    ::_exit(1);
}

// Kills and reaps the child if the monitor fails before the child is free.
struct ChildGuard {
    int pidfd = -1;
    ~ChildGuard() {
        if (pidfd < 0) return;
        ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        siginfo_t si{};
        ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED);
    }
};

uint64_t ms_since(const struct timespec& t0) {
    struct timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t ns = (now.tv_sec - t0.tv_sec) * 1000000000LL + (now.tv_nsec - t0.tv_nsec);
    return ns > 0 ? static_cast<uint64_t>(ns / 1000000) : 0;
}

// What is enforced and what is not, decided before anything is created;
// fails (setup_failed) when a requirement cannot be met.
void plan_limits(const Sandbox& sb, Launch& l, RunResult& r) {
    l.landlock = landlock::plan(sb.landlock, sb.landlock.enabled ? landlock::kernel_abi() : 0);
    if (!l.landlock.error.empty()) fail(l.landlock.error);
    landlock::describe(l.landlock, sb.landlock, r.enforced, r.unavailable);
    if (l.landlock.apply) r.landlock_abi = l.landlock.abi;
    for (const auto& rl : sb.limits.rlimits)
        r.enforced.push_back("rlimit " + rlimits::describe(rl));
    if (sb.limits.timeout_ms)
        r.enforced.push_back("timeout " + std::to_string(*sb.limits.timeout_ms) + " ms (signal " +
                             std::to_string(sb.limits.timeout_signal) + ", then SIGKILL after " +
                             std::to_string(sb.limits.timeout_grace_ms) + " ms)");
}

// Extra members of the json-status start document: only when landlock was
// asked for, so bwrap mode's documents stay exactly bwrap's.
std::string landlock_status_keys(const Sandbox& sb, const Launch& l, const RunResult& r) {
    if (!sb.landlock.enabled) return {};
    std::vector<std::string> unavailable;
    for (const auto& u : r.unavailable)
        if (u.rfind("landlock", 0) == 0) unavailable.push_back(u);
    return ", \"landlock-abi\": " + std::to_string(l.landlock.apply ? l.landlock.abi : 0) +
           ", \"landlock-fs\": " +
           status::json_string_array(landlock::fs_right_names(l.landlock.handled_fs)) +
           ", \"landlock-net\": " +
           status::json_string_array(landlock::net_right_names(l.landlock.handled_net)) +
           ", \"landlock-unavailable\": " + status::json_string_array(unavailable);
}

int final_status(const Sandbox& sb, const supervisor::Outcome& o, RunResult& r) {
    const int ws = o.wait_status;
    if (WIFEXITED(ws)) r.exit_code = WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) r.signal = WTERMSIG(ws);
    r.timed_out = o.timed_out;
    if (o.exec_errno != 0) {
        r.exec_errno = o.exec_errno;
        r.exit_code.reset();
        return o.exec_errno == ENOENT ? sb.exit_codes.not_found : sb.exit_codes.cannot_execute;
    }
    if (o.timed_out) return sb.exit_codes.timeout;
    // Setup failed in the child (it printed why and exited 1). A signal
    // before exec (a forwarded SIGTERM) still reads as that signal.
    if (!o.exec_started && WIFEXITED(ws) && WEXITSTATUS(ws) != 0) {
        r.setup_failed = true;
        r.exit_code.reset();
        return sb.exit_codes.setup_failed;
    }
    return supervisor::exit_status(ws);
}

// Setup failed in a sandbox process, or one was killed during setup: the
// stage for the caller (json-status) and, for a kill, the one line nobody
// else printed. pid 1 killed after the command started is told apart: at a
// stage of its own setup, or while the command ran (no stage at all).
void report_setup_failure(const Sandbox& sb, const supervisor::Outcome& o, RunResult& r) {
    const bool killed = (!o.exec_started || o.init_died) && !o.timed_out && o.exec_errno == 0 &&
                        WIFSIGNALED(o.wait_status);
    if (!r.setup_failed && !killed) return;
    const setup_step::Report rep = setup_step::child_report(o.init_died);
    const bool pid1_killed = killed && o.exec_started;
    if (pid1_killed && rep.pid1_finished) {
        // Not a setup failure: the status is 128+N (final_status), and the
        // json-status exit object says so, as bubblewrap's does; the
        // command's own status died with pid 1.
        r.setup_signal = WTERMSIG(o.wait_status);
        if (!sb.diag.quiet_pid1_death)
            report_error(sb.diag, "pid 1 of the sandbox killed by signal " +
                                      std::to_string(r.setup_signal) +
                                      " while the command was running");
        if (sb.status.json_status_fd >= 0)
            status::write_document(sb.status.json_status_fd,
                                   status::json_status_exit(128 + r.setup_signal, 0), false);
        return;
    }
    r.setup_stage = setup_step::name(rep.step);
    r.setup_errno = rep.err;
    std::string message = rep.valid ? rep.message : "";
    if (killed) {
        r.setup_signal = WTERMSIG(o.wait_status);
        message = std::string(pid1_killed ? "pid 1 of the sandbox" : "setup") +
                  " killed by signal " + std::to_string(r.setup_signal) + " (stage " +
                  r.setup_stage + ")";
        // bubblewrap says nothing when its pid 1 dies.
        if (!(pid1_killed && sb.diag.quiet_pid1_death)) report_error(sb.diag, message);
    }
    if (sb.status.json_status_fd >= 0)
        status::write_document(
            sb.status.json_status_fd,
            status::json_status_setup_failed(r.setup_stage, r.setup_errno, message, r.setup_signal),
            false);
}

// The signal that killed the child, if it is dead or dies within 500 ms
// (its map files fail before it is a zombie; a loaded machine can take that
// long to finish its exit); 0 otherwise, which only delays the report of a
// genuine map failure. Leaves it to be reaped.
int killed_child_signal(int pidfd) {
    struct pollfd p {
        pidfd, POLLIN, 0
    };
    if (::poll(&p, 1, 500) <= 0) return 0;
    siginfo_t si{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si,
                 WEXITED | WNOHANG | WNOWAIT) != 0)
        return 0;
    return si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED ? si.si_status : 0;
}

// Process::detach, after "go": wait for the child's ready byte (setup done,
// blocked on block_fd), or for its death (EOF: the pipe is close-on-exec and
// the child does not exec before the byte). Ready: the child is left to the
// caller, unreaped, and the caller gets its signal mask back.
int finish_detached(const Sandbox& sb, const Launch& l, int pidfd, ChildGuard& guard, RunResult& r,
                    const BeforeTree& before_tree) {
    char b = 0;
    ssize_t n;
    // The pipe was made non-blocking for the monitor's poll loop.
    struct pollfd p {
        l.setup_done_read.get(), POLLIN, 0
    };
    for (;;) {
        if (::poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            fail_errno("poll");
        }
        n = ::read(l.setup_done_read.get(), &b, 1);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n == 1 && b == 'P' && sb.pre_pivot.caller_first) {
            // The child waits before building its tree: the caller's turn.
            setup_step::enter(setup_step::Step::pre_pivot);
            if (before_tree)
                if (const std::string why = before_tree(r.child_pid); !why.empty()) fail(why);
            write_go(l.link_write.get());
            continue;
        }
        break;
    }
    if (n == 1 && b == 'R') {
        guard.pidfd = -1;
        if (::sigprocmask(SIG_SETMASK, &l.signals.original_mask, nullptr) != 0)
            fail_errno("sigprocmask");
        return 0;
    }
    siginfo_t si{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED) != 0)
        fail_errno("waitid");
    guard.pidfd = -1;
    supervisor::Outcome o;
    o.wait_status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
    const int status = final_status(sb, o, r);
    if (!r.setup_failed && !r.signal) {
        // Exited 0 before its ready byte: cannot happen, but is no success.
        r.setup_failed = true;
        return sb.exit_codes.setup_failed;
    }
    report_setup_failure(sb, o, r);
    return status;
}

int run_monitor(const Sandbox& sb, RunResult& r, const BeforeTree& before_tree) {
    setup_step::begin_sandbox();
    setup_step::enter(setup_step::Step::validate);
    validate(sb);
    const pid_t caller = ::getppid();
    setup_step::enter(setup_step::Step::no_new_privs);
    // Never gain privileges through exec, in any process of the sandbox.
    // (Landlock's restrict_self relies on it too.)
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail_errno("prctl(PR_SET_NO_NEW_PRIVS) failed");
    // A caller that ignores SIGCHLD would have our child reaped behind our back.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGCHLD, &dfl, nullptr);

    Launch l(sb);
    setup_step::enter(setup_step::Step::plan_limits);
    plan_limits(sb, l, r);
    setup_step::enter(setup_step::Step::cgroup);
    cgroup::Scope cg = cgroup::prepare(sb.limits, r.enforced, r.unavailable);
    l.maps = ns::plan_maps(sb);
    l.strings = supervisor::locate_process_strings();
    l.caller_cwd = exec::caller_cwd();
    l.real_uid = ::getuid();
    l.real_gid = ::getgid();
    l.hide_exe = sb.proc.hardened || hide_exe(l.real_uid);
    l.needs_init = !sb.proc.as_pid_1 && (sb.ns.pid || has_lock_files(sb) || sb.status.sync_fd >= 0);
    if (sb.ns.pid && !sb.proc.as_pid_1) {
        l.event_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!l.event_fd) fail_errno("eventfd()");
    }
    setup_step::enter(setup_step::Step::pipes);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("pipe2()");
    l.link_read.reset(p[0]);
    l.link_write.reset(p[1]);
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) fail_errno("pipe2()");
    l.setup_done_read.reset(p[0]);
    l.setup_done_write.reset(p[1]);
    // A denial log with nothing to log (no such program) is no log at all.
    const bool seclog =
        sb.seccomp_log.enabled && sb.seccomp_log.program < sb.seccomp_programs.size();
    if (seclog) {
        l.seclog_program =
            seccomp_notify::notifying_variant(sb.seccomp_programs[sb.seccomp_log.program]);
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) != 0)
            fail_errno("socketpair()");
        l.seclog_monitor.reset(p[0]);
        l.seclog_payload.reset(p[1]);
    }

    setup_step::enter(setup_step::Step::join_user);
    if (sb.ns.join_user_fd >= 0) ns::join_user(sb.ns.join_user_fd);
    setup_step::enter(setup_step::Step::join_pid);
    // setns(CLONE_NEWPID) affects only our children: the child is born in
    // that pid namespace (or in a new one below it), no intermediate fork.
    if (sb.ns.join_pid_fd >= 0) ns::join_pid(sb.ns.join_pid_fd);
    oci_setup::join_namespaces(sb.ns);
    setup_step::enter(setup_step::Step::block_signals);
    l.signals = supervisor::block_forwarded_signals(sb.limits.timeout_ms.has_value());

    supervisor::Deadline deadline;
    if (sb.limits.timeout_ms) {
        deadline.timeout_ms = *sb.limits.timeout_ms;
        deadline.signal = sb.limits.timeout_signal;
        deadline.grace_ms = sb.limits.timeout_grace_ms;
    }
    ::clock_gettime(CLOCK_MONOTONIC, &deadline.start);
    Fd pidfd;
    setup_step::enter(setup_step::Step::clone);
    const pid_t pid = ns::clone_child(ns::clone_flags(sb.ns), pidfd);
    if (pid == 0) child_main(l);
    ChildGuard guard{pidfd.get()};
    r.child_pid = pid;
    l.link_read.reset();
    l.setup_done_write.reset();
    l.seclog_payload.reset();
    supervisor::scrub_process_strings(l.strings);
    // Before "go": the child has done nothing yet that a limit should cover.
    setup_step::enter(setup_step::Step::cgroup_attach);
    if (cg.active()) cg.attach(pid);
    if (sb.diag.verbose) {
        for (const auto& e : r.enforced) report_info(sb.diag, "enforced: " + e);
        for (const auto& u : r.unavailable) report_info(sb.diag, "unavailable: " + u);
    }

    const bool report = sb.status.info_fd >= 0 || sb.status.json_status_fd >= 0;
    status::NamespaceIds ids;
    if (report || !l.maps.uid_map.empty() || !l.maps.gid_map.empty()) try {
            const std::string dir = "/proc/" + std::to_string(pid);
            Fd proc_dir(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!proc_dir) fail_errno("open " + dir + " failed");
            // Before the maps: the child may not stay ptrace-able to us after.
            setup_step::enter(setup_step::Step::namespace_ids);
            if (report) ids = ns::namespace_ids(proc_dir.get(), sb.ns);
            setup_step::enter(setup_step::Step::id_maps);
            ns::write_maps(proc_dir.get(), l.maps.uid_map, l.maps.gid_map,
                           sb.ids.deny_setgroups && !l.maps.uid_map.empty());
        } catch (const SetupError&) {
            // A child killed during its first steps makes its map files
            // unwritable: its death, not the write, is what the caller must hear.
            const int sig = killed_child_signal(pidfd.get());
            if (sig == 0) throw;
            supervisor::Outcome o;
            o.wait_status = sig;
            r.signal = sig;
            report_setup_failure(sb, o, r);
            cg.remove();
            return 128 + sig;
        }
    // The network helper enters the sandbox's namespaces, so only now (the
    // maps are written), and configures the network before "go": the
    // payload never sees a half-configured network. Before the monitor
    // drops its capabilities: a root caller's pasta stays root to enter
    // root's namespaces (a user's helper needs none: it owns them).
    // Destroyed before `guard`: a failure below kills the helper too.
    setup_step::enter(setup_step::Step::user_net);
    user_net::Helper net_helper;
    // The egress proxy sets itself up while the child builds its mount
    // tree; the child waits for it before anything of the payload runs
    // (net-ready below, wait-net there).
    egress::Running egress_proxy;
    if (sb.egress.enabled || sb.egress.dns_only) {
        egress_proxy = egress::launch(sb.egress, pid, sb.status.json_status_fd);
        r.enforced.push_back(
            sb.egress.enabled ? "network: allowlist of " + std::to_string(sb.egress.allow.size()) +
                                    " rules, through burrow's egress proxy"
                              : std::string("network: DNS through burrow's resolver (the "
                                            "caller's is on its loopback)"));
        if (sb.diag.verbose) report_info(sb.diag, "enforced: " + r.enforced.back());
    }
    if (sb.user_net.stack != NetStack::none) {
        net_helper = user_net::start(sb.user_net, pid, sb.egress.forward);
        r.enforced.push_back(std::string("network: private, through ") +
                             user_net::stack_name(sb.user_net.stack) + " (" + sb.user_net.helper +
                             ")");
        if (sb.diag.verbose) report_info(sb.diag, "enforced: " + r.enforced.back());
    }
    setup_step::enter(setup_step::Step::join_user2);
    if (sb.ns.join_user2_fd >= 0) ns::join_user2(sb.ns.join_user2_fd);
    setup_step::enter(setup_step::Step::monitor_caps);
    // The monitor needs no privilege from here on, and a payload that can
    // see it (shared pid namespace) must not reach our /proc/PID/exe.
    // Detached: this process is the caller's (burrow oci create goes on to
    // run hooks and write state), and no payload code runs before it exits.
    if (!sb.proc.detach) caps::drop_all();
    if (l.hide_exe && !sb.proc.detach)
        if (const int e = harden::not_dumpable()) fail_errno("can't set dumpable", e);
    if (sb.proc.die_with_parent) {
        supervisor::set_parent_death_signal();
        supervisor::die_if_parent_gone(caller);
    }
    setup_step::enter(setup_step::Step::info_fd);
    if (sb.status.info_fd >= 0) {
        status::write_document(sb.status.info_fd, status::info_document(pid, ids), true);
        ::close(sb.status.info_fd);
    }
    setup_step::enter(setup_step::Step::json_status);
    if (sb.status.json_status_fd >= 0)
        status::write_document(sb.status.json_status_fd,
                               status::json_status_start(pid, ids, landlock_status_keys(sb, l, r)),
                               true);
    setup_step::enter(setup_step::Step::userns_block);
    if (sb.status.userns_block_fd >= 0) {
        read_one_byte(sb.status.userns_block_fd);
        ::close(sb.status.userns_block_fd);
    }
    setup_step::enter(setup_step::Step::go);
    write_go(l.link_write.get());
    if (sb.proc.detach) return finish_detached(sb, l, pidfd.get(), guard, r, before_tree);
    setup_step::enter(setup_step::Step::net_ready);
    if (sb.egress.enabled || sb.egress.dns_only) {
        egress_proxy.wait_ready();
        write_go(l.link_write.get());
    }
    setup_step::enter(setup_step::Step::monitor_close_fds);
    std::vector<int> keep = {pidfd.get(),
                             l.event_fd.get(),
                             l.setup_done_read.get(),
                             sb.status.json_status_fd,
                             l.link_write.get(),
                             l.seclog_monitor.get()};
    for (int fd : net_helper.fds()) keep.push_back(fd);
    for (int fd : egress_proxy.fds()) keep.push_back(fd);
    supervisor::close_fds_except(keep);
    guard.pidfd = -1;
    std::optional<seccomp_notify::DenialLog> denial_log;
    if (l.seclog_monitor) {
        const int json = sb.status.json_status_fd;
        denial_log.emplace(sb.seccomp_programs[sb.seccomp_log.program], std::move(l.seclog_monitor),
                           json >= 0 ? json : STDERR_FILENO, json >= 0);
    }

    supervisor::MonitorFds fds;
    fds.pidfd = pidfd.get();
    fds.event_fd = l.event_fd.get();
    fds.setup_finished_fd = l.setup_done_read.get();
    fds.denial_log = denial_log ? &*denial_log : nullptr;
    const supervisor::Outcome o =
        supervisor::monitor(fds, l.signals, sb.proc.new_session, deadline);
    // The sandbox is gone: its network helper has nothing left to serve and
    // would not notice by itself.
    net_helper.stop();
    r.net = egress_proxy.stop();
    const int status = final_status(sb, o, r);
    // Only an exec'd payload has an exit code (bwrap).
    if (sb.status.json_status_fd >= 0 && o.exec_started && !o.init_died)
        status::write_document(sb.status.json_status_fd,
                               status::json_status_exit(status, r.signal.value_or(0)), false);
    report_setup_failure(sb, o, r);
    r.peak_rss_kib = std::max(o.peak_rss_kib, cg.memory_peak_kib());
    cg.remove();
    r.wall_ms = ms_since(deadline.start);
    if (sb.diag.verbose && r.timed_out)
        report_info(sb.diag, "timed out: sandbox killed after " + std::to_string(r.wall_ms) +
                                 " ms (timeout " + std::to_string(deadline.timeout_ms) + " ms)");
    return status;
}

} // namespace

int run_sandbox(const Sandbox& sb) {
    return run_sandbox_report(sb).status;
}

RunResult run_sandbox_report(const Sandbox& sb, const BeforeTree& before_tree) {
    RunResult r;
    try {
        if (sb.limits.timeout_ms && !sb.ns.pid) {
            // Killing pid 1 of a namespace of its own is what kills every
            // process of the sandbox, forks and daemons included.
            Sandbox with_pid = sb;
            with_pid.ns.pid = true;
            r.status = run_monitor(with_pid, r, before_tree);
        } else {
            r.status = run_monitor(sb, r, before_tree);
        }
    } catch (const std::exception& e) {
        report_error(sb.diag, e.what());
        r.setup_failed = true;
        r.status = sb.exit_codes.setup_failed;
        // The monitor's own failure: its stage and errno.
        const auto* se = dynamic_cast<const SetupError*>(&e);
        r.setup_stage = setup_step::name(setup_step::current());
        r.setup_errno = se ? se->error : 0;
        if (sb.status.json_status_fd >= 0)
            status::write_document(
                sb.status.json_status_fd,
                status::json_status_setup_failed(r.setup_stage, r.setup_errno, e.what(), 0), false);
    }
    return r;
}

} // namespace burrow
