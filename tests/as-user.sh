#!/bin/sh
# Runs a test binary as an unprivileged user: as root, as user "burrowtest"
# (created by CI with `useradd -m burrowtest`), exiting 77 (CTest's skip
# code) when that user does not exist; as anyone else, directly.
# With --root-only: runs it as root, and exits 77 for anyone else.
# (tests/burrow_test.cmake registers the .user and ROOT_ONLY variants.)
set -eu
if [ "$#" -ge 1 ] && [ "$1" = --root-only ]; then
    shift
    if [ "$(id -u)" != 0 ]; then
        echo "as-user.sh: this test needs root; skipping" >&2
        exit 77
    fi
    [ "$#" -ge 1 ] && exec "$@"
fi
if [ "$#" -lt 1 ]; then
    echo "usage: as-user.sh [--root-only] BINARY [ARGS...]" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi
if ! id burrowtest >/dev/null 2>&1; then
    echo "as-user.sh: user burrowtest does not exist (useradd -m burrowtest); skipping" >&2
    exit 77
fi
# setpriv keeps the environment (BURROW_BIN etc. given by CTest) and drops
# every capability and supplementary group, as for a real login.
cd /
exec setpriv --reuid=burrowtest --regid=burrowtest --init-groups --reset-env \
    env ${BURROW_BIN:+BURROW_BIN="$BURROW_BIN"} \
    ${BURROW_PROBE:+BURROW_PROBE="$BURROW_PROBE"} ${BWRAP_REF:+BWRAP_REF="$BWRAP_REF"} \
    ${BURROW_LAUNCH_BACKEND:+BURROW_LAUNCH_BACKEND="$BURROW_LAUNCH_BACKEND"} \
    ${BURROW_LAUNCH_EXTRA_ARGS:+BURROW_LAUNCH_EXTRA_ARGS="$BURROW_LAUNCH_EXTRA_ARGS"} \
    "$@"
