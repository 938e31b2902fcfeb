# NixOS module (flake: nixosModules.default): installs burrow and the
# launchers of the backends that are enabled.
#
#   programs.burrow = {
#     enable = true;
#     network = true;   # or { allow = [ "api.anthropic.com:443" ]; }
#     bubblewrap.extraPackages = [ pkgs.python3 ];
#     container = { enable = true; extraModules = [ ./agent.nix ]; };
#     vm = { enable = true; display = true; extraModules = [ { virtualisation.memorySize = 8192; } ]; };
#     agent = pkgs.claude-code;   # the launchers' default command
#   };
#
# The seed's options (claude-code-nix-sandbox's nixosModules.default) are
# aliases of these: services.claude-sandbox.{enable, network,
# bubblewrap.enable, bubblewrap.extraPackages, container.enable,
# container.extraModules, vm.enable, vm.extraModules} set
# programs.burrow.<the same> (lib.mkRenamedOptionModule: a warning names the
# new option). Each launcher package holds the seed's command name too
# (claude-sandbox, claude-sandbox-container, claude-sandbox-vm).
{ config, lib, pkgs, ... }:

let
  cfg = config.programs.burrow;
  inherit (lib) mkOption mkEnableOption types;
  # The container and VM systems are evaluated with this host's nixpkgs.
  nixos = args: pkgs.nixos { imports = args.imports; };
  callBackend = file: args:
    pkgs.callPackage file ({ burrow = cfg.package; inherit (cfg) network agent; } // args);
  seedOptions = [
    [ "enable" ] [ "network" ] [ "bubblewrap" "enable" ] [ "bubblewrap" "extraPackages" ]
    [ "container" "enable" ] [ "container" "extraModules" ] [ "vm" "enable" ] [ "vm" "extraModules" ]
  ];
  launchers =
    lib.optional cfg.bubblewrap.enable (callBackend ../backends/bubblewrap.nix {
      inherit (cfg.bubblewrap) extraPackages;
    })
    ++ lib.optional cfg.container.enable (callBackend ../backends/container.nix {
      inherit nixos;
      inherit (cfg.container) extraModules;
    })
    ++ lib.optional cfg.vm.enable (callBackend ../backends/vm.nix {
      inherit nixos;
      inherit (cfg.vm) extraModules display;
    });
in
{
  imports = map (path: lib.mkRenamedOptionModule
    ([ "services" "claude-sandbox" ] ++ path) ([ "programs" "burrow" ] ++ path)) seedOptions;

  options.programs.burrow = {
    enable = mkEnableOption "burrow, the setuid-free sandbox runtime, and its launchers";
    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ../package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage \"\${burrow}/nix/package.nix\" { }";
      description = "The burrow package.";
    };
    network = mkOption {
      type = types.either types.bool (types.attrsOf (types.listOf types.str));
      default = true;
      example = lib.literalExpression ''{ allow = [ "api.anthropic.com:443" "*.github.com:443" ]; }'';
      description = "Whether the sandboxes have network access (false: none, or a private network for the container), or { allow = [ RULE ... ]; }: only those destinations, through burrow's egress proxy (the namespace sandbox only; see burrow-network(7)).";
    };
    agent = mkOption {
      type = types.nullOr types.package;
      default = null;
      example = lib.literalExpression "pkgs.claude-code";
      description = "A package whose program (lib.getExe) is every launcher's default command instead of $SHELL, and which is in every sandbox (nix/backends: agent).";
    };
    bubblewrap = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Install the namespace-sandbox launcher (burrow-sandbox).";
      };
      extraPackages = mkOption {
        type = types.listOf types.package;
        default = [ ];
        description = "Packages added to the namespace sandbox's PATH and store closure.";
      };
    };
    container = {
      enable = mkEnableOption "the systemd-nspawn container launcher (burrow-container)";
      extraModules = mkOption {
        type = types.listOf types.deferredModule;
        default = [ ];
        description = "NixOS modules added to the container's system.";
      };
    };
    vm = {
      enable = mkEnableOption "the QEMU VM launcher (burrow-vm)";
      extraModules = mkOption {
        type = types.listOf types.deferredModule;
        default = [ ];
        description = "NixOS modules added to the VM's system (virtualisation.memorySize, virtualisation.cores, ...).";
      };
      display = mkOption {
        type = types.bool;
        default = false;
        description = "An X session with a window manager in the VM, shown in a QEMU window (burrow launch --display); the seed's VM always had one.";
      };
    };
    launchers = mkOption {
      type = types.listOf types.package;
      readOnly = true;
      default = launchers;
      description = "The launchers of the enabled backends (read-only; the manager's default).";
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ] ++ launchers;
  };
}
