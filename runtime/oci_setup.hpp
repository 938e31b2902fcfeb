// What the OCI front end (policy/oci) asks of the runtime beyond bwrap's
// needs: namespaces joined by path, domainname, sysctl, oom_score_adj,
// supplementary groups, umask and exact capability sets. Each function is
// one step of run_sandbox (runtime.cpp calls them); each does nothing when
// the Sandbox does not ask for it.
#pragma once

#include "runtime/sandbox.hpp"

namespace burrow::oci_setup {

// Monitor, before clone, after join_user_fd/join_pid_fd: setns into the
// net, ipc, uts and cgroup namespaces given by fd.
void join_namespaces(const Namespaces& ns);

// Child, in its namespaces, before the mount tree (the host's /proc is still
// there; /proc/sys/net and kernel.shm* answer for the caller's namespaces):
// domainname, sysctl, oom_score_adj.
void before_mounts(const Sandbox& sb);

// Child, after the mount tree, while it still holds its capabilities:
// supplementary groups and the umask.
void after_mounts(const Sandbox& sb);

// Child: bounding, effective, permitted, inheritable and ambient sets made
// exactly these (replaces the bounding/capset/ambient steps for Process::
// capabilities).
void set_capabilities(const Process::CapSets& sets);

} // namespace burrow::oci_setup
