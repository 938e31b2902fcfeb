# Evaluation tests of nix/backends/{bubblewrap,container,vm}.nix,
# nix/manager/package.nix, nix/package.nix and nix/bwrap.nix against the
# stub nixpkgs: each documented parameter changes the launcher and its
# generated policy as documented.
let
  pkgs = import ./stub-nixpkgs.nix;
  inherit (pkgs) lib;
  a = import ./assert.nix;
  root = toString ../..;
  str = toString;
  strs = map toString;

  # `nixos` as the README shows it, recording what it was handed.
  nixos = args: lib.nixosSystem { modules = args.imports; } // { handed = args.imports; };
  call = file: pkgs.callPackage "${root}/nix/${file}";

  sandbox = call "backends/bubblewrap.nix" { };
  noNet = call "backends/bubblewrap.nix" { network = false; };
  extra = call "backends/bubblewrap.nix" { extraPackages = [ pkgs.python3 pkgs.hello ]; };
  # network = { allow = [ ... ]; }: the egress allowlist (every backend).
  rules = [ "api.example.com:443" "*.github.com:443" ];
  allowNet = call "backends/bubblewrap.nix" { network = { allow = rules; }; };
  # The evaluation fails (a throw, with its reason) when the launcher is used.
  throws = v: !(builtins.tryEval (builtins.deepSeq v v)).success;
  launchArgsOf = file: args: (call file args).launchArgs;

  agentModule = { environment.systemPackages = [ pkgs.hello ]; networking.hostName = "agentbox"; };
  ctr = call "backends/container.nix" { inherit nixos; };
  ctrNoNet = call "backends/container.nix" { inherit nixos; network = false; };
  ctrExtra = call "backends/container.nix" { inherit nixos; extraModules = [ agentModule ]; };

  vmSizes = { virtualisation.memorySize = 2048; virtualisation.cores = 3; };
  vmParams = { lib, ... }: { boot.kernelParams = [ "quiet" ]; };
  vm = call "backends/vm.nix" { inherit nixos; };
  vmNoNet = call "backends/vm.nix" { inherit nixos; network = false; };
  vmExtra = call "backends/vm.nix" { inherit nixos; extraModules = [ vmSizes vmParams ]; };

  manager = call "manager/package.nix" { sandboxPackages = [ sandbox noNet vmExtra ]; };
  managerEmpty = call "manager/package.nix" { };
  managerOwnBurrow = call "manager/package.nix" { burrow = bwrap; };

  burrow = call "package.nix" { };
  bwrap = call "bwrap.nix" { };

  argAfter = flag: args:
    let i = lib.imap0 (n: x: if x == flag then n else null) args;
        found = builtins.filter (x: x != null) i;
    in if found == [ ] then null else builtins.elemAt args (builtins.head found + 1);
  names = map (p: p.pname or p.name);
  fromJSON = s: builtins.fromJSON (builtins.unsafeDiscardStringContext s);
  policyOf = l: fromJSON l.policyFile.text;
