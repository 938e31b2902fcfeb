# The container sandbox: `burrow launch --backend container` (systemd-nspawn)
# running a NixOS system built from `nixos`, the base module below and
# extraModules. network = false gives the container a private network
# (loopback only: nspawn's --private-network); network = { allow = [ ... ]; }
# (an egress allowlist) fails the evaluation: not for containers yet.
#
#   pkgs.callPackage "${burrow}/nix/backends/container.nix" {
#     nixos = args: nixpkgs.lib.nixosSystem {
#       system = "x86_64-linux";
#       modules = args.imports;
#     };
#     extraModules = [ { environment.systemPackages = [ pkgs.python3 ]; } ];
#   }
{ lib, callPackage, writeText, writeShellApplication, closureInfo
, burrow ? callPackage ../package.nix { }
, nixos
, network ? true
, extraModules ? [ ]
}:

let
  common = import ./common.nix { inherit lib writeText writeShellApplication closureInfo burrow; };
  # true or false: { allow = [ ... ]; } fails here (no allowlist for this
  # backend yet).
  net = common.networkOf "container" network;
  name = "burrow-container" + lib.optionalString (!net.on) "-no-network";

  baseModule = { lib, ... }: {
    config = lib.mkMerge [
      {
        boot.isContainer = true;
        networking.hostName = lib.mkDefault "burrow-container";
        system.stateVersion = lib.mkDefault "24.11";
      }
      (lib.mkIf (!net.on) {
        networking.useDHCP = false;
      })
    ];
  };
  modules = [ baseModule ] ++ extraModules;
  system = nixos { imports = modules; };
  toplevel = system.config.system.build.toplevel;
in
common.mkLauncher {
  inherit name network;
  backend = "container";
  policy = {
    description = "burrow container sandbox: a NixOS system"
      + lib.optionalString (!net.on) ", private network";
    # A private network namespace with only lo: what --private-network gives.
    network = if net.on then "host" else "loopback";
    env.set = {
      PATH = "${toplevel}/sw/bin";
      NIXOS_SYSTEM = "${toplevel}";
    };
  };
  closureRoots = [ toplevel ];
  passthru = { inherit system toplevel modules extraModules; };
}
