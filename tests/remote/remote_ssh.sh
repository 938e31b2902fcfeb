#!/bin/bash
# `burrow remote` over a real ssh to a real sshd (issue 16): a private sshd
# (its own config, host key, client key, authorized_keys and a free port on
# 127.0.0.1, started here, killed at the end) serves this user; the "remote"
# burrow is this build's (sshd's SetEnv puts its directory first on PATH).
# As root sshd needs its privilege separation dir /run/sshd (made if
# missing, as Debian's init script would, and left); as the plain user it
# runs without privilege separation.
#
# Checked without a manager: a HOST that is an ssh option, a remote state
# dir or burrow that is not a shell-inert word are refused before ssh runs;
# a remote burrow that does not exist, a manager that does not run and an
# HTTP error each give their one line and status.
# Checked against the real daemon (`burrow manager`, started here with its
# own state dir; skipped, 77, in a build without it): `burrow manager
# request|token|attach` locally (bad documents, HTTP errors); create, list,
# logs, stop, delete, attach (without and, as root, with a terminal) and ui
# through `burrow remote`, and that a project dir and a command full of
# shell syntax (spaces, quotes, $(...), `...`, ;) arrive intact while
# nothing of them runs; a second manager on a loopback port (--listen)
# through remote list and ui.
set -u

skip() {
    echo "remote_ssh: $*; skipping" >&2
    exit 77
}
fails=0
ok() { echo "ok: $*"; }
bad() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

[ -n "${BURROW_BIN:-}" ] && [ -x "$BURROW_BIN" ] || skip "BURROW_BIN not set"
[ -x /usr/sbin/sshd ] || skip "sshd not installed (scripts/install-deps.sh installs openssh-server)"
for tool in ssh ssh-keygen python3 curl timeout; do
    command -v "$tool" >/dev/null || skip "$tool not installed"
done

