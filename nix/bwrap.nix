# burrow as a drop-in bubblewrap: bin/bwrap (burrow switches to bwrap mode
# when invoked under that name) and the bwrap(1) man page, nothing else, so
# that it can replace nixpkgs' bubblewrap in an overlay:
#   final: prev: { bubblewrap = final.callPackage "${burrow}/nix/bwrap.nix" { }; }
{ lib, callPackage, runCommand, burrow ? callPackage ./package.nix { } }:

runCommand "burrow-bwrap-${burrow.version}" {
  inherit (burrow) version;
  passthru = { inherit burrow; };
  meta = burrow.meta // {
    description = "burrow as a drop-in replacement for bubblewrap (bwrap)";
    mainProgram = "bwrap";
  };
} ''
  mkdir -p $out/bin $out/share/man/man1
  ln -s ${burrow}/bin/burrow $out/bin/bwrap
  # The man page may have been compressed by the fixup phase (.1.gz).
  for page in ${burrow}/share/man/man1/burrow-bwrap.1*; do
    ln -s "$page" "$out/share/man/man1/bwrap.1''${page##*/burrow-bwrap.1}"
  done
''
