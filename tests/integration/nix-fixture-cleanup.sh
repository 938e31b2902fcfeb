#!/bin/sh
# Undoes what nix-fixture.sh left outside its own directory: stops the
# nix-daemon it started (by its pid, nothing else) and removes the empty,
# unregistered store directory the "unregistered path" tests need. The
# built derivations stay: they are registered Nix store paths, collected by
# nix-collect-garbage like any other.
set -eu
out=$1
if [ -f "$out/daemon.pid" ]; then
    kill "$(cat "$out/daemon.pid")" 2>/dev/null || true
    rm -f "$out/daemon.pid"
fi
unregistered=/nix/store/00000000000000000000000000000000-burrow-test-unregistered
if [ -d "$unregistered" ] && [ "$(id -u)" = 0 ]; then
    rmdir "$unregistered" 2>/dev/null || true
fi
