# The generated policies of the three backends, built for real (with the
# stub nixpkgs' real builders: writeText, symlinkJoin, closureInfo) so that
# tests/nix/policy-run.sh can check them with `burrow policy check` and run
# them with `burrow run`: the store paths in them are real, registered ones.
let
  pkgs = import ./stub-nixpkgs.nix;
  nixos = args: pkgs.lib.nixosSystem { modules = args.imports; };
  call = file: pkgs.callPackage (../../nix/backends + "/${file}");
in
{
  sandbox = (call "bubblewrap.nix" { extraPackages = [ pkgs.hello ]; }).policyFile;
  no-network = (call "bubblewrap.nix" { network = false; }).policyFile;
  container = (call "container.nix" { inherit nixos; }).policyFile;
  container-no-network = (call "container.nix" { inherit nixos; network = false; }).policyFile;
  vm = (call "vm.nix" { inherit nixos; }).policyFile;
  vm-no-network = (call "vm.nix" { inherit nixos; network = false; }).policyFile;
  # Not in any closure above: must stay invisible in the sandboxes.
  outsider = pkgs.python3;
}
