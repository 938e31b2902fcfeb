# NixOS module (flake: nixosModules.manager): the sandbox manager, `burrow
# manager` (burrow-manager(1)), as a systemd service of one user, with the
# launchers of programs.burrow as its backends unless sandboxPackages says
# otherwise.
#
#   services.burrow-manager = {
#     enable = true;
#     user = "alice";                 # sandboxes run as this user
#     readWritePaths = [ "/home/alice/src" ];
#     # listenAddress = "127.0.0.1:8470";   # default: STATE/manager.sock
#   };
#
# programs.burrow-manager.enable (the option of the placeholder) still only
# installs `burrow-manager` in the system's packages, as it always did.
#
# The seed's options (claude-code-nix-sandbox's nixosModules.manager) are
# aliases: services.claude-sandbox-manager.{enable, listenAddress, stateDir,
# user, group, sandboxPackages} set services.burrow-manager.<the same>
# (lib.mkRenamedOptionModule). Not their defaults: the seed listens on
# 127.0.0.1:3000 and keeps /var/lib/claude-manager, burrow on the unix
# socket STATE/manager.sock and /var/lib/burrow-manager. The seed's
# containerSudoers has no equivalent (the container backend needs the
# manager to run as root, not a sudo rule for a launcher): setting it true
# only warns.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.burrow-manager;
  prog = config.programs.burrow-manager;
  inherit (lib) mkOption mkEnableOption types;
  managerFor = sandboxPackages: pkgs.callPackage ../manager/package.nix {
    burrow = config.programs.burrow.package;
    inherit sandboxPackages;
  };
  defaultUser = "burrow-manager";
  home = config.users.users.${cfg.user}.home or null;
