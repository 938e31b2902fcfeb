# Assertion helpers of the evaluation tests: each test file evaluates to
# { checks = N; failures = [ "name: got ..., want ..." ... ]; } and
# tests/nix/eval.sh fails unless failures is empty and N > 0.
let
  show = v: builtins.toJSON (if builtins.isAttrs v && v ? outPath then toString v else v);
in
rec {
  eq = name: got: want:
    if got == want then null else "${name}: got ${show got}, want ${show want}";
  ok = name: cond: if cond then null else "${name}: false";
  has = name: x: xs:
    if builtins.elem x xs then null else "${name}: ${show x} not in ${show xs}";
  lacks = name: x: xs:
    if builtins.elem x xs then "${name}: ${show x} unexpectedly in ${show xs}" else null;
  # A substring test: the text contains s (literally: replaceStrings, no regex).
  contains = name: s: text:
    let plain = builtins.unsafeDiscardStringContext; in
    if s != "" && builtins.replaceStrings [ (plain s) ] [ "" ] (plain text) != plain text then null
    else "${name}: ${show s} not in ${show text}";
  escapeRegex = builtins.replaceStrings
    [ "\\" "." "*" "+" "?" "(" ")" "[" "]" "{" "}" "^" "$" "|" ]
    [ "\\\\" "\\." "\\*" "\\+" "\\?" "\\(" "\\)" "\\[" "\\]" "\\{" "\\}" "\\^" "\\$" "\\|" ];
  report = results: {
    checks = builtins.length results;
    failures = builtins.filter (r: r != null) results;
  };
}
