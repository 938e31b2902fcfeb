# Evaluation tests of issue 17's Nix side against the stub nixpkgs:
#  - the seed's (claude-code-nix-sandbox's) README and docs expressions,
#    unchanged (tests/nix/seed/expressions.nix), give the outputs, option
#    values and command names they give upstream;
#  - nix/modules/guest.nix as the backends generate it: burrow-agent.service
#    (the contract of burrow's stage 1), gettys masked, network off, the
#    display session; services.* of extraModules in the system's config;
#  - --system in the launchers' arguments; the agent and command arguments.
let
  pkgs = import ./stub-nixpkgs.nix;
  inherit (pkgs) lib;
  a = import ./assert.nix;
  seed = import ./seed/expressions.nix;
  root = toString ../..;
  str = toString;
  strs = map toString;
  throws = v: !(builtins.tryEval (builtins.deepSeq v v)).success;
  undefined = throws;
  # No such unit: absent, or (the stub keeps a disabled mkIf's path) unreadable.
  noUnit = cfg: name: !(cfg.systemd.services ? ${name}) || undefined cfg.systemd.services.${name}.serviceConfig;

  systems = [ "x86_64-linux" "aarch64-linux" ];
  nixpkgs = { inherit lib; legacyPackages = lib.genAttrs systems (_: pkgs); };
  outputs = (import "${root}/flake.nix").outputs { self = outputs // { outPath = root; }; inherit nixpkgs; };
  claude-sandbox = outputs // { outPath = root; };
  p = outputs.packages.x86_64-linux;
  nixos = args: lib.nixosSystem { modules = args.imports; };
  call = file: pkgs.callPackage "${root}/nix/${file}";

  # The names of the commands a package holds (its symlinkJoin's scripts).
  commands = pkg: map (x: x.name) pkg.paths;
  mainPrograms = map (x: x.meta.mainProgram or x.name);
  argAfter = flag: args:
    let found = builtins.filter (x: x != null) (lib.imap0 (n: x: if x == flag then n else null) args);
    in if found == [ ] then null else builtins.elemAt args (builtins.head found + 1);

  # --- the seed's expressions
  readme = ((seed.readmeModule { inherit nixpkgs claude-sandbox; }).nixosConfigurations.myhost).config;
  installed = readme.environment.systemPackages;
  docs = (lib.nixosSystem { modules = [ outputs.nixosModules.default seed.docsSandboxExample ]; }).config;
  docsInstalled = docs.environment.systemPackages;
  byName = n: builtins.head (builtins.filter (x: (x.meta.mainProgram or "") == n) docsInstalled);
  mgr = ((seed.readmeManager { inherit nixpkgs claude-sandbox; }).nixosConfigurations.myhost).config;
  mgrSc = mgr.systemd.services.burrow-manager.serviceConfig;
  mgr2 = (lib.nixosSystem { modules = [ outputs.nixosModules.manager (seed.docsManagerExample claude-sandbox) ]; }).config;
  custom = (seed.customization { inherit pkgs nixpkgs; }).packages;
  asInput = (seed.flakeInput { inherit pkgs claude-sandbox; }).packages.x86_64-linux;

  # --- the guest module as the backends generate it
  postgres = { services.postgresql.enable = true; users.users.alice.isNormalUser = true; };
  vm = call "backends/vm.nix" { inherit nixos; extraModules = [ postgres ]; };
  vmOff = call "backends/vm.nix" { inherit nixos; network = false; };
  vmX = call "backends/vm.nix" { inherit nixos; display = true; };
  ctr = call "backends/container.nix" { inherit nixos; extraModules = [ postgres ]; };
  ctrOff = call "backends/container.nix" { inherit nixos; network = false; };
  c = vm.system.config;
  agentUnit = c.systemd.services.burrow-agent;
  cc = ctr.system.config;

  # --- agent and command
  hello = lib.getExe pkgs.hello;
  ns = args: call "backends/bubblewrap.nix" args;
  nsAgent = ns { agent = pkgs.hello; };
  nsCmd = ns { command = [ "python3" "-q" ]; };
  nsStr = ns { command = "python3"; };
  nsBoth = ns { agent = pkgs.hello; command = [ "sh" ]; };
  vmAgent = call "backends/vm.nix" { inherit nixos; agent = pkgs.hello; };
  ctrAgent = call "backends/container.nix" { inherit nixos; agent = pkgs.hello; };
  hostAgent = (lib.nixosSystem { modules = [ outputs.nixosModules.default
    { programs.burrow = { enable = true; agent = pkgs.hello; vm = { enable = true; display = true; }; }; } ]; }).config;
in
a.report [
  # README: services.claude-sandbox = { enable; container.enable; vm.enable; network; }
  (a.eq "seed module: the three launchers, network on" (mainPrograms installed)
    [ "burrow" "burrow-sandbox" "burrow-container" "burrow-vm" ])
  (a.eq "seed module: the seed's command names" (map (x: x.seedName) (builtins.tail installed))
    [ "claude-sandbox" "claude-sandbox-container" "claude-sandbox-vm" ])
  (a.has "seed module: claude-sandbox-vm is in the vm package" "claude-sandbox-vm" (commands (builtins.elemAt installed 3)))
  (a.eq "seed module: aliases reach programs.burrow" [ readme.programs.burrow.enable readme.programs.burrow.container.enable
    readme.programs.burrow.vm.enable readme.programs.burrow.network readme.programs.burrow.bubblewrap.enable ]
    [ true true true true true ])
  (a.has "seed module: rename warning" "The option `services.claude-sandbox.container.enable' has been renamed to `programs.burrow.container.enable'." readme.warnings)
  # docs: network = false, extraPackages, extraModules (memorySize 8192)
  (a.eq "seed docs: every backend without network" (mainPrograms docsInstalled)
    [ "burrow" "burrow-sandbox-no-network" "burrow-container-no-network" "burrow-vm-no-network" ])
  (a.has "seed docs: bubblewrap.extraPackages" (str pkgs.nodejs) (strs (byName "burrow-sandbox-no-network").closureRoots))
  (a.has "seed docs: container.extraModules" (str pkgs.python3)
    (strs (byName "burrow-container-no-network").system.config.environment.systemPackages))
  (a.eq "seed docs: vm.extraModules memorySize" (argAfter "--memory" (byName "burrow-vm-no-network").launchArgs) "8192")
  (a.eq "seed docs: vm cores default as the seed's" (argAfter "--cores" (byName "burrow-vm-no-network").launchArgs) "4")
  # README/docs: services.claude-sandbox-manager
  (a.eq "seed manager: enabled" mgr.services.burrow-manager.enable true)
  (a.contains "seed manager: listenAddress" "'--listen' '127.0.0.1:3000'" mgrSc.ExecStart)
  (a.contains "seed manager: stateDir" "'--state-dir' '/var/lib/claude-manager'" mgrSc.ExecStart)
  (a.eq "seed manager: sandboxPackages are its backends"
    (map (b: b.name) mgr.services.burrow-manager.package.config.backends) [ "burrow-sandbox" ])
  (a.eq "seed manager: no warning for containerSudoers unset"
    (builtins.filter (w: lib.hasPrefix "services.claude-sandbox-manager.containerSudoers" w) mgr.warnings) [ ])
  (a.eq "seed manager docs: two backends" (map (b: b.name) mgr2.services.burrow-manager.package.config.backends)
    [ "burrow-sandbox" "burrow-container" ])
  (a.contains "seed manager docs: port 3001" "'--listen' '127.0.0.1:3001'" mgr2.systemd.services.burrow-manager.serviceConfig.ExecStart)
  (a.ok "seed manager docs: containerSudoers warns"
    (builtins.any (w: lib.hasPrefix "services.claude-sandbox-manager.containerSudoers" w) mgr2.warnings))
  # customization.md callPackage expressions
  (a.eq "seed callPackage: default" [ custom.default.backend custom.default.seedName ] [ "namespace" "claude-sandbox" ])
  (a.has "seed callPackage: extraPackages" (str pkgs.ripgrep) (strs custom.default.closureRoots))
  (a.has "seed callPackage: container extraModules" (str pkgs.nodejs) (strs custom.container.system.config.environment.systemPackages))
  (a.eq "seed callPackage: container --system" (argAfter "--system" custom.container.launchArgs) (str custom.container.toplevel))
  (a.eq "seed callPackage: vm sizes" [ (argAfter "--memory" custom.vm.launchArgs) (argAfter "--cores" custom.vm.launchArgs) ] [ "8192" "8" ])
  (a.eq "seed callPackage: isolated" custom.isolated.policy.network "none")
  (a.eq "seed callPackage: manager backends" (map (b: b.name) custom.manager.config.backends)
    [ "burrow-sandbox" "burrow-sandbox-no-network" ])
  (a.has "seed flake input: extraPackages" (str pkgs.python3) (strs asInput.my-sandbox.closureRoots))
  (a.eq "seed flake input: default" (str asInput.sandbox) (str p.sandbox))
  # The seed's flake outputs and their commands
  (a.eq "seed outputs all present" (builtins.filter (n: !(p ? ${n})) (builtins.attrNames seed.packages)) [ ])
  (a.eq "seed outputs hold the seed's commands"
    (builtins.filter (n: !(builtins.elem seed.packages.${n} (commands p.${n}))) (builtins.attrNames seed.packages)) [ ])
  (a.eq "burrow's commands beside them" (map (n: builtins.head (commands p.${n})) [ "sandbox" "container-no-network" "vm" "manager" "cli" ])
    [ "burrow-sandbox" "burrow-container-no-network" "burrow-vm" "burrow-manager" "burrow-remote" ])
  (a.contains "cli: burrow remote" "/bin/burrow' remote \"$@\"" p.cli.text)
  (a.contains "claude-sandbox-manager: MANAGER_LISTEN" "--listen \"\${MANAGER_LISTEN:-127.0.0.1:3000}\"" p.manager.seedText)

  # --- guest.nix: the VM's unit, exactly the contract's
  (a.eq "agent unit" {
      inherit (agentUnit) description after before wants wantedBy;
      inherit (agentUnit.unitConfig) DefaultDependencies;
      inherit (agentUnit.serviceConfig) Type ExecStart KillMode;
    } {
      description = "burrow guest agent (runs the sandbox's command)";
      DefaultDependencies = "no";
      after = [ "basic.target" ];
      before = [ "getty-pre.target" ];
      wants = [ "getty-pre.target" ];
      wantedBy = [ "multi-user.target" ];
      Type = "simple";
      ExecStart = "/run/burrow/agent --service";
      KillMode = "process";
    })
  (a.eq "vm: gettys on burrow's consoles masked"
    [ c.systemd.services."serial-getty@ttyS0".enable c.systemd.services."serial-getty@hvc0".enable ] [ false false ])
  (a.eq "vm: root is a tmpfs, no qemu-vm.nix shares" c.fileSystems."/".fsType "tmpfs")
  (a.eq "vm: guest kind" c.burrow.guest.kind "vm")
  (a.ok "vm: no container unit" (noUnit c "burrow-command"))
  (a.ok "container: its unit is burrow's per launch, not in /etc" (noUnit cc "burrow-command"))
  (a.eq "container: console gettys masked"
    [ cc.systemd.services.console-getty.enable cc.systemd.services."container-getty@".enable ] [ false false ])
  (a.ok "container: no VM agent unit" (noUnit cc "burrow-agent"))
  (a.eq "extraModules: services.postgresql reaches the VM's system" c.services.postgresql.enable true)
  (a.eq "extraModules: services.postgresql reaches the container's system" cc.services.postgresql.enable true)
  (a.eq "extraModules: users reach the system" c.users.users.alice.isNormalUser true)
  (a.eq "network: on, DHCP" [ c.networking.useDHCP cc.networking.useDHCP ] [ true true ])
  (a.eq "network = false: no DHCP" [ vmOff.system.config.networking.useDHCP ctrOff.system.config.networking.useDHCP ] [ false false ])
  (a.eq "vm network = false: no NIC options" vmOff.system.config.virtualisation.qemu.networkingOptions [ ])
  (a.eq "display: X, openbox, auto-login"
    (with vmX.system.config.services; [ xserver.enable xserver.windowManager.openbox.enable displayManager.autoLogin.enable
      displayManager.autoLogin.user displayManager.defaultSession ]) [ true true true "burrow" "none+openbox" ])
  (a.eq "display: the session's user" vmX.system.config.users.users.burrow.isNormalUser true)
  (a.contains "display: local users on the X server" "xhost +local:" vmX.system.config.services.xserver.displayManager.sessionCommands)
  (a.has "display: --display" "--display" vmX.launchArgs)
  (a.lacks "no display: no --display" "--display" vm.launchArgs)
  (a.ok "no display: no X" (undefined c.services.xserver.enable))
  (a.eq "display: assertion holds" (builtins.all (x: x.assertion) vmX.system.config.assertions) true)
  (a.eq "vm --system" (argAfter "--system" vm.launchArgs) (str vm.toplevel))
  (a.eq "container --system" (argAfter "--system" ctr.launchArgs) (str ctr.toplevel))
  (a.contains "container launcher: --system" "'--system' '${str ctr.toplevel}' \"$@\"" ctr.text)

  # --- agent and command
  (a.eq "no agent: no default command" (ns { }).defaultCommand null)
  (a.contains "no agent: the launcher is one line" "exec '" (ns { }).text)
  (a.eq "agent: the default command" nsAgent.defaultCommand [ hello ])
  (a.has "agent: on the sandbox's PATH" (str pkgs.hello) (strs nsAgent.sandboxEnv.paths))
  (a.has "agent: in the closure" (str pkgs.hello) (strs nsAgent.closureRoots))
  (a.contains "agent: appended when no command is given" "\"$@\" -- '${hello}'" nsAgent.text)
  (a.contains "agent: not with -- or --shell" "--|--shell|--help|-h) exec" nsAgent.text)
  (a.contains "agent: the seed's launcher passes the agent's arguments" "\"$project\" -- '${hello}' \"\${args[@]}\"" nsAgent.seedText)
  (a.contains "no agent: the seed's launcher runs claude" "\"$project\" -- 'claude' \"\${args[@]}\"" (ns { }).seedText)
  (a.eq "command: a list" nsCmd.defaultCommand [ "python3" "-q" ])
  (a.eq "command: a string is one program" nsStr.defaultCommand [ "python3" ])
  (a.eq "command wins over agent" nsBoth.defaultCommand [ "sh" ])
  (a.ok "command: a number refused" (throws (ns { command = 42; }).defaultCommand))
  (a.ok "command: an empty list refused" (throws (ns { command = [ ]; }).defaultCommand))
  (a.has "vm agent: in the system" (str pkgs.hello) (strs vmAgent.system.config.environment.systemPackages))
  (a.has "container agent: in the system" (str pkgs.hello) (strs ctrAgent.system.config.environment.systemPackages))
  (a.eq "vm/container agent: default command" [ vmAgent.defaultCommand ctrAgent.defaultCommand ] [ [ hello ] [ hello ] ])
  (a.contains "container seed launcher escalates as the seed's" "exec sudo --preserve-env \"$0\" \"$@\"" ctrAgent.seedText)
  (a.has "module: programs.burrow.vm.display" "--display" (lib.last hostAgent.environment.systemPackages).launchArgs)
  (a.lacks "module: no display by default" "--display" (lib.last installed).launchArgs)
  (a.eq "module: programs.burrow.agent reaches every launcher"
    (map (x: x.defaultCommand or "none") hostAgent.environment.systemPackages) [ "none" [ hello ] [ hello ] ])
]
