# The generated policies of the three backends, built for real (with the
# stub nixpkgs' real builders: writeText, symlinkJoin, closureInfo) so that
# tests/nix/policy-run.sh can check them with `burrow policy check` and run
# them with `burrow run`: the store paths in them are real, registered ones.
let
  pkgs = import ./stub-nixpkgs.nix;
  nixos = args: pkgs.lib.nixosSystem { modules = args.imports; };
  call = file: pkgs.callPackage (../../nix/backends + "/${file}");
  argvBurrow = derivation {
    name = "argv-burrow";
    system = builtins.currentSystem or "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-e" "-c" ''
      /bin/mkdir -p $out/bin
      printf '#!/bin/sh\nfor a in "$@"; do printf "[%%s]\\n" "$a"; done\n' > $out/bin/burrow
      /bin/chmod 0555 $out/bin/burrow
    '' ];
  } // { meta.mainProgram = "burrow"; };
in
{
  sandbox = (call "bubblewrap.nix" { extraPackages = [ pkgs.hello ]; }).policyFile;
  no-network = (call "bubblewrap.nix" { network = false; }).policyFile;
  allowlist = (call "bubblewrap.nix" {
    network = { allow = [ "api.example.com:443" "10.0.0.0/8" ]; };
  }).policyFile;
  container = (call "container.nix" { inherit nixos; }).policyFile;
  container-no-network = (call "container.nix" { inherit nixos; network = false; }).policyFile;
  vm = (call "vm.nix" { inherit nixos; }).policyFile;
  vm-no-network = (call "vm.nix" { inherit nixos; network = false; }).policyFile;
  # A launcher whose `burrow` prints its arguments one a line: what the
  # launcher script hands burrow, arguments with spaces and quotes included.
  launcher = call "bubblewrap.nix" { burrow = argvBurrow; network = false; };
  # The default command (agent) and the seed's commands (issue 17), with the
  # printing `burrow`: claude-sandbox, burrow-sandbox-no-network with an
  # agent, claude-sandbox-container, claude-sandbox-manager, claude-remote
  # and burrow-remote.
  compat = pkgs.symlinkJoin {
    name = "compat-launchers";
    paths = [
      (call "bubblewrap.nix" { burrow = argvBurrow; network = false; agent = pkgs.hello; })
      (call "container.nix" { inherit nixos; burrow = argvBurrow; agent = pkgs.hello; })
      (pkgs.callPackage ../../nix/manager/package.nix { burrow = argvBurrow; })
      (pkgs.callPackage ../../nix/cli.nix { burrow = argvBurrow; })
    ];
  };
  # Not in any closure above: must stay invisible in the sandboxes.
  outsider = pkgs.python3;
}
