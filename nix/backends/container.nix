# The container sandbox: `burrow launch --backend container` (systemd-nspawn)
# running a NixOS system built from `nixos`, the base module below and
# extraModules. network = true: a private network (nspawn's, steered by
# burrow's egress proxy: TCP and DNS out, not the host's loopback);
# false: loopback only (nspawn's --private-network); { allow = [ ... ]; }:
# the egress allowlist (--allow-net per rule).
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
    # Off: a private network namespace with only lo (what --private-network
    # gives). With an allowlist, --allow-net narrows "private" further.
    network = if net.on then "private" else "loopback";
    env.set = {
      PATH = "${toplevel}/sw/bin";
      NIXOS_SYSTEM = "${toplevel}";
    };
  };
  closureRoots = [ toplevel ];
  passthru = { inherit system toplevel modules extraModules; };
}
