#!/bin/bash
# [network] mode = "allowlist" (issue 15, second slice), for real, as root
# and as the plain user (.user). Like net_private.sh, the test first enters
# network, mount and pid namespaces of its own (for the user: a user
# namespace mapping the caller to itself, so burrow still runs
# unprivileged), with a veth pair whose addresses are the only "outside":
# 10.77.0.1 (the host's own address), 10.77.0.2 and 10.77.0.3 (servers).
# Its 127.0.0.1 and an abstract unix socket play the host's loopback
# services; its resolver is a small DNS server on 127.0.0.1:53, named by a
# resolv.conf bound over /etc/resolv.conf in its own mount namespace (the
# machine's file is never touched). net_allow/servers.py has every server
# (each logs what reaches it), net_allow/probe.py every check from inside.
#
# 1. The probe runs once without burrow: every server answers and every
#    refusal check sees the open world (so each check can fail).
#    NET_ALLOW_FIXTURES_ONLY=1 stops there.
# 2. One sandbox run does checks a-i, m, n and o (probe.py prints one line per check);
#    the servers' logs must show that nothing refused reached them (j:
#    burrow's stderr names each refusal, the status file counts them).
# 3. k: after a normal end, a killed payload, a SIGKILLed burrow: no
#    process left, no nftables table left in the test's namespace.
# 4. l: malformed rules: `burrow policy check` says file:line:column.
set -u

skip() {
    echo "net_allow: $*; skipping" >&2
    exit 77
}

