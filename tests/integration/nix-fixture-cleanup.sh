#!/bin/sh
# Stops the nix-daemon nix-fixture.sh started (by its pid, nothing else).
set -eu
out=$1
if [ -f "$out/daemon.pid" ]; then
    kill "$(cat "$out/daemon.pid")" 2>/dev/null || true
    rm -f "$out/daemon.pid"
fi
