#!/bin/bash
# Host-side attacks on `burrow launch` (issue 13, items 2, 6, 7, 8): what a
# hostile payload, or an earlier sandbox that could write somewhere, plants
# for the host side to trip over. Each case asserts that the attack fails AND
# that the host is unchanged. Usage: hostside.sh CASE (BURROW_BIN set).
# Exit 0 pass, 1 fail, 77 skipped.
set -u
B=${BURROW_BIN:?BURROW_BIN must name the burrow binary}
CASE=${1:?usage: hostside.sh CASE}
T=$(mktemp -d /tmp/burrow-hostside.XXXXXX) || exit 1
chmod 755 "$T"
H=$T/home R=$T/run
mkdir -p "$H/.ssh" "$R" "$T/host"
chmod 700 "$R"
echo "ssh-rsa ORIGINAL" > "$H/.ssh/authorized_keys"
echo "PRIVATE-KEY" > "$H/.ssh/id_test"
chmod 600 "$H/.ssh/id_test"
echo "id_test.pub" > "$H/.ssh/id_test.pub"
echo "host1 ssh-ed25519 AAAA" > "$H/.ssh/known_hosts"
mkdir -p "$H/.config/gh"
echo "oauth_token: gho_SECRET" > "$H/.config/gh/hosts.yml"
PIDS=()
failures=0

cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    # Sessions a failing case left running.
    for d in "$T"/proj*; do [ -d "$d" ] && bz stop --grace 1 "$d" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT

bz() {
    env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$H" XDG_RUNTIME_DIR="$R" \
        USER="$(id -un)" SHELL=/bin/sh TERM=dumb LANG=C.UTF-8 "$B" "$@"
}
launch() { bz launch --no-agent-dir --no-seed "$@"; }

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: the command must succeed
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
host_unchanged() {
    check "~/.ssh/authorized_keys unchanged" \
        test "$(cat "$H/.ssh/authorized_keys")" = "ssh-rsa ORIGINAL"
    check "nothing new in ~/.ssh" test "$(ls -A "$H/.ssh" | tr '\n' ' ')" = \
        "authorized_keys id_test id_test.pub known_hosts "
    check "no PWNED file on the host" test ! -e "$T/host/PWNED"
}
finish() {
    host_unchanged
    if [ "$failures" -gt 0 ]; then
        echo "$CASE: $failures check(s) failed"
        exit 1
    fi
    echo "$CASE: passed"
    exit 0
}
start_time() { cut -d' ' -f22 <"/proc/$1/stat"; }
ns_ino() { stat -L -c %i "/proc/$1/ns/$2"; }
project_id() {
    /usr/bin/python3 - "$1" <<'PY'
import os, re, sys
p = os.path.realpath(sys.argv[1])
h = 14695981039346656037
for c in p.encode():
    h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
b = os.path.basename(p) or "root"
b = re.sub(r"[^A-Za-z0-9._-]", "_", b)[:64]
if b.startswith("."):
    b = "_" + b[1:]
print("%s-%016x" % (b, h))
PY
}

case "$CASE" in

# An earlier sandbox (or anyone who could write the state dir) replaced
# projects/<id>/tmp and local/bin with symlinks to ~/.ssh: the next launch
# must not make ~/.ssh writable inside.
state-symlinks)
    P=$T/proj
    mkdir "$P"
    launch "$P" -- true || bad "a first launch runs"
    S=$(echo "$H"/.local/state/burrow/projects/proj-*)
    check "the state dir exists" test -d "$S/tmp"
    rm -rf "$S/tmp" && ln -s "$H/.ssh" "$S/tmp"
    launch "$P" -- sh -c 'echo ssh-rsa ATTACKER >> /tmp/authorized_keys; touch /tmp/planted' \
        >/dev/null 2>&1
    check "tmp -> ~/.ssh: ~/.ssh not written through /tmp" test ! -e "$H/.ssh/planted"
    rm -f "$S/tmp" && mkdir -m 700 "$S/tmp"
    rm -rf "$S/local/bin" && ln -s "$H/.ssh" "$S/local/bin"
    launch "$P" -- sh -c 'echo ssh-rsa ATTACKER >> "$HOME/.local/bin/authorized_keys";
        touch "$HOME/.local/bin/planted"' >/dev/null 2>&1
    check "local/bin -> ~/.ssh: ~/.ssh not written" test ! -e "$H/.ssh/planted"
    finish
    ;;

