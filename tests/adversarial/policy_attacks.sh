#!/bin/bash
# Adversarial tests of policy files and the built-in policies (issue 13,
# items 9 and 10), run by tests/adversarial/policy.cmake as root and as
# burrowtest:
#
#   policy_attacks.sh fifo    a FIFO named as --policy, as an `extends`
#                             target and as a seccomp profile file: burrow
#                             must refuse each at once (exit 125, one line
#                             naming the file), not wait for a writer forever
#                             (before the fix: hung; here a 30 s timeout).
#   policy_attacks.sh env     a secret in the caller's environment is not
#                             visible to the payload under each built-in
#                             policy (env, /proc/self/environ), unless named
#                             with --env (which shows the probe can see it).
#   policy_attacks.sh write   under "agent", a write outside the project,
#                             /tmp, home and /dev fails even where a bind
#                             makes it writable (landlock), and the host file
#                             is unchanged; writes to the project still work.
#
# Exit 0 when the attack failed and the host is unchanged, 1 otherwise,
# 77 (skip) only for what the machine cannot show (no landlock).
set -u
burrow=${BURROW_BIN:?BURROW_BIN: the burrow binary}
work=$(mktemp -d "${TMPDIR:-/tmp}/burrow-adv-policy.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Runs burrow with a bound; sets $rc, $out (stdout) and $err (stderr).
run_bounded() {
    timeout -k 5 30 "$burrow" "$@" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
}

case ${1:-} in
fifo)
    mkfifo "$work/fifo.toml" "$work/profile.toml"
    printf 'extends = "fifo.toml"\n' >"$work/extends.toml"
    printf 'extends = "minimal"\n[seccomp]\nprofile = "%s"\n' "$work/profile.toml" \
        >"$work/seccomp.toml"
    for policy in fifo.toml extends.toml seccomp.toml; do
        start=$(date +%s)
        run_bounded run --policy "$work/$policy" -- /bin/true
        took=$(($(date +%s) - start))
        echo "--policy $policy: exit $rc after ${took}s: $err"
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
            fail "$policy: burrow hung on a FIFO (killed after 30 s)"
        elif [ "$rc" != 125 ]; then
            fail "$policy: exit $rc, expected 125"
        fi
        [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$policy: expected one line on stderr"
        case $err in
        *"is a FIFO, not a regular file"*) ;;
        *) fail "$policy: the message does not say the file is a FIFO" ;;
        esac
        case $err in
        *"$work/"*) ;;
        *) fail "$policy: the message does not name the file" ;;
        esac
    done
    # Host unchanged: the FIFOs are still FIFOs, nothing else appeared.
    for f in fifo.toml profile.toml; do
        [ -p "$work/$f" ] || fail "$f is no longer a FIFO"
    done
    [ "$(ls "$work" | LC_ALL=C sort | tr '\n' ' ')" = \
        "err extends.toml fifo.toml out profile.toml seccomp.toml " ] ||
        fail "files appeared or vanished in $work: $(ls "$work")"
    # A device is not a policy either (it used to be read until the cap).
    ln -s /dev/zero "$work/zero.toml"
    run_bounded run --policy "$work/zero.toml" -- /bin/true
    echo "--policy zero.toml -> /dev/zero: exit $rc: $err"
    [ "$rc" = 125 ] || fail "a symlink to /dev/zero: exit $rc, expected 125"
    case $err in
    *"is a character device, not a regular file"*) ;;
    *) fail "/dev/zero: the message does not say it is a device" ;;
    esac
    ;;
env)
    secret="burrow-adversarial-secret-$$-$RANDOM"
    mkdir "$work/proj"
    for policy in agent ci minimal; do
        # The payload looks everywhere it could find its own environment.
        probe='env; tr "\0" "\n" </proc/self/environ; tr "\0" "\n" </proc/$$/environ'
        AWS_SECRET_ACCESS_KEY=$secret GITHUB_TOKEN=$secret LC_TIME=C.UTF-8 \
            run_bounded run --policy "$policy" --set "project=$work/proj" \
            --status-file "$work/status.json" -- /bin/sh -c "$probe"
        echo "--policy $policy: exit $rc $err"
        [ "$rc" = 0 ] || fail "$policy: the probe did not run (exit $rc): $err"
        case $out in
        *"$secret"*) fail "$policy: the caller's secret is visible in the sandbox" ;;
        esac
        case $out in
        *PATH=*) ;;
        *) fail "$policy: PATH was not passed (the allowlist is broken)" ;;
        esac
        case $out in
        *LC_TIME=C.UTF-8*) ;;
        *) fail "$policy: LC_TIME was not passed (LC_* in the allowlist)" ;;
        esac
        # The probe must be able to see a variable that is passed: --env.
        AWS_SECRET_ACCESS_KEY=$secret \
            run_bounded run --policy "$policy" --set "project=$work/proj" \
            --status-file "$work/status.json" --env AWS_SECRET_ACCESS_KEY -- /bin/sh -c "$probe"
        case $out in
        *"AWS_SECRET_ACCESS_KEY=$secret"*) ;;
        *) fail "$policy: --env AWS_SECRET_ACCESS_KEY did not pass it (exit $rc: $err)" ;;
        esac
    done
    ;;
write)
    mkdir "$work/proj" "$work/outside"
    echo original >"$work/outside/file"
    # Make the outside directory writable in the sandbox with a bind at
    # /srv/outside (not below the project, /tmp, home or /dev): only
    # landlock stands between the payload and it.
    run_bounded run --policy agent --set "project=$work/proj" --status-file "$work/status.json" \
        --bind "$work/outside" /srv/outside -- /bin/sh -c "
            echo pwned >/srv/outside/file; echo \"outside file: \$?\"
            echo new >/srv/outside/new; echo \"outside new: \$?\"
            echo ok >$work/proj/written; echo \"project: \$?\"
            echo ok >/tmp/t; echo \"tmp: \$?\"
            echo ok >\$HOME/h; echo \"home: \$?\"
            echo ok >/dev/null; echo \"dev null: \$?\""
    echo "$out"
    abi=$(sed -n 's/.*"landlock_abi": *\([0-9]*\).*/\1/p' "$work/status.json" 2>/dev/null)
    echo "exit $rc, landlock_abi ${abi:-?}: $err"
    if [ "${abi:-0}" = 0 ]; then
        # Without landlock the kernel cannot show the confinement; the
        # policy says best effort.
        # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION):
        # the kernel's ABI version, or -1 without landlock (444 on every
        # architecture: syscalls from 424 on share their numbers).
        kernel_abi=$(perl -e 'print syscall(444, 0, 0, 1)' 2>/dev/null || echo -1)
        if [ "${kernel_abi:--1}" -le 0 ] 2>/dev/null; then
            echo "no landlock in this kernel: skipped"
            exit 77
        fi
        fail "agent: landlock was not applied (landlock_abi 0) on a kernel that has it"
    fi
    [ "$(cat "$work/outside/file")" = original ] || fail "agent: a file outside was overwritten"
    [ ! -e "$work/outside/new" ] || fail "agent: a file was created outside"
    for ok in "project: 0" "tmp: 0" "home: 0" "dev null: 0"; do
        case $out in
        *"$ok"*) ;;
        *) fail "agent: expected \"$ok\" (an allowed write failed)" ;;
        esac
    done
    [ "$(cat "$work/proj/written" 2>/dev/null)" = ok ] || fail "agent: the project write is lost"
    ;;
*)
    echo "usage: policy_attacks.sh fifo|env|write" >&2
    exit 2
    ;;
esac
if [ "$failures" != 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "OK"
