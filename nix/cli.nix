# The remote CLI: `burrow remote` (burrow-remote(1)) as a package of its
# own, flake output `cli`, with two commands:
#  - burrow-remote: `burrow remote "$@"` (HOST is its first argument);
#  - claude-remote: the seed's CLI (claude-code-nix-sandbox's
#    scripts/claude-remote.nix), configured as the seed's is:
#    CLAUDE_REMOTE_HOST, CLAUDE_REMOTE_PORT (ui's local port, default 3000),
#    CLAUDE_REMOTE_SSH_OPTS (one --ssh-option per word), or host=, port=,
#    ssh_opts= lines of ${XDG_CONFIG_HOME:-~/.config}/claude-remote/config;
#    its commands map onto burrow remote's: create NAME BACKEND DIR
#    [--no-network] (BACKEND is one of the manager's backend names), list|ls,
#    attach, stop, delete|rm, ui. `create --sync` (rsync) and `metrics` have
#    no burrow equivalent and say so.
#
#   pkgs.callPackage "${burrow}/nix/cli.nix" { }
{ lib, callPackage, writeShellApplication, symlinkJoin
, burrow ? callPackage ./package.nix { }
}:

let
  exe = lib.escapeShellArg (lib.getExe burrow);
  text = ''
    exec ${exe} remote "$@"
  '';
  seedText = ''
    cfg_host="" cfg_port="" cfg_ssh_opts=""
    config_file="''${XDG_CONFIG_HOME:-$HOME/.config}/claude-remote/config"
    if [ -f "$config_file" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        line="''${line%%#*}"
        [ -z "''${line// /}" ] && continue
        key="''${line%%=*}"; val="''${line#*=}"
        key="''${key// /}"; val="''${val# }"; val="''${val% }"
        case $key in
          host) cfg_host=$val ;;
          port) cfg_port=$val ;;
          ssh_opts) cfg_ssh_opts=$val ;;
        esac
      done < "$config_file"
    fi
    host="''${CLAUDE_REMOTE_HOST:-$cfg_host}"
    port="''${CLAUDE_REMOTE_PORT:-''${cfg_port:-3000}}"
    ssh=()
    read -r -a words <<< "''${CLAUDE_REMOTE_SSH_OPTS:-$cfg_ssh_opts}"
    for w in "''${words[@]}"; do ssh+=("--ssh-option=$w"); done

    cmd="''${1:-help}"
    shift || true
    case $cmd in
      help|--help|-h)
        cat <<'USAGE'
    Usage: claude-remote <command> [args]   (burrow: burrow remote HOST ..., see burrow-remote(1))

      create <name> <backend> <project-dir> [--no-network]
      list | ls
      attach <id>
      stop <id>
      delete | rm <id>
      ui
    USAGE
        exit 0 ;;
    esac
    if [ -z "$host" ]; then
      echo "Error: host is not set (use CLAUDE_REMOTE_HOST or config file)" >&2
      exit 1
    fi
    remote=(${exe} remote "''${ssh[@]}" "$host")
    case $cmd in
      create)
        if [ $# -lt 3 ]; then
          echo "Usage: claude-remote create <name> <backend> <project-dir> [--no-network]" >&2
          exit 1
        fi
        name=$1 backend=$2 project=$3
        shift 3
        net=()
        for a in "$@"; do
          case $a in
            --no-network) net=(--network none) ;;
            --sync) echo "claude-remote: create --sync: not supported by burrow (copy the project with rsync first)" >&2; exit 1 ;;
          esac
        done
        exec "''${remote[@]}" create --name "$name" --backend "$backend" "''${net[@]}" "$project" ;;
      list|ls) exec "''${remote[@]}" list ;;
      attach|stop) exec "''${remote[@]}" "$cmd" "$@" ;;
      delete|rm) exec "''${remote[@]}" delete "$@" ;;
      ui) exec "''${remote[@]}" ui --port "$port" ;;
      metrics) echo "claude-remote: metrics: not supported by burrow (the dashboard shows them: claude-remote ui)" >&2; exit 1 ;;
      *) echo "claude-remote: unknown command: $cmd" >&2; exit 1 ;;
    esac
  '';
  meta = {
    description = "burrow remote: drive the sandbox manager of another machine over ssh";
    mainProgram = "burrow-remote";
    platforms = lib.platforms.linux;
  };
in
symlinkJoin {
  name = "burrow-remote";
  paths = [
    (writeShellApplication { name = "burrow-remote"; inherit text meta; })
    (writeShellApplication { name = "claude-remote"; text = seedText; meta = meta // { mainProgram = "claude-remote"; }; })
  ];
  passthru = { inherit burrow text seedText; };
  inherit meta;
}
