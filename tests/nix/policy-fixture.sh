#!/bin/sh
# CTest fixture of tests/nix/policy-run.sh (as root, before it): builds the
# policies that nix/backends generate (tests/nix/policies.nix, the stub
# nixpkgs' real builders) with Debian's Nix, offline and without a build
# sandbox, and writes OUTDIR/env: one NAME=/nix/store/...-policy.json a line
# (SANDBOX NO_NETWORK ALLOWLIST CONTAINER CONTAINER_NO_NETWORK VM VM_NO_NETWORK),
# LAUNCHER (the no-network launcher with a `burrow` that prints its
# arguments), COMPAT (the seed's commands and an agent's launcher, with that
# `burrow`) and OUTSIDER, a built store path in none of their closures.
# Exits 77 (skip) when not root or when Nix is not installed.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "policy-fixture: needs root (single-user Nix store); skipping" >&2
    exit 77
fi
if ! command -v nix-build >/dev/null 2>&1; then
    echo "policy-fixture: nix-build not found (apt-get install nix-bin); skipping" >&2
    exit 77
fi
if [ ! -x /bin/busybox ]; then
    echo "policy-fixture: /bin/busybox not found (apt-get install busybox-static)" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"
build() {
    # No build users: Debian's nixbld group comes with nix-setup-systemd, a
    # recommendation that install-deps.sh does not install.
    nix-build --option sandbox false --option substituters '' --option build-users-group '' \
        --no-out-link "$here/policies.nix" -A "$1"
}
{
    echo "SANDBOX=$(build sandbox)"
    echo "NO_NETWORK=$(build no-network)"
    echo "ALLOWLIST=$(build allowlist)"
    echo "CONTAINER=$(build container)"
    echo "CONTAINER_NO_NETWORK=$(build container-no-network)"
    echo "VM=$(build vm)"
    echo "VM_NO_NETWORK=$(build vm-no-network)"
    echo "LAUNCHER=$(build launcher)"
    echo "COMPAT=$(build compat)"
    echo "OUTSIDER=$(build outsider)"
} >"$out/env.tmp"
mv "$out/env.tmp" "$out/env"
chmod -R a+rX "$out"
cat "$out/env"