here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != --inside ]; then
    for tool in ip unshare setpriv timeout curl openssl; do
        command -v "$tool" >/dev/null || skip "$tool not installed"
    done
    [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
    [ -n "${BURROW_BIN:-}" ] || skip "BURROW_BIN not set"
    if [ "$(id -u)" = 0 ]; then
        exec unshare --net --mount --pid --fork --mount-proc "$0" --inside
    fi
    # --keep-caps: the setup below needs CAP_NET_ADMIN, CAP_SYS_ADMIN and
    # CAP_NET_BIND_SERVICE (port 53) in the test's user namespace; burrow
    # itself runs without them (run_as).
    unshare --map-current-user --keep-caps --net --mount --pid --fork --mount-proc true ||
        skip "cannot create the test's user+net+pid namespaces"
    exec unshare --map-current-user --keep-caps --net --mount --pid --fork --mount-proc \
        "$0" --inside
fi

B=$BURROW_BIN
PY=/usr/bin/python3
T=$(mktemp -d /tmp/burrow-net-allow.XXXXXX) || exit 1
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# Shows the commands a check ran and what came back, indented.
show() {
    if [ -s "$1" ]; then sed 's/^/    /' "$1"; else echo "    (empty)"; fi
}

# The test's "outside" (see the header).
ip link set lo up &&
    ip link add dummy0 type veth peer name dummy1 && ip link set dummy1 up &&
    ip addr add 10.77.0.1/24 dev dummy0 && ip addr add 10.77.0.2/24 dev dummy0 &&
    ip addr add 10.77.0.3/24 dev dummy0 &&
    ip link set dummy0 up && ip route add default via 10.77.0.254 dev dummy0 ||
    skip "cannot set up the test's veth pair (no veth support?)"
# IPv6 servers too (n): fd77::2 allowed by an address rule, fd77::3 not.
ip -6 addr add fd77::2/64 dev dummy0 nodad && ip -6 addr add fd77::3/64 dev dummy0 nodad ||
    skip "cannot give the test's veth IPv6 addresses (IPv6 disabled?)"

echo "nameserver 127.0.0.1" >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf ||
    skip "cannot bind the test's resolv.conf over /etc/resolv.conf"

# A test CA and a certificate for allowed.test it signed.
if ! (cd "$T" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=burrow-net-allow-test-ca -keyout ca.key -out ca.pem &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj /CN=allowed.test -keyout server.key -out server.csr &&
    printf 'subjectAltName=DNS:allowed.test\n' >san.ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile san.ext -out server.pem) >"$T/openssl.log" 2>&1; then
    fail "openssl could not make the test CA:"
    show "$T/openssl.log"
    exit 1
fi

cp "$here/net_allow/probe.py" "$T/probe.py"
"$PY" "$here/net_allow/servers.py" "$T/server.log" "$T/server.pem" "$T/server.key" \
    >"$T/ready" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q ready "$T/ready" 2>/dev/null && break; sleep 0.1; done
if ! grep -q ready "$T/ready"; then
    fail "the test's servers did not start:"
    show "$T/ready"
    exit 1
fi
chmod -R go+rX "$T"

# run_as, leftovers, check_nothing_left
. "$(dirname "$0")/net_test_lib.sh"

# log_has PATTERN: the servers' log has a line matching PATTERN (grep -E).
log_has() { grep -qE "$1" "$T/server.log"; }
# expect_log yes|no PATTERN WHY (the log is shown with the first failure
# after each `: >"$T/server.log"`, log_shown=no).
log_shown=no
expect_log() {
    local has=no
    log_has "$2" && has=yes
    [ "$has" = "$1" ] && return 0
    local what="has no line"
    [ "$1" = no ] && what="has a line"
    if [ "$log_shown" = yes ]; then
        fail "$3: the servers' log $what matching '$2' (the log is above)"
        return
    fi
    fail "$3: the servers' log $what matching '$2'; it has:"
    show "$T/server.log"
    log_shown=yes
}

# probe_ok OUTPUT_FILE WHAT: every check printed ok, all of them ran.
nchecks=27
probe_ok() {
    local n_ok n_fail
    n_ok=$(grep -c '^CHECK [^ ]* ok: ' "$1")
    n_fail=$(grep -c '^CHECK [^ ]* FAIL: ' "$1")
    if [ "$n_fail" != 0 ] || [ "$n_ok" != "$nchecks" ]; then
        fail "$2: $n_ok of $nchecks checks ok, $n_fail failed; the probe printed:"
        show "$1"
        return 1
    fi
    return 0
}

# 1. The fixtures, without burrow: every server answers (refusal checks see
#    the open world), and each logs what reached it.
: >"$T/server.log"
"${run_as[@]}" "$PY" "$T/probe.py" direct "$T/ca.pem" >"$T/direct.out" 2>&1
probe_ok "$T/direct.out" "fixtures (the probe without burrow)"
expect_log yes '^dns other\.test 1$' "fixtures: the resolver"
expect_log yes '^dns wild\.test 1$' "fixtures: the resolver"
expect_log yes '^conn 7000$' "fixtures: the TCP server on 10.77.0.3:7000"
expect_log yes '^sni 8443 other\.test$' "fixtures: the TLS server"
expect_log yes '^req 8080 host=other\.test$' "fixtures: the HTTP server"
expect_log yes '^conn 8081$' "fixtures: the host's loopback service"
expect_log yes '^udp burrow-udp-probe-direct$' "fixtures: the UDP echo server"
if [ "$failures" != 0 ]; then
    echo "net_allow: the fixtures do not work ($failures failure(s)); nothing checked with burrow" >&2
    exit 1
fi
echo "net_allow: fixtures ok ($nchecks checks answered without burrow)"
if [ "${NET_ALLOW_FIXTURES_ONLY:-}" = 1 ]; then
    show "$T/direct.out"
    kill "$server"
    rm -rf "$T"
    exit 0
fi

# The address rule names 10.77.0.3:7001, not 10.77.0.2:8080: an address rule
# allows its destination whatever the SNI or Host, so one covering
# allowed.test's server at 8080 would let e (Host other.test) through and
# make b and a pass without the name rules.
cat >"$T/allow.toml" <<EOF
description = "net_allow test"
extends = "minimal"

[network]
mode = "allowlist"
allow = ["allowed.test:8080", "allowed.test:8443", "*.wild.test:8080", "loopy.test:8081",
         "10.77.0.3/32:7001", "[fd77::2]:7002"]
forward = ["tcp:8082"]

[[fs]]
type = "ro-bind"
dest = "/etc/resolv.conf"

[[fs]]
type = "ro-bind"
dest = "$T"
EOF

# 2. Checks a-i, m, n and o in one sandbox, then what the servers saw and what burrow
#    said (j).
: >"$T/server.log"
log_shown=no
"${run_as[@]}" "$B" run --policy "$T/allow.toml" --status-file "$T/status.json" \
    -- "$PY" "$T/probe.py" sandbox "$T/ca.pem" >"$T/sandbox.out" 2>"$T/err"
rc=$?
# Without the probe's output (the policy refused, the sandbox never
# started) nothing below the run means anything: a-k fail as one.
if [ ! -s "$T/sandbox.out" ]; then
    fail "sandbox run: burrow run --policy allow.toml -- python3 probe.py: exit $rc, the probe printed nothing (a-k not checked); stderr:"
    show "$T/err"
else
    if [ "$rc" != 0 ]; then
        fail "sandbox run: burrow run --policy allow.toml -- python3 probe.py: exit $rc; stderr:"
        show "$T/err"
    fi
    probe_ok "$T/sandbox.out" "sandbox run" && {
        echo "net_allow: a-i, m-o: $nchecks checks ok:"
        show "$T/sandbox.out"
    }
    expect_log yes '^dns allowed\.test ' "c: allowed names are resolved upstream"
    expect_log no '^dns other\.test ' "c: the refused name other.test reached the resolver"
    expect_log no '^dns wild\.test ' "b: the refused name wild.test reached the resolver"
    expect_log no '^sni 8443 other\.test$' "d: the refused SNI reached the TLS server"
    expect_log no '^req 8080 host=other\.test$' "e: the refused Host reached the HTTP server"
    expect_log no '^conn 7000$' "f: the refused address reached its server"
    expect_log yes '^conn 7001$' "f: the address rule's server"
    expect_log yes '^conn 7002$' "n: the IPv6 address rule's server"
    expect_log no '^conn 7003$' "n: the refused IPv6 address reached its server"
    expect_log no '^conn 8081$' "g/h: the host's loopback service was reached"
    expect_log yes '^conn 8082$' "h: the forwarded port's server"
    expect_log no '^udp ' "i: a datagram reached the UDP echo server"

    # j. One line for each refusal on stderr; the status file's tally.
    for line in \
        'burrow: net: refused connect 10\.77\.0\.3:7000 \(address not allowed\) pid=[0-9]+ comm=python3$' \
        'burrow: net: refused dns other\.test \(name not allowed\) pid=[0-9]+ comm=python3$' \
        'burrow: net: refused dns wild\.test \(name not allowed\)' \
        'burrow: net: refused connect 10\.77\.0\.2:8443 \(sni other\.test not allowed\)' \
        'burrow: net: refused connect 10\.77\.0\.2:8080 \(.*other\.test.*\)' \
        'burrow: net: refused connect 10\.77\.0\.1:8081 \(address not allowed\)' \
        'burrow: net: refused connect other\.test:8443 \(name not allowed\) pid=[0-9]+ comm=curl$' \
        'burrow: net: refused connect other\.test:8080 \(name not allowed\) pid=[0-9]+ comm=curl$' \
        'burrow: net: refused connect \[fd77::3\]:7003 \(address not allowed\)'; do
        grep -qE "^$line" "$T/err" || missing="${missing:-}    ^$line"$'\n'
    done
    if [ -n "${missing:-}" ]; then
        fail "j: burrow's stderr has no line matching:"
        printf '%s' "$missing"
        echo "  its stderr was:"
        show "$T/err"
    fi
    # o: the port probe and the half-close are no refusals: the one line for
    #    allowed.test's address is e's (Host other.test).
    n=$(grep -c '^burrow: net: refused connect 10\.77\.0\.2:8080 ' "$T/err")
    [ "$n" = 1 ] || {
        fail "o: $n denial lines for 10.77.0.2:8080, expected 1 (e's):"
        show "$T/err"
    }
    if grep -E '^burrow: net: refused (dns|connect) (allowed\.test|www\.wild\.test|10\.77\.0\.3:7001) ' \
        "$T/err" >"$T/wrong"; then
        fail "j: refusals of allowed destinations:"
        show "$T/wrong"
    fi
    if ! "$PY" "$here/net_allow/status.py" "$T/status.json" >"$T/status.check" 2>&1; then
        fail "j: status file: $(cat "$T/status.check")"
        show "$T/status.json"
    fi
    check_nothing_left "k: after a normal end"

    # k. The payload killed: the proxy goes with the sandbox.
    "${run_as[@]}" "$B" run --policy "$T/allow.toml" -- bash -c 'kill -9 $$' 2>"$T/err"
    rc=$?
    [ "$rc" = 137 ] || {
        fail "k: payload killed: exit $rc, expected 137; stderr:"
        show "$T/err"
    }
    check_nothing_left "k: payload killed"

    # k. burrow itself SIGKILLed while the payload holds a connection through
    #    the proxy: the proxy dies with it, the sandbox too.
    before=$(grep -c '^conn 7001$' "$T/server.log")
    (exec "${run_as[@]}" "$B" run --policy "$T/allow.toml" -- "$PY" -c '
import socket, time
s = socket.create_connection(("10.77.0.3", 7001)); s.recv(100); time.sleep(60)' \
        2>"$T/err") &
    monitor=$!
    for _ in $(seq 100); do
        [ "$(grep -c '^conn 7001$' "$T/server.log")" != "$before" ] && break
        sleep 0.1
    done
    if [ "$(grep -c '^conn 7001$' "$T/server.log")" = "$before" ]; then
        fail "k: monitor killed: the payload never connected to 10.77.0.3:7001; stderr:"
        show "$T/err"
    fi
    # The proxy (the monitor's child in the caller's network namespace, the
    # sandbox's first process being in its own) runs confined: a seccomp
    # filter, no capability, no_new_privs.
    proxies=0
    for c in /proc/[0-9]*; do
        [ "$(awk '/^PPid:/ {print $2}' "$c/status" 2>/dev/null)" = "$monitor" ] || continue
        [ "$(readlink "$c/ns/net" 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ] || continue
        proxies=$((proxies + 1))
        grep -q '^Seccomp:[[:space:]]*2$' "$c/status" && grep -q '^NoNewPrivs:[[:space:]]*1$' "$c/status" &&
            grep -q '^CapEff:[[:space:]]*0*$' "$c/status" ||
            fail "k: the egress proxy ${c#/proc/} is not confined: $(grep -E '^(Seccomp|NoNewPrivs|CapEff):' "$c/status" | tr '\n' ' ')"
    done
    [ "$proxies" = 1 ] || fail "k: found $proxies egress proxies (children of burrow in the caller's network namespace), expected 1"
    kill -9 "$monitor" 2>/dev/null
    wait "$monitor" 2>/dev/null
    check_nothing_left "k: monitor killed"

    # k. Setup dying around the proxy (fault-injection builds only): the
    #    monitor right after starting it (net-ready), the child waiting for
    #    it (wait-net), and steps before and after: nothing left either way.
    #    Needs BURROW_FAULT_INJECTION (the ci preset): without it the run
    #    succeeds and there is nothing to check.
    for step in user-net net-ready wait-net monitor-drop-caps pivot-root; do
        BURROW_FAULT_STEP=$step "${run_as[@]}" "$B" run --policy "$T/allow.toml" -- true 2>"$T/err"
        if [ "$?" = 0 ]; then
            echo "net_allow: fault injection not built, $step not checked" >&2
            continue
        fi
        check_nothing_left "k: setup killed at $step"
    done
fi

# l. Malformed rules: one line naming file:line:column, non-zero exit.
bad_policy() { # name allow-line line-regex
    printf 'description = "bad"\nextends = "minimal"\n[network]\n%s\nmode = "allowlist"\n' \
        "$2" >"$T/$1.toml"
    local err rc
    err=$("$B" policy check "$T/$1.toml" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" != 0 ] || fail "l: burrow policy check $1.toml ($2): exit 0"
    [ "$(grep -c . <<<"$err")" = 1 ] && grep -qE "^burrow: $T/$1\.toml:$3:[0-9]+: " <<<"$err" ||
        fail "l: burrow policy check $1.toml ($2): expected one line 'burrow: $T/$1.toml:$3:COLUMN: ...', got: $err"
}
bad_policy wildcard 'allow = ["a.*.b"]' 4
bad_policy prefix 'allow = ["10.0.0.0/33"]' 4
bad_policy port 'allow = ["x:70000"]' 4
# The empty list: at the list, the table or the mode.
bad_policy empty 'allow = []' '[345]'
check_nothing_left "l: policy check"

kill "$server"
rm -rf "$T"
if [ "$failures" != 0 ]; then
    echo "net_allow: $failures failure(s)" >&2
    exit 1
fi
echo "net_allow: all checks passed"
