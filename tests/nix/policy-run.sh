#!/bin/sh
# The policies nix/backends generate (built by policy-fixture.sh into
# FIXTURE_DIR/env) are accepted by `burrow policy check` and run with
# `burrow run`: the command is found on the policy's PATH (extraPackages
# included), /nix/store shows exactly the closure file's paths, the network
# is what the backend's `network` parameter says (true: private for the
# namespace backend, the host's for the container). Run as root and, through
# tests/as-user.sh, as burrowtest (the store paths are world-readable and
# closure files need no database).
set -eu
fixture=$1
burrow=${BURROW_BIN:?BURROW_BIN is not set}
. "$fixture/env"
failures=0
checks=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# expect NAME WANT GOT
expect() {
    checks=$((checks + 1))
    if [ "$2" != "$3" ]; then
        fail "$1: want [$2], got [$3]"
    fi
}
run() { # POLICY ARGV...: stdout of burrow run, stderr passed through
    p=$1
    shift
    "$burrow" run --policy "$p" -- "$@"
}
closure_of() { # the store-paths file the policy names
    sed -n 's/.*"closures":\["\([^"]*\)".*/\1/p' "$1"
}
path_of() {
    sed -n 's/.*"PATH":"\([^"]*\)".*/\1/p' "$1"
}
links() { # interface names inside, one line, sorted
    run "$1" ip -o link | sed 's/^[0-9]*: \([^:@]*\).*/\1/' | sort | tr '\n' ' '
}

for p in "$SANDBOX" "$NO_NETWORK" "$ALLOWLIST" "$CONTAINER" "$CONTAINER_NO_NETWORK" "$VM" "$VM_NO_NETWORK"; do
    checks=$((checks + 1))
    if ! "$burrow" policy check "$p"; then
        fail "burrow policy check $p"
    fi
done

# network = { allow = [ ... ]; }: the policy's [network] table, as burrow reads it.
expect "allowlist policy: [network] table" \
    'mode = "allowlist"|allow = ["api.example.com:443", "10.0.0.0/8"]' \
    "$("$burrow" policy show "$ALLOWLIST" | sed -n '/^\[network\]$/,/^$/p' | grep = | tr '\n' '|' | sed 's/|$//')"

# Namespace backend, extraPackages = [ hello ].
expect "extraPackages: hello runs from PATH" "hello: stub a b" "$(run "$SANDBOX" hello a b)"
expect "PATH is the policy's" "$(path_of "$SANDBOX")" "$(run "$SANDBOX" sh -c 'echo "$PATH"')"
expect "/nix/store is the closure" \
    "$(sed 's|.*/||' "$(closure_of "$SANDBOX")" | sort | tr '\n' ' ')" \
    "$(run "$SANDBOX" ls /nix/store | sort | tr '\n' ' ')"
checks=$((checks + 1))
if ! grep -q -- '-hello-stub$' "$(closure_of "$SANDBOX")"; then fail "hello not in the closure file"; fi
expect "outside the closure: not visible" "absent" \
    "$(run "$SANDBOX" sh -c "test -e '$OUTSIDER' && echo present || echo absent")"
# No extraPackages: no hello.
status=0
run "$NO_NETWORK" hello 2>/dev/null || status=$?
expect "no extraPackages: hello not found" 127 "$status"
# network = true: a private network (lo and pasta's interface, issue 15);
# false: a namespace with lo down.
expect "network=true: a private network, lo and one interface" 2 "$(links "$SANDBOX" | wc -w)"
expect "network=false: only lo" "lo " "$(links "$NO_NETWORK")"
expect "network=false: lo down" "rc=0" "$(run "$NO_NETWORK" sh -c 'ip -o link show up; echo rc=$?')"

# Container backend: the NixOS system on PATH; its policy's network is
# private (under burrow run: pasta's, as above), false: lo up.
expect "container: system on PATH" "yes" \
    "$(run "$CONTAINER" sh -c 'test "$PATH" = "$NIXOS_SYSTEM/sw/bin" && test -x "$NIXOS_SYSTEM/sw/bin/sh" && echo yes')"
expect "container: a private network, lo and one interface" 2 "$(links "$CONTAINER" | wc -w)"
expect "container: not the host's network namespace" "other" \
    "$(run "$CONTAINER" sh -c "test \"\$(readlink /proc/self/ns/net)\" = '$(readlink /proc/self/ns/net)' && echo host || echo other")"
expect "container network=false: only lo" "lo " "$(links "$CONTAINER_NO_NETWORK")"
expect "container network=false: lo up" "1" "$(run "$CONTAINER_NO_NETWORK" ip -o link show up | grep -c '^1: lo')"

# VM backend: the kernel, initrd and init of the system are in the closure.
expect "vm: boot files visible" "yes" \
    "$(run "$VM" sh -c 'test -f "$NIXOS_SYSTEM/kernel" && test -f "$NIXOS_SYSTEM/initrd" && echo yes')"
expect "vm network=false: only lo" "lo " "$(links "$VM_NO_NETWORK")"

# The launcher hands burrow its policy and the caller's arguments intact:
# nothing is interpolated into the shell script.
expect "launcher argv" \
    "$(printf '[%s]\n' launch --backend namespace --policy "$NO_NETWORK" --no-network \
        'a b' '$(echo injected)' "it's" '' '*')" \
    "$("$LAUNCHER/bin/burrow-sandbox-no-network" 'a b' '$(echo injected)' "it's" '' '*')"

