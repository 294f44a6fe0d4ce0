#!/bin/bash
# Run every libFuzzer harness in build-fuzz/ for FUZZ_SECONDS each, starting
# from its seed corpus in tests/fuzz/corpus/<name>/. A crash fails the run and
# leaves the reproducer in build-fuzz/crashes/. Prints "ok - fuzz_x" lines and
# a summary like the test runner.
set -u
cd "$(dirname "$0")/../.."
secs="${FUZZ_SECONDS:-15}"
passed=0; failed=0
mkdir -p build-fuzz/crashes build-fuzz/corpus
for f in build-fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name="$(basename "$f")"; short="${name#fuzz_}"
    work="build-fuzz/corpus/$short"; mkdir -p "$work"
    seeds=""; [ -d "tests/fuzz/corpus/$short" ] && seeds="tests/fuzz/corpus/$short"
    if "$f" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -max_len=65536 \
          -artifact_prefix="build-fuzz/crashes/$short-" "$work" $seeds >"build-fuzz/$short.log" 2>&1; then
        echo "ok - $name ($(grep -o 'Done [0-9]* runs' "build-fuzz/$short.log" | tail -1 | awk '{print $2}') runs)"
        passed=$((passed + 1))
    else
        echo "not ok - $name"; tail -30 "build-fuzz/$short.log" | sed 's/^/#   /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
