# The VM sandbox: `burrow launch --backend vm --system TOPLEVEL` (QEMU,
# direct kernel boot) booting a NixOS system built from `nixos`, the base
# module below and extraModules: burrow boots TOPLEVEL's kernel and initrd
# and its own init (systemd), and the command runs in burrow-agent.service,
# which nix/modules/guest.nix declares. Any NixOS option works in
# extraModules (services.postgresql.enable, users, /etc files, ...);
# virtualisation.memorySize (MiB, default 4096 as the seed's) and
# virtualisation.cores (default 4) become --memory and --cores (burrow caps
# them to what the host has); boot.kernelParams become --append.
# network = false: the VM gets no NIC at all; network = { allow = [ ... ]; }:
# the egress allowlist (--allow-net per rule: passt runs in a network
# namespace burrow's proxy steers). display = true: an X session with a
# window manager in the guest and `--display` (a QEMU window, or VNC on a
# unix socket in the run dir).
#
# agent (a package): the default command is lib.getExe agent (instead of
# $SHELL), and agent is in the system's packages. command (a list of words,
# or a string naming one program): the default command, which wins over
# agent's. The package holds burrow-vm (burrow launch's arguments) and
# claude-sandbox-vm (the seed's: [--shell] [project-dir] [-- agent args]);
# see common.nix.
#
#   pkgs.callPackage "${burrow}/nix/backends/vm.nix" {
#     nixos = args: nixpkgs.lib.nixosSystem {
#       system = "x86_64-linux";
#       modules = args.imports;
#     };
#     agent = pkgs.claude-code;
#     extraModules = [ { virtualisation.memorySize = 8192; services.postgresql.enable = true; } ];
#   }
{ lib, callPackage, writeText, writeShellApplication, symlinkJoin, closureInfo
, burrow ? callPackage ../package.nix { }
, nixos
, network ? true
, extraModules ? [ ]
, agent ? null
, command ? null
, display ? false
}:

let
  common = import ./common.nix { inherit lib writeText writeShellApplication symlinkJoin closureInfo burrow; };
  net = common.networkOf "vm" network;
  name = "burrow-vm" + lib.optionalString (!net.on) "-no-network";

  baseModule = { lib, modulesPath, ... }: {
    imports = [
      # Declares virtualisation.memorySize and .cores (and the rest of
      # virtualisation.*, which users' modules may set).
      (modulesPath + "/virtualisation/qemu-vm.nix")
      ../modules/guest.nix
    ];
    config = {
      burrow.guest = {
        kind = "vm";
        network = net.on;
        inherit display;
      };
      networking.hostName = lib.mkDefault "burrow-vm";
      system.stateVersion = lib.mkDefault "24.11";
      # The seed's VM size.
      virtualisation.memorySize = lib.mkDefault 4096;
      virtualisation.cores = lib.mkDefault 4;
      environment.systemPackages = lib.optional (agent != null) agent;
    };
  };
  modules = [ baseModule ] ++ extraModules;
  system = nixos { imports = modules; };
  cfg = system.config;
  toplevel = cfg.system.build.toplevel;
in
common.mkLauncher {
  inherit name network;
  seedName = "claude-sandbox-vm";
  backend = "vm";
  defaultCommand = common.defaultCommandOf { inherit agent command; };
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
  # burrow reads TOPLEVEL/kernel, /initrd and /init itself.
  extraLaunchArgs = [ "--system" "${toplevel}" ]
    ++ lib.optionals (cfg.boot.kernelParams != [ ]) [ "--append" (lib.concatStringsSep " " cfg.boot.kernelParams) ]
    ++ [
      "--memory" (toString cfg.virtualisation.memorySize)
      "--cores" (toString cfg.virtualisation.cores)
    ]
    ++ lib.optional display "--display";
  passthru = { inherit system toplevel modules extraModules agent command display; };
}