me=$(id -un)
tmp=$(mktemp -d /tmp/burrow-remote.XXXXXX)
sshd_pid=
manager_pid=
manager2_pid=
ui_pid=
cleanup() {
    for p in $ui_pid $manager_pid $manager2_pid $sshd_pid; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the sshd
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    mkdir -m 0755 /run/sshd || skip "cannot make /run/sshd"
fi
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key" || skip "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/client_key" || skip "ssh-keygen failed"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bindir=$(dirname "$BURROW_BIN")
cat >"$tmp/sshd_config" <<CONF
ListenAddress 127.0.0.1
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
AllowUsers $me
PidFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
SetEnv PATH=$bindir:/usr/bin:/bin
CONF
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" -p "$port" -h "$tmp/host_key" 2>"$tmp/sshd.log" &
sshd_pid=$!
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$tmp/host_key.pub")" >"$tmp/known_hosts"
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    kill -0 "$sshd_pid" 2>/dev/null || { cat "$tmp/sshd.log" >&2; skip "sshd did not start"; }
    sleep 0.1
done

host="$me@127.0.0.1"
ssh_opts=(--ssh-option=-p"$port" --ssh-option=-i"$tmp/client_key" --ssh-option=-F/dev/null
    --ssh-option=-oIdentitiesOnly=yes --ssh-option=-oBatchMode=yes
    --ssh-option=-oUserKnownHostsFile="$tmp/known_hosts" --ssh-option=-oStrictHostKeyChecking=yes
    --ssh-option=-oLogLevel=ERROR)
state="$tmp/state"
remote() { timeout 60 "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$state" "$host" "$@"; }
# The logins sshd saw (each remote call is one).
logins() { grep -c "Accepted publickey" "$tmp/sshd.log"; }

# check NAME WANT_STATUS WANT_STDERR_SUBSTRING -- COMMAND...
check() {
    local name=$1 want=$2 msg=$3
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        bad "$name: exit $rc, want $want; stderr: $(cat "$tmp/err")"
    elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$tmp/err"; then
        bad "$name: stderr lacks '$msg': $(cat "$tmp/err")"
    elif [ -n "$msg" ] && [ "$(grep -c '^burrow: ' "$tmp/err")" != 1 ]; then
        bad "$name: want one burrow line on stderr, got: $(cat "$tmp/err")"
    else
        ok "$name"
    fi
}

# --- refused before ssh runs (no login happens)
before=$(logins)
# (CLI11 takes a leading - as an option; the check in remote_cmd.cpp and
# ssh's "--" before HOST are the second and third line of defence.)
check "HOST that is an ssh option" 125 "" -- \
    "$BURROW_BIN" remote "${ssh_opts[@]}" "-oProxyCommand=touch $tmp/pwned" list
check "state dir with shell syntax" 125 "a word of the remote command line" -- \
    "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$tmp/x;touch $tmp/pwned" "$host" list
check "relative state dir" 125 "absolute path" -- \
    "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir state "$host" list
check "remote burrow with shell syntax" 125 "a word of the remote command line" -- \
    "$BURROW_BIN" remote "${ssh_opts[@]}" --remote-burrow '$(touch pwned)' "$host" list
check "relative project dir" 125 "must be an absolute path" -- remote create proj
[ "$(logins)" = "$before" ] && ok "no ssh login for refused input" ||
    bad "refused input still logged in ($before -> $(logins))"

# --- the remote side's failures, through ssh
check "remote burrow missing" 125 "not found on" -- \
    "$BURROW_BIN" remote "${ssh_opts[@]}" --remote-burrow /nonexistent/burrow "$host" list
check "no manager running" 125 "manager request: $state/token" -- remote list
check "ssh failure" 125 "ssh to $me@127.0.0.2 failed" -- \
    "$BURROW_BIN" remote "${ssh_opts[@]}" "$me@127.0.0.2" list
[ "$(logins)" -gt "$before" ] && ok "the remote calls logged in" || bad "no login seen"

# --- against the real daemon
if ! "$BURROW_BIN" manager --help 2>&1 | grep -q -- --listen; then
    [ "$fails" = 0 ] || exit 1
    skip "this burrow has no manager daemon (burrow manager --listen); the checks without it passed"
fi
"$BURROW_BIN" manager --state-dir "$state" 2>"$tmp/manager.log" &
manager_pid=$!
for _ in $(seq 100); do
    [ -S "$state/manager.sock" ] && [ -s "$state/token" ] && break
    kill -0 "$manager_pid" 2>/dev/null || { cat "$tmp/manager.log" >&2; bad "manager did not start"; exit 1; }
    sleep 0.1
done

# `burrow manager request` itself, locally: bad documents, HTTP errors.
req() { printf '%s' "$1" | "$BURROW_BIN" manager request --state-dir "$state"; }
check "request: not JSON" 125 "manager request: stdin: not JSON" -- req '{"method":'
check "request: unknown field" 125 'unknown field "host"' -- req '{"method":"GET","path":"/api/v1/system","host":"x"}'
check "request: a path that would split the request line" 125 '"path" must start with /' -- \
    req '{"method":"GET","path":"/api/v1/system HTTP/1.1\r\nX: y"}'
check "request: unknown method" 125 'unknown method' -- req '{"method":"TRACE","path":"/"}'
check "request: 404" 1 "burrow: manager request: HTTP 404: " -- req '{"method":"GET","path":"/api/v1/sandboxes/sb-000000000000"}'
check "request: 400 from a bad body" 1 "burrow: manager request: HTTP 400: " -- \
    req '{"method":"POST","path":"/api/v1/sandboxes","body":{"project_dir":"relative"}}'
check "request: 2xx" 0 "" -- req '{"method":"GET","path":"/api/v1/system"}'
grep -q '"cpus"' "$tmp/out" && ok "request: prints the body" || bad "request: body: $(cat "$tmp/out")"
cp "$state/token" "$tmp/token.saved"
printf '%064d\n' 0 >"$state/token"
check "request: wrong token" 1 "HTTP 401: " -- req '{"method":"GET","path":"/api/v1/system"}'
cp "$tmp/token.saved" "$state/token"
check "token" 0 "" -- "$BURROW_BIN" manager token --state-dir "$state"
[ "$(cat "$tmp/out")" = "$(cat "$state/token")" ] && ok "token: prints STATE/token" || bad "token: $(cat "$tmp/out")"
check "attach: not an id" 125 "not a sandbox id" -- "$BURROW_BIN" manager attach --state-dir "$state" "../x"

# The project: a name a shell would take apart in many ways, and a
# command whose argument would run something if a shell read it.
weird="d 'q' \"dq\" \$(touch pwned1) \`touch pwned2\`; touch pwned3 & x|y >z"
proj="$tmp/$weird"
mkdir -p "$proj"
arg='$(touch pwned4);`touch pwned5`'
home_before=$(ls -A "$HOME" 2>/dev/null | sort)

# --network none: the network is not what this test is about (and no
# pasta is needed).
id=$(remote create --name demo --label k=v --network none "$proj" -- sh -c 'pwd; printf "%s\n" "$1"; echo started; sleep 60' sh "$arg" 2>"$tmp/err")
case $id in
sb-*) ok "create: id $id" ;;
*) bad "create: got '$id': $(cat "$tmp/err")" ;;
esac

