#!/bin/bash
# Open-ended fuzzing of burrow's parsers, outside CI (issue 12): CI runs each
# target from a fixed seed for a fixed number of executions (scripts/test.sh,
# CTest label "fuzz"), so one commit always gets one verdict; this script is
# where new bugs are looked for, with fresh random seeds and for as long as
# you like.
#
#   scripts/fuzz.sh [--seconds S] [--jobs J] [--seed N] [--no-save] [TARGET...]
#
# TARGET: bwrap_args, policy_toml, policy_json, seccomp_profile,
# nix_closure_file, nix_db, path_resolve, egress_wire, oci_config (default:
# all of them). Each runs S seconds (default 600), J targets at a time
# (default 1), from a random seed (printed; --seed N repeats a run).
# Builds the `fuzz` preset first when build-fuzz/ is missing (clang, slow).
#
# Each failing input (crash, sanitizer report, leak, broken invariant,
# timeout, out of memory) is saved as a regression input in
# tests/fuzz/regressions/<target>/ (unless --no-save; always also under
# build-fuzz/fuzz-artifacts/<target>/), where CI's fuzz run and the
# unit.fuzz_replay_<target> tests execute it from then on. Fix the bug,
# rename the input after it, add a unit test (tests/unit/
# test_fuzz_findings.cpp) and commit both. Exit status: 0 when no target
# found anything, 1 otherwise, 2 on bad usage.
set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
all=(bwrap_args policy_toml policy_json seccomp_profile nix_closure_file nix_db path_resolve egress_wire oci_config)
seconds=600 jobs=1 seed="" save=1
targets=()
usage() {
    sed -n '8,9p' "$0" | sed 's/^# *//' >&2
    echo "targets: ${all[*]}" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-save) save=0; shift ;;
    -h | --help) usage ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
    case " ${all[*]} " in
    *" $t "*) ;;
    *) echo "fuzz.sh: unknown target $t" >&2; usage ;;
    esac
done
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || usage

build=$src/build-fuzz
if [ ! -x "$build/tests/fuzz/fuzz_${targets[0]}" ]; then
    echo "fuzz.sh: building the fuzz targets (preset fuzz)"
    (cd "$src" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j "$jobs") || exit 1
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/burrow-fuzz-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT

run_one() {
    local t=$1 opts=(--seconds "$seconds")
    [ -z "$seed" ] || opts+=(--seed "$seed")
    [ "$save" = 0 ] || opts+=(--save "$src/tests/fuzz/regressions/$t")
    "$src/tests/fuzz/run-fuzzer.sh" "${opts[@]}" --regressions "$src/tests/fuzz/regressions/$t" \
        "$build/tests/fuzz/fuzz_$t" "$src/tests/fuzz/corpus/$t" "$src/tests/fuzz/dict/$t.dict" \
        "$build/fuzz-artifacts/$t" >"$logs/$t.log" 2>&1
    echo $? >"$logs/$t.rc"
}

echo "fuzz.sh: ${targets[*]}: $seconds s each, $jobs at a time"
running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

status=0
for t in "${targets[@]}"; do
    if [ "$(cat "$logs/$t.rc")" != 0 ]; then
        status=1
        echo "==> $t: FINDING"
        # The log ends with the failing inputs and where they were saved.
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant broken|=== |fuzz )' "$logs/$t.log" |
            head -n 40
        cp "$logs/$t.log" "$build/fuzz-artifacts/$t/last.log" 2>/dev/null &&
            echo "    whole log: $build/fuzz-artifacts/$t/last.log"
    else
        tail -n 1 "$logs/$t.log"
    fi
done
exit "$status"
