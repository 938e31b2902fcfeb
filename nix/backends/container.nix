# The container sandbox: `burrow launch --backend container --system
# TOPLEVEL` (systemd-nspawn) booting a NixOS system built from `nixos`, the
# base module below and extraModules: the container runs the system's own
# init (systemd), so every option of extraModules applies, and the command
# runs in a unit of it (burrow-command.service, which burrow writes per
# launch; nix/modules/guest.nix masks the console gettys).
# network = true: a private network (nspawn's, steered by burrow's egress
# proxy: TCP and DNS out, not the host's loopback); false: loopback only
# (nspawn's --private-network, and no DHCP in the system);
# { allow = [ ... ]; }: the egress allowlist (--allow-net per rule).
#
# agent (a package): the default command is lib.getExe agent (instead of
# $SHELL), and agent is in the system's packages. command (a list of words,
# or a string naming one program): the default command, which wins over
# agent's. The package holds burrow-container (burrow launch's arguments)
# and claude-sandbox-container (the seed's: [--shell] [project-dir]
# [-- agent args], escalating through sudo as the seed's does); see
# common.nix.
#
#   pkgs.callPackage "${burrow}/nix/backends/container.nix" {
#     nixos = args: nixpkgs.lib.nixosSystem {
#       system = "x86_64-linux";
#       modules = args.imports;
#     };
#     extraModules = [ { environment.systemPackages = [ pkgs.python3 ]; } ];
#   }
{ lib, callPackage, writeText, writeShellApplication, symlinkJoin, closureInfo
, burrow ? callPackage ../package.nix { }
, nixos
, network ? true
, extraModules ? [ ]
, agent ? null
, command ? null
}:

let
  common = import ./common.nix { inherit lib writeText writeShellApplication symlinkJoin closureInfo burrow; };
  net = common.networkOf "container" network;
  name = "burrow-container" + lib.optionalString (!net.on) "-no-network";

  baseModule = { lib, ... }: {
    imports = [ ../modules/guest.nix ];
    config = {
      burrow.guest = {
        kind = "container";
        network = net.on;
      };
      boot.isContainer = true;
      networking.hostName = lib.mkDefault "burrow-container";
      system.stateVersion = lib.mkDefault "24.11";
      environment.systemPackages = lib.optional (agent != null) agent;
    };
  };
  modules = [ baseModule ] ++ extraModules;
  system = nixos { imports = modules; };
  toplevel = system.config.system.build.toplevel;
in
common.mkLauncher {
  inherit name network;
  seedName = "claude-sandbox-container";
  seedEscalate = true;
  backend = "container";
  defaultCommand = common.defaultCommandOf { inherit agent command; };
  policy = {
    description = "burrow container sandbox: a NixOS system"
      + lib.optionalString (!net.on) ", private network";
    # Off: a private network namespace with only lo (what --private-network
    # gives). With an allowlist, --allow-net narrows "private" further.
    network = if net.on then "private" else "loopback";
    env.set = {
      PATH = "${toplevel}/sw/bin";
      NIXOS_SYSTEM = "${toplevel}";
    };
  };
  closureRoots = [ toplevel ];
  extraLaunchArgs = [ "--system" "${toplevel}" ];
  passthru = { inherit system toplevel modules extraModules agent command; };
}
