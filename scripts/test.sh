#!/bin/bash
# README command (b): on a fresh Debian 12 machine, as root, install the
# dependencies, build with warnings as errors, run the whole test suite
# (unit, integration and differential tests, as root and as the unprivileged
# user "burrowtest"), then build with ASan+UBSan and run the whole suite
# again, then build the libFuzzer targets (preset fuzz, clang) and run each
# from a fixed seed for a fixed number of executions, about 15 s a target
# (CTest label "fuzz"): the same commit always gets the same verdict.
# Open-ended fuzzing with fresh seeds is scripts/fuzz.sh, not part of CI.
#
# Exit status is non-zero when the build fails or any test fails. The last
# line printed is "N passed, N failed", summed over all ctest runs, because
# CI reads the closing line.
#
# Knobs (environment):
#   BURROW_JOBS=N        parallel build jobs (default 2)
#   BURROW_CTEST_JOBS=N  parallel ctest jobs (default 2: the VM tests, each a
#                        QEMU under TCG on one core, run beside the rest)
#   BURROW_SKIP_DEPS=1   do not call scripts/install-deps.sh
#   BURROW_SKIP_ASAN=1   skip the ASan+UBSan run
#   BURROW_ASAN_CTEST_JOBS=N  parallel ctest jobs under ASan (default 2)
#   BURROW_SKIP_FUZZ=1   skip the fuzz targets
#   BURROW_FUZZ_SEED=N   libFuzzer seed of the fuzz runs (default 12)
#   BURROW_FUZZ_RUNS_PERCENT=N  scales each target's fixed number of
#                        executions (default 50: about 15 s a target; 100 is
#                        the full number, about 30 s)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$src"
jobs=${BURROW_JOBS:-2}
ctest_jobs=${BURROW_CTEST_JOBS:-2}
test_user=burrowtest
start=$(date +%s)

say() { printf '\n==> %s (%ds)\n' "$*" $(($(date +%s) - start)); }

# Stage times, printed as a table at the end (before the last line): each
# `stage NAME MESSAGE` ends the stage before it.
stage_names=() stage_secs=() stage_cur="" stage_t0=0
stage_close() {
    if [ -n "$stage_cur" ]; then
        stage_names+=("$stage_cur")
        stage_secs+=($(($(date +%s) - stage_t0)))
        stage_cur=""
    fi
}
stage() {
    stage_close
    stage_cur=$1
    stage_t0=$(date +%s)
    shift
    say "$@"
}

if [ "$(id -u)" != 0 ]; then
    echo "test.sh: run as root: it installs packages, creates the user $test_user and" \
        "tests sandboxes both as root and as that user" >&2
    exit 1
fi

if [ "${BURROW_SKIP_DEPS:-0}" != 1 ]; then
    stage deps "installing dependencies"
    "$src/scripts/install-deps.sh"
fi

