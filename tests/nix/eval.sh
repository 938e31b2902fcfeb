#!/bin/sh
# Runs one evaluation test file of tests/nix (see assert.nix) with Debian's
# Nix: nix-instantiate --eval --strict --json against the dummy store, so
# nothing is built or written and no daemon is needed (root or any user).
# Passes when the file evaluates to {"checks":N,"failures":[]} with N > 0;
# prints the failures otherwise.
set -eu
file=$1
if ! command -v nix-instantiate >/dev/null 2>&1; then
    echo "eval.sh: nix-instantiate not found (apt-get install nix-bin)" >&2
    exit 1
fi
# Nix wants a writable cache and state directory in HOME.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(HOME=$tmp XDG_CACHE_HOME=$tmp/cache nix-instantiate --eval --strict --json \
    --readonly-mode --store dummy:// "$file") || {
    echo "eval.sh: $file: evaluation failed" >&2
    exit 1
}
case $out in
'{"checks":0,'*)
    echo "eval.sh: $file: no checks ran: $out" >&2
    exit 1
    ;;
'{"checks":'*',"failures":[]}')
    echo "eval.sh: $file: $out"
    ;;
*)
    echo "eval.sh: $file: FAILED: $out" >&2
    exit 1
    ;;
esac
