# The sandbox manager, `burrow manager` (burrow-manager(1)), configured with
# the backend launchers it may use:
#
#   pkgs.callPackage "${burrow}/nix/manager/package.nix" {
#     sandboxPackages = with burrow.packages.x86_64-linux; [ sandbox vm ];
#   }
#
# sandboxPackages are launchers of nix/backends/ (their passthru says which
# backend and whether there is a network, see common.nix); each becomes one
# entry of the manager's --config file, in the schema of
# launcher/manager/API.md: {"backends":[{name, backend, launcher, network}]}.
# The manager runs a launcher as `LAUNCHER [--network N] [--policy P]
# PROJECT_DIR -- ARGV...`; the launcher carries its own policy file and
# closure. `burrow-manager` is `burrow manager --config FILE "$@"`, so the
# NixOS module (nix/modules/manager.nix) and users add --state-dir, --socket
# or --listen.
#
# The package also holds claude-sandbox-manager, the seed's name
# (claude-code-nix-sandbox), configured as the seed's is: MANAGER_LISTEN
# (default 127.0.0.1:3000) becomes --listen, MANAGER_STATE_DIR (when set)
# --state-dir; MANAGER_STATIC_DIR is not used (the dashboard is built in).
# Unlike the seed's, the TCP port asks for the bearer token of STATE/token.
{ lib, callPackage, writeText, writeShellApplication, symlinkJoin
, burrow ? callPackage ../package.nix { }
, sandboxPackages ? [ ]
}:

let
  describe = p: {
    name = p.meta.mainProgram or p.name;
    backend = p.passthru.backend or p.backend
      or (throw "burrow-manager: sandboxPackages: ${p.name or "a package"} is not a burrow launcher (no passthru.backend)");
    network = p.passthru.network or p.network or true;
    launcher = lib.getExe p;
  };
  backends = map describe sandboxPackages;
  names = map (b: b.name) backends;
  # The manager picks a backend by name: two launchers of one name would
  # make one of them unreachable.
  unique = builtins.length names == builtins.length (lib.unique names)
    || throw "burrow-manager: sandboxPackages: two launchers named alike (${lib.concatStringsSep " " names})";
  config = assert unique; { inherit backends; };
  configFile = writeText "burrow-manager-config.json" (builtins.toJSON config);

  exec = lib.escapeShellArgs [ (lib.getExe burrow) "manager" "--config" "${configFile}" ];
  text = ''
    exec ${exec} "$@"
  '';
  seedText = ''
    state=()
    if [ -n "''${MANAGER_STATE_DIR:-}" ]; then
      state=(--state-dir "$MANAGER_STATE_DIR")
    fi
    exec ${exec} --listen "''${MANAGER_LISTEN:-127.0.0.1:3000}" "''${state[@]}" "$@"
  '';
  meta = {
    description = "The burrow sandbox manager (REST API, dashboard) with its configured backends";
    mainProgram = "burrow-manager";
    platforms = lib.platforms.linux;
  };
in
symlinkJoin {
  name = "burrow-manager";
  paths = [
    (writeShellApplication { name = "burrow-manager"; inherit text meta; })
    (writeShellApplication { name = "claude-sandbox-manager"; text = seedText; meta = meta // { mainProgram = "claude-sandbox-manager"; }; })
  ];
  passthru = { inherit burrow config configFile sandboxPackages text seedText; };
  inherit meta;
}
