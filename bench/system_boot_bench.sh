#!/bin/bash
# system_boot_bench.sh: what booting a system's own init costs (issue 17;
# not a test, not in CI; run by hand on an idle machine):
#   BURROW_BIN=build/bin/burrow bench/system_boot_bench.sh [--runs N] [--backends "vm container"]
# vm: `burrow launch --backend vm --accel tcg --no-network --system DIR -- true`
#     (Debian's systemd as pid 1, burrow's agent as burrow-agent.service)
#     against the same launch with the agent as pid 1 (--kernel, no --system).
# container (root only): `burrow launch --backend container --system DIR -- true`
#     against today's container launch.
# DIR is the system tests/integration/test_vm.cpp boots: /lib/systemd/systemd
# as init, the Debian kernel, an etc/ of its own with the units that only
# cost boot time in a throwaway machine masked (the list in test_vm.cpp). Each pair runs A then B
# through farm-bench (interleaved, ratio pair by pair); quote the medians.
set -eu

runs=5 backends="vm container"
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift ;;
    --backends) backends=$2; shift ;;
    *) echo "system_boot_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
burrow=${BURROW_BIN:-build/bin/burrow}
burrow=$(realpath "$burrow")
kernel=$(ls /boot/vmlinuz-* | tail -1)
work=$(mktemp -d /tmp/burrow-system-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
sys=$work/system
units=$sys/etc/systemd/system
mkdir -p "$units/multi-user.target.wants" "$work/project"
ln -s /lib/systemd/systemd "$sys/init"
ln -s "$kernel" "$sys/kernel"
cp /etc/passwd /etc/group /etc/nsswitch.conf "$sys/etc/"
cp /usr/lib/os-release "$sys/etc/os-release"
: > "$sys/etc/machine-id"
for u in systemd-udev-trigger.service systemd-udevd.service systemd-udevd-control.socket \
         systemd-udevd-kernel.socket systemd-journal-flush.service systemd-update-utmp.service \
         systemd-random-seed.service systemd-tmpfiles-setup.service \
         systemd-tmpfiles-setup-dev.service systemd-binfmt.service \
         proc-sys-fs-binfmt_misc.automount systemd-sysctl.service systemd-remount-fs.service \
         kmod-static-nodes.service modprobe@.service sys-kernel-debug.mount \
         sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
         dev-hugepages.mount dev-mqueue.mount; do
    ln -s /dev/null "$units/$u"
done
ln -s /lib/systemd/system/multi-user.target "$units/default.target"
chmod -R o+rX "$work"
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
echo "load: $(cat /proc/loadavg)"
for b in $backends; do
    case $b in
    vm)
        a=("$burrow" launch --backend vm --accel tcg --no-network --no-agent-dir --no-seed --new
           --system "$sys" "$work/project" -- true)
        base="$burrow launch --backend vm --accel tcg --no-network --no-agent-dir --no-seed --new --kernel $kernel $work/project -- true"
        ;;
    container)
        a=("$burrow" launch --backend container --no-network --no-agent-dir --no-seed --new
           --system "$sys" "$work/project" -- true)
        base="$burrow launch --backend container --no-network --no-agent-dir --no-seed --new $work/project -- true"
        ;;
    *) echo "system_boot_bench.sh: unknown backend $b" >&2; exit 2 ;;
    esac
    echo "== $b: --system (A) against the same launch without it (B)"
    farm-bench -n "$runs" --timeout 1800 --vs "$base" -- "${a[@]}"
done
echo "load: $(cat /proc/loadavg)"
