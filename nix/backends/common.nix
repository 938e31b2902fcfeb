# What the three backends share: the generated policy file, the closure and
# the launcher script. A backend describes its sandbox as a policy (the same
# schema `burrow run --policy` reads, see burrow-policy(5)), written with
# builtins.toJSON, plus the roots of its Nix closure; the launcher is one
# `exec burrow launch --backend NAME --policy FILE ... "$@"` line whose
# arguments are store paths and numbers, each shell-escaped.
{ lib, writeText, writeShellApplication, closureInfo, burrow }:

{
  # name: the launcher's command name ("burrow-sandbox", ...)
  # backend: "namespace", "container" or "vm"
  # policy: attribute set in burrow-policy(5)'s schema, without [nix]
  # closureRoots: store paths whose closure the sandbox sees at /nix/store
  # extraLaunchArgs: backend options (--kernel, --memory, ...)
  # passthru: exposed on the launcher for users, the manager and the tests
  mkLauncher = { name, backend, network, policy, closureRoots, extraLaunchArgs ? [ ]
    , passthru ? { } }:
    let
      closure = closureInfo { rootPaths = closureRoots; };
      fullPolicy = policy // {
        nix = { closures = [ "${closure}/store-paths" ]; };
      };
      policyFile = writeText "${name}-policy.json" (builtins.toJSON fullPolicy);
      launchArgs = [ "launch" "--backend" backend "--policy" "${policyFile}" ]
        ++ extraLaunchArgs
        ++ lib.optional (!network) "--no-network";
    in
    writeShellApplication {
      inherit name;
      text = ''
        exec ${lib.escapeShellArgs ([ (lib.getExe burrow) ] ++ launchArgs)} "$@"
      '';
      passthru = passthru // {
        inherit backend network closure closureRoots policyFile launchArgs burrow;
        policy = fullPolicy;
      };
      meta = {
        description = "burrow sandbox launcher (${backend} backend${lib.optionalString (!network) ", no network"})";
        mainProgram = name;
        platforms = lib.platforms.linux;
      };
    };
}
