# The harness must fail on a false check (CTest: nix.eval_detects_failure,
# WILL_FAIL): one check passes, one does not.
let a = import ./assert.nix;
in a.report [ (a.eq "passes" 1 1) (a.eq "fails on purpose" 1 2) ]