# The project dir equal to, inside or holding burrow's own dirs (directly
# or through a symlink planted in a parent an earlier sandbox could write):
# refused before anything runs.
project-own-dirs)
    P=$T/proj
    mkdir "$P"
    launch "$P" -- true || bad "a first launch runs"
    mkdir -p "$R/burrow/somedir" "$T/outer"
    ln -s "$H/.local/state/burrow" "$T/outer/state-link"
    ln -s "$R/burrow" "$T/outer/registry-link"
    for target in "$H" "$H/.local/state/burrow" "$H/.local/state/burrow/projects" \
        "$(echo "$H"/.local/state/burrow/projects/proj-*)" "$H/.local/state" "$R/burrow" \
        "$R/burrow/somedir" "$R" "$T/outer/state-link" "$T/outer/registry-link"; do
        out=$(launch "$target" -- sh -c 'touch ./PWNED-marker; echo ran' 2>&1)
        rc=$?
        check "refused ($rc): $target" test "$rc" = 125
        check "payload did not run: $target" test ! -e "$target/PWNED-marker"
        case "$out" in *ran*) bad "payload output seen for $target" ;; esac
        rm -f "$target/PWNED-marker"
    done
    finish
    ;;

# Forged registry entries (as an earlier sandbox that could write the
# registry would leave them): stop must not signal, enter must not connect
# or join, ps must not list them.
forged-entries)
    P=$T/proj
    mkdir "$P"
    ID=$(project_id "$P")
    sleep 300 &
    victim=$!
    sleep 300 &
    victim_launcher=$!
    cp /bin/sleep "$T/qemu-system-x86_64"
    "$T/qemu-system-x86_64" 300 &
    fake_qemu=$!
    PIDS+=("$victim" "$victim_launcher" "$fake_qemu")
    # A process in a mount namespace of its own (what passes for a sandbox).
    if [ "$(id -u)" = 0 ]; then
        unshare -m sleep 300 &
    else
        unshare -Urm sleep 300 &
    fi
    other_ns=$!
    PIDS+=("$other_ns")
    other_ns_pid=$other_ns # unshare execs sleep: the same process
    for i in $(seq 100); do
        [ "$(ns_ino "$other_ns_pid" mnt 2>/dev/null)" != "$(ns_ino $$ mnt)" ] && break
        sleep 0.05
    done
    check "the stand-in sandbox has its own mount namespace" \
        test "$(ns_ino "$other_ns_pid" mnt)" != "$(ns_ino $$ mnt)"
    # The attacker's listener, where a forged vm entry points enter.
    /usr/bin/python3 - "$P/evil.sock" "$T/host/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(5)
while True:
    c, _ = s.accept()
    data = c.recv(65536)
    with open(sys.argv[2], "ab") as f:
        f.write(data)
    c.close()