# The default command and the seed's commands (issue 17): what each hands
# burrow, one [word] a line joined, the store paths named by their kind.
argv() {
    env -u CLAUDE_REMOTE_HOST -u CLAUDE_REMOTE_PORT -u CLAUDE_REMOTE_SSH_OPTS \
        -u MANAGER_LISTEN -u MANAGER_STATE_DIR XDG_CONFIG_HOME=/nonexistent "$@" |
        sed -e 's|^\[/nix/store/[^]]*-hello-stub/bin/hello\]$|[HELLO]|' \
            -e 's|^\[/nix/store/[^]]*-policy\.json\]$|[POLICY]|' \
            -e 's|^\[/nix/store/[^]]*-manager-config\.json\]$|[CONFIG]|' \
            -e 's|^\[/nix/store/[^]]*-nixos-system-[^]/]*\]$|[SYSTEM]|' | tr '\n' ' '
}
c=$COMPAT/bin
ns="[launch] [--backend] [namespace] [--policy] [POLICY] [--no-network]"
seed="$ns [--env] [ANTHROPIC_API_KEY]"
expect "agent: the default command" "$ns [/p] [--] [HELLO] " "$(argv "$c/burrow-sandbox-no-network" /p)"
expect "agent: not with a command" "$ns [/p] [--] [ls] " "$(argv "$c/burrow-sandbox-no-network" /p -- ls)"
expect "agent: not with --shell" "$ns [--shell] [/p] " "$(argv "$c/burrow-sandbox-no-network" --shell /p)"
expect "seed: arguments after the dir go to the agent" "$seed [--tmux] [/p] [--] [HELLO] [a b] [--x] " \
    "$(argv "$c/claude-sandbox" --tmux /p 'a b' --x)"
expect "seed: dir then --" "$seed [/p] [--] [HELLO] [z] " "$(argv "$c/claude-sandbox" /p -- z)"
expect "seed: no dir" "$seed [.] [--] [HELLO] [x y] " "$(argv "$c/claude-sandbox" -- 'x y')"
expect "seed: --shell" "$seed [--gh-token] [--shell] [/p] " "$(argv "$c/claude-sandbox" --shell --gh-token /p extra)"
expect "seed: --stop" "[stop] [/p] " "$(argv "$c/claude-sandbox" --stop /p)"
expect "seed: --enter" "[enter] [.] " "$(argv "$c/claude-sandbox" --enter)"
expect "seed: unknown option" "1" "$("$c/claude-sandbox" --bogus /p >/dev/null 2>&1 && echo 0 || echo $?)"
# (As root only: not root, the seed's container launcher runs sudo.)
if [ "$(id -u)" = 0 ]; then
    expect "seed container: --system, the agent's arguments" \
        "[launch] [--backend] [container] [--policy] [POLICY] [--system] [SYSTEM] [--env] [ANTHROPIC_API_KEY] [/p] [--] [HELLO] [x] " \
        "$(argv "$c/claude-sandbox-container" /p x)"
    expect "container: the default command" \
        "[launch] [--backend] [container] [--policy] [POLICY] [--system] [SYSTEM] [/p] [--] [HELLO] " \
        "$(argv "$c/burrow-container" /p)"
fi
expect "seed manager: defaults" "[manager] [--config] [CONFIG] [--listen] [127.0.0.1:3000] " \
    "$(argv "$c/claude-sandbox-manager")"
expect "seed manager: MANAGER_*" "[manager] [--config] [CONFIG] [--listen] [127.0.0.1:9] [--state-dir] [/s t] [--x] " \
    "$(argv env MANAGER_LISTEN=127.0.0.1:9 'MANAGER_STATE_DIR=/s t' "$c/claude-sandbox-manager" --x)"
expect "burrow-manager" "[manager] [--config] [CONFIG] [--x] " "$(argv "$c/burrow-manager" --x)"
expect "seed cli: create" \
    "[remote] [--ssh-option=-p] [--ssh-option=2222] [box] [create] [--name] [n] [--backend] [vm] [--network] [none] [/p q] " \
    "$(argv env CLAUDE_REMOTE_HOST=box 'CLAUDE_REMOTE_SSH_OPTS=-p 2222' "$c/claude-remote" create n vm '/p q' --no-network)"
expect "seed cli: ls" "[remote] [box] [list] " "$(argv env CLAUDE_REMOTE_HOST=box "$c/claude-remote" ls)"
expect "seed cli: ui" "[remote] [box] [ui] [--port] [3000] " "$(argv env CLAUDE_REMOTE_HOST=box "$c/claude-remote" ui)"
expect "seed cli: no host" "1" "$(env -u CLAUDE_REMOTE_HOST XDG_CONFIG_HOME=/nonexistent "$c/claude-remote" ls >/dev/null 2>&1 && echo 0 || echo $?)"
expect "burrow-remote" "[remote] [box] [list] " "$(argv "$c/burrow-remote" box list)"

echo "policy-run.sh: $checks checks, $failures failed (as uid $(id -u))"
[ "$failures" = 0 ]
