// Numbered setup steps: where a sandbox's setup is, for two readers.
//
//  * The caller: when setup fails (or is killed) the --json-status-fd
//    document names the stage, the errno and the message
//    ({"setup-failed": true, "stage": "pivot-root", ...}).
//  * Fault injection: a build with BURROW_FAULT_INJECTION kills itself with
//    SIGKILL when it enters step BURROW_FAULT_STEP (a number from the list
//    below, or its name), at the BURROW_FAULT_NTH (default 1st) time that
//    process enters it; tests walk every step and check that nothing leaks.
//
// The processes of one sandbox (monitor, child, pid 1, payload) share one
// anonymous page set up before clone: each records its current step in its
// own slot with a plain store (no syscall, async-signal-safe), and a child
// that fails writes its errno and message there before it exits, so the
// monitor can report them even when the child died of a signal.
#pragma once

#include <cstddef>

namespace burrow::setup_step {

// X(name, "stage name"): the order is the order of setup (runtime.cpp).
#define BURROW_SETUP_STEPS(X)                                                                      \
    X(validate, "validate")                                                                        \
    X(no_new_privs, "no-new-privs")                                                                \
    X(plan_limits, "plan-limits")                                                                  \
    X(cgroup, "cgroup")                                                                            \
    X(pipes, "pipes")                                                                              \
    X(join_user, "setns-user")                                                                     \
    X(join_pid, "setns-pid")                                                                       \
    X(block_signals, "block-signals")                                                              \
    X(clone, "clone")                                                                              \
    X(cgroup_attach, "cgroup-attach")                                                              \
    X(namespace_ids, "namespace-ids")                                                              \
    X(id_maps, "id-maps")                                                                          \
    X(user_net, "user-net")                                                                        \
    X(join_user2, "setns-user2")                                                                   \
    X(monitor_caps, "monitor-drop-caps")                                                           \
    X(info_fd, "info-fd")                                                                          \
    X(json_status, "json-status-start")                                                            \
    X(userns_block, "userns-block-fd")                                                             \
    X(go, "go")                                                                                    \
    X(net_ready, "net-ready")                                                                      \
    X(monitor_close_fds, "monitor-close-fds")                                                      \
    X(child_start, "child-start")                                                                  \
    X(wait_go, "wait-go")                                                                          \
    X(switch_ids, "switch-ids")                                                                    \
    X(loopback, "loopback")                                                                        \
    X(hostname, "hostname")                                                                        \
    X(mount_private, "mount-private")                                                              \
    X(open_sources, "open-sources")                                                                \
    X(staging_tmpfs, "staging-tmpfs")                                                              \
    X(fs_op, "fs-op")                                                                              \
    X(pre_pivot, "pre-pivot-programs")                                                             \
    X(pivot_root, "pivot-root")                                                                    \
    X(user_namespaces, "user-namespaces")                                                          \
    X(bounding_set, "bounding-set")                                                                \
    X(capset, "capset")                                                                            \
    X(block_fd, "block-fd")                                                                        \
    X(chdir, "chdir")                                                                              \
    X(setsid, "setsid")                                                                            \
    X(lock_files, "lock-files")                                                                    \
    X(landlock, "landlock")                                                                        \
    X(wait_net, "wait-net")                                                                        \
    X(fork_pid1, "fork-pid1")                                                                      \
    X(pid1_seccomp, "pid1-seccomp")                                                                \
    X(rlimits, "rlimits")                                                                          \
    X(ambient_caps, "ambient-caps")                                                                \
    X(seccomp, "seccomp")                                                                          \
    X(exec, "exec")

enum class Step : int {
    none = 0,
#define BURROW_STEP_ENUM(id, name) id,
    BURROW_SETUP_STEPS(BURROW_STEP_ENUM)
#undef BURROW_STEP_ENUM
        count
};

// Which process of the sandbox records into which slot.
enum class Role : int { monitor = 0, child = 1, pid1 = 2, payload = 3 };

const char* name(Step s);
constexpr int count() {
    return static_cast<int>(Step::count) - 1;
}
// True when this build kills itself at BURROW_FAULT_STEP.
bool fault_injection_built();

// Maps the shared page (once per process that runs sandboxes) and clears it
// for a new sandbox; without it, steps are only kept per process.
void begin_sandbox();
void set_role(Role r);
// Records the step; in a fault-injection build, dies here when asked to.
void enter(Step s);
Step current();

// A failure in a sandbox process (before it exits): kept for the monitor.
void record_failure(int err, const char* message);

// This process has finished its setup (pid 1 entering its reaping loop): its
// death from now on happens while the command runs, at no setup stage. Its
// step slot keeps the last step for fault injection and failure reports.
void setup_finished();

struct Report {
    bool valid = false;
    Step step = Step::none;
    int err = 0;
    char message[768] = {};
    bool pid1_finished = false; // pid 1 had finished its setup (setup_finished())
};
// The failure a sandbox process recorded, else the furthest step any of
// them reached (pid 1's own when pid1_died), with valid == true only when a
// process recorded a failure.
Report child_report(bool pid1_died = false);

} // namespace burrow::setup_step
