// bwrap --help: bubblewrap 0.11.1's option list, in its order and wording
// (scripts grep it, e.g. to detect --overlay-src support), followed by the
// options burrow accepts beyond 0.11.1, marked as such.
#include <string>

#include "policy/bwrap/args.hpp"

namespace burrow {

namespace {

constexpr const char* kBwrapOptions =
    "    --help                       Print this help\n"
    "    --version                    Print version\n"
    "    --args FD                    Parse NUL-separated args from FD\n"
    "    --argv0 VALUE                Set argv[0] to the value VALUE before running the program\n"
    "    --level-prefix               Prepend e.g. <3> to diagnostic messages\n"
    "    --unshare-all                Unshare every namespace we support by default\n"
    "    --share-net                  Retain the network namespace (can only combine with "
    "--unshare-all)\n"
    "    --unshare-user               Create new user namespace (may be automatically implied "
    "if not setuid)\n"
    "    --unshare-user-try           Create new user namespace if possible else continue by "
    "skipping it\n"
    "    --unshare-ipc                Create new ipc namespace\n"
    "    --unshare-pid                Create new pid namespace\n"
    "    --unshare-net                Create new network namespace\n"
    "    --unshare-uts                Create new uts namespace\n"
    "    --unshare-cgroup             Create new cgroup namespace\n"
    "    --unshare-cgroup-try         Create new cgroup namespace if possible else continue by "
    "skipping it\n"
    "    --userns FD                  Use this user namespace (cannot combine with "
    "--unshare-user)\n"
    "    --userns2 FD                 After setup switch to this user namespace, only useful "
    "with --userns\n"
    "    --disable-userns             Disable further use of user namespaces inside sandbox\n"
    "    --assert-userns-disabled     Fail unless further use of user namespace inside sandbox "
    "is disabled\n"
    "    --pidns FD                   Use this pid namespace (as parent namespace if using "
    "--unshare-pid)\n"
    "    --uid UID                    Custom uid in the sandbox (requires --unshare-user or "
    "--userns)\n"
    "    --gid GID                    Custom gid in the sandbox (requires --unshare-user or "
    "--userns)\n"
    "    --hostname NAME              Custom hostname in the sandbox (requires --unshare-uts)\n"
    "    --chdir DIR                  Change directory to DIR\n"
    "    --clearenv                   Unset all environment variables\n"
    "    --setenv VAR VALUE           Set an environment variable\n"
    "    --unsetenv VAR               Unset an environment variable\n"
    "    --lock-file DEST             Take a lock on DEST while sandbox is running\n"
    "    --sync-fd FD                 Keep this fd open while sandbox is running\n"
    "    --bind SRC DEST              Bind mount the host path SRC on DEST\n"
    "    --bind-try SRC DEST          Equal to --bind but ignores non-existent SRC\n"
    "    --dev-bind SRC DEST          Bind mount the host path SRC on DEST, allowing device "
    "access\n"
    "    --dev-bind-try SRC DEST      Equal to --dev-bind but ignores non-existent SRC\n"
    "    --ro-bind SRC DEST           Bind mount the host path SRC readonly on DEST\n"
    "    --ro-bind-try SRC DEST       Equal to --ro-bind but ignores non-existent SRC\n"
    "    --bind-fd FD DEST            Bind open directory or path fd on DEST\n"
    "    --ro-bind-fd FD DEST         Bind open directory or path fd read-only on DEST\n"
    "    --remount-ro DEST            Remount DEST as readonly; does not recursively remount\n"
    "    --overlay-src SRC            Read files from SRC in the following overlay\n"
    "    --overlay RWSRC WORKDIR DEST Mount overlayfs on DEST, with RWSRC as the host path for "
    "writes and\n"
    "                                 WORKDIR an empty directory on the same filesystem as "
    "RWSRC\n"
    "    --tmp-overlay DEST           Mount overlayfs on DEST, with writes going to an invisible "
    "tmpfs\n"
    "    --ro-overlay DEST            Mount overlayfs read-only on DEST\n"
    "    --exec-label LABEL           Exec label for the sandbox\n"
    "    --file-label LABEL           File label for temporary sandbox content\n"
    "    --proc DEST                  Mount new procfs on DEST\n"
    "    --dev DEST                   Mount new dev on DEST\n"
    "    --tmpfs DEST                 Mount new tmpfs on DEST\n"
    "    --mqueue DEST                Mount new mqueue on DEST\n"
    "    --dir DEST                   Create dir at DEST\n"
    "    --file FD DEST               Copy from FD to destination DEST\n"
    "    --bind-data FD DEST          Copy from FD to file which is bind-mounted on DEST\n"
    "    --ro-bind-data FD DEST       Copy from FD to file which is readonly bind-mounted on "
    "DEST\n"
    "    --symlink SRC DEST           Create symlink at DEST with target SRC\n"
    "    --seccomp FD                 Load and use seccomp rules from FD (not repeatable)\n"
    "    --add-seccomp-fd FD          Load and use seccomp rules from FD (repeatable)\n"
    "    --block-fd FD                Block on FD until some data to read is available\n"
    "    --userns-block-fd FD         Block on FD until the user namespace is ready\n"
    "    --info-fd FD                 Write information about the running container to FD\n"
    "    --json-status-fd FD          Write container status to FD as multiple JSON documents\n"
    "    --new-session                Create a new terminal session\n"
    "    --die-with-parent            Kills with SIGKILL child process (COMMAND) when bwrap or "
    "bwrap's parent dies.\n"
    "    --as-pid-1                   Do not install a reaper process with PID=1\n"
    "    --cap-add CAP                Add cap CAP when running as privileged user\n"
    "    --cap-drop CAP               Drop cap CAP when running as privileged user\n"
    "    --perms OCTAL                Set permissions of next argument (--bind-data, --file, "
    "etc.)\n"
    "    --size BYTES                 Set size of next argument (only for --tmpfs)\n"
    "    --chmod OCTAL PATH           Change permissions of PATH (must already exist)\n";

constexpr const char* kBurrowExtensions =
    "\n"
    "burrow extensions (not in bubblewrap 0.11.1):\n"
    "    --not-a-security-boundary    Make setup failures that only weaken isolation (such as\n"
    "                                 an unreachable automount) warnings (from bubblewrap "
    "0.12)\n"
    "    --seccomp-profile NAME|FILE  Compile and install a seccomp profile (default, strict,\n"
    "                                 ci, none, or a TOML file; repeatable)\n"
    "    --seccomp-log-denials        Report each call the first profile refuses with an errno\n"
    "                                 (stderr, or JSON on --json-status-fd); same result for\n"
    "                                 the payload\n"
    "\n"
    "burrow extensions: Nix store closures (see burrow-nix(1)):\n"
    "    --nix-closure PATH           Show only the closure of store path PATH (or a symlink\n"
    "                                 into the store) at the store directory, read-only\n"
    "                                 (repeatable)\n"
    "    --nix-closure-file FILE      Also show the store paths listed in FILE (closureInfo\n"
    "                                 store-paths or exportReferencesGraph; repeatable)\n"
    "    --nix-daemon                 Expose the nix-daemon socket and set NIX_REMOTE=daemon\n"
    "    --nix-db FILE                Read references from this Nix database\n"
    "    --nix-reader READER          auto (default), sqlite or nix-store\n";

} // namespace

std::string bwrap_usage_text(const std::string& prog) {
    std::string text = "usage: " + prog + " [OPTIONS...] [--] COMMAND [ARGS...]\n\n";
    text += kBwrapOptions;
    text += kBurrowExtensions;
    return text;
}

} // namespace burrow