PY
    PIDS+=($!)
    for i in $(seq 50); do [ -S "$P/evil.sock" ] && break; sleep 0.1; done
    mkdir -p "$R/burrow" && chmod 700 "$R/burrow"
    forge() { # forge BACKEND PID LAUNCHER_PID CONTROL
        /usr/bin/python3 - "$@" "$ID" "$P" "$R/burrow/$ID.json" <<'PY'
import json, os, sys, time
backend, pid, launcher, control, pid_id, pdir, out = sys.argv[1:]
pid = int(pid); launcher = int(launcher)
def st(p):
    return int(open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[19])
ns = {}
for n in ["user", "mnt", "pid", "ipc", "uts", "net", "cgroup"]:
    try:
        ns[n] = os.stat("/proc/%d/ns/%s" % (pid, n)).st_ino
    except OSError:
        pass
e = {"project_id": pid_id, "project_dir": pdir, "backend": backend, "pid": pid,
     "start_time": st(pid), "ns": ns, "launcher_pid": launcher,
     "launcher_start_time": st(launcher), "started": int(time.time()),
     "env": [["SHELL", "/bin/sh"]], "cwd": pdir, "uid": os.getuid(), "gid": os.getgid(),
     "control": control}
open(out, "w").write(json.dumps(e))
PY
    }
    try_entry() { # try_entry LABEL BACKEND PID LAUNCHER CONTROL
        local label=$1
        shift
        forge "$@"
        if bz ps --json | grep -q "\"$P\""; then bad "$label: ps lists it"; else
            ok "$label: ps does not list it"; fi
        forge "$@"
        echo "typed-secret" | bz enter "$P" -- sh -c 'echo joined' >"$T/enter.out" 2>&1
        check "$label: enter refused" sh -c "! grep -q joined '$T/enter.out'"
        check "$label: nothing sent to the attacker's socket" test ! -s "$T/host/got"
        forge "$@"
        bz stop --grace 1 "$P" >/dev/null 2>&1
        sleep 0.2
        for v in "$victim" "$victim_launcher" "$fake_qemu" "$other_ns_pid"; do
            check "$label: pid $v not signalled" kill -0 "$v"
        done
    }
    try_entry "vm, a plain process" vm "$victim" "$victim_launcher" "$P/evil.sock"
    try_entry "vm, qemu-named, socket in the project" vm "$fake_qemu" "$victim_launcher" \
        "$P/evil.sock"
    try_entry "vm, qemu-named, launcher its parent" vm "$fake_qemu" "$$" "$P/evil.sock"
    try_entry "namespace, another mount namespace" namespace "$other_ns_pid" "$$" ""
    try_entry "namespace, launcher pid 1" namespace "$other_ns_pid" 1 ""
    try_entry "container, another mount namespace" container "$other_ns_pid" "$$" ""
    try_entry "namespace, a host process" namespace "$victim" "$victim_launcher" ""
    finish
    ;;

# tmux: the payload tries to make the host's `tmux attach` run a command on
# the host (detach-client -E, hooks, run-shell) through every tmux socket it
# can find; the host then attaches as burrow-launch(1) documents.
tmux-detach)
    [ -x /usr/bin/tmux ] || { echo "skipped: no tmux"; exit 77; }
    [ -x /usr/bin/script ] || { echo "skipped: no script(1)"; exit 77; }
    P=$T/proj
    mkdir "$P"
    cat >"$P/attack.sh" <<ATTACK
pw='touch $T/host/PWNED'
socks=\$(find / -xdev -type s 2>/dev/null; find /tmp /run "$R" -type s 2>/dev/null)
[ -n "\${TMUX:-}" ] && socks="\$socks \${TMUX%%,*}"
for s in \$socks; do
    tmux -S "\$s" set-hook -g client-attached "detach-client -E '\$pw'" 2>/dev/null
    tmux -S "\$s" set-hook -g client-session-changed "run-shell '\$pw'" 2>/dev/null
    tmux -S "\$s" set-option -g default-command "\$pw" 2>/dev/null
    tmux -S "\$s" detach-client -a -E "\$pw" 2>/dev/null
    tmux -S "\$s" run-shell "\$pw" 2>/dev/null
    echo "tried \$s" >> attack.log
done
echo done > attack.done
sleep 60
ATTACK
    launch --tmux "$P" -- sh attack.sh >"$T/launch.out" 2>&1 &
    L=$!
    PIDS+=("$L")
    for i in $(seq 300); do [ -e "$P/attack.done" ] && break; sleep 0.1; done
    check "the payload ran" test -e "$P/attack.done"
    SOCK=$R/burrow/$(project_id "$P")/tmux/tmux.sock
    check "the host-side socket exists" test -S "$SOCK"
    # The host attaches as documented, then detaches itself.
    (sleep 2; tmux -S "$SOCK" detach-client -a >/dev/null 2>&1; \
        tmux -S "$SOCK" detach-client >/dev/null 2>&1) &
    env -i PATH=/usr/bin:/bin HOME="$H" TERM=xterm timeout 10 \
        script -qec "tmux -S '$SOCK' attach -t burrow" /dev/null >/dev/null 2>&1 </dev/null
    sleep 1
    check "nothing ran on the host (PWNED absent)" test ! -e "$T/host/PWNED"
    bz stop --grace 1 "$P" >/dev/null 2>&1
    wait "$L" 2>/dev/null
    finish
    ;;

