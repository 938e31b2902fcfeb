# Builds burrow from this source tree (the full packaging, with man pages,
# completions and the callPackage backends, comes with the Nix issue).
{ lib, stdenv, cmake, ninja, pkg-config, libseccomp, libcap, util-linux, boost
, tomlplusplus, nlohmann_json, cli11, sqlite }:

stdenv.mkDerivation {
  pname = "burrow";
  version = "0.1.0";
  src = lib.cleanSource ../.;
  nativeBuildInputs = [ cmake ninja pkg-config ];
  buildInputs = [ libseccomp libcap util-linux boost tomlplusplus nlohmann_json cli11 sqlite ];
  meta = {
    description = "Setuid-free Linux sandbox runtime and drop-in bwrap";
    license = lib.licenses.lgpl2Plus;
    platforms = lib.platforms.linux;
    mainProgram = "burrow";
  };
}
