# What the three backends share: the generated policy file, the closure and
# the launcher scripts. A backend describes its sandbox as a policy (the same
# schema `burrow run --policy` reads, see burrow-policy(5)), written with
# builtins.toJSON, plus the roots of its Nix closure.
#
# Each launcher package holds two commands:
#  - burrow's (burrow-sandbox, burrow-container, burrow-vm, ...): one
#    `exec burrow launch --backend NAME --policy FILE ... "$@"` line whose
#    arguments are store paths and numbers, each shell-escaped; its arguments
#    are burrow launch's ([OPTIONS] [PROJECT_DIR] [-- COMMAND...]). With a
#    default command (agent or command below) and no COMMAND (no `--`, no
#    --shell), the default command runs instead of $SHELL;
#  - the seed's name (claude-sandbox, claude-sandbox-container,
#    claude-sandbox-vm: claude-code-nix-sandbox's launchers), with the seed's
#    arguments: [--shell] [--tmux] [--gh-token] [--new] [--enter] [--stop]
#    [project-dir] [-- args...], where args go to the agent: the default
#    command (or `claude`, looked up in the sandbox's PATH, as the seed's
#    default) runs with them appended. See README "Coming from
#    claude-code-nix-sandbox".
{ lib, writeText, writeShellApplication, symlinkJoin, closureInfo, burrow }:

