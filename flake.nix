{
  description = "burrow: a setuid-free Linux sandbox runtime and drop-in bwrap";

  # Minimal until the Nix packaging issue: builds burrow from this tree.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in {
      packages = forAll (pkgs: rec {
        burrow = pkgs.callPackage ./nix/package.nix { };
        default = burrow;
      });
    };
}
