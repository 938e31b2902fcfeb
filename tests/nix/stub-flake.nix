# flake.nix of the stub nixpkgs input (tests/nix/flake.sh copies it, with
# stub-nixpkgs.nix, into a directory of its own as flake.nix).
{
  outputs = { self }:
    let pkgs = import ./stub-nixpkgs.nix;
    in {
      lib = pkgs.lib;
      legacyPackages.x86_64-linux = pkgs;
      legacyPackages.aarch64-linux = pkgs;
    };
}
