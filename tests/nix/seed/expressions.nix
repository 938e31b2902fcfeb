# The expressions of claude-code-nix-sandbox's README.md and docs/src
# (jhhuh/claude-code-nix-sandbox, the seed), copied unchanged, for
# tests/nix/eval-compat.nix to evaluate against burrow's packaging: a seed
# user's flake must work with `claude-sandbox` pointing at burrow.
#
# Only the wrapping is ours: each expression sits in a function of what
# its context gives it (the flake's outputs arguments, a NixOS module's
# arguments, or the `pkgs`/`nixpkgs` of a flake). ./nix is a symbolic link
# to burrow's nix/, as the seed's own ./nix is its backends.
{
  # README.md "NixOS Modules / Sandbox backends" (the outputs function of
  # the user's flake.nix; comments left out).
  readmeModule = { nixpkgs, claude-sandbox, ... }: {
    nixosConfigurations.myhost = nixpkgs.lib.nixosSystem {
      modules = [
        claude-sandbox.nixosModules.default
        {
          services.claude-sandbox = {
            enable = true;           # Install bubblewrap backend (default)
            container.enable = true; # Also install container backend
            vm.enable = true;        # Also install VM backend
            network = true;          # Allow network access (default)
          };
        }
      ];
    };
  };

  # docs/src/nixos-modules/sandbox.md "Example with customization" (a
  # fragment of a NixOS module: pkgs is the module's).
  docsSandboxExample = { pkgs, ... }: {
    services.claude-sandbox = {
      enable = true;
      network = false;  # isolate all backends
      bubblewrap.extraPackages = with pkgs; [ python3 nodejs ];
      container.enable = true;
      container.extraModules = [{
        environment.systemPackages = with pkgs; [ python3 ];
      }];
      vm.enable = true;
      vm.extraModules = [{
        virtualisation.memorySize = 8192;
      }];
    };
  };

  # README.md "NixOS Modules / Remote sandbox manager".
  readmeManager = { nixpkgs, claude-sandbox, ... }: {
    nixosConfigurations.myhost = nixpkgs.lib.nixosSystem {
      modules = [
        claude-sandbox.nixosModules.manager
        {
          services.claude-sandbox-manager = {
            enable = true;
            listenAddress = "127.0.0.1:3000";  # default
            stateDir = "/var/lib/claude-manager";  # default
            # Put sandbox backends on the manager's PATH:
            sandboxPackages = [
              claude-sandbox.packages.x86_64-linux.default
            ];
            # Allow passwordless sudo for the container backend:
            # containerSudoers = true;
          };
        }
      ];
    };
  };

  # docs/src/nixos-modules/manager.md "Example with container support"
  # (a fragment of a NixOS module; claude-sandbox is the flake input).
  docsManagerExample = claude-sandbox: {
    services.claude-sandbox-manager = {
      enable = true;
      listenAddress = "127.0.0.1:3001";
      sandboxPackages = [
        claude-sandbox.packages.x86_64-linux.default
        claude-sandbox.packages.x86_64-linux.container
      ];
      containerSudoers = true;
    };
  };

  # docs/src/customization.md, README.md "Customization": packages of the
  # seed's own flake (./nix is the backends), given its pkgs and nixpkgs.
  customization = { pkgs, nixpkgs }: {
    packages.default = pkgs.callPackage ./nix/backends/bubblewrap.nix {
      extraPackages = with pkgs; [ python3 nodejs ripgrep ];
    };

    packages.container = pkgs.callPackage ./nix/backends/container.nix {
      nixos = args: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = args.imports;
      };
      extraModules = [{
        environment.systemPackages = with pkgs; [ python3 nodejs ];
        # Any NixOS option works here
      }];
    };

    packages.vm = pkgs.callPackage ./nix/backends/vm.nix {
      nixos = args: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = args.imports;
      };
      extraModules = [{
        virtualisation.memorySize = 8192;
        virtualisation.cores = 8;
        environment.systemPackages = with pkgs; [ python3 ];
      }];
    };

    # Bubblewrap: adds --unshare-net
    packages.isolated = pkgs.callPackage ./nix/backends/bubblewrap.nix {
      network = false;
    };

    packages.manager = pkgs.callPackage ./nix/manager/package.nix {
      sandboxPackages = [
        (pkgs.callPackage ./nix/backends/bubblewrap.nix { })
        (pkgs.callPackage ./nix/backends/bubblewrap.nix { network = false; })
      ];
    };
  };

  # docs/src/customization.md "Using as a flake input" (the overlay of
  # claude-code-nix left out: burrow needs no pkgs.claude-code).
  flakeInput = { pkgs, claude-sandbox }: {
    packages.x86_64-linux.my-sandbox = pkgs.callPackage
      "${claude-sandbox}/nix/backends/bubblewrap.nix"
      { extraPackages = [ pkgs.python3 ]; };

    packages.x86_64-linux.sandbox = claude-sandbox.packages.x86_64-linux.default;
  };

  # The seed's flake outputs (README.md "Packages") and the command each
  # package gives (docs/src/getting-started.md "Available packages").
  packages = {
    default = "claude-sandbox";
    sandbox = "claude-sandbox";
    no-network = "claude-sandbox";
    container = "claude-sandbox-container";
    container-no-network = "claude-sandbox-container";
    vm = "claude-sandbox-vm";
    vm-no-network = "claude-sandbox-vm";
    manager = "claude-sandbox-manager";
    cli = "claude-remote";
  };
}
