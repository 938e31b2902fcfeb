#!/bin/bash
# network = "private" (issue 15, first slice), for real, as root and as the
# plain user (.user): burrow run attaches pasta (else slirp4netns) to the
# sandbox's network namespace. Only addresses of this test's own namespace:
# the test first enters a new network namespace (for the user: a user
# namespace mapping the caller to itself, so burrow still runs unprivileged)
# with a veth pair, 10.77.0.1 (pasta copies it into the sandbox), 10.77.0.2
# (the test's server, "outside") and a default route; its 127.0.0.1 and an
# abstract unix socket play the host's. A pid namespace of its own lets the
# test see, by pid, every process that anything started here left behind.
#
# Checked from inside (bash /dev/tcp and python3, which ignore proxy
# variables): the server answers; the host's loopback listener is not
# reachable at the gateway, at the sandbox's address nor at 127.0.0.1; the
# abstract socket is not reachable. After every run (ends normally, payload
# killed, burrow itself SIGKILLed, setup failing in the monitor or in the
# sandbox once the helper runs) no process is left. With pasta hidden,
# slirp4netns is used; with both hidden, a helper that fails, or (root) no
# user namespace: one line and exit 125.
#
# With the runtime's test driver (tests/integration/sandbox_driver, the
# first argument): a helper that cannot be executed or has a relative path
# is one line and 125 too, with no policy in between.
set -u

skip() {
    echo "net_private: $*; skipping" >&2
    exit 77
}

if [ "${1:-}" != --inside ]; then
    driver=${1:-}
    [ -x "$driver" ] || skip "usage: net_private.sh SANDBOX_DRIVER (got '$driver')"
    for tool in ip python3 unshare setpriv timeout; do
        command -v "$tool" >/dev/null || skip "$tool not installed"
    done
    [ -n "${BURROW_BIN:-}" ] || skip "BURROW_BIN not set"
    [ -x /usr/bin/pasta ] || skip "pasta not installed (apt install passt)"
    [ -x /usr/bin/slirp4netns ] || skip "slirp4netns not installed"
    if [ "$(id -u)" = 0 ]; then
        exec unshare --net --mount --pid --fork --mount-proc "$0" --inside "$driver"
    fi
    # --keep-caps: the setup below needs CAP_NET_ADMIN and CAP_SYS_ADMIN in
    # the test's user namespace; burrow itself runs without them (run_as).
    unshare --map-current-user --keep-caps --net --mount --pid --fork --mount-proc true ||
        skip "cannot create the test's user+net+pid namespaces"
    exec unshare --map-current-user --keep-caps --net --mount --pid --fork --mount-proc \
        "$0" --inside "$driver"
fi

B=$BURROW_BIN
D=$2
T=$(mktemp -d /tmp/burrow-net-private.XXXXXX) || exit 1
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# The test's "outside" (see the header).
ip link set lo up &&
    ip link add dummy0 type veth peer name dummy1 && ip link set dummy1 up &&
    ip addr add 10.77.0.1/24 dev dummy0 && ip addr add 10.77.0.2/24 dev dummy0 &&
    ip link set dummy0 up && ip route add default via 10.77.0.254 dev dummy0 ||
    skip "cannot set up the test's veth pair (no veth support?)"

# Servers: a greeting on 10.77.0.2:8080 (it logs every connection), the
# "host's" loopback service on 127.0.0.1:8081 and an abstract unix socket;
# each prints "ready" when it listens.
python3 - "$T/server.log" >"$T/ready" 2>&1 <<'PY' &
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
def serve(sock, greeting):
    sock.listen(16)
    while True:
        c, _ = sock.accept()
        log.write("connection %s\n" % greeting.decode())
        c.sendall(greeting + b"\n")
        c.close()
tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("10.77.0.2", 8080))
lo = socket.socket(); lo.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lo.bind(("127.0.0.1", 8081))
ab = socket.socket(socket.AF_UNIX); ab.bind("\0burrow-net-private-test")
for s, g in ((tcp, b"hello-from-outside"), (lo, b"host-loopback"), (ab, b"host-abstract")):
    threading.Thread(target=serve, args=(s, g), daemon=True).start()
# The "host's" resolver, on its loopback as systemd-resolved's 127.0.0.53 is:
# outside.test is 10.77.0.2, every other name NXDOMAIN.
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind(("127.0.0.1", 53))
def resolve():
    while True:
        q, peer = dns.recvfrom(512)
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace")); i += 1 + q[i]
        end = i + 5
        name, qtype = ".".join(labels).lower(), q[i + 1:i + 3]
        log.write("dns %s\n" % name)
        if name == "outside.test" and qtype == b"\0\1":
            dns.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\0\1\0\0\0\0" + q[12:end] +
                       b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4" + socket.inet_aton("10.77.0.2"), peer)
        else:
            rcode = b"\x81\x80" if name == "outside.test" else b"\x81\x83"
            dns.sendto(q[:2] + rcode + q[4:6] + b"\0\0\0\0\0\0" + q[12:end], peer)
