# bash completion for burrow(1): subcommands, their options and the values
# options take (backends, built-in policies and seccomp profiles, files).
# Installed as share/bash-completion/completions/burrow. Self-contained: it
# does not need the bash-completion package's helpers.

_burrow_reply() { # WORDS...: the words that start with $cur
    local IFS=$'\n'
    # shellcheck disable=SC2207
    COMPREPLY+=($(compgen -W "$*" -- "$cur"))
}
_burrow_files() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    # shellcheck disable=SC2207
    COMPREPLY+=($(compgen -f -- "$cur"))
}
_burrow_dirs() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    # shellcheck disable=SC2207
    COMPREPLY+=($(compgen -d -- "$cur"))
}

_burrow_bwrap_opts='--help --version --args --argv0 --level-prefix --unshare-all --share-net
 --unshare-user --unshare-user-try --unshare-ipc --unshare-pid --unshare-net --unshare-uts
 --unshare-cgroup --unshare-cgroup-try --userns --userns2 --disable-userns
 --assert-userns-disabled --pidns --uid --gid --hostname --chdir --clearenv --setenv --unsetenv
 --lock-file --sync-fd --bind --bind-try --dev-bind --dev-bind-try --ro-bind --ro-bind-try
 --bind-fd --ro-bind-fd --remount-ro --overlay-src --overlay --tmp-overlay --ro-overlay
 --exec-label --file-label --proc --dev --tmpfs --mqueue --dir --file --bind-data
 --ro-bind-data --symlink --seccomp --add-seccomp-fd --block-fd --userns-block-fd --info-fd
 --json-status-fd --new-session --die-with-parent --as-pid-1 --cap-add --cap-drop --perms
 --size --chmod --not-a-security-boundary --seccomp-profile --seccomp-log-denials
 --nix-closure --nix-closure-file --nix-daemon --nix-db --nix-reader'

