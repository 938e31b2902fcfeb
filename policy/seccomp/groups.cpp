#include "policy/seccomp/groups.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace burrow::seccomp {

namespace {

using SV = std::string_view;

// Groups a payload needs to run at all; the strict allowlist is built from
// these. Kept narrower than "everything harmless" on purpose: whatever is in
// no group here is denied by strict.
constexpr SV basic_io[] = {"read",     "write",       "readv",    "writev",     "pread64",
                           "pwrite64", "preadv",      "pwritev",  "preadv2",    "pwritev2",
                           "close",    "close_range", "dup",      "dup2",       "dup3",
                           "lseek",    "_llseek",     "sendfile", "sendfile64", "copy_file_range",
                           "splice",   "tee",         "vmsplice"};
constexpr SV file_system[] = {"open",
                              "openat",
                              "openat2",
                              "creat",
                              "access",
                              "faccessat",
                              "faccessat2",
                              "stat",
                              "lstat",
                              "fstat",
                              "newfstatat",
                              "fstatat64",
                              "stat64",
                              "lstat64",
                              "fstat64",
                              "statx",
                              "statfs",
                              "statfs64",
                              "fstatfs",
                              "fstatfs64",
                              "chdir",
                              "fchdir",
                              "getcwd",
                              "mkdir",
                              "mkdirat",
                              "rmdir",
                              "unlink",
                              "unlinkat",
                              "rename",
                              "renameat",
                              "renameat2",
                              "link",
                              "linkat",
                              "symlink",
                              "symlinkat",
                              "readlink",
                              "readlinkat",
                              "chmod",
                              "fchmod",
                              "fchmodat",
                              "truncate",
                              "truncate64",
                              "ftruncate",
                              "ftruncate64",
                              "utime",
                              "utimes",
                              "utimensat",
                              "utimensat_time64",
                              "futimesat",
                              "getdents",
                              "getdents64",
                              "fcntl",
                              "fcntl64",
                              "fallocate",
                              "fadvise64",
                              "fadvise64_64",
                              "fsync",
                              "fdatasync",
                              "sync_file_range",
                              "flock",
                              "inotify_init",
                              "inotify_init1",
                              "inotify_add_watch",
                              "inotify_rm_watch",
                              "umask",
                              "mknod",
                              "mknodat",
                              "getxattr",
                              "lgetxattr",
                              "fgetxattr",
                              "listxattr",
                              "llistxattr",
                              "flistxattr",
                              "setxattr",
                              "lsetxattr",
                              "fsetxattr",
                              "removexattr",
                              "lremovexattr",
                              "fremovexattr",
                              "memfd_create",
                              "readahead",
                              "sync",
                              "syncfs"};
constexpr SV chown[] = {"chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32"};
constexpr SV io_event[] = {"epoll_create", "epoll_create1", "epoll_ctl",      "epoll_wait",
                           "epoll_pwait",  "epoll_pwait2",  "eventfd",        "eventfd2",
                           "poll",         "ppoll",         "ppoll_time64",   "select",
                           "_newselect",   "pselect6",      "pselect6_time64"};
constexpr SV ipc[] = {"pipe",
                      "pipe2",
                      "ipc",
                      "mq_open",
                      "mq_unlink",
                      "mq_timedsend",
                      "mq_timedreceive",
                      "mq_notify",
                      "mq_getsetattr",
                      "mq_timedsend_time64",
                      "mq_timedreceive_time64",
                      "msgget",
                      "msgsnd",
                      "msgrcv",
                      "msgctl",
                      "semget",
                      "semop",
                      "semtimedop",
                      "semtimedop_time64",
                      "semctl",
                      "shmget",
                      "shmat",
                      "shmdt",
                      "shmctl"};
constexpr SV process[] = {"clone",
                          "clone3",
                          "fork",
                          "vfork",
                          "execve",
                          "execveat",
                          "wait4",
                          "waitid",
                          "waitpid",
                          "kill",
                          "tkill",
                          "tgkill",
                          "pidfd_open",
                          "pidfd_send_signal",
                          "pidfd_getfd",
                          "prctl",
                          "setpgid",
                          "setsid",
                          "getrusage",
                          "capget",
                          "rt_sigqueueinfo",
                          "rt_tgsigqueueinfo",
                          "exit",
                          "exit_group"};
constexpr SV signal[] = {"rt_sigaction",  "rt_sigprocmask",  "rt_sigpending",
                         "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
                         "rt_sigreturn",  "sigreturn",       "sigaction",
                         "sigprocmask",   "sigpending",      "sigsuspend",
                         "sigaltstack",   "signal",          "signalfd",
                         "signalfd4",     "restart_syscall"};
constexpr SV network_io[] = {"socket",      "socketpair",      "bind",       "listen",
                             "accept",      "accept4",         "connect",    "getsockname",
                             "getpeername", "getsockopt",      "setsockopt", "sendto",
                             "recvfrom",    "sendmsg",         "recvmsg",    "sendmmsg",
                             "recvmmsg",    "recvmmsg_time64", "shutdown",   "socketcall"};
constexpr SV timer[] = {"alarm",           "getitimer",         "setitimer",
                        "timer_create",    "timer_delete",      "timer_settime",
                        "timer_gettime",   "timer_getoverrun",  "timer_settime64",
                        "timer_gettime64", "timerfd_create",    "timerfd_settime",
                        "timerfd_gettime", "timerfd_settime64", "timerfd_gettime64"};
constexpr SV memory[] = {"brk",       "mmap",          "mmap2",     "munmap", "mprotect",
                         "madvise",   "mremap",        "mlock",     "mlock2", "munlock",
                         "mlockall",  "munlockall",    "mincore",   "msync",  "pkey_alloc",
                         "pkey_free", "pkey_mprotect", "membarrier"};
constexpr SV default_[] = {"futex",
                           "futex_time64",
                           "futex_waitv",
                           "get_robust_list",
                           "set_robust_list",
                           "set_tid_address",
                           "rseq",
                           "getpid",
                           "getppid",
                           "gettid",
                           "getuid",
                           "geteuid",
                           "getgid",
                           "getegid",
                           "getuid32",
                           "geteuid32",
                           "getgid32",
                           "getegid32",
                           "getresuid",
                           "getresgid",
                           "getresuid32",
                           "getresgid32",
                           "getgroups",
                           "getgroups32",
                           "getpgid",
                           "getpgrp",
                           "getsid",
                           "getrlimit",
                           "ugetrlimit",
                           "prlimit64",
                           "arch_prctl",
                           "set_thread_area",
                           "get_thread_area",
                           "clock_gettime",
                           "clock_gettime64",
                           "clock_getres",
                           "clock_getres_time64",
                           "clock_nanosleep",
                           "clock_nanosleep_time64",
                           "gettimeofday",
                           "time",
                           "nanosleep",
                           "sched_yield",
                           "uname",
                           "getrandom",
                           "pause",
                           "getcpu",
                           "sysinfo",
                           "times",
                           "sched_getaffinity",
                           "sched_setaffinity",
                           "sched_getparam",
                           "sched_getscheduler",
                           "sched_get_priority_max",
                           "sched_get_priority_min",
                           "sched_rr_get_interval",
                           "sched_rr_get_interval_time64",
                           "sched_getattr",
                           "getpriority",
                           "ioctl",
                           "personality"};
constexpr SV credentials[] = {"setuid",    "setuid32",    "setgid",    "setgid32",
                              "setreuid",  "setreuid32",  "setregid",  "setregid32",
                              "setresuid", "setresuid32", "setresgid", "setresgid32",
                              "setgroups", "setgroups32", "setfsuid",  "setfsuid32",
                              "setfsgid",  "setfsgid32",  "capset"};
constexpr SV aio[] = {"io_setup",     "io_destroy",    "io_submit",           "io_cancel",
                      "io_getevents", "io_pgetevents", "io_pgetevents_time64"};
constexpr SV io_uring[] = {"io_uring_setup", "io_uring_enter", "io_uring_register"};

// Groups that are denied by the default profile (or by ci).
constexpr SV mount[] = {"mount",    "umount",    "umount2",    "pivot_root",
                        "chroot",   "open_tree", "move_mount", "fsopen",
                        "fsconfig", "fsmount",   "fspick",     "mount_setattr"};
constexpr SV module[] = {"init_module",   "finit_module", "delete_module",
                         "create_module", "query_module", "get_kernel_syms"};
constexpr SV reboot[] = {"reboot", "kexec_load", "kexec_file_load"};
constexpr SV swap[] = {"swapon", "swapoff"};
constexpr SV raw_io[] = {"ioperm", "iopl"};
constexpr SV clock[] = {"adjtimex",      "clock_adjtime",   "clock_adjtime64",
                        "clock_settime", "clock_settime64", "settimeofday",
                        "stime"};
constexpr SV cpu_emulation[] = {"modify_ldt", "vm86", "vm86old"};
constexpr SV debug[] = {"ptrace",          "process_vm_readv", "process_vm_writev", "kcmp",
                        "perf_event_open", "lookup_dcookie",   "process_madvise"};
constexpr SV obsolete[] = {
    "_sysctl", "afs_syscall", "bdflush", "break",  "ftime",   "getpmsg",  "gtty",     "idle",
    "lock",    "mpx",         "prof",    "profil", "putpmsg", "security", "sgetmask", "ssetmask",
    "stty",    "sysfs",       "tuxcall", "ulimit", "uselib",  "ustat",    "vserver",  "nfsservctl"};
constexpr SV keyring[] = {"add_key", "keyctl", "request_key"};
constexpr SV namespaces[] = {"unshare", "setns"};
constexpr SV numa[] = {"mbind",         "migrate_pages", "move_pages",
                       "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node"};
constexpr SV host_admin[] = {"acct",
                             "quotactl",
                             "quotactl_fd",
                             "syslog",
                             "vhangup",
                             "bpf",
                             "userfaultfd",
                             "fanotify_init",
                             "fanotify_mark",
                             "open_by_handle_at",
                             "name_to_handle_at"};
constexpr SV hostname[] = {"sethostname", "setdomainname"};
constexpr SV resources[] = {"setrlimit",     "setpriority", "sched_setparam", "sched_setscheduler",
                            "sched_setattr", "ioprio_get",  "ioprio_set",     "prlimit64"};
constexpr SV privileged[] = {"@chown", "@clock", "@module",      "@raw-io",     "@reboot",
                             "@swap",  "@mount", "@credentials", "@host-admin", "@hostname"};

constexpr SyscallGroup groups[] = {
    {"@aio", "POSIX asynchronous I/O", aio},
    {"@basic-io", "reading, writing, seeking and closing file descriptors", basic_io},
    {"@chown", "changing file ownership", chown},
    {"@clock", "setting the system clock", clock},
    {"@cpu-emulation", "vm86 mode and LDT changes", cpu_emulation},
    {"@credentials", "changing user and group ids and capabilities", credentials},
    {"@debug", "ptrace, other processes' memory, performance counters", debug},
    {"@default", "calls every program makes: ids, time, futex, thread setup", default_},
    {"@file-system", "files, directories, metadata, xattrs, inotify", file_system},
    {"@host-admin",
     "host-wide administration: accounting, quota, syslog, hostname, bpf, "
     "userfaultfd, fanotify, file handles",
     host_admin},
    {"@hostname", "setting the host and domain name (harmless in a UTS namespace)", hostname},
    {"@io-event", "poll, select, epoll, eventfd", io_event},
    {"@io-uring", "io_uring (a large kernel attack surface)", io_uring},
    {"@ipc", "pipes, SysV IPC, POSIX message queues", ipc},
    {"@keyring", "the kernel keyring", keyring},
    {"@memory", "mapping and locking memory", memory},
    {"@module", "loading and unloading kernel modules", module},
    {"@mount", "mounting, the new mount API, chroot and pivot_root", mount},
    {"@namespaces", "creating and joining namespaces (unshare, setns)", namespaces},
    {"@network-io", "sockets", network_io},
    {"@numa", "NUMA memory policy", numa},
    {"@obsolete", "unimplemented or long-obsolete calls", obsolete},
    {"@privileged", "calls that need privileges on the host", privileged},
    {"@process", "creating, executing, waiting for and signalling processes", process},
    {"@raw-io", "raw port and PCI configuration access", raw_io},
    {"@reboot", "rebooting and kexec", reboot},
    {"@resources", "changing resource limits and scheduling", resources},
    {"@signal", "signal handling", signal},
    {"@swap", "enabling and disabling swap", swap},
    {"@timer", "timers and alarms", timer},
};

void expand_into(std::string_view name, std::set<std::string>& out,
                 std::vector<std::string_view>& stack) {
    const SyscallGroup* g = find_group(name);
    if (!g || std::find(stack.begin(), stack.end(), name) != stack.end()) return;
    stack.push_back(name);
    for (std::string_view m : g->members) {
        if (!m.empty() && m[0] == '@')
            expand_into(m, out, stack);
        else
            out.emplace(m);
    }
    stack.pop_back();
}

} // namespace

std::span<const SyscallGroup> syscall_groups() {
    return groups;
}

const SyscallGroup* find_group(std::string_view name) {
    for (const auto& g : groups)
        if (g.name == name) return &g;
    return nullptr;
}

std::vector<std::string> expand_group(std::string_view name) {
    std::set<std::string> out;
    std::vector<std::string_view> stack;
    expand_into(name, out, stack);
    return {out.begin(), out.end()};
}

} // namespace burrow::seccomp
