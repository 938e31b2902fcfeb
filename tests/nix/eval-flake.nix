# Evaluation tests of flake.nix (its outputs function called directly with a
# stub nixpkgs input: Nix 2.8 flakes need the experimental feature and a
# locked nixpkgs) and of the NixOS modules it exports.
let
  pkgs = import ./stub-nixpkgs.nix;
  inherit (pkgs) lib;
  a = import ./assert.nix;
  root = toString ../..;
  str = toString;
  strs = map toString;
  fromJSON = s: builtins.fromJSON (builtins.unsafeDiscardStringContext s);

  systems = [ "x86_64-linux" "aarch64-linux" ];
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs systems (_: pkgs);
  };
  flake = import "${root}/flake.nix";
  outputs = flake.outputs { self = outputs // { outPath = root; }; inherit nixpkgs; };
  p = outputs.packages.x86_64-linux;

  # The flake used as an input, as the README shows: callPackage on a file
  # of its source.
  burrowInput = outputs // { outPath = root; };
  readmeSandbox = pkgs.callPackage "${burrowInput}/nix/backends/bubblewrap.nix" {
    extraPackages = [ pkgs.python3 ];
  };

  # overlays.default applied to the stub, then burrow as the bubblewrap.
  applyOverlays = overlays:
    let final = builtins.foldl' (acc: o: acc // o final acc) pkgs overlays;
    in final;
  over = applyOverlays [ outputs.overlays.default (final: prev: { bubblewrap = final.burrow-bwrap; }) ];

  # The NixOS modules, evaluated by the stub module system.
  agentModule = { networking.hostName = "agentbox"; };
  host = lib.nixosSystem {
    modules = [
      outputs.nixosModules.default
      {
        programs.burrow = {
          enable = true;
          network = false;
          bubblewrap.extraPackages = [ pkgs.hello ];
          container = { enable = true; extraModules = [ agentModule ]; };
          vm = { enable = true; extraModules = [ { virtualisation.memorySize = 2048; } ]; };
        };
      }
    ];
  };
  installed = host.config.environment.systemPackages;
  byName = n: builtins.head (builtins.filter (x: (x.meta.mainProgram or "") == n) installed);
  hostOff = lib.nixosSystem { modules = [ outputs.nixosModules.default ]; };
  hostAllow = lib.nixosSystem {
    modules = [ outputs.nixosModules.default
      { programs.burrow = { enable = true; network = { allow = [ "api.example.com:443" ]; }; }; } ];
  };
  allowLauncher = builtins.elemAt hostAllow.config.environment.systemPackages 1;
  hostDefault = lib.nixosSystem {
    modules = [ outputs.nixosModules.default { programs.burrow.enable = true; } ];
  };
  managed = lib.nixosSystem {
    modules = [
      outputs.nixosModules.manager
      {
        programs.burrow = { enable = true; vm.enable = true; };
        programs.burrow-manager.enable = true;
      }
    ];
  };
  managerPkg = builtins.head (builtins.filter (x: (x.meta.mainProgram or "") == "burrow-manager")
    managed.config.environment.systemPackages);
  mainPrograms = map (x: x.meta.mainProgram or x.name);

  # services.burrow-manager: the daemon as a systemd service.
  serviceHost = extra: lib.nixosSystem {
    modules = [
      outputs.nixosModules.manager
      { programs.burrow.enable = true; services.burrow-manager = { enable = true; } // extra; }
    ];
  };
  svcDefault = serviceHost { };
  svc = svcDefault.config.systemd.services.burrow-manager;
  sc = svc.serviceConfig;
  alice = (lib.nixosSystem {
    modules = [
      outputs.nixosModules.manager
      {
        users.users.alice.home = "/home/alice";
        programs.burrow = { enable = true; vm.enable = true; };
        services.burrow-manager = {
          enable = true;
          user = "alice";
          group = "users";
          stateDir = "/home/alice/manager state";
          listenAddress = "127.0.0.1:8470";
          sandboxPackages = [ p.no-network ];
        };
      }
    ];
  }).config;
  aliceSc = alice.systemd.services.burrow-manager.serviceConfig;
  aliceExe = lib.getExe alice.services.burrow-manager.package;
  # Not set (the stub keeps a disabled definition's path: reading it throws).
  undefined = v: !(builtins.tryEval (builtins.deepSeq v v)).success;
  svcOff = (lib.nixosSystem { modules = [ outputs.nixosModules.manager ]; }).config;
in
a.report [
  (a.eq "packages per system" (builtins.attrNames outputs.packages) [ "aarch64-linux" "x86_64-linux" ])
  (a.eq "package names" (builtins.attrNames p) [
    "burrow" "bwrap" "cli" "container" "container-no-network" "default" "manager"
    "no-network" "sandbox" "vm" "vm-no-network"
  ])
  (a.eq "default is the sandbox" (str p.default) (str p.sandbox))
  (a.eq "sandbox" [ p.sandbox.backend p.sandbox.network ] [ "namespace" true ])
  (a.eq "no-network" [ p.no-network.backend p.no-network.network p.no-network.policy.network ] [ "namespace" false "none" ])
  (a.eq "container" [ p.container.backend p.container.network ] [ "container" true ])
  (a.eq "container-no-network" [ p.container-no-network.backend p.container-no-network.network ] [ "container" false ])
  (a.eq "vm" [ p.vm.backend p.vm.network ] [ "vm" true ])
  (a.eq "vm-no-network" [ p.vm-no-network.backend p.vm-no-network.network ] [ "vm" false ])
  (a.eq "backends use the flake's burrow" (strs (map (x: x.burrow) [ p.sandbox p.container p.vm ])) (strs [ p.burrow p.burrow p.burrow ]))
  (a.eq "container system via nixosSystem" p.container.system.config.boot.isContainer true)
  (a.eq "manager lists every backend" (map (b: b.name) p.manager.config.backends) [
    "burrow-sandbox" "burrow-sandbox-no-network" "burrow-container" "burrow-container-no-network"
    "burrow-vm" "burrow-vm-no-network"
  ])
  (a.eq "bwrap is a bwrap" p.bwrap.meta.mainProgram "bwrap")
  (a.eq "burrow" p.burrow.pname "burrow")
  (a.eq "checks" (builtins.attrNames outputs.checks.x86_64-linux)
    [ "burrow" "bwrap" "manager" "no-network" "policies" "sandbox" ])
  (a.contains "checks run burrow policy check" "policy check ${str p.vm-no-network.policyFile}"
    (builtins.elemAt outputs.checks.x86_64-linux.policies.args 2))
  (a.eq "devShell has the build inputs" (strs outputs.devShells.x86_64-linux.default.inputsFrom) [ (str p.burrow) ])

  # README: pkgs.callPackage "${burrow}/nix/backends/bubblewrap.nix" { extraPackages = [ pkgs.python3 ]; }
  (a.has "README example: extraPackages" (str pkgs.python3) (strs readmeSandbox.closureRoots))
  (a.eq "README example: backend" readmeSandbox.backend "namespace")

  (a.eq "overlay: bubblewrap is burrow's bwrap" over.bubblewrap.meta.mainProgram "bwrap")
  (a.eq "overlay: bwrap from the overlay's burrow" (str over.bubblewrap.burrow) (str over.burrow))
  (a.eq "overlay: sandbox uses the overlay's burrow" (str over.burrow-sandbox.burrow) (str over.burrow))
  (a.eq "overlay: no-network sandbox" over.burrow-sandbox-no-network.policy.network "none")

  (a.eq "module disabled installs nothing" hostOff.config.environment.systemPackages [ ])
  (a.eq "module default: burrow and the namespace launcher" (mainPrograms hostDefault.config.environment.systemPackages)
    [ "burrow" "burrow-sandbox" ])
  (a.eq "module: every enabled backend, network off" (mainPrograms installed)
    [ "burrow" "burrow-sandbox-no-network" "burrow-container-no-network" "burrow-vm-no-network" ])
  (a.has "module: bubblewrap.extraPackages" (str pkgs.hello) (strs (byName "burrow-sandbox-no-network").closureRoots))
  (a.has "module: container.extraModules" agentModule (byName "burrow-container-no-network").modules)
  (a.eq "module: container.extraModules reach the system"
    (byName "burrow-container-no-network").system.config.networking.hostName "agentbox")
  (a.has "module: vm.extraModules" "2048" (byName "burrow-vm-no-network").launchArgs)
  (a.eq "module: network=false" (byName "burrow-vm-no-network").policy.network "none")
  (a.eq "module: network.allow" allowLauncher.allowNet [ "api.example.com:443" ])
  (a.has "module: network.allow is --allow-net" "--allow-net" allowLauncher.launchArgs)
  (a.eq "manager module: sandboxPackages default to the launchers"
    (map (b: b.name) managerPkg.config.backends) [ "burrow-sandbox" "burrow-vm" ])
  (a.eq "manager module: config file" (fromJSON managerPkg.configFile.text).backends managerPkg.config.backends)
  (a.ok "manager module: programs.burrow-manager runs no service" (undefined managed.config.systemd.services.burrow-manager.serviceConfig))
  (a.eq "flake manager: the flake's burrow" (str p.manager.burrow) (str p.burrow))
  (a.contains "flake manager: burrow manager --config" "/bin/burrow' 'manager' '--config' '${str p.manager.configFile}'" p.manager.text)

  # services.burrow-manager
  (a.ok "service: disabled, no service" (undefined svcOff.systemd.services.burrow-manager.serviceConfig))
  (a.ok "service: disabled, no user" (undefined svcOff.users.users.burrow-manager.home))
  (a.ok "service: disabled, no state dir" (undefined svcOff.systemd.tmpfiles.rules))
  (a.eq "service: default ExecStart" sc.ExecStart
    "'${lib.getExe svcDefault.config.services.burrow-manager.package}' '--state-dir' '/var/lib/burrow-manager'")
  (a.eq "service: default user and group" [ sc.User sc.Group ] [ "burrow-manager" "burrow-manager" ])
  (a.eq "service: default user created" svcDefault.config.users.users.burrow-manager.isSystemUser true)
  (a.eq "service: its home is the state dir" svcDefault.config.users.users.burrow-manager.home "/var/lib/burrow-manager")
  (a.eq "service: default group created" svcDefault.config.users.groups.burrow-manager { })
  (a.eq "service: state dir made 0700" svcDefault.config.systemd.tmpfiles.rules
    [ "d '/var/lib/burrow-manager' 0700 burrow-manager burrow-manager - -" ])
  (a.eq "service: sandboxPackages default to the launchers"
    (map (b: b.name) svcDefault.config.services.burrow-manager.package.config.backends) [ "burrow-sandbox" ])
  (a.eq "service: wanted" svc.wantedBy [ "multi-user.target" ])
  (a.eq "service: NoNewPrivileges, ProtectSystem=strict" [ sc.NoNewPrivileges sc.ProtectSystem ] [ true "strict" ])
  (a.has "service: state dir writable" "/var/lib/burrow-manager" sc.ReadWritePaths)
  (a.eq "service: no ProtectHome" sc.ProtectHome false)
  (a.eq "service: namespaces left alone"
    (builtins.filter (k: sc ? ${k}) [ "PrivateUsers" "RestrictNamespaces" "SystemCallFilter"
      "ProtectKernelTunables" "ProtectProc" "ProcSubset" "PrivateDevices" "MemoryDenyWriteExecute"
      "RestrictAddressFamilies" "PrivateNetwork" "ProtectControlGroups" ]) [ ])
  (a.eq "service: sandboxes outlive a restart" sc.KillMode "process")
  (a.has "service: pasta on PATH" (str pkgs.passt) (strs svc.path))
  (a.eq "service: user, listen, state dir with a space" aliceSc.ExecStart
    "'${aliceExe}' '--state-dir' '/home/alice/manager state' '--listen' '127.0.0.1:8470'")
  (a.eq "service: given user and group" [ aliceSc.User aliceSc.Group ] [ "alice" "users" ])
  (a.eq "service: no user created for a given user" alice.users.users.alice { home = "/home/alice"; })
  (a.ok "service: no default user for a given user" (undefined alice.users.users.burrow-manager.home))
  (a.ok "service: no group created for a given group" (undefined alice.users.groups.burrow-manager))
  (a.eq "service: home writable by default" aliceSc.ReadWritePaths [ "/home/alice/manager state" "-/run/user" "/home/alice" ])
  (a.eq "service: sandboxPackages given" (map (b: b.name) alice.services.burrow-manager.package.config.backends)
    [ "burrow-sandbox-no-network" ])
  (a.eq "service: readWritePaths given" ((serviceHost { readWritePaths = [ "/srv/p" ]; }).config
    .systemd.services.burrow-manager.serviceConfig.ReadWritePaths) [ "/var/lib/burrow-manager" "-/run/user" "/srv/p" ])
  (a.eq "service: package given" ((serviceHost { package = p.manager; }).config
    .systemd.services.burrow-manager.serviceConfig.ExecStart)
    "'${lib.getExe p.manager}' '--state-dir' '/var/lib/burrow-manager'")
]
