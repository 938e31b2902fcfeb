# PLACEHOLDER for the sandbox manager (a later issue): it takes the
# callPackage argument the manager will take, sandboxPackages (the backend
# launchers it may use), writes them to its configuration file and installs
# `burrow-manager`, which only lists the configured backends and says that
# it is a placeholder.
{ lib, writeText, writeShellApplication, sandboxPackages ? [ ] }:

let
  describe = p: {
    name = p.meta.mainProgram or p.name;
    backend = p.passthru.backend or p.backend or "unknown";
    network = p.passthru.network or p.network or true;
    launcher = lib.getExe p;
  };
  config = {
    placeholder = true;
    backends = map describe sandboxPackages;
  };
  configFile = writeText "burrow-manager-config.json" (builtins.toJSON config);
in
writeShellApplication {
  name = "burrow-manager";
  text = ''
    echo "burrow-manager: placeholder (the sandbox manager is not written yet)"
    echo "configured backends (${configFile}):"
    ${lib.concatMapStrings (b: ''
      echo ${lib.escapeShellArg "  ${b.name}: ${b.backend}${lib.optionalString (!b.network) ", no network"} (${b.launcher})"}
    '') config.backends}
  '';
  passthru = { inherit config configFile sandboxPackages; };
  meta = {
    description = "Placeholder for the burrow sandbox manager: lists its configured backends";
    mainProgram = "burrow-manager";
    platforms = lib.platforms.linux;
  };
}