threading.Thread(target=resolve, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
server=$!
for _ in $(seq 100); do grep -q ready "$T/ready" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$T/ready" || skip "test server did not start: $(cat "$T/ready")"
# Its resolv.conf names that resolver, in the test's own mount namespace.
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf ||
    skip "cannot bind the test's resolv.conf over /etc/resolv.conf"

cat >"$T/private.toml" <<'EOF'
description = "net_private test"
extends = "minimal"
network = "private"
EOF

# run_as, leftovers, check_nothing_left
. "$(dirname "$0")/net_test_lib.sh"

# Probes from inside the sandbox; each prints one verdict line.
probe='
tcp() { # host port
    if timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2 || exit 1; read -r line <&3 || exit 1
                          echo \"$1:$2 answered \$line\"" 2>/dev/null
    then :; else echo "$1:$2 unreachable"; fi
}
tcp 10.77.0.2 8080
tcp 127.0.0.1 8081
tcp "$1" 8081 # the gateway
tcp "$2" 8081 # the sandbox'"'"'s own address
tcp 10.77.0.2 8081
python3 -c "
import socket
try:
    print(\"resolved\", socket.gethostbyname(\"outside.test\"))
except OSError as e:
    print(\"not resolved:\", e)
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(\"\\0burrow-net-private-test\"); print(\"abstract reachable\")
except OSError:
    print(\"abstract unreachable\")"
'
expect_isolated() { # what out
    local out=$2
    grep -qx '10.77.0.2:8080 answered hello-from-outside' <<<"$out" ||
        fail "$1: the server outside was not reached: $out"
    local n
    n=$(grep -c 'unreachable$' <<<"$out")
    [ "$n" = 5 ] || fail "$1: host loopback or abstract socket reachable: $out"
    grep -q 'host-' <<<"$out" && fail "$1: a host service answered: $out"
    # The host's resolver is on its loopback: burrow's resolver answers for
    # it (a user-mode stack could not reach it).
    grep -qx 'resolved 10.77.0.2' <<<"$out" || fail "$1: no DNS: $out"
}

# 1. pasta: reachability; the helper is gone after the run.
out=$("${run_as[@]}" "$B" run --verbose --policy "$T/private.toml" \
    -- bash -c "$probe" probe 10.77.0.254 10.77.0.1 2>"$T/err")
rc=$?
[ "$rc" = 0 ] || fail "pasta run: exit $rc: $(cat "$T/err")"
grep -q 'network: private, through pasta (/usr/bin/pasta)' "$T/err" ||
    fail "pasta run: not through pasta: $(cat "$T/err")"
expect_isolated "pasta" "$out"
check_nothing_left "pasta run"

# to-bwrap cannot express it, and says so.
err=$("$B" policy to-bwrap "$T/private.toml" 2>&1 >/dev/null)
grep -q 'network = "private": bwrap has no user-mode network stack' <<<"$err" ||
    fail "to-bwrap: no warning for network = private: $err"

# 2. The payload killed: the sandbox ends, the helper with it.
"${run_as[@]}" "$B" run --policy "$T/private.toml" -- bash -c 'kill -9 $$' 2>"$T/err"
rc=$?
[ "$rc" = 137 ] || fail "payload killed: exit $rc, expected 137: $(cat "$T/err")"
check_nothing_left "payload killed"

# 3. burrow itself SIGKILLed while the payload holds a connection: pasta
#    dies with it (PR_SET_PDEATHSIG), the sandbox too (die_with_parent).
before=$(grep -c . "$T/server.log" 2>/dev/null)
(exec "${run_as[@]}" "$B" run --policy "$T/private.toml" -- \
    bash -c 'exec 3<>/dev/tcp/10.77.0.2/8080; sleep 60' 2>"$T/err") &
monitor=$!
for _ in $(seq 100); do
    [ "$(grep -c . "$T/server.log" 2>/dev/null)" != "$before" ] && break
    sleep 0.1
done
[ "$(grep -c . "$T/server.log" 2>/dev/null)" != "$before" ] ||
    fail "monitor killed: the payload never connected: $(cat "$T/err")"
kill -9 "$monitor"
wait "$monitor" 2>/dev/null
check_nothing_left "monitor killed"

# 4. Setup failing after the helper started (burrow killed at the monitor's
#    next step) and in the sandbox (pivot-root): nothing left. Needs a build
#    with BURROW_FAULT_INJECTION (the ci preset); without it the run succeeds
#    and there is nothing to check.
for step in monitor-drop-caps pivot-root; do
    BURROW_FAULT_STEP=$step "${run_as[@]}" "$B" run --policy "$T/private.toml" -- true 2>"$T/err"
    rc=$?
    if [ "$rc" = 0 ]; then
        echo "net_private: fault injection not built, $step not checked" >&2
        continue
    fi
    check_nothing_left "fault at $step"
done

# 5. A helper that fails: one line naming it and its reason, exit 125.
cat >"$T/fake-pasta" <<'EOF'
#!/bin/sh
echo "Failed to send 40 bytes to syslog" >&2
echo "fake pasta: cannot do that" >&2
exit 3
EOF
chmod 755 "$T/fake-pasta"
chmod 711 "$T"
err=$(unshare --mount sh -c 'mount --bind "$1" /usr/bin/pasta && shift && exec "$@"' sh \
    "$T/fake-pasta" setpriv --inh-caps=-all --ambient-caps=-all -- \
    "$B" run --policy "$T/private.toml" -- true 2>&1 >/dev/null)
rc=$?
[ "$rc" = 125 ] || fail "failing helper: exit $rc, expected 125: $err"
[ "$(grep -c . <<<"$err")" = 1 ] || fail "failing helper: not one line: $err"
grep -q '^burrow: network: pasta (/usr/bin/pasta): .*fake pasta: cannot do that (exit status 3)$' \
    <<<"$err" || fail "failing helper: unexpected message: $err"
check_nothing_left "failing helper"

# 6. pasta missing: slirp4netns, with the same isolation. Hidden by a
#    bind mount of /dev/null (not a regular file) in a mount namespace of
#    its own, at every directory burrow looks in (policy/file/resolve.cpp).
dirs="/usr/bin /usr/sbin /bin /sbin /usr/local/bin /usr/local/sbin /run/current-system/sw/bin"
hide() { # names...
    local d n
    for n in "$@"; do
        for d in $dirs; do
            [ -e "$d/$n" ] && { mount --bind /dev/null "$d/$n" || return 1; }
        done
    done
    return 0
}
export -f hide
export dirs
out=$(unshare --mount bash -c 'hide pasta && exec "$@"' bash \
    setpriv --inh-caps=-all --ambient-caps=-all -- \
    "$B" run --verbose --policy "$T/private.toml" \
    -- bash -c "$probe" probe 10.0.2.2 10.0.2.100 2>"$T/err")
rc=$?
[ "$rc" = 0 ] || fail "slirp4netns run: exit $rc: $(cat "$T/err")"
grep -q 'network: private, through slirp4netns (/usr/bin/slirp4netns)' "$T/err" ||
    fail "slirp4netns run: not through slirp4netns: $(cat "$T/err")"
expect_isolated "slirp4netns" "$out"
check_nothing_left "slirp4netns run"

# 7. Neither helper: one line, exit 125, never the host's network.
err=$(unshare --mount bash -c 'hide pasta slirp4netns && exec "$@"' bash \
    setpriv --inh-caps=-all --ambient-caps=-all -- \
    "$B" run --policy "$T/private.toml" -- true 2>&1 >/dev/null)
rc=$?
[ "$rc" = 125 ] || fail "no helper: exit $rc, expected 125: $err"
[ "$(grep -c . <<<"$err")" = 1 ] || fail "no helper: not one line: $err"
grep -q '^burrow: network = "private": neither pasta nor slirp4netns found in /usr/bin' <<<"$err" ||
    fail "no helper: unexpected message: $err"
check_nothing_left "no helper"

# 8. The runtime itself (the test driver builds the Sandbox): a helper that
#    cannot be executed, a relative helper path.
err=$("${run_as[@]}" "$D" --user-net pasta /nonexistent/pasta -- true 2>&1 >/dev/null)
rc=$?
[ "$rc" = 125 ] || fail "runtime, missing helper: exit $rc, expected 125: $err"
[ "$err" = "burrow: network: pasta (/nonexistent/pasta): cannot execute it: No such file or directory" ] ||
    fail "runtime, missing helper: unexpected message: $err"
check_nothing_left "runtime, missing helper"
err=$("${run_as[@]}" "$D" --user-net slirp4netns slirp4netns -- true 2>&1 >/dev/null)
rc=$?
[ "$rc" = 125 ] || fail "runtime, relative helper: exit $rc, expected 125: $err"
[ "$err" = "burrow: network: slirp4netns (slirp4netns): the helper's path must be absolute" ] ||
    fail "runtime, relative helper: unexpected message: $err"
check_nothing_left "runtime, relative helper"

# 9. root without a user namespace: the helpers enter the sandbox's network
#    namespace through its user namespace, so that is refused in one line.
#    (A plain user always gets a user namespace.)
if [ "$(id -u)" = 0 ]; then
    printf '[namespaces]\nuser = false\n' >>"$T/private.toml"
    err=$("$B" run --policy "$T/private.toml" -- true 2>&1 >/dev/null)
    rc=$?
    [ "$rc" = 125 ] || fail "no user namespace: exit $rc, expected 125: $err"
    [ "$err" = "burrow: network: a user-mode network stack needs the sandbox's own user namespace (namespaces.user)" ] ||
        fail "no user namespace: unexpected message: $err"
    check_nothing_left "no user namespace"
fi

kill "$server"
rm -rf "$T"
if [ "$failures" != 0 ]; then
    echo "net_private: $failures failure(s)" >&2
    exit 1
fi
echo "net_private: all checks passed"
