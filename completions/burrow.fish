# fish completion for burrow(1): subcommands, their options and option
# values. Installed as share/fish/vendor_completions.d/burrow.fish.

set -l burrow_subcommands bwrap oci seccomp nix run policy launch enter stop ps manager remote

complete -c burrow -f
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -s h -l help -d 'Print help'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -l version -d 'Print the version'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a bwrap -d 'Run a bubblewrap command line'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a oci -d 'The OCI runtime command line, runc-compatible'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a seccomp -d 'Compile, show and query seccomp profiles'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a nix -d 'Nix store closures'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a run -d 'Run a command in the sandbox a policy describes'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a policy -d 'Check, show and convert policy files'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a launch -d 'Run a project sandbox'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a enter -d 'Open a shell in a running project sandbox'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a stop -d 'Stop a running project sandbox'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a ps -d 'List running sandboxes'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a manager -d 'Run the sandbox manager (REST API, dashboard)'
complete -c burrow -n "not __fish_seen_subcommand_from $burrow_subcommands" -a remote -d 'Drive the sandbox manager of another machine over ssh'

# run
complete -c burrow -n '__fish_seen_subcommand_from run' -l policy -r -F -a 'minimal agent ci' -d 'Built-in policy or file'
complete -c burrow -n '__fish_seen_subcommand_from run' -l set -x -d 'Set a policy key or variable: KEY=VALUE'
complete -c burrow -n '__fish_seen_subcommand_from run' -l env -x -a '(set -xn)' -d 'Pass a variable of the caller'
complete -c burrow -n '__fish_seen_subcommand_from run' -l bind -r -F -d 'Bind SRC read-write at DEST'
complete -c burrow -n '__fish_seen_subcommand_from run' -l ro-bind -r -F -d 'Bind SRC read-only at DEST'
complete -c burrow -n '__fish_seen_subcommand_from run' -l status-file -r -F -d 'Write a JSON status document'
complete -c burrow -n '__fish_seen_subcommand_from run' -l json-status-fd -x -d 'JSON status objects to FD'
complete -c burrow -n '__fish_seen_subcommand_from run' -l info-fd -x -d 'Info JSON to FD'
complete -c burrow -n '__fish_seen_subcommand_from run' -l verbose -d 'Report what was enforced'

# launch
complete -c burrow -n '__fish_seen_subcommand_from launch' -l backend -x -a 'namespace container vm' -d 'Backend'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l shell -d 'Interactive shell'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l tmux -d 'Run in a host-side tmux session'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l network -x -a 'private host none' -d 'Network'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l no-network -d 'No network'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l allow-net -x -d 'Only this destination (NAME[:PORT], *.NAME, CIDR)'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l gh-token -d 'Forward GH_TOKEN/GITHUB_TOKEN, share ~/.config/gh'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l ssh-keys -d 'Share all of ~/.ssh read-only (private keys too)'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l env -x -a '(set -n)' -d 'Forward a variable'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l bind -r -F -d 'Bind SRC read-write'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l ro-bind -r -F -d 'Bind SRC read-only'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l policy -r -F -a 'minimal agent ci' -d 'Layer a policy'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l new -d 'Force a separate sandbox'
complete -c burrow -n '__fish_seen_subcommand_from launch enter run' -l keep-fd -x -d 'Pass inherited fd N to the command'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l sudo -d 'Re-exec through sudo (container)'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l kernel -r -F -d 'VM kernel'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l initrd -r -F -d 'VM initrd'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l append -x -d 'VM kernel command line'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l memory -x -d 'VM memory (MiB)'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l cores -x -d 'VM cores'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l accel -x -a 'auto kvm tcg' -d 'VM accelerator'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l display -d 'VM display (window or VNC) and QMP socket'
complete -c burrow -n '__fish_seen_subcommand_from launch' -l system -x -a '(__fish_complete_directories)' -d 'Boot this system (container, vm)'
complete -c burrow -n '__fish_seen_subcommand_from launch enter stop' -a '(__fish_complete_directories)' -d 'Project directory'
complete -c burrow -n '__fish_seen_subcommand_from ps' -l json -d 'Print JSON'
complete -c burrow -n '__fish_seen_subcommand_from manager' -l socket -r -F -d 'Unix socket to listen on'
complete -c burrow -n '__fish_seen_subcommand_from manager' -l listen -x -d 'Loopback ADDR:PORT to listen on'
complete -c burrow -n '__fish_seen_subcommand_from manager' -l state-dir -x -a '(__fish_complete_directories)' -d 'State directory'
complete -c burrow -n '__fish_seen_subcommand_from manager' -l config -r -F -d 'Backends file (JSON)'

