#!/bin/bash
# Runs one libFuzzer target for a fixed time, as CTest label "fuzz" does:
#   run-fuzzer.sh BINARY CORPUS_DIR DICT SECONDS ARTIFACT_DIR
# The checked-in corpus is copied to a temporary directory first (libFuzzer
# adds what it finds to the corpus it is given), the target runs in that
# directory with TMPDIR pointing there, and the directory is removed at the
# end. Any crash, sanitizer report, leak, timeout (-timeout) or memory blow-up
# (-rss_limit_mb) fails the test; the input that caused it is kept in
# ARTIFACT_DIR and printed as a hex dump. The last line is a summary
# ("fuzz NAME: N runs in S s, E exec/s, corpus C") that scripts/test.sh
# collects for the report.
set -u
# Absolute paths: the target runs in a temporary directory.
here=$(cd "$(dirname "$0")" && pwd -P)
bin=$(realpath -m "$1") corpus=$(realpath -m "$2") dict=$(realpath -m "$3") seconds=$4
artifacts=$(realpath -m "$5")
name=$(basename "$bin")
name=${name#fuzz_}

work=$(mktemp -d "${TMPDIR:-/tmp}/burrow-fuzz-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts" "$work/tmp"
cp -r "$corpus"/. "$work/corpus/"

opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 -print_pcs=0 -reload=0)
[ -f "$dict" ] && opts+=(-dict="$dict")

cd "$work/tmp"
start=$(date +%s)
log="$work/log"
# detect_leaks: a leak in a parser is a finding (LSan runs at the end of
# every input that grew memory, and at exit).
# lsan.supp: leaks inside system libraries (see the file), not burrow's.
TMPDIR="$work/tmp" ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" "${opts[@]}" "$work/corpus" >"$log" 2>&1
rc=$?
# libFuzzer's progress lines are many; the start and the end say enough
# when all is well, the whole log when not.
if [ "$rc" != 0 ]; then
    cat "$log"
else
    head -n 12 "$log"
    echo "..."
    tail -n 12 "$log"
fi

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
[ -n "$secs" ] || secs=$(($(date +%s) - start))
units=$(ls "$work/corpus" | wc -l)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
summary="fuzz $name: ${runs:-0} runs in $secs s, ${rate:-0} exec/s, corpus $units"
echo "$summary"
# scripts/test.sh collects the summaries of all targets for its report.
if [ -n "${BURROW_FUZZ_STATS:-}" ]; then echo "$summary" >>"$BURROW_FUZZ_STATS"; fi

if [ "$rc" != 0 ] || ls "$work/artifacts" | grep -q .; then
    mkdir -p "$artifacts"
    for f in "$work/artifacts"/*; do
        [ -e "$f" ] || continue
        cp "$f" "$artifacts/"
        echo "=== failing input $artifacts/$(basename "$f") ($(stat -c %s "$f") bytes):"
        od -A d -c "$f" | head -n 40
    done
    echo "fuzz $name: FAILED (exit $rc); reproduce with: $bin $artifacts/<file>"
    exit 1
fi
exit 0
