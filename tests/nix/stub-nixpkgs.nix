# A small stand-in for nixpkgs, for evaluating (and partly building) burrow's
# Nix expressions on a machine without nixpkgs and without network: the lib
# functions, callPackage, trivial builders and NixOS evaluation that
# nix/package.nix, nix/bwrap.nix, nix/backends/*, nix/manager/* and
# nix/modules/* use, and nothing else.
#
# What is real and what is not:
#  - writeText, writeShellApplication (bash, shellchecked when the host has
#    shellcheck, as nixpkgs'), symlinkJoin, closureInfo and runCommand
#    are real derivations (builder /bin/sh with the host's coreutils, grep and
#    find, no build sandbox), so a generated policy file and its closure can
#    be built with nix-build and run with `burrow run` (tests/nix/policy-run.sh).
#  - The sandbox packages (coreutils, bashInteractive, ...) are busybox-static
#    (/bin/busybox copied into the store once) under their usual command names.
#  - stdenv.mkDerivation and mkShell do not build: they return the attributes
#    they were given with a fake out path, enough to inspect package.nix.
#  - nixosSystem evaluates modules with a subset of the NixOS module system:
#    options with defaults, mkIf (pushed down, conditions evaluated lazily),
#    mkMerge, mkDefault/mkForce priorities, list concatenation, the
#    attributes of systemd.services.NAME and users.{users,groups}, and
#    mkRenamedOptionModule as nixpkgs has it: the old option's definitions
#    (with their priorities and conditions) become the new option's, and
#    each adds a "has been renamed" line to config.warnings. Modules given
#    by a nixpkgs path (modulesPath + ...) are recorded in `ignoredImports`,
#    not loaded. The toplevel is a real derivation holding sw/bin (busybox),
#    and empty kernel, initrd and init files.
let
  # Pure evaluation (flakes) has no builtins.currentSystem.
  currentSystem = builtins.currentSystem or "x86_64-linux";
  inherit (builtins) isAttrs isList isFunction isPath isString attrNames concatMap
    filter foldl' head length listToAttrs elem;

  lib = rec {
    id = x: x;
    optional = c: x: if c then [ x ] else [ ];
    optionals = c: xs: if c then xs else [ ];
    optionalString = c: s: if c then s else "";
    optionalAttrs = c: a: if c then a else { };
    concatStringsSep = builtins.concatStringsSep;
    concatMapStrings = f: xs: builtins.concatStringsSep "" (map f xs);
    concatLists = builtins.concatLists;
    hasPrefix = pre: s: builtins.substring 0 (builtins.stringLength pre) s == pre;
    last = xs: builtins.elemAt xs (length xs - 1);
    unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
    imap0 = f: xs: builtins.genList (i: f i (builtins.elemAt xs i)) (length xs);
    genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);
    mapAttrs = builtins.mapAttrs;
    escapeShellArg = s:
      "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString s) + "'";
    escapeShellArgs = xs: builtins.concatStringsSep " " (map escapeShellArg xs);
    getExe = p: "${p}/bin/${p.meta.mainProgram or p.pname or p.name}";
    makeBinPath = ps: builtins.concatStringsSep ":" (map (p: "${p}/bin") ps);
    setAttrByPath = path: v:
      if path == [ ] then v else { ${head path} = setAttrByPath (builtins.tail path) v; };
    recursiveUpdate = a: b:
      a // builtins.mapAttrs (n: v:
        if isAttrs v && a ? ${n} && isAttrs a.${n} && !(v ? outPath) then recursiveUpdate a.${n} v else v) b;
    cleanSource = src: src;
    # Nothing is copied; the filter is kept for the tests to call.
    cleanSourceWith = { src, filter ? _: _: true, name ? null }:
      { outPath = toString src; inherit src filter; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    licenses.lgpl2Plus = { spdxId = "LGPL-2.0-or-later"; };
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];

    # The module system subset (see the header).
    mkOverride = priority: content: { _type = "override"; inherit priority content; };
    mkDefault = mkOverride 1000;
    mkForce = mkOverride 50;
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { default = false; description = "Whether to enable ${name}."; };
    types = {
      bool = "bool";
      package = "package";
      deferredModule = "deferredModule";
      listOf = t: "listOf ${t}";
      str = "str";
      attrsOf = t: "attrsOf ${t}";
      either = a: b: "either ${a} ${b}";
      nullOr = t: "nullOr ${t}";
      enum = vs: "enum ${builtins.concatStringsSep "," vs}";
    };
    # A module declaring FROM as an alias of TO (see evalModules').
    mkRenamedOptionModule = from: to: {
      options = setAttrByPath from (mkOption { _renamedTo = to; });
    };
    evalModules = { modules, specialArgs ? { }, defaults ? _: { } }: evalModules' modules specialArgs defaults;

    nixosSystem = { system ? currentSystem, modules, specialArgs ? { } }:
      evalModules' modules specialArgs nixosDefaults // { inherit system modules; };
  };

  # Definitions and option defaults as leaves { path, value, prio, conds }.
  # At a declared option path the value is kept as it is (`raw`) and only
  # unwrapped (mkIf, mkMerge, mkOverride) when the option is read: forcing
  # it earlier could need the very config being built.
  flatten = isDecl: prefix: prio: conds: v:
    if isDecl prefix then [{ path = prefix; raw = v; inherit prio conds; }]
    else if isAttrs v && v ? _type then
      if v._type == "if" then flatten isDecl prefix prio (conds ++ [ v.condition ]) v.content
      else if v._type == "merge" then concatMap (flatten isDecl prefix prio conds) v.contents
      else if v._type == "override" then flatten isDecl prefix v.priority conds v.content
      else [{ path = prefix; raw = v; inherit prio conds; }]
    else if isAttrs v && !(v ? outPath) then
      concatMap (n: flatten isDecl (prefix ++ [ n ]) prio conds v.${n}) (attrNames v)
    else [{ path = prefix; raw = v; inherit prio conds; }];
  unwrap = prio: conds: v:
    if isAttrs v && v ? _type then
      if v._type == "if" then unwrap prio (conds ++ [ v.condition ]) v.content
      else if v._type == "merge" then concatMap (unwrap prio conds) v.contents
      else if v._type == "override" then unwrap v.priority conds v.content
      else [{ value = v; inherit prio conds; }]
    else [{ value = v; inherit prio conds; }];
  # Declared options: [ { path, option } ].
  optionDecls = prefix: v:
    if isAttrs v && (v._type or "") == "option" then [{ path = prefix; option = v; }]
    else if isAttrs v then concatMap (n: optionDecls (prefix ++ [ n ]) v.${n}) (attrNames v)
    else [ ];

  modulesPath = "/stub/nixpkgs/nixos/modules";

  # The options of NixOS's attrsOf-submodule options that burrow's modules
  # set (systemd.services.NAME.serviceConfig, users.users.NAME.home, ...),
  # each an option whose value is kept as it is: flattening further would
  # force values (ExecStart = "${cfg.package}...") that need the config
  # being built.
  submoduleOptions = [
    { prefix = [ "systemd" "services" ]; depth = 4; }
    { prefix = [ "users" "users" ]; depth = 4; }
    { prefix = [ "users" "groups" ]; depth = 3; }
  ];
  isSubmoduleOption = path: builtins.any (o:
    length path == o.depth
    && builtins.genList (i: builtins.elemAt path i) (length o.prefix) == o.prefix) submoduleOptions;

  evalModules' = modules: specialArgs: defaults:
    let
      args = { inherit config lib pkgs modulesPath; } // specialArgs;
      # A module (path, function or attribute set) and its imports as
      # { ignored = nixpkgs module paths; loaded = [ { options, config } ]; }.
      load = m:
        if isString m then { ignored = [ m ]; loaded = [ ]; }
        else
          let
            v0 = if isPath m then import m else m;
            v = if isFunction v0 then v0 args else v0;
            body = if v ? config || v ? options then v.config or { }
              else removeAttrs v [ "imports" "options" "_file" "key" ];
            sub = map load (v.imports or [ ]);
          in {
            ignored = concatMap (s: s.ignored) sub;
            loaded = concatMap (s: s.loaded) sub ++ [{ options = v.options or { }; config = body; }];
          };
      all = map load modules;
      loaded = concatMap (a: a.loaded) all;
      decls = concatMap (m: optionDecls [ ] m.options) loaded;
      defaultLeaves = flatten (_: false) [ ] 1500 [ ] (defaults config);
      declared = listToAttrs (map (l: { name = builtins.concatStringsSep "." l.path; value = true; })
        (decls ++ defaultLeaves));
      isDecl = path: declared ? ${builtins.concatStringsSep "." path} || isSubmoduleOption path;
      # mkRenamedOptionModule: a definition of an old option path is one of
      # the new path, plus a warning under the same conditions.
      dotted = builtins.concatStringsSep ".";
      renames = listToAttrs (map (d: { name = dotted d.path; value = d.option._renamedTo; })
        (filter (d: d.option ? _renamedTo) decls));
      rename = l:
        if renames ? ${dotted l.path} then [
          (l // { path = renames.${dotted l.path}; })
          { path = [ "warnings" ]; prio = 100; inherit (l) conds;
            raw = [ "The option `${dotted l.path}' has been renamed to `${dotted renames.${dotted l.path}}'." ]; }
        ] else [ l ];
      leaves = concatMap (d: if d.option ? default
          then [{ inherit (d) path; raw = d.option.default; prio = 1500; conds = [ ]; }] else [ ]) decls
        ++ concatMap rename (concatMap (m: flatten isDecl [ ] 100 [ ] m.config) loaded)
        ++ defaultLeaves;
      # The tree is built from the leaves' paths alone, so that no value (and
      # no mkIf condition) is forced before someone reads it.
      tree = depth: ls:
        let
          here = filter (l: length l.path == depth) ls;
          deeper = filter (l: length l.path > depth) ls;
        in
        if deeper == [ ] then pick (builtins.concatStringsSep "." (head ls).path) here
        else builtins.mapAttrs (n: tree (depth + 1))
          (builtins.groupBy (l: builtins.elemAt l.path depth) deeper);
      pick = key: ls:
        let
          active = filter (l: builtins.all (c: c) l.conds)
            (concatMap (l: unwrap l.prio l.conds l.raw) ls);
          best = foldl' (a: l: if l.prio < a then l.prio else a) 100000 active;
          winners = filter (l: l.prio == best) active;
        in
        if active == [ ] then throw "stub nixos: no active definition of ${key}"
        else if builtins.all (l: isList l.value) winners then concatMap (l: l.value) winners
        else lib.last (map (l: l.value) winners);
      config = tree 0 leaves;
    in
    {
      inherit config;
      ignoredImports = concatMap (a: a.ignored) all;
    };

  # What NixOS itself would define for the options burrow's modules read.
  nixosDefaults = config: {
    networking.hostName = "nixos";
    networking.useDHCP = true;
    boot.kernelParams = [ ];
    virtualisation.memorySize = 1024;
    virtualisation.cores = 1;
    virtualisation.qemu.networkingOptions = [ "-net nic" "-net user" ];
    environment.systemPackages = [ ];
    warnings = [ ];
    assertions = [ ];
    system.build.toplevel = toplevelFor config;
  };

  toplevelFor = config: realDrv "nixos-system-${config.networking.hostName}" ''
    mkdir -p "$out/sw/bin"
    for a in sh ls cat echo id env hostname ip; do ln -s "$busybox/bin/busybox" "$out/sw/bin/$a"; done
    : > "$out/kernel"; : > "$out/initrd"; : > "$out/init"
    printf '%s\n' "$packages" > "$out/packages"
  '' {
    inherit (pkgs) busybox;
    packages = map toString config.environment.systemPackages;
  };

  # A real derivation built by /bin/sh with the host's tools.
  realDrv = name: script: env: derivation ({
    inherit name;
    system = currentSystem;
    builder = "/bin/sh";
    args = [ "-e" "-c" script ];
    PATH = "/usr/bin:/bin";
  } // env);
  # Attributes a derivation() cannot take but nixpkgs builders keep.
  withPassthru = drv: passthru: meta: drv // passthru // { inherit meta passthru; };

  # Fake, unbuilt derivation (stdenv.mkDerivation, mkShell).
  fakeDrv = attrs:
    let
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      hash = builtins.substring 0 32 (builtins.hashString "sha256" "stub-${name}");
    in
    attrs // {
      inherit name;
      type = "derivation";
      outPath = "${builtins.storeDir}/${hash}-${name}";
      drvAttrs = attrs;
      meta = attrs.meta or { };
      passthru = attrs.passthru or { };
    };

  # A package whose commands are busybox applets (or scripts for the rest).
  tool = pname: applets: scripts:
    withPassthru (realDrv "${pname}-stub" ''
      mkdir -p "$out/bin"
      for a in $applets; do ln -s "$busybox/bin/busybox" "$out/bin/$a"; done
      for s in $scripts; do
        printf '#!%s/bin/busybox sh\nexec %s/bin/busybox sh -c '"'"'echo %s: stub "$*"'"'"' %s "$@"\n' \
          "$busybox" "$busybox" "$s" "$s" > "$out/bin/$s"
        chmod 0555 "$out/bin/$s"
      done
    '' { inherit (pkgs) busybox; inherit applets scripts; }) { } {
      mainProgram = if applets != [ ] then head applets else head scripts;
    } // { inherit pname; };

  pkgs = {
    inherit lib pkgs;
    path = "/stub/nixpkgs";
    system = currentSystem;

    callPackage = fn: overrides:
      let
        f = if isFunction fn then fn else import fn;
        wanted = builtins.functionArgs f;
        given = builtins.intersectAttrs wanted pkgs;
      in
      f (given // overrides);

    stdenv = {
      mkDerivation = fakeDrv;
      hostPlatform = { isGnu = true; isLinux = true; system = currentSystem; };
      inherit (pkgs) cc;
    };
    mkShell = attrs: fakeDrv ({ name = "shell"; } // attrs);

    writeText = name: text: realDrv name ''cp "$textPath" "$out"'' {
      inherit text;
      passAsFile = [ "text" ];
    };

    writeShellApplication = { name, text, runtimeInputs ? [ ], passthru ? { }, meta ? { } }:
      withPassthru (realDrv name ''
        mkdir -p "$out/bin"
        {
          printf '#!/bin/bash\nset -o errexit\nset -o nounset\nset -o pipefail\n'
          [ -z "$runtimePath" ] || printf 'export PATH=%s:"$PATH"\n' "$runtimePath"
          cat "$textPath"
        } > "$out/bin/$name"
        chmod 0555 "$out/bin/$name"
        # nixpkgs' checkPhase: shellcheck, when the host has it.
        if [ -x /usr/bin/shellcheck ]; then /usr/bin/shellcheck "$out/bin/$name"; fi
      '' {
        inherit text;
        passAsFile = [ "text" ];
        runtimePath = lib.makeBinPath runtimeInputs;
      }) passthru meta // { inherit text runtimeInputs; };

    symlinkJoin = { name, paths, passthru ? { }, meta ? { } }:
      withPassthru (realDrv name ''
        mkdir -p "$out"
        for p in $paths; do
          cd "$p"
          find . -type d | while read -r d; do mkdir -p "$out/$d"; done
          find . ! -type d | while read -r f; do
            [ -e "$out/$f" ] || [ -L "$out/$f" ] || ln -s "$p/$f" "$out/$f"
          done
        done
      '' { inherit paths; }) passthru meta // { inherit paths; };

    # store-paths as nixpkgs' closureInfo writes it: every path of the
    # closure, sorted, one a line (no registration file).
    closureInfo = { rootPaths }:
      realDrv "closure-info" ''
        mkdir -p "$out"
        cat graph-* | grep '^${builtins.storeDir}/' | grep -v '\.drv$' | sort -u > "$out/store-paths"
      '' {
        exportReferencesGraph = lib.concatLists (lib.imap0 (i: p: [ "graph-${toString i}" p ]) rootPaths);
      } // { inherit rootPaths; };

    runCommand = name: env: script:
      let clean = removeAttrs env [ "passthru" "meta" ];
      in withPassthru (realDrv name script clean) (env.passthru or { }) (env.meta or { });

    nixos = configuration: lib.nixosSystem { modules = [ configuration ]; };

    # busybox-static, copied into the store once.
    busybox = realDrv "busybox-stub" ''
      mkdir -p "$out/bin"
      cp /bin/busybox "$out/bin/busybox"
    '' { };

    # bash is busybox's sh under that name (a script: busybox has no bash applet).
    bashInteractive = withPassthru (realDrv "bash-stub" ''
      mkdir -p "$out/bin"
      ln -s "$busybox/bin/busybox" "$out/bin/sh"
      printf '#!%s/bin/busybox sh\nexec %s/bin/busybox sh "$@"\n' "$busybox" "$busybox" > "$out/bin/bash"
      chmod 0555 "$out/bin/bash"
    '' { inherit (pkgs) busybox; }) { } { mainProgram = "bash"; } // { pname = "bash"; };
    # (ip: not coreutils, but the network checks of policy-run.sh need one.)
    coreutils = tool "coreutils" [ "ls" "cat" "echo" "id" "env" "mkdir" "rm" "true" "false" "ip" ] [ ];
    findutils = tool "findutils" [ "find" "xargs" ] [ ];
    diffutils = tool "diffutils" [ "diff" "cmp" ] [ ];
    gnugrep = tool "gnugrep" [ "grep" ] [ ];
    gnused = tool "gnused" [ "sed" ] [ ];
    gawk = tool "gawk" [ "awk" ] [ ];
    gnutar = tool "gnutar" [ "tar" ] [ ];
    gzip = tool "gzip" [ "gzip" "gunzip" ] [ ];
    which = tool "which" [ "which" ] [ ];
    less = tool "less" [ "less" ] [ ];
    git = tool "git" [ ] [ "git" ];
    python3 = tool "python3" [ ] [ "python3" ];
    hello = tool "hello" [ ] [ "hello" ];
    nodejs = tool "nodejs" [ ] [ "node" ];
    ripgrep = tool "ripgrep" [ ] [ "rg" ];
    passt = tool "passt" [ ] [ "pasta" ];
    xorg.xhost = tool "xhost" [ ] [ "xhost" ];
    cacert = realDrv "cacert-stub" ''
      mkdir -p "$out/etc/ssl/certs"
      : > "$out/etc/ssl/certs/ca-bundle.crt"
    '' { };

    # Build inputs of package.nix: names only.
    cmake = fakeDrv { pname = "cmake"; version = "stub"; };
    ninja = fakeDrv { pname = "ninja"; version = "stub"; };
    pkg-config = fakeDrv { pname = "pkg-config"; version = "stub"; };
    libseccomp = fakeDrv { pname = "libseccomp"; version = "stub"; };
    libcap = fakeDrv { pname = "libcap"; version = "stub"; };
    util-linux = fakeDrv { pname = "util-linux"; version = "stub"; };
    boost = fakeDrv { pname = "boost"; version = "stub"; };
    tomlplusplus = fakeDrv { pname = "tomlplusplus"; version = "stub"; };
    nlohmann_json = fakeDrv { pname = "nlohmann_json"; version = "stub"; };
    cli11 = fakeDrv { pname = "cli11"; version = "stub"; };
    sqlite = fakeDrv { pname = "sqlite"; version = "stub"; };
    glibc = fakeDrv { pname = "glibc"; version = "stub"; } // {
      static = fakeDrv { pname = "glibc-static"; version = "stub"; };
    };
    cc = fakeDrv { pname = "cc"; version = "stub"; };
    clang-tools = fakeDrv { pname = "clang-tools"; version = "stub"; };
    gdb = fakeDrv { pname = "gdb"; version = "stub"; };
    groff = fakeDrv { pname = "groff"; version = "stub"; };
  };
in
pkgs
