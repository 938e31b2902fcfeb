#!/bin/sh
# flake.nix through the real flake machinery of Debian's Nix 2.8
# (--extra-experimental-features flakes, offline): the flake and a stub
# nixpkgs flake are copied into a temporary directory (a path: flake of the
# whole checkout would copy build trees into the store), nixpkgs is
# overridden with the stub (no lock file written, nothing fetched), and
# `nix eval` reads the outputs. Root only: flakes copy their sources into
# the store (skip, 77, otherwise).
set -eu
src=$1
if [ "$(id -u)" != 0 ]; then
    echo "flake.sh: needs root (flakes copy sources into the single-user store); skipping" >&2
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/burrow" "$tmp/stub" "$tmp/home"
cp -R "$src/flake.nix" "$src/nix" "$tmp/burrow/"
cp "$src/tests/nix/stub-nixpkgs.nix" "$tmp/stub/"
cp "$src/tests/nix/stub-flake.nix" "$tmp/stub/flake.nix"
failures=0
# check NAME ATTRIBUTE APPLY WANT
check() {
    got=$(HOME=$tmp/home nix --extra-experimental-features 'nix-command flakes' eval --json \
        --no-write-lock-file --override-input nixpkgs "path:$tmp/stub" \
        "path:$tmp/burrow#$2" --apply "$3" 2>"$tmp/err") || {
        echo "FAIL: $1: nix eval failed:" >&2
        cat "$tmp/err" >&2
        failures=$((failures + 1))
        return 0
    }
    if [ "$got" != "$4" ]; then
        echo "FAIL: $1: want $4, got $got" >&2
        failures=$((failures + 1))
    else
        echo "ok: $1: $got"
    fi
}
check "packages" packages.x86_64-linux builtins.attrNames \
    '["burrow","bwrap","cli","container","container-no-network","default","manager","no-network","sandbox","vm","vm-no-network"]'
check "no-network policy" packages.x86_64-linux.no-network 'p: p.policy.network' '"none"'
check "vm-no-network args" packages.x86_64-linux.vm-no-network \
    'p: builtins.filter (a: a == "--no-network" || a == "4096") p.launchArgs' '["4096","--no-network"]'
check "container-no-network" packages.x86_64-linux.container-no-network 'p: p.policy.network' '"loopback"'
check "manager" packages.x86_64-linux.manager 'p: builtins.length p.config.backends' '6'
check "overlay" overlays 'o: builtins.attrNames (o.default {} {})' \
    '["burrow","burrow-bwrap","burrow-sandbox","burrow-sandbox-no-network"]'
check "nixosModules" nixosModules builtins.attrNames '["default","manager"]'
check "checks" checks.x86_64-linux builtins.attrNames \
    '["burrow","bwrap","manager","no-network","policies","sandbox"]'
check "devShell" devShells.x86_64-linux 'd: builtins.attrNames d' '["default"]'
echo "flake.sh: $failures failed"
[ "$failures" = 0 ]
