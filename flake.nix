{
  description = "burrow: a setuid-free Linux sandbox runtime, a drop-in bwrap, and sandbox launchers";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # The callPackage API of nix/backends: a function from { imports } to
      # a NixOS system. Every launcher package also holds the seed's command
      # name (claude-sandbox, claude-sandbox-container, claude-sandbox-vm;
      # claude-sandbox-manager in manager, claude-remote in cli).
      nixosFor = system: args: lib.nixosSystem {
        inherit system;
        modules = args.imports;
      };

      packagesFor = system: pkgs:
        let
          burrow = pkgs.callPackage ./nix/package.nix { };
          nixos = nixosFor system;
          backend = file: args: pkgs.callPackage file ({ inherit burrow; } // args);
        in
        rec {
          inherit burrow;
          bwrap = pkgs.callPackage ./nix/bwrap.nix { inherit burrow; };
          sandbox = backend ./nix/backends/bubblewrap.nix { };
          no-network = backend ./nix/backends/bubblewrap.nix { network = false; };
          container = backend ./nix/backends/container.nix { inherit nixos; };
          container-no-network = backend ./nix/backends/container.nix {
            inherit nixos;
            network = false;
          };
          vm = backend ./nix/backends/vm.nix { inherit nixos; };
          vm-no-network = backend ./nix/backends/vm.nix {
            inherit nixos;
            network = false;
          };
          manager = pkgs.callPackage ./nix/manager/package.nix {
            inherit burrow;
            sandboxPackages = [ sandbox no-network container container-no-network vm vm-no-network ];
          };
          # burrow remote (bin/burrow-remote) and the seed's claude-remote.
          cli = pkgs.callPackage ./nix/cli.nix { inherit burrow; };
          # The seed's default also bundled claude-code; burrow ships no
          # agent (see README "Coming from claude-code-nix-sandbox").
          default = sandbox;
        };
    in
    {
      packages = forAll packagesFor;

      overlays.default = final: prev: {
        burrow = final.callPackage ./nix/package.nix { };
        # Opt in to burrow as the system's bwrap with
        #   bubblewrap = final.burrow-bwrap;
        burrow-bwrap = final.callPackage ./nix/bwrap.nix { };
        burrow-sandbox = final.callPackage ./nix/backends/bubblewrap.nix { };
        burrow-sandbox-no-network = final.callPackage ./nix/backends/bubblewrap.nix {
          network = false;
        };
      };

      # Paths, not imported functions: the module system then loads each
      # file once even when both modules are imported.
      nixosModules.default = ./nix/modules/burrow.nix;
      nixosModules.manager = ./nix/modules/manager.nix;

      checks = forAll (system: pkgs:
        let p = self.packages.${system};
        in {
          inherit (p) burrow bwrap sandbox no-network manager;
          # Every generated policy must be one that burrow accepts.
          policies = pkgs.runCommand "burrow-policy-check" { } ''
            ${lib.concatMapStrings (l: ''
              ${lib.getExe p.burrow} policy check ${l.policyFile}
            '') [ p.sandbox p.no-network p.container p.container-no-network p.vm p.vm-no-network ]}
            touch $out
          '';
        });

      devShells = forAll (system: pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${system}.burrow ];
          packages = [ pkgs.clang-tools pkgs.gdb pkgs.groff ];
        };
      });
    };
}