running=
for _ in $(seq 200); do
    remote list --json >"$tmp/list" 2>"$tmp/err"
    if python3 - "$tmp/list" "$id" "$proj" <<'PY'; then running=1; break; fi
import json, sys
l = json.load(open(sys.argv[1]))
s = [x for x in l["sandboxes"] if x["id"] == sys.argv[2]]
sys.exit(0 if s and s[0]["status"] == "running" and s[0]["project_dir"] == sys.argv[3]
         and s[0]["name"] == "demo" and s[0]["labels"] == {"k": "v"} else 1)
PY
    sleep 0.1
done
[ -n "$running" ] && ok "list: running, project dir intact" || bad "list: not running or dir changed: $(cat "$tmp/list" "$tmp/err")"
remote list >"$tmp/table" 2>&1 && grep -q "^$id  *demo  *namespace  *running" "$tmp/table" &&
    ok "list: table" || bad "list: table: $(cat "$tmp/table")"

"$BURROW_BIN" ps --json >"$tmp/ps" 2>&1
grep -qF "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1])[1:-1])' "$proj")" "$tmp/ps" &&
    ok "burrow ps shows the sandbox" || bad "burrow ps lacks it: $(cat "$tmp/ps")"

# The log holds the payload's output (and whatever else the launch says):
# the dir as pwd printed it and the argument, each one whole line.
got=
for _ in $(seq 100); do
    got=$(remote logs "$id" 2>"$tmp/err")
    printf '%s\n' "$got" | grep -qx started && break
    sleep 0.1
done
if printf '%s\n' "$got" | grep -qxF -- "$proj" && printf '%s\n' "$got" | grep -qxF -- "$arg"; then
    ok "logs: the dir and the argument arrived intact"
else
    bad "logs: want lines '$proj' and '$arg', got '$got' ($(cat "$tmp/err"))"
fi
got=$(remote logs --offset 2 --length 3 demo 2>"$tmp/err")
full=$(remote logs demo 2>/dev/null)
[ "$got" = "${full:2:3}" ] && ok "logs by name, with a range" || bad "logs range: got '$got' of '$full' ($(cat "$tmp/err"))"

# attach: no terminal here, so ssh runs the remote side without one and
# `burrow enter` runs the shell's commands from stdin.
got=$(printf 'pwd\nexit\n' | timeout 60 "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$state" \
    "$host" attach "$id" 2>"$tmp/err")
[ "$got" = "$proj" ] && ok "attach: a shell in the project dir" || bad "attach: got '$got' ($(cat "$tmp/err"))"

# The same with a terminal (script(1) gives burrow and ssh one; ssh -t
# then gives the remote side a pty): the shell's pwd is the project dir.
# Root only: an sshd without privilege separation (the plain user's)
# cannot give a session a pty ("Attempt to write login records by non-root
# user (aborting)").
if [ "$(id -u)" = 0 ] && command -v script >/dev/null; then
    # (The sandbox sees the project dir, not this test's $tmp.)
    printf '%s\n' "$proj" >"$tmp/attach.dir"
    { sleep 2; printf 'pwd > attach.pwd; exit\n'; sleep 3; } |
        timeout 60 script -qec "$(printf '%q ' "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$state" "$host" attach "$id")" /dev/null \
            >"$tmp/attach.tty" 2>&1
    cmp -s "$proj/attach.pwd" "$tmp/attach.dir" && ok "attach: with a terminal" ||
        bad "attach with a terminal: $(cat "$proj/attach.pwd" "$tmp/attach.tty" 2>&1 | tr -d "\r" | tail -15)"
fi

# ui: the forward to the manager's socket, and the URL with the token.
timeout 60 "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$state" "$host" ui \
    >"$tmp/ui.out" 2>"$tmp/ui.err" &