_burrow() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    # The subcommand, its subcommand (policy, nix, seccomp) and whether a
    # "--" ended burrow's own options (then: the command to run).
    local i word sub= sub2= dashdash=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then
            dashdash=$i
            break
        fi
        [[ $word == -* ]] && continue
        if [[ -z $sub ]]; then
            sub=$word
        elif [[ -z $sub2 && $sub == @(policy|nix|seccomp) ]]; then
            sub2=$word
        elif [[ -z $sub2 && $sub == oci &&
            $word == @(create|start|state|kill|delete|run|exec|ps|pause|resume|features|spec) ]]; then
            sub2=$word # (not the value of --root or --log before it)
        fi
    done

    if ((dashdash)); then
        if ((COMP_CWORD == dashdash + 1)); then
            compopt -o filenames 2>/dev/null
            local IFS=$'\n'
            # shellcheck disable=SC2207
            COMPREPLY=($(compgen -c -- "$cur"))
        else
            _burrow_files
        fi
        return 0
    fi

    # Values of options, by the option before the cursor.
    case $prev in
    --backend) _burrow_reply namespace container vm; return 0 ;;
    --network) _burrow_reply private host none; return 0 ;;
    --policy) _burrow_reply minimal agent ci; _burrow_files; return 0 ;;
    --seccomp-profile) _burrow_reply default strict ci none; _burrow_files; return 0 ;;
    --reader | --nix-reader) _burrow_reply auto sqlite nix-store; return 0 ;;
    --abi) _burrow_reply x86_64 i386 x32; return 0 ;;
    --store-dir | --chdir | --kernel-modules | --system) _burrow_dirs; return 0 ;;
    --accel) _burrow_reply auto kvm tcg; return 0 ;;
    --status-file | --closure-file | --db | --kernel | --initrd | --nix-closure | \
        --nix-closure-file | --nix-db | --bind | --ro-bind | --bind-try | --ro-bind-try | \
        --dev-bind | --dev-bind-try | --remount-ro | --overlay-src | --lock-file | --file)
        _burrow_files
        return 0
        ;;
    --set | --env | --append | --memory | --cores | --json-status-fd | --info-fd | --keep-fd | \
        --allow-net | --uid | --gid | --hostname | --setenv | --unsetenv | --args | --argv0 | \
        --cap-add | --cap-drop | --perms | --size | --chmod | --userns | --userns2 | \
        --pidns | --sync-fd | --block-fd | --userns-block-fd | --seccomp | --add-seccomp-fd | \
        --exec-label | --file-label | --bind-fd | --ro-bind-fd)
        return 0 # free text or numbers
        ;;
    esac

    case $sub in
    '')
        if [[ $cur == -* ]]; then
            _burrow_reply --help --version
        else
            _burrow_reply bwrap oci seccomp nix run policy launch enter stop ps manager remote
        fi
        ;;
    bwrap)
        # shellcheck disable=SC2086
        _burrow_reply $_burrow_bwrap_opts
        ;;
    run)
        if [[ $cur == -* ]]; then
            _burrow_reply --help --policy --set --env --bind --ro-bind --status-file \
                --json-status-fd --info-fd --keep-fd --verbose --
        fi
        ;;
    launch)
        if [[ $cur == -* ]]; then
            _burrow_reply --help --backend --shell --tmux --network --no-network --allow-net \
                --gh-token --ssh-keys --env \
                --bind --ro-bind --policy --new --keep-fd --sudo --kernel --initrd --append \
                --memory --cores --accel --display --system --
        else
            _burrow_dirs
        fi
        ;;
    enter)
        if [[ $cur == -* ]]; then
            _burrow_reply --help --keep-fd --
        else
            _burrow_dirs
        fi
        ;;
    stop)
        if [[ $cur == -* ]]; then
            _burrow_reply --help
        else
            _burrow_dirs
        fi
        ;;
    ps)
        _burrow_reply --help --json
        ;;
    oci)
        if [[ $sub2 == '' ]]; then
            if [[ $cur == -* ]]; then
                _burrow_reply --help --root --log --log-format --systemd-cgroup --debug --rootless
            else
                _burrow_reply create start state kill delete run exec ps pause resume features spec
            fi
        elif [[ $prev == --bundle || $prev == -b || $prev == --root ]]; then
            _burrow_dirs
        elif [[ $prev == --pid-file || $prev == --console-socket || $prev == --process || $prev == --log ]]; then
            _burrow_files
        fi
        ;;
    manager)
        case $prev in
        --state-dir) _burrow_dirs ;;
        --socket | --config) _burrow_files ;;
        --listen) ;;
        *) _burrow_reply --help --socket --listen --state-dir --config ;;
        esac
        ;;
    policy)
        case $sub2 in
        '') _burrow_reply check show to-bwrap schema ;;
        check) [[ $cur == -* ]] && _burrow_reply --help --set || _burrow_files ;;
        show) [[ $cur == -* ]] && _burrow_reply --help --set --json || _burrow_files ;;
        to-bwrap) [[ $cur == -* ]] && _burrow_reply --help --set --nul --shell || _burrow_files ;;
        schema) _burrow_reply --help ;;
        esac
        ;;
    nix)
        case $sub2 in
        '') _burrow_reply closure ;;
        closure)
            if [[ $cur == -* ]]; then
                _burrow_reply --help --closure-file --json --store-dir --db --reader
            else
                _burrow_files
            fi
            ;;
        esac
        ;;
    seccomp)
        case $sub2 in
        '') _burrow_reply export explain check groups ;;
        export | explain)
            [[ $cur == -* ]] && _burrow_reply --help || { _burrow_reply default strict ci none; _burrow_files; }
            ;;
        check) [[ $cur == -* ]] && _burrow_reply --help --abi || _burrow_reply default strict ci none ;;
        groups) _burrow_reply --help ;;
        esac
        ;;
    esac
    return 0
}

complete -F _burrow burrow