# policy
set -l policy_cmds check show to-bwrap schema
complete -c burrow -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from $policy_cmds" -a check -d 'Validate a policy file'
complete -c burrow -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from $policy_cmds" -a show -d 'Print a policy resolved'
complete -c burrow -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from $policy_cmds" -a to-bwrap -d 'Print an equivalent bwrap command line'
complete -c burrow -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from $policy_cmds" -a schema -d 'List every policy key'
complete -c burrow -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from check show to-bwrap" -F -a 'minimal agent ci'
complete -c burrow -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from check show to-bwrap" -l set -x -d 'Set a policy key or variable'
complete -c burrow -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c burrow -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from to-bwrap" -l nul -d 'NUL-separated arguments'
complete -c burrow -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from to-bwrap" -l shell -d 'One shell-quoted line'

# nix
complete -c burrow -n "__fish_seen_subcommand_from nix; and not __fish_seen_subcommand_from closure" -a closure -d 'Print the closure of store paths'
complete -c burrow -n "__fish_seen_subcommand_from nix; and __fish_seen_subcommand_from closure" -F
complete -c burrow -n "__fish_seen_subcommand_from nix; and __fish_seen_subcommand_from closure" -l closure-file -r -F -d 'Closure file'
complete -c burrow -n "__fish_seen_subcommand_from nix; and __fish_seen_subcommand_from closure" -l json -d 'Print JSON'
complete -c burrow -n "__fish_seen_subcommand_from nix; and __fish_seen_subcommand_from closure" -l store-dir -x -a '(__fish_complete_directories)' -d 'Store directory'
complete -c burrow -n "__fish_seen_subcommand_from nix; and __fish_seen_subcommand_from closure" -l db -r -F -d 'Nix database'
complete -c burrow -n "__fish_seen_subcommand_from nix; and __fish_seen_subcommand_from closure" -l reader -x -a 'auto sqlite nix-store' -d 'Reader'

# seccomp
set -l seccomp_cmds export explain check groups
complete -c burrow -n "__fish_seen_subcommand_from seccomp; and not __fish_seen_subcommand_from $seccomp_cmds" -a export -d 'Write a profile as raw BPF'
complete -c burrow -n "__fish_seen_subcommand_from seccomp; and not __fish_seen_subcommand_from $seccomp_cmds" -a explain -d 'Print a profile as a table'
complete -c burrow -n "__fish_seen_subcommand_from seccomp; and not __fish_seen_subcommand_from $seccomp_cmds" -a check -d 'The action a profile gives a call'
complete -c burrow -n "__fish_seen_subcommand_from seccomp; and not __fish_seen_subcommand_from $seccomp_cmds" -a groups -d 'List the syscall groups'
complete -c burrow -n "__fish_seen_subcommand_from seccomp; and __fish_seen_subcommand_from export explain check" -F -a 'default strict ci none'
complete -c burrow -n "__fish_seen_subcommand_from seccomp; and __fish_seen_subcommand_from check" -l abi -x -a 'x86_64 i386 x32' -d 'Only this ABI'

# bwrap: its options (burrow-bwrap(1)), files for the rest
complete -c burrow -n '__fish_seen_subcommand_from bwrap' -F
complete -c burrow -n '__fish_seen_subcommand_from bwrap' -l seccomp-profile -r -F -a 'default strict ci none' -d 'Seccomp profile'
complete -c burrow -n '__fish_seen_subcommand_from bwrap' -l nix-reader -x -a 'auto sqlite nix-store' -d 'Nix closure reader'
for opt in args argv0 level-prefix unshare-all share-net unshare-user unshare-user-try unshare-ipc \
        unshare-pid unshare-net unshare-uts unshare-cgroup unshare-cgroup-try userns userns2 \
        disable-userns assert-userns-disabled pidns uid gid hostname chdir clearenv setenv unsetenv \
        lock-file sync-fd bind bind-try dev-bind dev-bind-try ro-bind ro-bind-try bind-fd ro-bind-fd \
        remount-ro overlay-src overlay tmp-overlay ro-overlay exec-label file-label proc dev tmpfs \
        mqueue dir file bind-data ro-bind-data symlink seccomp add-seccomp-fd block-fd \
        userns-block-fd info-fd json-status-fd new-session die-with-parent as-pid-1 cap-add cap-drop \
        perms size chmod not-a-security-boundary seccomp-log-denials nix-closure nix-closure-file \
        nix-daemon nix-db
    complete -c burrow -n '__fish_seen_subcommand_from bwrap' -l $opt
end

# oci (runc-compatible; also installed as burrow-oci)
set -l burrow_oci_commands create start state kill delete run exec ps pause resume features spec
complete -c burrow -n "__fish_seen_subcommand_from oci; and not __fish_seen_subcommand_from $burrow_oci_commands" -a "$burrow_oci_commands"
complete -c burrow -n '__fish_seen_subcommand_from oci' -l root -r -a '(__fish_complete_directories)' -d 'State directory'
complete -c burrow -n '__fish_seen_subcommand_from oci' -l bundle -s b -r -a '(__fish_complete_directories)' -d 'Bundle directory'
complete -c burrow -n '__fish_seen_subcommand_from oci' -l pid-file -r -F -d 'Write the init pid here'
complete -c burrow -n '__fish_seen_subcommand_from oci' -l console-socket -r -F -d 'Unix socket for the pty master'
