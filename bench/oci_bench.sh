#!/bin/bash
# burrow as an OCI runtime against the C and Go runtimes (issue 18), each
# pair interleaved in one farm-bench call (ratio pair by pair):
#   1. `podman run --rm IMAGE true` with --runtime burrow-oci vs runc, and
#      and vs crun (on a hybrid cgroup host through a wrapper, see below);
#   2. start-to-exit of `burrow-oci run` vs `runc run` (and crun) on the
#      same bundle (busybox-static root, `true`), without podman.
# Usage: bench/oci_bench.sh [BUILD_DIR] [RUNS]   (as root or as a user with
# rootless podman). Needs farm-bench, podman, runc; prints the figures.
set -euo pipefail
build=${1:-build}
runs=${2:-20}
# Not realpath: burrow-oci is a link to burrow, which reads its name.
oci=$(cd "$build/bin" && pwd)/burrow-oci
[ -x "$oci" ] || { echo "oci_bench: no $oci (build burrow first)" >&2; exit 1; }
command -v farm-bench >/dev/null || { echo "oci_bench: farm-bench is not installed" >&2; exit 1; }
runc=$(command -v runc) crun=$(command -v crun || true)
tmp=$(mktemp -d /tmp/burrow-oci-bench.XXXXXX)
pm=(podman --root "$tmp/storage" --runroot "$tmp/run" --tmpdir "$tmp/ptmp" --storage-driver vfs)
cleanup() {
    "${pm[@]}" system reset --force >/dev/null 2>&1 || true
    [ -f "$tmp/xdg/libpod/tmp/pause.pid" ] && kill -9 "$(cat "$tmp/xdg/libpod/tmp/pause.pid")" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -m 0700 "$tmp/xdg"
export XDG_RUNTIME_DIR=$tmp/xdg CONTAINERS_CONF=$tmp/containers.conf
# This machine's root may not raise nofile to podman's default 1048576.
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$CONTAINERS_CONF"

# The root file system: busybox-static and the applets used.
root=$tmp/bundle/rootfs
mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp}
cp /usr/bin/busybox "$root/bin/"
for a in sh true; do ln -s busybox "$root/bin/$a"; done
tar -C "$root" -cf "$tmp/rootfs.tar" .
"${pm[@]}" import "$tmp/rootfs.tar" localhost/oci-bench:1 >/dev/null 2>&1
image=localhost/oci-bench:1

# Each command of a pair must work before it is timed: farm-bench times a
# failing command as readily as a working one.
works() {
    local out
    if ! out=$("$@" 2>&1); then
        echo "oci_bench: this fails, nothing timed: $*" >&2
        echo "$out" >&2
        exit 1
    fi
}

echo "oci_bench: $(date -u +%FT%TZ), uid $(id -u), load $(cut -d' ' -f1-3 /proc/loadavg), $runs pairs each"
works "${pm[@]}" --runtime "$oci" run --rm --network none "$image" true
works "${pm[@]}" --runtime "$runc" run --rm --network none "$image" true
echo "== podman run --rm --network none $image true: burrow-oci vs runc"
farm-bench -n "$runs" --timeout 900 --vs "${pm[*]} --runtime $runc run --rm --network none $image true" \
    -- "${pm[@]}" --runtime "$oci" run --rm --network none "$image" true
# crun refuses this host's hybrid cgroups ("cgroups in hybrid mode not
# supported"): it runs in a mount namespace of its own where an empty tmpfs
# hides the cgroup2 mount at /sys/fs/cgroup/unified, so that it sees a plain
# cgroup v1 host. burrow runs through the same wrapper in that pair, so both
# pay for it.
wrap() { # NAME RUNTIME: prints the wrapper's path
    cat >"$tmp/$1" <<EOW
#!/bin/sh
exec /usr/bin/unshare -m /bin/sh -c 'mount -t tmpfs -o size=4k none /sys/fs/cgroup/unified && exec "\$0" "\$@"' $2 "\$@"
EOW
    chmod +x "$tmp/$1"
    echo "$tmp/$1"
}
if [ -n "$crun" ]; then
    crun_w=$(wrap crun-v1 "$crun") oci_w=$(wrap burrow-v1 "$oci")
    if "${pm[@]}" --runtime "$crun_w" run --rm --network none "$image" true >/dev/null 2>&1; then
        works "${pm[@]}" --runtime "$oci_w" run --rm --network none "$image" true
        echo "== podman run --rm: burrow-oci vs crun (both through the cgroup v1 wrapper)"
        farm-bench -n "$runs" --timeout 900 --vs "${pm[*]} --runtime $crun_w run --rm --network none $image true" \
            -- "${pm[@]}" --runtime "$oci_w" run --rm --network none "$image" true
    else
        echo "== crun does not run here even through the wrapper: no crun figure"
        crun=
    fi
fi

# A bundle for the runtimes themselves: runc's own default spec (rootless
# when not root), running `true` without a terminal.
(cd "$tmp/bundle" && if [ "$(id -u)" = 0 ]; then "$runc" spec; else "$runc" spec --rootless; fi)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' "$tmp/bundle/config.json"
grep -q '"true"' "$tmp/bundle/config.json" || { echo "oci_bench: could not set args in config.json" >&2; exit 1; }
state=$tmp/state
mkdir -p "$state/burrow" "$state/runc"
works "$oci" --root "$state/burrow" run --bundle "$tmp/bundle" b-burrow
works "$runc" --root "$state/runc" run --bundle "$tmp/bundle" b-runc
echo "== start to exit on one bundle: burrow-oci run vs runc run"
farm-bench -n "$runs" --timeout 900 --vs "$runc --root $state/runc run --bundle $tmp/bundle b-runc" \
    -- "$oci" --root "$state/burrow" run --bundle "$tmp/bundle" b-burrow
if [ -n "$crun" ]; then
    mkdir -p "$state/crun"
    works "$oci_w" --root "$state/burrow" run --bundle "$tmp/bundle" b-burrow
    works "$crun_w" --root "$state/crun" run --bundle "$tmp/bundle" b-crun
    echo "== start to exit on one bundle: burrow-oci run vs crun run (both through the wrapper)"
    farm-bench -n "$runs" --timeout 900 --vs "$crun_w --root $state/crun run --bundle $tmp/bundle b-crun" \
        -- "$oci_w" --root "$state/burrow" run --bundle "$tmp/bundle" b-burrow
fi
