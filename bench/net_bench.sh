#!/bin/bash
# net_bench.sh: what issue 15's egress allowlist costs (not a test, not in
# CI; run by hand, as root or as a plain user):
#   BURROW_BIN=build/bin/burrow bench/net_bench.sh [--runs N] [--conns N]
#       [--bulk-mib N] [--rounds N] [--modes "allowlist private"]
# Inside network, mount and pid namespaces of its own, with the topology of
# tests/integration/net_allow.sh (a veth pair, the "outside" at 10.77.0.2),
# three figures, each against its baseline measured in the same run,
# interleaved (A B A B, the order swapped every round) so that the machine's
# load drifts hit both sides:
#   (i)   start: `burrow run --policy P -- true`, P with [network] mode =
#         "allowlist" (an address rule) against network = "loopback" (a
#         network namespace alone); median wall ms per run, ratio (issue 15:
#         <= 1.5).
#   (ii)  connection latency: N times connect + 1 byte echoed + close to
#         10.77.0.2:7100, by the same python client inside the sandbox and
#         in the test's namespace without burrow; ms per connection, the
#         difference (issue 15: < 1 ms added).
#   (iii) bulk: N MiB through one connection to a sink on 10.77.0.2:7101,
#         MB/s inside and outside, ratio (issue 15: >= 50 %).
# The clients time themselves (a sandbox's start is not in (ii) or (iii)).
# --modes names the sandbox networks measured: "allowlist" (default) and
# "private" (pasta, the first slice) for comparison.
set -u

runs=40 conns=2000 bulk_mib=2048 rounds=3 modes=allowlist
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2 ;;
    --conns) conns=$2 ;;
    --bulk-mib) bulk_mib=$2 ;;
    --rounds) rounds=$2 ;;
    --modes) modes=$2 ;;
    *)
        echo "usage: net_bench.sh [--runs N] [--conns N] [--bulk-mib N] [--rounds N] [--modes \"allowlist private\"]" >&2
        exit 2
        ;;
    esac
    shift 2 || { echo "net_bench: $1 needs a value" >&2; exit 2; }
done

if [ "${NET_BENCH_INSIDE:-}" != 1 ]; then
    [ -n "${BURROW_BIN:-}" ] && [ -x "$BURROW_BIN" ] || {
        echo "net_bench: set BURROW_BIN to burrow (build/bin/burrow)" >&2
        exit 2
    }
    BURROW_BIN=$(realpath "$BURROW_BIN")
    export BURROW_BIN NET_BENCH_INSIDE=1
    if [ "$(id -u)" = 0 ]; then
        exec unshare --net --mount --pid --fork --mount-proc "$0" --runs "$runs" \
            --conns "$conns" --bulk-mib "$bulk_mib" --rounds "$rounds" --modes "$modes"
    fi
    exec unshare --map-current-user --keep-caps --net --mount --pid --fork --mount-proc \
        "$0" --runs "$runs" --conns "$conns" --bulk-mib "$bulk_mib" --rounds "$rounds" \
        --modes "$modes"
fi

B=$BURROW_BIN
PY=/usr/bin/python3
T=$(mktemp -d /tmp/burrow-net-bench.XXXXXX) || exit 1
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
die() {
    echo "net_bench: $*" >&2
    exit 1
}

ip link set lo up &&
    ip link add dummy0 type veth peer name dummy1 && ip link set dummy1 up &&
    ip addr add 10.77.0.1/24 dev dummy0 && ip addr add 10.77.0.2/24 dev dummy0 &&
    ip link set dummy0 up && ip route add default via 10.77.0.254 dev dummy0 ||
    die "cannot set up the veth pair"

