# Test store paths for the Nix closure tests: app -> lib -> data, plus an
# unrelated path. Built offline (no sandbox, no nixpkgs): each builder is
# /bin/sh using only builtins and absolute host tools.
let
  mk = name: script: deps:
    derivation ({
      inherit name;
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [ "-c" script ];
    } // deps);
in rec {
  data = mk "burrow-test-data" ''
    /bin/mkdir -p $out
    echo "burrow test data" > $out/message
  '' { };
  lib = mk "burrow-test-lib" ''
    /bin/mkdir -p $out
    echo "$data/message" > $out/data-path
  '' { inherit data; };
  app = mk "burrow-test-app" ''
    /bin/mkdir -p $out/bin
    printf '#!/bin/sh\nread -r p < %s/data-path\nread -r m < "$p"\necho "$m"\n' "$lib" > $out/bin/app
    /bin/chmod 0555 $out/bin/app
  '' { inherit lib; };
  # exportReferencesGraph of app, as nixpkgs builders receive it.
  graph = mk "burrow-test-graph" ''
    /bin/cp closure $out
  '' { exportReferencesGraph = [ "closure" app ]; };
  unrelated = mk "burrow-test-unrelated" ''
    /bin/mkdir -p $out
    echo "secret" > $out/secret
  '' { };
}
