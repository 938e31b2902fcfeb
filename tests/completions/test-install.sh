#!/bin/sh
# `cmake --install` of a build tree into a temporary prefix puts what
# nix/package.nix (and any distribution package) relies on where it
# belongs: bin/burrow, the bin/bwrap and bin/burrow-oci symlinks, the man pages and the three
# shell completions.
set -eu
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
failures=0
for f in bin/burrow share/man/man1/burrow.1 share/man/man1/burrow-bwrap.1 share/man/man5/burrow-policy.5 \
    share/bash-completion/completions/burrow share/zsh/site-functions/_burrow \
    share/fish/vendor_completions.d/burrow.fish; do
    if [ ! -f "$prefix/$f" ]; then
        echo "FAIL: $f not installed" >&2
        failures=$((failures + 1))
    fi
done
if [ "$(readlink "$prefix/bin/bwrap" || true)" != burrow ]; then
    echo "FAIL: bin/bwrap is not a symlink to burrow" >&2
    failures=$((failures + 1))
fi
if [ "$(readlink "$prefix/bin/burrow-oci" || true)" != burrow ]; then
    echo "FAIL: bin/burrow-oci is not a symlink to burrow" >&2
    failures=$((failures + 1))
fi
if [ ! -f "$prefix/share/man/man1/burrow-oci.1" ]; then
    echo "FAIL: share/man/man1/burrow-oci.1 not installed" >&2
    failures=$((failures + 1))
fi
# Installed stripped: no debug sections, and it still runs.
if readelf -S "$prefix/bin/burrow" | grep -q '\.debug_'; then
    echo "FAIL: bin/burrow is installed with debug info" >&2
    failures=$((failures + 1))
fi
if ! "$prefix/bin/burrow" --version >/dev/null; then
    echo "FAIL: the installed bin/burrow does not run" >&2
    failures=$((failures + 1))
fi
echo "installed bin/burrow: $(stat -c %s "$prefix/bin/burrow") bytes"
echo "test-install: $failures failed"
[ "$failures" = 0 ]
