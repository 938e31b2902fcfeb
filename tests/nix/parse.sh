#!/bin/sh
# nix-instantiate --parse on every .nix file of the source tree (the flake,
# nix/, tests/): a syntax error anywhere fails, naming the file.
set -eu
src=$1
files=$(find "$src/flake.nix" "$src/nix" "$src/tests" -name '*.nix' -type f | sort)
n=0
failed=0
for f in $files; do
    n=$((n + 1))
    if ! nix-instantiate --parse "$f" >/dev/null; then
        echo "parse.sh: $f does not parse" >&2
        failed=$((failed + 1))
    fi
done
if [ "$n" -lt 10 ]; then
    echo "parse.sh: only $n .nix files found under $src; expected the packaging's" >&2
    exit 1
fi
echo "parse.sh: $n files, $failed failed"
[ "$failed" = 0 ]
