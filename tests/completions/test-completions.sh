#!/bin/bash
# Shell completions of burrow (completions/): SHELL is bash, zsh or fish.
#  bash: the file loads and registers _burrow for burrow; a COMP_WORDS
#        simulation completes subcommands, sub-subcommands, options and
#        option values; every subcommand `burrow --help` lists is offered.
#  zsh:  the file parses (zsh -n) and compinit registers it for burrow.
#  fish: the file parses and `complete -C` offers the same subcommands.
# zsh and fish parts exit 77 (skip) when that shell is not installed.
set -u
shell=$1
src=$2
burrow=${BURROW_BIN:?BURROW_BIN is not set}
failures=0
checks=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# expect NAME WANT GOT
expect() {
    checks=$((checks + 1))
    [ "$2" = "$3" ] || fail "$1: want [$2], got [$3]"
}
# The subcommands burrow itself lists, sorted, one line.
listed=$("$burrow" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z-]*\) .*/\1/p' | sort | tr '\n' ' ')
[ -n "$listed" ] || fail "no subcommands in burrow --help"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# File completion candidates are predictable in an empty directory.
cd "$work"
mkdir "project dir"
: >my.toml

case $shell in
bash)
    # complete WORDS...: candidates for the last word (may be empty), sorted.
    complete_words() {
        bash -c '
            source "$1" || exit 1
            shift
            COMP_WORDS=("$@")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE="${COMP_WORDS[*]}"
            COMP_POINT=${#COMP_LINE}
            _burrow burrow "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            ((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
        ' bash "$src/completions/burrow.bash" "$@"
    }
    expect "complete -p" "complete -F _burrow burrow" \
        "$(bash -c 'source "$1" && complete -p burrow' bash "$src/completions/burrow.bash")"
    all=$(complete_words burrow "")
    expect "subcommands" "bwrap enter launch manager nix oci policy ps remote run seccomp stop " "$all"
    for s in $listed; do
        checks=$((checks + 1))
        case " $all " in *" $s "*) ;; *) fail "burrow --help lists $s, the completion does not offer it" ;; esac
    done
    expect "prefix" "policy ps " "$(complete_words burrow p)"
    expect "options" "--help --version " "$(complete_words burrow --)"
    expect "policy subcommands" "check schema show to-bwrap " "$(complete_words burrow policy "")"
    expect "oci commands" "create delete exec features kill pause ps resume run spec start state " \
        "$(complete_words burrow oci "")"
    expect "oci commands after --root" "create delete exec features kill pause ps resume run spec start state " \
        "$(complete_words burrow oci --root /run/x "")"
    expect "seccomp subcommands" "check explain export groups " "$(complete_words burrow seccomp "")"
    expect "nix subcommands" "closure " "$(complete_words burrow nix "")"
    expect "manager options" "--config --help --listen --socket --state-dir " \
        "$(complete_words burrow manager --)"
    expect "launch --backend" "container namespace vm " "$(complete_words burrow launch --backend "")"
    expect "launch options" "--network --new --no-network " "$(complete_words burrow launch --n)"
    expect "launch --network" "host none private " "$(complete_words burrow launch --network "")"
    expect "launch project dir" "project dir " "$(complete_words burrow launch --no-network "")"
    expect "launch --allow-net" "--allow-net " "$(complete_words burrow launch --al)"
    expect "launch --allow-net RULE: no files" "" "$(complete_words burrow launch --allow-net "")"
    expect "run --policy" "agent ci minimal my.toml project dir " "$(complete_words burrow run --policy "")"
    expect "policy check file" "my.toml " "$(complete_words burrow policy check m)"
    expect "policy show options" "--json " "$(complete_words burrow policy show --j)"
    expect "bwrap options" "--unshare-net " "$(complete_words burrow bwrap --ro-bind /usr /usr --unshare-n)"
    expect "seccomp-profile" "ci " "$(complete_words burrow bwrap --seccomp-profile c)"
    expect "command after --: none" "" "$(complete_words burrow run --policy ci -- burrow-no-such-command-xyz)"
    expect "command after --: found" "bash" \
        "$(complete_words burrow run --policy ci -- bash | tr ' ' '\n' | grep -x bash | sort -u)"
    expect "launch: command after --" "bash" \
        "$(complete_words burrow launch . -- bash | tr ' ' '\n' | grep -x bash | sort -u)"
    expect "ps" "--json " "$(complete_words burrow ps --j)"
    ;;
zsh)
    if ! command -v zsh >/dev/null 2>&1; then
        echo "test-completions: zsh not installed (apt-get install zsh); skipping" >&2
        exit 77
    fi
    checks=$((checks + 1))
    zsh -n "$src/completions/_burrow" || fail "zsh -n _burrow"
    checks=$((checks + 1))
    grep -q "'\*--allow-net=" "$src/completions/_burrow" || fail "_burrow lacks launch --allow-net"
    expect "compinit registers _burrow" "_burrow" \
        "$(HOME=$work zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[burrow]}' zsh "$src/completions")"
    for s in $listed; do
        checks=$((checks + 1))
        grep -q "'$s:" "$src/completions/_burrow" || fail "burrow --help lists $s, _burrow does not"
    done
    ;;
fish)
    if ! command -v fish >/dev/null 2>&1; then
        echo "test-completions: fish not installed (apt-get install fish); skipping" >&2
        exit 77
    fi
    fcomplete() { # LINE: candidates (first column), sorted, one line
        HOME=$work XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data fish --no-config -c \
            'source $argv[1]; complete -C"$argv[2]"' "$src/completions/burrow.fish" "$1" |
            cut -f1 | sort | tr '\n' ' '
    }
    checks=$((checks + 1))
    fish --no-execute "$src/completions/burrow.fish" || fail "fish --no-execute burrow.fish"
    all=$(fcomplete "burrow ")
    expect "subcommands" "bwrap enter launch manager nix oci policy ps remote run seccomp stop " "$all"
    for s in $listed; do
        checks=$((checks + 1))
        case " $all " in *" $s "*) ;; *) fail "burrow --help lists $s, burrow.fish does not" ;; esac
    done
    expect "launch --backend" "container namespace vm " "$(fcomplete "burrow launch --backend ")"
    expect "launch --allow-net" "--allow-net " "$(fcomplete "burrow launch --allow")"
    expect "policy subcommands" "check schema show to-bwrap " "$(fcomplete "burrow policy ")"
    expect "oci commands" "create delete exec features kill pause ps resume run spec start state " \
        "$(fcomplete "burrow oci ")"
    expect "bwrap options" "--unshare-net " "$(fcomplete "burrow bwrap --unshare-n")"
    ;;
*)
    echo "usage: test-completions.sh bash|zsh|fish SOURCE_DIR" >&2
    exit 2
    ;;
esac
echo "test-completions $shell: $checks checks, $failures failed"
[ "$failures" = 0 ]
