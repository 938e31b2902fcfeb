#!/bin/sh
# CTest fixture of the Nix closure tests (run as root, before the tests):
# builds tests/integration/nix/closure.nix with the real Nix (offline, no
# build sandbox) and writes what the tests need into OUTDIR:
#   env             APP LIB DATA UNRELATED GRAPH UNREGISTERED, one NAME=VALUE a line
#   store-paths     closureInfo-style closure of APP (nix-store -qR)
#   graph           exportReferencesGraph of APP (a copy of GRAPH)
#   db/db.sqlite    a copy of the Nix database that every user can read
#   result          a `result`-style symlink to APP
#   daemon/socket   a nix-daemon's socket (NIX_DAEMON_SOCKET_PATH), for the
#                   nix-store reader as an unprivileged user and --nix-daemon;
#                   its pid in daemon.pid (nix-fixture-cleanup.sh stops it)
# Exits 77 (skip) when not root or when Nix is not installed.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "nix-fixture: needs root (single-user Nix store); skipping" >&2
    exit 77
fi
if ! command -v nix-build >/dev/null 2>&1; then
    echo "nix-fixture: nix-build not found (apt-get install nix-bin); skipping" >&2
    exit 77
fi
if [ -f "$out/daemon.pid" ]; then kill "$(cat "$out/daemon.pid")" 2>/dev/null || true; fi
rm -rf "$out"
mkdir -p "$out/db"
build() {
    # No build users: Debian's nixbld group comes with nix-setup-systemd, a
    # recommendation that install-deps.sh does not install.
    nix-build --option sandbox false --option substituters '' --option build-users-group '' \
        --no-out-link \
        "$here/nix/closure.nix" -A "$1"
}
app=$(build app)
graph=$(build graph)
unrelated=$(build unrelated)
lib=$(nix-store --query --references "$app")
data=$(nix-store --query --references "$lib")
# A directory in the store that Nix never registered.
unregistered=/nix/store/00000000000000000000000000000000-burrow-test-unregistered
mkdir -p "$unregistered"
nix-store --query --requisites "$app" >"$out/store-paths"
cp "$graph" "$out/graph"
ln -sfn "$app" "$out/result"
# No Nix process runs now, so the WAL is checkpointed and a copy is consistent.
cp /nix/var/nix/db/db.sqlite "$out/db/db.sqlite"
cat >"$out/env" <<END
APP=$app
LIB=$lib
DATA=$data
UNRELATED=$unrelated
GRAPH=$graph
UNREGISTERED=$unregistered
END
mkdir -p "$out/daemon"
NIX_DAEMON_SOCKET_PATH="$out/daemon/socket" setsid nix-daemon </dev/null >"$out/daemon.log" 2>&1 &
echo $! >"$out/daemon.pid"
i=0
while [ ! -S "$out/daemon/socket" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "nix-fixture: nix-daemon did not create $out/daemon/socket" >&2
        cat "$out/daemon.log" >&2
        exit 1
    fi
    sleep 0.1
done
chmod -R a+rX "$out"
echo "nix-fixture: $app -> $lib -> $data; unrelated $unrelated"
