#!/bin/bash
# Installs everything burrow needs to build and test on Debian 12, as root.
# Idempotent: when every package is already present it does not touch apt at
# all, so re-runs are fast and work offline. Quiet: apt's chatter goes to a
# log file that is printed only when something fails.
set -euo pipefail

packages=(
    # toolchain
    build-essential gcc g++ cmake ninja-build pkg-config git ca-certificates
    # libraries burrow links
    libseccomp-dev libcap-dev libmount-dev libsqlite3-dev liblzma-dev
    # header-only libraries and the unit test framework
    libboost-test-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
    # Nix 2.8: the store closure tests build real store paths, run nix-daemon;
    # tests/nix evaluates the packaging. busybox-static: the commands of the
    # sandbox packages that tests/nix builds into the store.
    nix-bin busybox-static
    # shells whose completions (completions/) the tests load
    zsh fish
    # the container launch backend (systemd-nspawn) and its tests
    systemd-container
    # Debian's bwrap 0.8.0: differential tests and the start-time benchmark
    bubblewrap
    # formatting check and man page rendering check
    clang-format groff-base
    # burrow launch --backend vm: QEMU, the guest kernel (its 9p/virtio
    # modules go into the initramfs) and busybox for the --initrd test
    qemu-system-x86 linux-image-amd64 busybox-static
    # the fuzz preset: clang with libFuzzer and the sanitizer runtimes
    clang libclang-rt-14-dev
    # tests: runuser/setpriv (util-linux), useradd (passwd), ip (iproute2)
    util-linux passwd iproute2 procps
    # burrow launch --tmux (the launch session tests attach to its socket)
    tmux
    # network = "private": the user-mode network stacks (pasta, else
    # slirp4netns); passt also serves the VM guest's NIC
    # (launcher/vm/net.hpp); python3 for the network test's servers
    passt slirp4netns python3
    # [network] mode = "allowlist" (runtime/egress/): libnftables installs
    # the steering rules in the sandbox's namespace; c-ares parses DNS
    # messages and queries the host's resolvers. openssl and curl: the
    # allowlist test's CA, TLS server and client.
    libnftables-dev libc-ares-dev openssl curl
    # `burrow remote` runs the real ssh client; its test starts its own
    # sshd (a private config, key pair and port) on 127.0.0.1
    openssh-client openssh-server
)

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: must run as root (it calls apt-get)" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

# openssh-server's postinst starts the system's sshd (port 22, host keys
# generated) where init scripts may run. burrow's tests start their own
# sshd and want no system one listening: Debian's ssh init script and
# systemd unit do nothing while this file exists. Made only before the
# package's first installation, so an administrator's sshd is never touched.
if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ ! -e /usr/sbin/sshd ]; then
    mkdir -p /etc/ssh
    touch /etc/ssh/sshd_not_to_be_run
fi

log=$(mktemp /tmp/burrow-install-deps.XXXXXX.log)
echo "install-deps: installing ${missing[*]} (log: $log)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } \
    </dev/null >"$log" 2>&1; then
    echo "install-deps: apt-get failed; its log follows" >&2
    cat "$log" >&2
    exit 1
fi
rm -f "$log"
echo "install-deps: done"
