# NixOS module (flake: nixosModules.manager): installs the sandbox manager,
# for now the placeholder of nix/manager/package.nix, configured with the
# launchers of programs.burrow unless sandboxPackages says otherwise.
{ config, lib, pkgs, ... }:

let
  cfg = config.programs.burrow-manager;
in
{
  imports = [ ./burrow.nix ];

  options.programs.burrow-manager = {
    enable = lib.mkEnableOption "the burrow sandbox manager (a placeholder for now)";
    sandboxPackages = lib.mkOption {
      type = lib.types.listOf lib.types.package;
      default = config.programs.burrow.launchers;
      defaultText = lib.literalExpression "config.programs.burrow.launchers";
      description = "The backend launchers the manager may use.";
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [
      (pkgs.callPackage ../manager/package.nix { inherit (cfg) sandboxPackages; })
    ];
  };
}
