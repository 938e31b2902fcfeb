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
    # burrow manager: screenshots of a sandbox's display (Xvfb with a cookie,
    # zlib for the PNG); xsetroot paints the display in the test
    xvfb zlib1g-dev x11-xserver-utils
    # burrow manager's browser test (tests/e2e/manager_browser.js, run by
    # Node.js) drives Debian's Chromium headless
    chromium nodejs
    # `burrow remote` runs the real ssh client; its test starts its own
    # sshd (a private config, key pair and port) on 127.0.0.1
    openssh-client openssh-server
    # burrow oci (issue 18): the real clients that call an OCI runtime
    # (podman with conmon; containerd's runc shim, driven by ctr), the
    # runtimes it is compared with (runc; crun refuses hybrid cgroup
    # hosts), and newuidmap/newgidmap for rootless podman
    podman conmon containerd runc crun uidmap
)

# The dashboard's terminal (burrow manager) is xterm.js. Debian's node-xterm
# has no browser bundle, so the npm registry's @xterm/xterm is vendored here,
# outside the repository, at an exact version whose tarball is checked
# against the registry's integrity recorded below. CMake's BURROW_XTERM_DIR
# (default this directory) embeds lib/xterm.js and css/xterm.css when they
# exist; without them the dashboard falls back to a line-mode terminal.
xterm_version=5.5.0
xterm_integrity=sha512-hqJHYaQb5OptNunnyAnkHyM8aCjZ1MEIDTQu1iIbbTD/xops91NB5yq1ZK/dC2JDbVWtF23zUtl9JE2NqwT87A==
xterm_dir=/usr/local/share/burrow/vendor/xterm-$xterm_version

vendor_xterm() {
    if [ -f "$xterm_dir/lib/xterm.js" ] && [ -f "$xterm_dir/css/xterm.css" ]; then
        echo "install-deps: xterm.js $xterm_version already in $xterm_dir"
        return 0
    fi
    if ! command -v npm >/dev/null; then
        echo "install-deps: npm not found: xterm.js not vendored (the dashboard's" \
            "terminal falls back to line mode)" >&2
        return 0
    fi
    local tmp tgz got
    tmp=$(mktemp -d /tmp/burrow-xterm.XXXXXX)
    # npm pack fetches the tarball only; no package's install script runs.
    if ! (cd "$tmp" && npm pack --silent "@xterm/xterm@$xterm_version" >pack.log 2>&1); then
        # Not fatal: the build works without it (line-mode terminal).
        echo "install-deps: npm pack @xterm/xterm@$xterm_version failed (the" \
            "dashboard's terminal falls back to line mode):" >&2
        cat "$tmp/pack.log" >&2
        rm -rf "$tmp"
        return 0
    fi
    tgz=$tmp/xterm-xterm-$xterm_version.tgz
    got=sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
    if [ "$got" != "$xterm_integrity" ]; then
        echo "install-deps: @xterm/xterm@$xterm_version: integrity $got, expected" \
            "$xterm_integrity" >&2
        rm -rf "$tmp"
        return 1
    fi
    mkdir -p "$tmp/x" "$(dirname "$xterm_dir")"
    tar -xzf "$tgz" -C "$tmp/x" --no-same-owner package/lib/xterm.js package/css/xterm.css \
        package/LICENSE package/package.json
    chmod -R a+rX "$tmp/x/package"
    # Renamed into place whole: a present directory is a complete one.
    rm -rf "$xterm_dir"
    mv "$tmp/x/package" "$xterm_dir"
    rm -rf "$tmp"
    echo "install-deps: xterm.js $xterm_version vendored in $xterm_dir"
}

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
    vendor_xterm
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
vendor_xterm
echo "install-deps: done"