ui_pid=$!
for _ in $(seq 100); do [ -s "$tmp/ui.out" ] && break; sleep 0.1; done
url=$(head -n1 "$tmp/ui.out")
token=$(cat "$state/token")
case $url in
"http://127.0.0.1:"*"/login#token=$token") ok "ui: the URL" ;;
*) bad "ui: URL '$url' ($(cat "$tmp/ui.err"))" ;;
esac
base=${url%%/login*}
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/login")
[ "$code" = 200 ] && ok "ui: the login page through the forward" || bad "ui: /login gave $code"
curl -sf -H "Authorization: Bearer $token" "$base/api/v1/sandboxes" | grep -qF "\"$id\"" &&
    ok "ui: the API through the forward" || bad "ui: the API through the forward"
kill "$ui_pid"
wait "$ui_pid"
rc=$?
ui_pid=
[ "$rc" = 0 ] && ok "ui: ends on SIGTERM" || bad "ui: exit $rc on SIGTERM"
curl -s -o /dev/null "$base/login" && bad "ui: the forward outlived burrow remote ui" ||
    ok "ui: the forward ended with it"

# stop, then delete.
check "stop" 0 "" -- remote stop --grace 1 "$id"
grep -q "^$id stopping$\|^$id exited$" "$tmp/out" && ok "stop: says stopping" || bad "stop said: $(cat "$tmp/out")"
exited=
for _ in $(seq 100); do
    remote list --json 2>/dev/null | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin)["sandboxes"] if x["id"] == sys.argv[1]]
sys.exit(0 if s and s[0]["status"] == "exited" else 1)' "$id" && { exited=1; break; }
    sleep 0.1
done
[ -n "$exited" ] && ok "stop: exited" || bad "stop: never exited"
check "delete" 0 "" -- remote delete "$id"
remote list --json 2>/dev/null | grep -qF "\"$id\"" && bad "delete: still listed" || ok "delete: gone"
check "HTTP error" 1 "burrow: manager request: HTTP 404" -- remote logs "$id"
check "unknown name" 125 "no sandbox \"nosuch\"" -- remote stop nosuch

# A manager on a loopback port (--listen): the remote side finds it in
# STATE/listening, for requests and for the ui's forward.
state2="$tmp/state2"
"$BURROW_BIN" manager --listen 127.0.0.1:0 --state-dir "$state2" 2>"$tmp/manager2.log" &
manager2_pid=$!
for _ in $(seq 100); do
    [ -s "$state2/listening" ] && break
    sleep 0.1
done
listen=$(cat "$state2/listening" 2>/dev/null)
case $listen in
http://127.0.0.1:*) ok "tcp manager: $listen" ;;
*) bad "tcp manager did not start: $(cat "$tmp/manager2.log")" ;;
esac
got=$(timeout 60 "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$state2" "$host" list --json 2>"$tmp/err")
# (The list may show sandboxes that other tests of this user started by
# hand: the registry is the user's.)
printf '%s' "$got" | python3 -c 'import json, sys; sys.exit(0 if isinstance(json.load(sys.stdin)["sandboxes"], list) else 1)' &&
    ok "tcp manager: list over its port" || bad "tcp manager: list gave '$got' ($(cat "$tmp/err"))"
timeout 60 "$BURROW_BIN" remote "${ssh_opts[@]}" --state-dir "$state2" "$host" ui \
    >"$tmp/ui2.out" 2>"$tmp/ui2.err" &
ui_pid=$!
for _ in $(seq 100); do [ -s "$tmp/ui2.out" ] && break; sleep 0.1; done
url=$(head -n1 "$tmp/ui2.out")
base=${url%%/login*}
token2=$(cat "$state2/token")
curl -sf -H "Authorization: Bearer $token2" "$base/api/v1/sandboxes" | grep -q '"sandboxes"' &&
    [ "$url" = "$base/login#token=$token2" ] && ok "tcp manager: ui forwards to its port" ||
    bad "tcp manager: ui: '$url' ($(cat "$tmp/ui2.err"))"
kill "$ui_pid"
wait "$ui_pid"
ui_pid=

# Nothing of the shell syntax ever ran, here or in the home dir.
found=$(find "$tmp" "$HOME" -maxdepth 2 -name 'pwned*' 2>/dev/null)
[ -z "$found" ] && ok "no injected command ran" || bad "injected commands ran: $found"
[ "$(ls -A "$HOME" 2>/dev/null | sort)" = "$home_before" ] && ok "home untouched" ||
    bad "home changed"

echo "remote_ssh: $fails failed"
[ "$fails" = 0 ]
