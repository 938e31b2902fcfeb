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

echo "policy-run.sh: $checks checks, $failures failed (as uid $(id -u))"
[ "$failures" = 0 ]