# The unprivileged half of the suite needs unprivileged user namespaces.
# Debian kernels gate them behind this sysctl (default on); say so loudly
# instead of letting dozens of tests fail with EPERM.
if [ -r /proc/sys/kernel/unprivileged_userns_clone ] &&
    [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
    echo "test.sh: kernel.unprivileged_userns_clone=0; enabling it for the unprivileged tests"
    sysctl -q -w kernel.unprivileged_userns_clone=1
fi

stage setup "creating the unprivileged test user $test_user"
if ! id "$test_user" >/dev/null 2>&1; then
    useradd -m -s /bin/sh "$test_user"
fi
id "$test_user"
# Rootless podman (integration.oci_podman.user) maps the user's subordinate
# ids; Debian's useradd allocates them, an older user may have none.
if ! grep -q "^$test_user:" /etc/subuid 2>/dev/null || ! grep -q "^$test_user:" /etc/subgid 2>/dev/null; then
    usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$test_user"
fi

# The ".user" tests run binaries from build/ as $test_user (setpriv), so
# every directory above the checkout must be searchable by others. CI often
# clones under /root (mode 0700). Grant only "x" (search, not listing) on the
# ancestors, for the duration of this run, and put the original modes back on
# exit so the machine is left as found. The checkout itself (sources and
# build trees) is made world-readable: it is public code.
declare -a restore_modes=()
declare -a bg_pids=()
restore() {
    local entry
    # A build still running beside a suite (background_build) when this
    # script ends early: stopped, not left behind.
    local pid
    for pid in "${bg_pids[@]}"; do
        kill -- "-$pid" 2>/dev/null || true
    done
    for entry in "${restore_modes[@]}"; do
        chmod "${entry%%:*}" "${entry#*:}" 2>/dev/null || true
    done
}
trap restore EXIT
dir=$(dirname "$src")
while :; do
    mode=$(stat -c %a "$dir")
    if [ $((8#$mode & 1)) = 0 ]; then
        restore_modes+=("$mode:$dir")
        chmod o+x "$dir"
        echo "test.sh: temporarily chmod o+x $dir (was $mode) so $test_user can reach the build"
    fi
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
done
find "$src" -path "$src/.git" -prune -o ! -perm -o+r -exec chmod o+rX {} + 2>/dev/null || true

stage "build ci" "configuring and building (preset ci: warnings are errors)"
cmake --preset ci >/dev/null
if ! cmake --build --preset ci -j "$jobs"; then
    echo "build with preset ci failed"
    exit 1
fi
chmod -R o+rX "$src/build"
if ! runuser -u "$test_user" -- test -x "$src/build/bin/burrow"; then
    echo "test.sh: $test_user cannot reach $src/build/bin/burrow; the .user tests would fail" >&2
    exit 1
fi

# Runs ctest, printing everything, and appends "passed failed" for the run
# to the file named by $1 (from ctest's "N% tests passed, F tests failed out
# of T" line; a run that dies before that line counts as one failure).
run_ctest() {
    local counts=$1
    shift
    local log rc=0
    log=$(mktemp)
    ctest "$@" 2>&1 | tee "$log" || rc=$?
    local line
    line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
    if [ -n "$line" ]; then
        local failed total
        failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
        total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
        echo "$((total - failed)) $failed" >>"$counts"
    elif grep -q 'No tests were found' "$log"; then
        echo "0 0" >>"$counts"
    else
        echo "0 1" >>"$counts"
    fi
    rm -f "$log"
    return "$rc"
}

counts=$(mktemp)
status=0

# A build started beside a suite, at the lowest CPU priority: the suites
# leave most of the CPUs idle (66% measured during the plain suite: tests
# wait on QEMU, timers, sockets and sleeps), and what a build at nice 19
# takes is only that idle time. Its output is printed when it is waited for.
# $1: preset; extra arguments go to the configure step.
background_build() {
    local preset=$1 log
    shift
    log=$(mktemp)
    # A process group of its own (setsid), so that restore() can stop all
    # of it: cmake, ninja and the compilers.
    BG_JOBS=$jobs setsid bash -c 'p=$1; shift
        cmake --preset "$p" "$@" >/dev/null && nice -n 19 cmake --build --preset "$p" -j "$BG_JOBS"' \
        _ "$preset" "$@" >"$log" 2>&1 &
    bg_pid=$! bg_log=$log
    bg_pids+=("$bg_pid")
}
# Waits for it; prints its output; its exit status.
finish_build() {
    local rc=0
    wait "$bg_pid" || rc=$?
    cat "$bg_log"
    rm -f "$bg_log"
    return "$rc"
}

if [ "${BURROW_SKIP_ASAN:-0}" != 1 ]; then
    background_build asan
    asan_pid=$bg_pid asan_log=$bg_log
fi

stage suite "running the whole suite (unit, integration, differential; root and $test_user)"
run_ctest "$counts" --test-dir "$src/build" --output-on-failure --timeout 300 \
    -j "$ctest_jobs" || status=1

if [ "${BURROW_SKIP_ASAN:-0}" != 1 ]; then
    stage "build asan" "building (preset asan: ASan+UBSan; started beside the suite)"
    bg_pid=$asan_pid bg_log=$asan_log
    if finish_build; then
        chmod -R o+rX "$src/build-asan"
        # The whole suite, unit to differential, as root and as $test_user,
        # with burrow and its libraries instrumented (the test code itself,
        # the manager's Beast glue and the static probe payload are not). Leaks are bugs: detect_leaks stays on, with
        # tests/fuzz/lsan.supp for a leak inside libseccomp itself. -j2:
        # the tests are independent. The VM tests (label vm) run in the
        # plain suite only: their ~8 minutes go to QEMU booting guests under
        # TCG, not to burrow's code, and the hostile-guest ones measure the
        # launcher's RSS, which ASan's shadow and quarantine inflate
        # (166 MB for a reader that holds 4 KiB). The VM host code's unit
        # tests still run instrumented. Label plain likewise: the manager's
        # browser and ssh tests, whose time goes to Chromium and sshd (the
        # daemon's code runs instrumented in integration.manager), and the
        # load test.
        if [ "${BURROW_SKIP_FUZZ:-0}" != 1 ]; then
            background_build fuzz -DBURROW_FUZZ_SEED="${BURROW_FUZZ_SEED:-12}" \
                -DBURROW_FUZZ_RUNS_PERCENT="${BURROW_FUZZ_RUNS_PERCENT:-50}"
            fuzz_pid=$bg_pid fuzz_log=$bg_log
        fi
        stage "suite asan" "running the whole suite under ASan+UBSan"
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
            UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
            LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0} \
            run_ctest "$counts" --test-dir "$src/build-asan" --output-on-failure \
            --timeout 300 -j "${BURROW_ASAN_CTEST_JOBS:-2}" \
            -LE '^(vm|plain)$' || status=1
    else
        echo "build with preset asan failed"
        echo "0 1" >>"$counts"
        status=1
    fi
fi

if [ "${BURROW_SKIP_FUZZ:-0}" != 1 ]; then
    stage "build fuzz" "building the fuzz targets (preset fuzz: clang, libFuzzer; started beside the asan suite)"
    if [ -z "${fuzz_pid:-}" ]; then
        background_build fuzz -DBURROW_FUZZ_SEED="${BURROW_FUZZ_SEED:-12}" \
            -DBURROW_FUZZ_RUNS_PERCENT="${BURROW_FUZZ_RUNS_PERCENT:-50}"
        fuzz_pid=$bg_pid fuzz_log=$bg_log
    fi
    bg_pid=$fuzz_pid bg_log=$fuzz_log
    if finish_build; then
        # Each target executes its corpus and regressions, then mutates from
        # the fixed seed for its fixed number of executions
        # (tests/fuzz/run-fuzzer.sh --seed --runs; the numbers are in
        # tests/fuzz/CMakeLists.txt), two at a time: about 2 minutes for the
        # 7 targets. Corpus and regressions are also replayed alone.
        stage fuzz "fuzzing each parser from seed ${BURROW_FUZZ_SEED:-12} (fixed executions)"
        fuzz_stats=$(mktemp)
        BURROW_FUZZ_STATS=$fuzz_stats run_ctest "$counts" --test-dir "$src/build-fuzz" \
            --output-on-failure -L '^fuzz$' -j 2 || status=1
        sort "$fuzz_stats" | awk '
            { print; runs += $3; secs += $6 }
            END { printf "fuzzing: %d executions in %d s over %d targets\n", runs, secs, NR }'
        rm -f "$fuzz_stats"
    else
        echo "build with preset fuzz failed"
        echo "0 1" >>"$counts"
        status=1
    fi
fi

# Every man page must render without groff warnings (counted as one test).
stage "man pages" "checking that the man pages render"
man_ok=1
for page in "$src"/man/*.[1-8]; do
    [ -e "$page" ] || continue
    if ! out=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || [ -n "$out" ]; then
        echo "man page $page: groff warnings:"
        echo "$out"
        man_ok=0
    fi
done
if [ "$man_ok" = 1 ]; then echo "man pages: OK"; echo "1 0" >>"$counts"; else echo "0 1" >>"$counts"; status=1; fi

# Formatting is checked and reported, but does not fail the run: it is a
# style gate for review, not a correctness test.
stage format "checking clang-format"
unformatted=$(git -C "$src" ls-files '*.cpp' '*.hpp' '*.h' '*.cc' |
    (cd "$src" && xargs -r clang-format --dry-run 2>&1) | grep -c 'warning:' || true)
echo "clang-format: $unformatted line(s) differ from .clang-format"

stage_close
say "done"
echo "stage times:"
for i in "${!stage_names[@]}"; do
    printf '  %-11s %5d s\n' "${stage_names[$i]}" "${stage_secs[$i]}"
done
printf '  %-11s %5d s\n' total $(($(date +%s) - start))
passed=$(awk '{p += $1} END {print p + 0}' "$counts")
failed=$(awk '{f += $2} END {print f + 0}' "$counts")
rm -f "$counts"
if [ "$failed" != 0 ]; then status=1; fi
echo "$passed passed, $failed failed"
exit "$status"
