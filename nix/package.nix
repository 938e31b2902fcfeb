# burrow itself: the `burrow` binary, its `bwrap` symlink, the man pages and
# the shell completions (bash, zsh, fish), built with CMake from this source
# tree. The unit tests (CTest label "unit": parsers, seccomp compilation,
# bwrap-mode messages; no namespaces) run in checkPhase; the integration
# tests need real namespaces, a Nix store and an unprivileged user, which a
# Nix build sandbox does not give, so they stay in scripts/test.sh.
{ lib, stdenv, cmake, ninja, pkg-config, libseccomp, libcap, util-linux, boost
, tomlplusplus, nlohmann_json, cli11, sqlite, glibc }:

stdenv.mkDerivation {
  pname = "burrow";
  version = "0.1.0";

  # The checkout minus what a local build leaves in it.
  src = lib.cleanSourceWith {
    src = lib.cleanSource ../.;
    filter = path: type:
      !(builtins.elem (baseNameOf path) [ "build" "build-asan" "result" ]
        && dirOf (toString path) == toString ../.);
  };

  nativeBuildInputs = [ cmake ninja pkg-config ];
  # glibc.static: the test payloads (tests/probe, tests/seccomp) are static
  # executables so that they run in a sandbox holding nothing else.
  buildInputs = [ libseccomp libcap util-linux boost tomlplusplus nlohmann_json cli11 sqlite ]
    ++ lib.optional stdenv.hostPlatform.isGnu glibc.static;

  # Linked dynamically against the store's libraries: the static-PIE
  # start-up optimisation (BURROW_STATIC_DEPS) assumes Debian's archives.
  cmakeFlags = [ "-DBURROW_STATIC_DEPS=OFF" ];

  doCheck = true;
  checkPhase = ''
    runHook preCheck
    ctest -L unit --output-on-failure -j $NIX_BUILD_CORES
    runHook postCheck
  '';

  # `cmake --install` puts bin/burrow, the bin/bwrap symlink, man1/5/7 and
  # share/{bash-completion/completions,zsh/site-functions,fish/vendor_completions.d}.

  meta = {
    description = "Setuid-free Linux sandbox runtime and drop-in bwrap";
    license = lib.licenses.lgpl2Plus;
    platforms = lib.platforms.linux;
    mainProgram = "burrow";
  };
}