rec {
  # network = true (a private network), false (none) or { allow = [ RULE ]; }
  # (an egress allowlist: `burrow launch --allow-net RULE` for each rule,
  # NAME[:PORT], *.NAME[:PORT], IPv4[/PREFIX][:PORT] or [IPv6[/PREFIX]][:PORT];
  # see burrow-network(7)); every backend has it. As { on, allow }; a wrong
  # value fails the evaluation with its reason.
  networkOf = _backend: network:
    if builtins.isBool network then { on = network; allow = [ ]; }
    else if builtins.isAttrs network && builtins.attrNames network == [ "allow" ]
      && builtins.isList network.allow && network.allow != [ ]
      && builtins.all builtins.isString network.allow then
      { on = true; inherit (network) allow; }
    else throw "burrow: network: expected true, false or { allow = [ \"host:port\" ... ]; } (a non-empty list of rules)";

  # The default command as an argument vector, or null ($SHELL): command (a
  # list of words, or a string: one program, never read by a shell) wins
  # over agent (a package: lib.getExe agent).
  defaultCommandOf = { agent, command }:
    if command != null then
      (if builtins.isList command && command != [ ] && builtins.all builtins.isString command then command
       else if builtins.isString command && command != "" then [ command ]
       else throw "burrow: command: expected a non-empty list of strings or a string (one program)")
    else if agent != null then [ (lib.getExe agent) ]
    else null;

  # name: the launcher's command name ("burrow-sandbox", ...)
  # seedName: the seed's name for it ("claude-sandbox", ...), null for none
  # backend: "namespace", "container" or "vm"
  # network: as networkOf takes it
  # policy: attribute set in burrow-policy(5)'s schema, without [nix]
  # closureRoots: store paths whose closure the sandbox sees at /nix/store
  # extraLaunchArgs: backend options (--system, --memory, ...)
  # defaultCommand: from defaultCommandOf
  # seedEscalate: the seed's launcher re-runs itself through sudo when not
  #   root (the seed's container launcher does)
  # passthru: exposed on the launcher for users, the manager and the tests
  mkLauncher = { name, seedName ? null, backend, network, policy, closureRoots
    , extraLaunchArgs ? [ ], defaultCommand ? null, seedEscalate ? false, passthru ? { } }:
    let
      closure = closureInfo { rootPaths = closureRoots; };
      fullPolicy = policy // {
        nix = { closures = [ "${closure}/store-paths" ]; };
      };
      policyFile = writeText "${name}-policy.json" (builtins.toJSON fullPolicy);
      net = networkOf backend network;
      launchArgs = [ "launch" "--backend" backend "--policy" "${policyFile}" ]
        ++ extraLaunchArgs
        ++ lib.optional (!net.on) "--no-network"
        ++ builtins.concatMap (rule: [ "--allow-net" rule ]) net.allow;
      exe = lib.getExe burrow;
      launch = lib.escapeShellArgs ([ exe ] ++ launchArgs);
      meta = {
        description = "burrow sandbox launcher (${backend} backend${lib.optionalString (!net.on) ", no network"}${lib.optionalString (net.allow != [ ]) ", egress allowlist"})";
        mainProgram = name;
        platforms = lib.platforms.linux;
      };

      # burrow's launcher. Without a default command it is the one line it
      # always was. With one, it scans the arguments only for `--` (a
      # command follows) and --shell/--help/-h (no command wanted); an
      # option's value is never `--` in practice, and the manager always
      # passes `PROJECT_DIR -- ARGV` (burrow-manager(1)).
      text =
        if defaultCommand == null then ''
          exec ${launch} "$@"
        '' else ''
          for arg in "$@"; do
            case $arg in
              --|--shell|--help|-h) exec ${launch} "$@" ;;
            esac
          done
          exec ${launch} "$@" -- ${lib.escapeShellArgs defaultCommand}
        '';
      main = writeShellApplication { inherit name text meta; };

      # The seed's launcher: its argument parsing (claude-code-nix-sandbox's
      # nix/backends/*.nix usage lines), mapped onto burrow launch, enter
      # and stop. Everything after the project dir (or after `--`) goes to
      # the agent, as one word each. ANTHROPIC_API_KEY crosses when set, as
      # the seed's launchers forward it (burrow launch clears the rest).
      agentWords = if defaultCommand != null then defaultCommand else [ "claude" ];
      seedText = ''
        ${lib.optionalString seedEscalate ''
          # The seed's container launcher escalates itself; burrow's
          # registry of the sandbox is then root's, for --enter and --stop too.
          if [ "$(id -u)" -ne 0 ]; then
            exec sudo --preserve-env "$0" "$@"
          fi
        ''}
        usage() {
          cat >&2 <<'USAGE'
        Usage: ${seedName} [OPTIONS] [project-dir] [-- agent args...]

          project-dir defaults to the current directory ('.').
          Anything after the project dir (or after '--') is passed to the agent.
          (burrow: this is ${name} with claude-code-nix-sandbox's arguments;
          ${name} takes burrow launch's, see burrow-launch(1).)

          --shell     Drop into a shell instead of launching the agent
          --tmux      Run inside a tmux session
          --gh-token  Forward GH_TOKEN/GITHUB_TOKEN into the sandbox
          --enter     Open a shell inside this project's running sandbox
          --new       Start a separate sandbox even when one runs
          --stop      Stop this project's sandbox
        USAGE
        }
        if [ "''${1:-}" = bind ]; then
          echo "${seedName}: bind: not supported by burrow (give --bind SRC[:DEST] to ${name} at launch)" >&2
          exit 1
        fi
        mode=launch
        shell=false
        opts=()
        project=.
        args=()
        # (A project dir never starts with '-' here: such words are options.)
        while [ $# -gt 0 ]; do
          case $1 in
            --shell) shell=true; shift ;;
            --tmux|--gh-token|--new) opts+=("$1"); shift ;;
            --enter) mode=enter; shift ;;
            --stop) mode=stop; shift ;;
            --help|-h) usage; exit 0 ;;
            --) shift; args=("$@"); break ;;
            -*) echo "${seedName}: unknown option: $1 (pass the agent's arguments after '--'; burrow's options: ${name})" >&2; exit 1 ;;
            *) project=$1; shift
               if [ "''${1:-}" = -- ]; then shift; fi
               args=("$@"); break ;;
          esac
        done
        case $mode in
          stop) exec ${lib.escapeShellArg exe} stop "$project" ;;
          enter) exec ${lib.escapeShellArg exe} enter "$project" ;;
        esac
        if [ "$shell" = true ]; then
          exec ${launch} --env ANTHROPIC_API_KEY "''${opts[@]}" --shell "$project"
        fi
        exec ${launch} --env ANTHROPIC_API_KEY "''${opts[@]}" "$project" -- ${lib.escapeShellArgs agentWords} "''${args[@]}"
      '';
      seed = writeShellApplication {
        name = seedName;
        text = seedText;
        meta = meta // { mainProgram = seedName; };
      };
    in
    symlinkJoin {
      inherit name meta;
      paths = [ main ] ++ lib.optional (seedName != null) seed;
      passthru = passthru // {
        inherit backend closure closureRoots policyFile launchArgs burrow defaultCommand seedName;
        # The scripts' texts (the tests read them), and the scripts.
        inherit text;
        seedText = if seedName != null then seedText else null;
        launcher = main;
        seedLauncher = if seedName != null then seed else null;
        # Whether there is a network at all (the manager's view), and the
        # allowlist's rules ([ ] without one).
        network = net.on;
        allowNet = net.allow;
        policy = fullPolicy;
      };
    };
}
