# NixOS module of burrow's guests (imported by the base modules of
# nix/backends/vm.nix and container.nix, which set burrow.guest): what the
# NixOS system needs so that `burrow launch --system TOPLEVEL` can boot its
# own init and run the command as a unit of it (burrow-launch(1)).
#
#  - burrow-agent.service (VM): the guest agent, started early, before the
#    gettys; declared here exactly as burrow's stage 1 writes it into
#    /run/systemd/system (this copy, in /etc, is the one systemd reads). The
#    agent binary, /run/burrow/agent, is put there by burrow's stage 1.
#  - the container's unit, burrow-command.service, is NOT declared here:
#    burrow writes it per launch into /run/systemd/system (its ExecStart
#    names that launch's spec, its stdio depends on the terminal; see
#    launcher/container/args.cpp), and a copy in /etc would shadow it.
#  - no getty on the consoles burrow uses (serial-getty@ttyS0 and @hvc0 in
#    the VM, console-getty and container-getty@ in the container): masked
#    (enable = false makes the unit a link to /dev/null), as burrow's
#    systemd.mask= words do too.
#  - network = false: no DHCP (and in the VM no NIC options: burrow gives
#    the guest no NIC with --no-network anyway).
#  - display = true (VM only): an X session, openbox, auto-login of the
#    `burrow` user, and any local user allowed on the X server (the command
#    runs as the caller's uid, which no build-time cookie can name).
#
# The 9p shares (project dir, home pieces, the store) are mounted by
# burrow's stage 1: their tags are per launch, so no fileSystems entry names
# them here. qemu-vm.nix's own shares (nix-store, xchg, shared) and disk are
# dropped, since burrow's QEMU provides none of them: a root tmpfs is all
# the fstab says.
{ config, lib, pkgs, ... }:

let
  cfg = config.burrow.guest;
  inherit (lib) mkOption mkIf mkMerge mkDefault mkForce types;
  # The contract of burrow's stage 1 (launcher/vm, issue 17).
  agentUnit = {
    description = "burrow guest agent (runs the sandbox's command)";
    unitConfig.DefaultDependencies = "no";
    after = [ "basic.target" ];
    before = [ "getty-pre.target" ];
    wants = [ "getty-pre.target" ];
    wantedBy = [ "multi-user.target" ];
    serviceConfig = {
      Type = "simple";
      ExecStart = "/run/burrow/agent --service";
      KillMode = "process";
    };
  };
in
{
  options.burrow.guest = {
    kind = mkOption {
      type = types.enum [ "vm" "container" ];
      description = "Which backend boots this system (set by nix/backends).";
    };
    network = mkOption {
      type = types.bool;
      default = true;
      description = "Whether the guest has a network (false: no DHCP; the VM gets no NIC).";
    };
    display = mkOption {
      type = types.bool;
      default = false;
      description = "VM only: an X session with a window manager and auto-login (burrow launch --display).";
    };
  };

  config = mkMerge [
    (mkIf (cfg.kind == "vm") {
      systemd.services.burrow-agent = agentUnit;
      systemd.services."serial-getty@ttyS0".enable = false;
      systemd.services."serial-getty@hvc0".enable = false;
      # qemu-vm.nix (imported for virtualisation.memorySize and .cores) would
      # otherwise put its disk and 9p shares in the fstab; see the header.
      virtualisation.fileSystems = mkForce { };
      fileSystems."/" = mkDefault {
        device = "tmpfs";
        fsType = "tmpfs";
        options = [ "mode=0755" ];
      };
    })
    (mkIf (cfg.kind == "container") {
      systemd.services.console-getty.enable = false;
      systemd.services."container-getty@".enable = false;
    })
    (mkIf (!cfg.network) {
      networking.useDHCP = false;
    })
    (mkIf (!cfg.network && cfg.kind == "vm") {
      virtualisation.qemu.networkingOptions = mkForce [ ];
    })
    (mkIf cfg.display {
      assertions = [{
        assertion = cfg.kind == "vm";
        message = "burrow.guest.display: only the VM has a display";
      }];
      services.xserver.enable = true;
      services.xserver.windowManager.openbox.enable = true;
      services.xserver.displayManager.sessionCommands = "${pkgs.xorg.xhost}/bin/xhost +local:";
      services.displayManager.defaultSession = "none+openbox";
      services.displayManager.autoLogin = {
        enable = true;
        user = "burrow";
      };
      users.users.burrow = {
        isNormalUser = true;
        description = "burrow display session";
      };
    })
  ];
}
