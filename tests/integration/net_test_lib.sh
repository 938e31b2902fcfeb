# Shared by the network tests (net_private.sh, net_allow.sh), sourced after
# they define fail() and start their servers ($server: the pid to spare).

# burrow without the test's capabilities: as the user, an ordinary
# unprivileged caller (root stays root). A prefix, not a function: "&" and
# "$!" must see burrow itself.
run_as=()
[ "$(id -u)" = 0 ] || run_as=(setpriv --inh-caps=-all --ambient-caps=-all --)

# Every process of this pid namespace but the test itself and its server.
# No subshell: it would count itself.
leftovers() {
    left=""
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        # A zombie is dead already (waiting for pid 1, this script).
        local stat=""
        read -r stat <"/proc/$p/stat" 2>/dev/null || continue
        stat=${stat##*) }
        [ "${stat%% *}" = Z ] && continue
        [ "$p" = 1 ] || [ "$p" = "$server" ] || [ "$p" = "$$" ] || left="$left $p"
    done
}

# check_nothing_left WHAT: no process left (waiting up to 3 s for the ones
# ending), and no nftables state in the caller's namespace (here the
# test's): the egress rules live in the sandbox's.
check_nothing_left() {
    for _ in $(seq 30); do
        leftovers
        [ -z "$left" ] && break
        sleep 0.1
    done
    local p
    for p in $left; do
        fail "$1: process $p ($(cat /proc/"$p"/comm 2>/dev/null)) left behind: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"
        kill -9 "$p" 2>/dev/null
    done
    if command -v nft >/dev/null; then
        local rules
        rules=$(nft list tables 2>&1)
        [ -z "$rules" ] || fail "$1: nftables state in the caller's namespace: $rules"
    fi
}
