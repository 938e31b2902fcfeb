#!/bin/bash
# A demo sandbox through burrow's drop-in bwrap: the host's /usr read-only,
# a tmpfs home, no network, its own hostname; it shows what it sees.
# Usage: scripts/demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
bwrap=${1:-$src/build}/bin/bwrap
if [ ! -x "$bwrap" ]; then
    echo "demo.sh: $bwrap not found; build first (cmake --preset default && cmake --build build)" >&2
    exit 1
fi
echo "demo.sh: running a sandbox with $bwrap"
exec "$bwrap" \
    --ro-bind /usr /usr \
    --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
    --symlink usr/bin /bin --symlink usr/sbin /sbin \
    --proc /proc --dev /dev --tmpfs /tmp \
    --tmpfs /home/demo --chdir /home/demo \
    --unshare-all --hostname burrow-demo \
    --uid 1000 --gid 1000 \
    --clearenv --setenv PATH /usr/bin:/bin --setenv HOME /home/demo \
    --die-with-parent \
    /bin/sh -c '
        echo "--- id:       $(id)"
        echo "--- hostname: $(hostname)"
        echo "--- cwd:      $(pwd)"
        echo "--- ls /:"; ls /
        echo "--- network interfaces:"; ls /sys/class/net 2>/dev/null || cat /proc/net/dev
        echo "--- writing to /usr:"; touch /usr/x 2>&1 || true'