# The servers: an echo (7100) and a sink that answers the byte count once
# the client has shut its side (7101).
cat >"$T/server.py" <<'PY'
import socket, threading
def listener(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.77.0.2", port)); s.listen(256)
    return s
def echo(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                return
            c.sendall(d)
def sink(c):
    with c:
        buf = bytearray(1 << 20); n = 0
        while True:
            k = c.recv_into(buf)
            if not k:
                break
            n += k
        c.sendall(b"%d\n" % n)
def serve(sock, handler):
    while True:
        c, _ = sock.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handler, args=(c,), daemon=True).start()
for port, h in ((7100, echo), (7101, sink)):
    threading.Thread(target=serve, args=(listener(port), h), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
# The client: prints one number (ms per connection, or MB/s).
cat >"$T/client.py" <<'PY'
import socket, sys, time
what, n = sys.argv[1], int(sys.argv[2])
if what == "latency":
    t0 = time.perf_counter()
    for _ in range(n):
        s = socket.create_connection(("10.77.0.2", 7100))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"x")
        if s.recv(1) != b"x":
            sys.exit("latency: no echo")
        s.close()
    print("%.4f" % ((time.perf_counter() - t0) * 1000 / n))
else:
    chunk = memoryview(bytearray(4 << 20))
    total = n << 20
    t0 = time.perf_counter()
    s = socket.create_connection(("10.77.0.2", 7101))
    for _ in range(total // len(chunk)):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    got = s.makefile().readline().strip()
    dt = time.perf_counter() - t0
    if got != str(total):
        sys.exit("bulk: the sink counted %s bytes of %d" % (got, total))
    print("%.1f" % (total / dt / 1e6))
PY
chmod -R go+rX "$T"
"$PY" "$T/server.py" >"$T/ready" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q ready "$T/ready" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$T/ready" || die "the servers did not start: $(cat "$T/ready")"

policy() { # file network-lines
    printf 'description = "net_bench"\nextends = "minimal"\n%s\n[[fs]]\ntype = "ro-bind"\ndest = "%s"\n' \
        "$2" "$T" >"$T/$1.toml"
}
policy loopback 'network = "loopback"'
policy allowlist '[network]
mode = "allowlist"
allow = ["10.77.0.2/32:7100", "10.77.0.2/32:7101"]'
policy private 'network = "private"'

run_as=()
[ "$(id -u)" = 0 ] || run_as=(setpriv --inh-caps=-all --ambient-caps=-all --)
for m in $modes; do
    [ -f "$T/$m.toml" ] || die "--modes: unknown mode $m (allowlist, private)"
    "${run_as[@]}" "$B" run --policy "$T/$m.toml" -- "$PY" "$T/client.py" latency 1 \
        >/dev/null 2>"$T/err" || die "burrow run --policy $m.toml does not work: $(cat "$T/err")"
done

# Interleaved runs; each command prints one number or (for starts) nothing.
# Prints "median min max" of each, in order.
"$PY" - "$T" "$runs" "$conns" "$bulk_mib" "$rounds" "$modes" "$B" "${run_as[*]:-}" <<'PY'
import os, statistics, subprocess, sys, time
T, runs, conns, bulk_mib, rounds, modes, B, run_as = sys.argv[1:9]
runs, conns, bulk_mib, rounds = int(runs), int(conns), int(bulk_mib), int(rounds)
modes = modes.split()
run_as = run_as.split()
PY3 = "/usr/bin/python3"
client = [PY3, T + "/client.py"]

def sandboxed(mode, argv):
    return run_as + [B, "run", "--policy", "%s/%s.toml" % (T, mode), "--"] + argv

def timed(argv):
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        sys.exit("net_bench: %s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return dt, r.stdout.strip()

def interleave(commands, n, value):
    """commands: {label: argv}; n rounds, the order rotated each round."""
    res = {k: [] for k in commands}
    labels = list(commands)
    for i in range(n):
        order = labels[i % len(labels):] + labels[:i % len(labels)]
        for k in order:
            res[k].append(value(*timed(commands[k])))
    return {k: statistics.median(v) for k, v in res.items()}, res

rows = []
# (i) start
cmds = {"loopback": sandboxed("loopback", ["true"])}
for m in modes:
    cmds[m] = sandboxed(m, ["true"])
for argv in cmds.values():  # warm-up
    timed(argv)
med, _ = interleave(cmds, runs, lambda dt, out: dt)
for m in modes:
    rows.append(("start, %s vs loopback (ms)" % m, med[m], med["loopback"],
                 "ratio %.2f" % (med[m] / med["loopback"])))
# (ii) latency, (iii) bulk
for what, n, unit in (("latency", conns, "ms/conn"), ("bulk", bulk_mib, "MB/s")):
    cmds = {"direct": client + [what, str(n)]}
    for m in modes:
        cmds[m] = sandboxed(m, client + [what, str(n)])
    med, _ = interleave(cmds, rounds, lambda dt, out: float(out))
    for m in modes:
        if what == "latency":
            note = "added %.3f ms" % (med[m] - med["direct"])
            label = "connect+1B echo+close x%d, %s vs direct (ms/conn)" % (n, m)
        else:
            note = "ratio %.2f" % (med[m] / med["direct"])
            label = "bulk %d MiB one connection, %s vs direct (MB/s)" % (n, m)
        rows.append((label, med[m], med["direct"], note))

print("net_bench: load %s; runs %d (starts), rounds %d (latency, bulk), medians" %
      (" ".join(open("/proc/loadavg").read().split()[:3]), runs, rounds))
w = max(len(r[0]) for r in rows)
print("%-*s  %12s  %12s  %s" % (w, "figure", "sandbox", "baseline", ""))
for label, a, b, note in rows:
    print("%-*s  %12.3f  %12.3f  %s" % (w, label, a, b, note))
PY