# --tmux: the exit status is the command's.
tmux-status)
    [ -x /usr/bin/tmux ] || { echo "skipped: no tmux"; exit 77; }
    P=$T/proj
    mkdir "$P"
    launch --tmux "$P" -- sh -c 'echo in-tmux > out; exit 7' </dev/null >/dev/null 2>&1
    rc=$?
    check "exit status 7 (got $rc)" test "$rc" = 7
    check "the command ran" test "$(cat "$P/out" 2>/dev/null)" = in-tmux
    check "the run dir is gone" test ! -e "$R/burrow/$(project_id "$P")"
    finish
    ;;

# Default shares: ~/.ssh without private keys, ~/.config/gh only when asked.
default-shares)
    P=$T/proj
    mkdir "$P"
    out=$(launch "$P" -- sh -c 'cat "$HOME/.ssh/id_test" "$HOME/.config/gh/hosts.yml";
        cat "$HOME/.ssh/known_hosts" "$HOME/.ssh/id_test.pub"' 2>/dev/null)
    case "$out" in *PRIVATE-KEY*) bad "private key readable by default" ;; *) ok "no private key" ;; esac
    case "$out" in *gho_SECRET*) bad "gh token readable by default" ;; *) ok "no gh token" ;; esac
    case "$out" in *host1*id_test.pub*) ok "known_hosts and *.pub shared" ;;
        *) bad "known_hosts and *.pub shared: $out" ;; esac
    out=$(launch --ssh-keys "$P" -- sh -c 'cat "$HOME/.ssh/id_test"; touch "$HOME/.ssh/x"' 2>&1)
    case "$out" in *PRIVATE-KEY*) ok "--ssh-keys shares the keys" ;;
        *) bad "--ssh-keys shares the keys: $out" ;; esac
    check "--ssh-keys is read-only" test ! -e "$H/.ssh/x"
    finish
    ;;

# Container (root): the payload swaps its status file for a symlink to
# /dev/zero, or for a FIFO; burrow must neither hang nor read without bound.
container-status-zero | container-status-fifo)
    [ "$(id -u)" = 0 ] || { echo "skipped: the container backend needs root"; exit 77; }
    command -v systemd-nspawn >/dev/null || { echo "skipped: no systemd-nspawn"; exit 77; }
    [ -x /usr/bin/time ] || { echo "skipped: no /usr/bin/time"; exit 77; }
    P=$T/proj
    mkdir "$P"
    if [ "$CASE" = container-status-zero ]; then
        swap='rm -f "$d/status"; ln -s /dev/zero "$d/status"'
    else
        swap='rm -f "$d/status"; mkfifo "$d/status"'
    fi
    start=$(date +%s)
    # 1 GiB of address space at most (an unbounded read of /dev/zero would
    # take all memory); the maximum RSS must stay small, and a FIFO must not
    # hang burrow (timeout kills it after 60 s, 124).
    # An ASan build reserves terabytes of address space for its shadow and
    # cannot start under ulimit -v: there ASan's own RSS limit stands in.
    # Its shadow and allocator also raise the RSS of a normal start (164 MiB
    # once the manager's code was linked in, against 8 MiB without ASan), so
    # there the bound is 384 MiB: a read of /dev/zero without end still
    # crosses it long before the 1 GiB limit kills it.
    vlimit=1048576 asan= rss_max=131072
    if ldd "$B" 2>/dev/null | grep -q libasan; then
        vlimit=unlimited rss_max=393216
        asan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=1024"
    fi
    ( ulimit -v "$vlimit"; /usr/bin/time -f %M -o "$T/rss" timeout -k 10 60 \
        env -i PATH=/usr/bin:/bin HOME="$H" XDG_RUNTIME_DIR="$R" $asan \
        "$B" launch --backend container --no-agent-dir --no-seed "$P" -- \
        sh -c "d=/run/.burrow-container-status; $swap; exit 3" </dev/null >"$T/out" 2>&1 )
    rc=$?
    end=$(date +%s)
    rss=$(tail -1 "$T/rss" 2>/dev/null)
    check "no hang (rc $rc, $((end - start)) s)" test "$rc" != 124 -a "$rc" != 137
    check "no runaway read (max RSS ${rss:-?} KiB)" test "${rss:-999999}" -lt "$rss_max"
    check "no allocation failure" sh -c "! grep -q bad_alloc '$T/out'"
    check "exit status 3 or 125 (got $rc)" sh -c "[ $rc = 3 ] || [ $rc = 125 ]"
    finish
    ;;

*)
    echo "hostside.sh: unknown case $CASE" >&2
    exit 2
    ;;
esac