in
a.report [
  # --- bubblewrap.nix: the namespace backend
  (a.eq "sandbox name" sandbox.meta.mainProgram "burrow-sandbox")
  (a.eq "no-network name" noNet.meta.mainProgram "burrow-sandbox-no-network")
  (a.eq "sandbox backend args" (lib.concatStringsSep " " (lib.imap0 (i: x: x) (builtins.genList (i: builtins.elemAt sandbox.launchArgs i) 5)))
    "launch --backend namespace --policy ${str sandbox.policyFile}")
  (a.eq "sandbox policy network" sandbox.policy.network "private")
  (a.eq "network=false: policy network" noNet.policy.network "none")
  (a.lacks "network=true: no --no-network" "--no-network" sandbox.launchArgs)
  (a.has "network=false: --no-network" "--no-network" noNet.launchArgs)
  (a.eq "policy file is the policy" (policyOf sandbox) sandbox.policy)
  (a.eq "network=false: policy file network" (policyOf noNet).network "none")
  (a.eq "policy closure is the closureInfo" sandbox.policy.nix.closures [ "${sandbox.closure}/store-paths" ])
  (a.eq "closureInfo input is closureRoots" (strs sandbox.closure.rootPaths) (strs sandbox.closureRoots))
  (a.eq "PATH is the sandbox env" sandbox.policy.env.set.PATH "${sandbox.sandboxEnv}/bin")
  (a.has "extraPackages: in the closure input" (str pkgs.python3) (strs extra.closure.rootPaths))
  (a.has "extraPackages: second one too" (str pkgs.hello) (strs extra.closure.rootPaths))
  (a.lacks "no extraPackages: not in the closure input" (str pkgs.python3) (strs sandbox.closure.rootPaths))
  (a.has "extraPackages: in the PATH env" (str pkgs.python3) (strs extra.sandboxEnv.paths))
  (a.lacks "no extraPackages: not in the PATH env" (str pkgs.python3) (strs sandbox.sandboxEnv.paths))
  (a.eq "extraPackages: PATH is its env" extra.policy.env.set.PATH "${extra.sandboxEnv}/bin")
  (a.ok "extraPackages: PATH differs" (extra.policy.env.set.PATH != sandbox.policy.env.set.PATH))
  (a.has "sandbox packages: bash on PATH" (str pkgs.bashInteractive) (strs extra.sandboxEnv.paths))
  (a.has "sandbox packages: coreutils on PATH" (str pkgs.coreutils) (strs sandbox.sandboxEnv.paths))
  (a.contains "launcher execs burrow launch" "exec '${str burrow}/bin/burrow' 'launch' '--backend' 'namespace' '--policy' '${str sandbox.policyFile}' \"$@\"" sandbox.text)
  (a.contains "network=false launcher" "'--no-network' \"$@\"" noNet.text)
  (a.eq "allow: policy network" allowNet.policy.network { mode = "allowlist"; allow = rules; })
  (a.eq "allow: policy file network" (policyOf allowNet).network { mode = "allowlist"; allow = rules; })
  (a.eq "allow: --allow-net per rule" (argAfter "--allow-net" allowNet.launchArgs) "api.example.com:443")
  (a.has "allow: second rule" "*.github.com:443" allowNet.launchArgs)
  (a.lacks "allow: no --no-network" "--no-network" allowNet.launchArgs)
  (a.contains "allow: launcher" "'--allow-net' 'api.example.com:443' '--allow-net' '*.github.com:443' \"$@\"" allowNet.text)
  (a.eq "allow: name" allowNet.meta.mainProgram "burrow-sandbox")
  (a.eq "allow: passthru" [ allowNet.network allowNet.allowNet ] [ true rules ])
  (a.eq "no allow: passthru" [ sandbox.allowNet noNet.allowNet ] [ [ ] [ ] ])
  (a.ok "allow: empty list refused" (throws (launchArgsOf "backends/bubblewrap.nix" { network = { allow = [ ]; }; })))
  (a.ok "allow: non-string rule refused" (throws (launchArgsOf "backends/bubblewrap.nix" { network = { allow = [ 443 ]; }; })))
  (a.ok "allow: unknown key refused" (throws (launchArgsOf "backends/bubblewrap.nix" { network = { allow = rules; deny = [ ]; }; })))
  (a.ok "network: a string refused" (throws (launchArgsOf "backends/bubblewrap.nix" { network = "private"; })))
  (a.ok "allow: true and false still work" (!(throws [ sandbox.launchArgs noNet.launchArgs ])))
  (a.eq "container: allow, --allow-net per rule" (argAfter "--allow-net" (launchArgsOf "backends/container.nix" { inherit nixos; network = { allow = rules; }; })) "api.example.com:443")
  (a.eq "vm: allow, --allow-net per rule" (argAfter "--allow-net" (launchArgsOf "backends/vm.nix" { inherit nixos; network = { allow = rules; }; })) "api.example.com:443")

  # --- container.nix
  (a.eq "container backend" (builtins.elemAt ctr.launchArgs 2) "container")
  (a.eq "container name" ctrNoNet.meta.mainProgram "burrow-container-no-network")
  (a.eq "container policy network" ctr.policy.network "private")
  (a.eq "container network=false: private network" ctrNoNet.policy.network "loopback")
  (a.has "container network=false: --no-network" "--no-network" ctrNoNet.launchArgs)
  (a.eq "container network=false: no DHCP" ctrNoNet.system.config.networking.useDHCP false)
  (a.eq "container network=true: DHCP" ctr.system.config.networking.useDHCP true)
  (a.has "extraModules: handed to nixos" agentModule ctrExtra.system.handed)
  (a.lacks "no extraModules: not handed" agentModule ctr.system.handed)
  (a.eq "extraModules: module count" (builtins.length ctrExtra.system.handed) 2)
  (a.eq "extraModules: hostName reaches the system" ctrExtra.system.config.networking.hostName "agentbox")
  (a.eq "container: default hostName" ctr.system.config.networking.hostName "burrow-container")
  (a.eq "container: isContainer" ctr.system.config.boot.isContainer true)
  (a.has "extraModules: systemPackages" (str pkgs.hello) (strs ctrExtra.system.config.environment.systemPackages))
  (a.eq "container closure is the system" (strs ctrExtra.closure.rootPaths) [ (str ctrExtra.toplevel) ])
  (a.eq "container PATH" ctrExtra.policy.env.set.PATH "${ctrExtra.toplevel}/sw/bin")
  (a.ok "extraModules change the system" (str ctrExtra.toplevel != str ctr.toplevel))

  # --- vm.nix
  (a.eq "vm backend" (builtins.elemAt vm.launchArgs 2) "vm")
  (a.eq "vm name" vmNoNet.meta.mainProgram "burrow-vm-no-network")
  (a.eq "vm policy network" vm.policy.network "private")
  (a.eq "vm network=false: policy" vmNoNet.policy.network "none")
  (a.has "vm network=false: --no-network" "--no-network" vmNoNet.launchArgs)
  (a.eq "vm network=false: no NIC options" vmNoNet.system.config.virtualisation.qemu.networkingOptions [ ])
  (a.ok "vm network=true: NIC options" (vm.system.config.virtualisation.qemu.networkingOptions != [ ]))
  (a.eq "vm boots the system" (argAfter "--system" vm.launchArgs) "${vm.toplevel}")
  (a.eq "vm: no --kernel/--initrd (burrow reads the toplevel)" (builtins.filter (x: x == "--kernel" || x == "--initrd") vm.launchArgs) [ ])
  (a.eq "vm: no kernelParams, no --append" (argAfter "--append" vm.launchArgs) null)
  (a.eq "vm default memory: the seed's" (argAfter "--memory" vm.launchArgs) "4096")
  (a.eq "vm default cores: the seed's" (argAfter "--cores" vm.launchArgs) "4")
  (a.contains "vm launcher: --system" "'--system' '${str vm.toplevel}'" vm.text)
  (a.eq "container boots the system" (argAfter "--system" ctr.launchArgs) "${ctr.toplevel}")
  (a.eq "extraModules: memorySize" (argAfter "--memory" vmExtra.launchArgs) "2048")
  (a.eq "extraModules: cores" (argAfter "--cores" vmExtra.launchArgs) "3")
  (a.eq "extraModules: kernelParams" (argAfter "--append" vmExtra.launchArgs) "quiet")
  (a.has "extraModules: vm handed" vmSizes vmExtra.system.handed)
  (a.has "vm imports qemu-vm.nix" "/stub/nixpkgs/nixos/modules/virtualisation/qemu-vm.nix" vm.system.ignoredImports)

  # --- manager/package.nix
  (a.eq "manager backends" (map (b: b.name) manager.config.backends)
    [ "burrow-sandbox" "burrow-sandbox-no-network" "burrow-vm" ])
  (a.eq "manager backend kinds" (map (b: b.backend) manager.config.backends) [ "namespace" "namespace" "vm" ])
  (a.eq "manager network" (map (b: b.network) manager.config.backends) [ true false true ])
  (a.eq "manager launcher" (builtins.head manager.config.backends).launcher "${sandbox}/bin/burrow-sandbox")
  (a.eq "manager config: the contract's keys only" (map builtins.attrNames manager.config.backends)
    (builtins.genList (_: [ "backend" "launcher" "name" "network" ]) 3))
  (a.eq "manager config: top level" (builtins.attrNames manager.config) [ "backends" ])
  (a.eq "manager config file" (fromJSON manager.configFile.text) manager.config)
  (a.eq "manager sandboxPackages" (strs manager.sandboxPackages) (strs [ sandbox noNet vmExtra ]))
  (a.eq "manager without backends" managerEmpty.config.backends [ ])
  (a.eq "manager without backends: file" managerEmpty.configFile.text ''{"backends":[]}'')
  (a.contains "manager runs burrow manager --config"
    "exec '${str manager.burrow}/bin/burrow' 'manager' '--config' '${str manager.configFile}' \"$@\"" manager.text)
  (a.lacks "manager: no placeholder left" "placeholder" (builtins.split " " manager.text))
  (a.eq "manager burrow default" (str managerEmpty.burrow) (str burrow))
  (a.eq "manager burrow given" (str managerOwnBurrow.burrow) (str bwrap))
  (a.contains "manager runs the given burrow" "${str bwrap}/bin/" managerOwnBurrow.text)
  (a.ok "manager: a non-launcher refused" (throws (call "manager/package.nix" { sandboxPackages = [ pkgs.hello ]; }).config))
  (a.ok "manager: two launchers of one name refused" (throws (call "manager/package.nix" { sandboxPackages = [ sandbox extra ]; }).config))
  (a.eq "manager name" manager.meta.mainProgram "burrow-manager")

  # --- package.nix and bwrap.nix
  (a.eq "burrow pname" burrow.pname "burrow")
  (a.eq "burrow mainProgram" burrow.meta.mainProgram "burrow")
  (a.eq "burrow doCheck" burrow.doCheck true)
  (a.contains "burrow checkPhase runs the unit tests" "ctest -L unit" burrow.checkPhase)
  (a.has "burrow dynamic" "-DBURROW_STATIC_DEPS=OFF" burrow.cmakeFlags)
  (a.eq "burrow nativeBuildInputs" (names burrow.nativeBuildInputs) [ "cmake" "ninja" "pkg-config" ])
  (a.eq "burrow buildInputs" (names burrow.buildInputs)
    [ "libseccomp" "libcap" "util-linux" "boost" "tomlplusplus" "nlohmann_json" "cli11" "sqlite" "glibc-static" ])
  (a.eq "burrow src: no build tree" (burrow.src.filter "${root}/build" "directory") false)
  (a.eq "burrow src: no asan build tree" (burrow.src.filter "${root}/build-asan" "directory") false)
  (a.eq "burrow src: no result link" (burrow.src.filter "${root}/result" "symlink") false)
  (a.eq "burrow src: sources kept" (map (d: burrow.src.filter "${root}/${d}" "directory")
    [ "runtime" "policy" "launcher" "man" "completions" "tests" ]) [ true true true true true true ])
  (a.eq "burrow src: nested build dirs kept" (burrow.src.filter "${root}/tests/build" "directory") true)
  (a.eq "bwrap mainProgram" bwrap.meta.mainProgram "bwrap")
  (a.contains "bwrap links burrow" "ln -s ${str burrow}/bin/burrow $out/bin/bwrap" bwrap.buildCommand or (builtins.elemAt bwrap.args 2))
]
