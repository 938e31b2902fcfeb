# What the three backends share: the generated policy file, the closure and
# the launcher script. A backend describes its sandbox as a policy (the same
# schema `burrow run --policy` reads, see burrow-policy(5)), written with
# builtins.toJSON, plus the roots of its Nix closure; the launcher is one
# `exec burrow launch --backend NAME --policy FILE ... "$@"` line whose
# arguments are store paths and numbers, each shell-escaped.
{ lib, writeText, writeShellApplication, closureInfo, burrow }:

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

  # name: the launcher's command name ("burrow-sandbox", ...)
  # backend: "namespace", "container" or "vm"
  # network: as networkOf takes it
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
      net = networkOf backend network;
      launchArgs = [ "launch" "--backend" backend "--policy" "${policyFile}" ]
        ++ extraLaunchArgs
        ++ lib.optional (!net.on) "--no-network"
        ++ builtins.concatMap (rule: [ "--allow-net" rule ]) net.allow;
    in
    writeShellApplication {
      inherit name;
      text = ''
        exec ${lib.escapeShellArgs ([ (lib.getExe burrow) ] ++ launchArgs)} "$@"
      '';
      passthru = passthru // {
        inherit backend closure closureRoots policyFile launchArgs burrow;
        # Whether there is a network at all (the manager's view), and the
        # allowlist's rules ([ ] without one).
        network = net.on;
        allowNet = net.allow;
        policy = fullPolicy;
      };
      meta = {
        description = "burrow sandbox launcher (${backend} backend${lib.optionalString (!net.on) ", no network"}${lib.optionalString (net.allow != [ ]) ", egress allowlist"})";
        mainProgram = name;
        platforms = lib.platforms.linux;
      };
    };
}
