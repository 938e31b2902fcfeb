# The namespace sandbox: `burrow launch --backend namespace` with a policy
# whose PATH and /nix/store closure are the sandbox packages below plus
# extraPackages. network = true (the default) is a private network with
# outbound connectivity (pasta), not the host's; network = false gives the
# network-isolated variant (a new network namespace with nothing up, and
# --no-network); network = { allow = [ "api.example.com:443" ... ]; } an
# egress allowlist (--allow-net for each rule, and the policy's [network]
# table; burrow-network(7)).
#
# agent (a package): the default command is lib.getExe agent (instead of
# $SHELL), and agent is on the sandbox's PATH and in its closure. command (a
# list of words, or a string naming one program): the default command,
# which wins over agent's (its programs must be in the sandbox: extraPackages).
# The package holds burrow-sandbox (burrow launch's arguments) and
# claude-sandbox (the seed's: [--shell] [--tmux] [--gh-token] [project-dir]
# [-- agent args]); see common.nix.
#
#   pkgs.callPackage "${burrow}/nix/backends/bubblewrap.nix" {
#     extraPackages = [ pkgs.python3 ];
#     agent = pkgs.claude-code;   # `burrow-sandbox DIR` runs claude
#   }
{ lib, callPackage, writeText, writeShellApplication, symlinkJoin, closureInfo
, bashInteractive, coreutils, findutils, diffutils, gnugrep, gnused, gawk, gnutar
, gzip, which, less, git, cacert
, burrow ? callPackage ../package.nix { }
, network ? true
, extraPackages ? [ ]
, agent ? null
, command ? null
}:

let
  common = import ./common.nix { inherit lib writeText writeShellApplication symlinkJoin closureInfo burrow; };
  net = common.networkOf "namespace" network;
  name = "burrow-sandbox" + lib.optionalString (!net.on) "-no-network";

  # What every sandbox has, then the caller's packages.
  sandboxPackages = [
    bashInteractive coreutils findutils diffutils gnugrep gnused gawk gnutar gzip
    which less git cacert
  ];
  packages = sandboxPackages ++ extraPackages ++ lib.optional (agent != null) agent;
  # One directory whose bin/ is the sandbox's PATH.
  sandboxEnv = symlinkJoin { name = "${name}-env"; paths = packages; };
  certs = "${cacert}/etc/ssl/certs/ca-bundle.crt";
in
common.mkLauncher {
  inherit name network;
  seedName = "claude-sandbox";
  backend = "namespace";
  defaultCommand = common.defaultCommandOf { inherit agent command; };
  policy = {
    description = "burrow namespace sandbox: Nix packages only"
      + lib.optionalString (!net.on) ", no network"
      + lib.optionalString (net.allow != [ ]) ", egress allowlist";
    network =
      if net.allow != [ ] then { mode = "allowlist"; inherit (net) allow; }
      else if net.on then "private" else "none";
    env.set = {
      PATH = "${sandboxEnv}/bin";
      SHELL = "${bashInteractive}/bin/bash";
      SSL_CERT_FILE = certs;
      NIX_SSL_CERT_FILE = certs;
    };
  };
  # The packages themselves too, not only through the symlinks of sandboxEnv.
  closureRoots = [ sandboxEnv ] ++ packages;
  passthru = { inherit packages sandboxEnv extraPackages agent command; };
}