in
{
  imports = [ ./burrow.nix ]
    ++ map (o: lib.mkRenamedOptionModule
      [ "services" "claude-sandbox-manager" o ] [ "services" "burrow-manager" o ])
      [ "enable" "listenAddress" "stateDir" "user" "group" "sandboxPackages" ];

  options.services.claude-sandbox-manager.containerSudoers = mkOption {
    type = types.bool;
    default = false;
    description = "The seed's sudoers rule for its container launcher: no burrow equivalent (run the manager as root for the container backend); true only warns.";
  };

  options.programs.burrow-manager = {
    enable = mkEnableOption "the burrow-manager command (installed only; services.burrow-manager runs it)";
    sandboxPackages = mkOption {
      type = types.listOf types.package;
      default = config.programs.burrow.launchers;
      defaultText = lib.literalExpression "config.programs.burrow.launchers";
      description = "The backend launchers the installed burrow-manager may use.";
    };
  };

  options.services.burrow-manager = {
    enable = mkEnableOption "the burrow sandbox manager daemon (REST API and dashboard)";
    sandboxPackages = mkOption {
      type = types.listOf types.package;
      default = config.programs.burrow.launchers;
      defaultText = lib.literalExpression "config.programs.burrow.launchers";
      description = "The backend launchers the manager may use (nix/backends/).";
    };
    package = mkOption {
      type = types.package;
      default = managerFor cfg.sandboxPackages;
      defaultText = lib.literalExpression
        "pkgs.callPackage \"\${burrow}/nix/manager/package.nix\" { inherit (cfg) sandboxPackages; }";
      description = "The burrow-manager package (its configuration names the backends).";
    };
    user = mkOption {
      type = types.str;
      default = defaultUser;
      description = ''
        The user the manager and all its sandboxes run as (burrow needs no
        privileges: user namespaces). The default, burrow-manager, is a
        system user created with its home at stateDir. The container
        backend (systemd-nspawn) needs root.
      '';
    };
    group = mkOption {
      type = types.str;
      default = defaultUser;
      description = "The manager's group.";
    };
    stateDir = mkOption {
      type = types.str;
      default = "/var/lib/burrow-manager";
      description = "The manager's state directory (--state-dir: token, socket, records, logs), made 0700.";
    };
    listenAddress = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "127.0.0.1:8470";
      description = ''
        A loopback ADDR:PORT to listen on (--listen), with the bearer token
        of stateDir/token; null: the unix socket stateDir/manager.sock (0600).
      '';
    };
    readWritePaths = mkOption {
      type = types.listOf types.str;
      default = lib.optional (home != null) home;
      defaultText = lib.literalExpression "[ config.users.users.\${user}.home ]";
      description = ''
        Where project directories (and burrow's per-user state,
        ~/.local/state/burrow) live: writable by the service, whose file
        system is otherwise read-only (ProtectSystem=strict) except stateDir.
      '';
    };
  };

  config = lib.mkMerge [
    (lib.mkIf config.services.claude-sandbox-manager.containerSudoers {
      warnings = [ "services.claude-sandbox-manager.containerSudoers has no effect with burrow: the container backend needs the manager to run as root (services.burrow-manager.user = \"root\")" ];
    })

    (lib.mkIf prog.enable {
      environment.systemPackages = [ (managerFor prog.sandboxPackages) ];
    })

    (lib.mkIf cfg.enable {
      users.users = lib.mkIf (cfg.user == defaultUser) {
        ${defaultUser} = {
          isSystemUser = true;
          inherit (cfg) group;
          home = cfg.stateDir;
          description = "burrow sandbox manager";
        };
      };
      users.groups = lib.mkIf (cfg.group == defaultUser) { ${defaultUser} = { }; };

      systemd.tmpfiles.rules = [ "d '${cfg.stateDir}' 0700 ${cfg.user} ${cfg.group} - -" ];

      systemd.services.burrow-manager = {
        description = "burrow sandbox manager";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" ];
        # pasta: the sandboxes' private network (network = true).
        path = [ pkgs.passt ];
        serviceConfig = {
          ExecStart = lib.escapeShellArgs ([ (lib.getExe cfg.package) "--state-dir" cfg.stateDir ]
            ++ lib.optionals (cfg.listenAddress != null) [ "--listen" cfg.listenAddress ]);
          User = cfg.user;
          Group = cfg.group;
          Restart = "on-failure";
          # The sandboxes are the manager's children but not its state (the
          # session registry is): a restart or an upgrade of the manager
          # leaves them running, and the new manager finds them again.
          KillMode = "process";
          # Sandboxes' cgroup limits (memory.max, ...) are set below the
          # service's own cgroup.
          Delegate = true;
          UMask = "0077";

          # Hardening that leaves user namespaces working. burrow is
          # setuid-free, so NoNewPrivileges costs nothing.
          NoNewPrivileges = true;
          # Everything read-only except the state dir and where projects
          # live (readWritePaths); /run/user is where burrow keeps its run
          # and registry dirs when the user has one (logged in or lingering).
          ProtectSystem = "strict";
          ReadWritePaths = [ cfg.stateDir "-/run/user" ] ++ cfg.readWritePaths;
          # Not ProtectHome: "read-only" would make projects in home
          # read-only (a sandbox's project dir is bound read-write), "yes"
          # would hide them; ProtectSystem=strict already makes home
          # read-only except readWritePaths.
          ProtectHome = false;
          PrivateTmp = true;
          ProtectKernelModules = true;
          ProtectHostname = true;
          RestrictSUIDSGID = true;
          RestrictRealtime = true;
          LockPersonality = true;
          # Deliberately absent, each would break the sandboxes:
          #  - PrivateUsers, RestrictNamespaces, SystemCallFilter: burrow
          #    itself needs unshare/clone3/setns/mount/pivot_root;
          #  - ProtectKernelTunables, ProtectKernelLogs, ProtectProc,
          #    ProcSubset: they over-mount parts of /proc, and the kernel
          #    then refuses a fresh /proc in a user namespace ("too
          #    revealing" check), which every sandbox mounts;
          #  - PrivateDevices: /dev/kvm (vm backend) and /dev/net/tun
          #    (pasta) would go;
          #  - ProtectControlGroups: cgroup limits need a writable subtree;
          #  - MemoryDenyWriteExecute, RestrictAddressFamilies,
          #    PrivateNetwork: inherited by every sandboxed program (JITs,
          #    netlink, the network itself).
        };
      };
    })
  ];
}
