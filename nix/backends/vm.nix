# The VM sandbox: `burrow launch --backend vm` (QEMU, direct kernel boot)
# booting the kernel, initrd and init of a NixOS system built from `nixos`,
# the base module below and extraModules. Any NixOS option works in
# extraModules; virtualisation.memorySize (MiB) and virtualisation.cores
# become --memory and --cores. network = false: the VM gets no NIC at all;
# network = { allow = [ ... ]; }: the egress allowlist (--allow-net per rule:
# passt runs in a network namespace burrow's proxy steers).
#
#   pkgs.callPackage "${burrow}/nix/backends/vm.nix" {
#     nixos = args: nixpkgs.lib.nixosSystem {
#       system = "x86_64-linux";
#       modules = args.imports;
#     };
#     extraModules = [ { virtualisation.memorySize = 4096; virtualisation.cores = 4; } ];
#   }
{ lib, callPackage, writeText, writeShellApplication, closureInfo
, burrow ? callPackage ../package.nix { }
, nixos
, network ? true
, extraModules ? [ ]
}:

let
  common = import ./common.nix { inherit lib writeText writeShellApplication closureInfo burrow; };
  net = common.networkOf "vm" network;
  name = "burrow-vm" + lib.optionalString (!net.on) "-no-network";

  baseModule = { lib, modulesPath, ... }: {
    # Declares virtualisation.memorySize, .cores and the 9p store mounts.
    imports = [ (modulesPath + "/virtualisation/qemu-vm.nix") ];
    config = lib.mkMerge [
      {
        networking.hostName = lib.mkDefault "burrow-vm";
        system.stateVersion = lib.mkDefault "24.11";
        # The serial console is burrow's terminal.
        boot.kernelParams = [ "console=ttyS0" ];
      }
      (lib.mkIf (!net.on) {
        networking.useDHCP = false;
        virtualisation.qemu.networkingOptions = lib.mkForce [ ];
      })
    ];
  };
  modules = [ baseModule ] ++ extraModules;
  system = nixos { imports = modules; };
  cfg = system.config;
  toplevel = cfg.system.build.toplevel;
in
common.mkLauncher {
  inherit name network;
  backend = "vm";
  policy = {
    description = "burrow VM sandbox: a NixOS system under QEMU"
      + lib.optionalString (!net.on) ", no network";
    network = if net.on then "private" else "none";
    env.set = {
      PATH = "${toplevel}/sw/bin";
      NIXOS_SYSTEM = "${toplevel}";
    };
  };
  closureRoots = [ toplevel ];
  extraLaunchArgs = [
    "--kernel" "${toplevel}/kernel"
    "--initrd" "${toplevel}/initrd"
    "--append" (lib.concatStringsSep " " ([ "init=${toplevel}/init" ] ++ cfg.boot.kernelParams))
    "--memory" (toString cfg.virtualisation.memorySize)
    "--cores" (toString cfg.virtualisation.cores)
  ];
  passthru = { inherit system toplevel modules extraModules; };
}
