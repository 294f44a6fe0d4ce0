#!/bin/bash
# The test runner behind `make test`. Runs every unit-test binary and every
# end-to-end script, counts their "ok - " / "not ok - " lines and ends with
# the summary line "N passed, N failed".
#   BUILD=build-asan tests/run.sh        run against another build tree
#   TESTS=version tests/run.sh           only suites whose name contains "version"
set -u
cd "$(dirname "$0")/.."
export EXAUDIT_SRC="$PWD"
export BUILD="${BUILD:-build}"
export EXAUDIT="$PWD/$BUILD/exaudit"
export NO_COLOR=1
# Never let a developer's own knowledge-base override or inventory leak into tests.
export XDG_DATA_HOME="$(mktemp -d /tmp/exaudit-test-xdg.XXXXXX)"
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
filter="${TESTS:-}"
passed=0
failed=0
failed_names=()

run_suite() {   # name, command...
    local name="$1"; shift
    local out rc p f
    out="$("$@" 2>&1)"; rc=$?
    p=$(grep -c '^ok - ' <<<"$out")
    f=$(grep -c '^not ok - ' <<<"$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        out="$out"$'\n'"not ok - $name exited with status $rc"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        printf '%s\n' "$out" | grep -v '^ok - '
    fi
    printf '%-34s %4d passed %4d failed\n' "$name" "$p" "$f"
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    n="unit/$(basename "$t")"
    [[ -z "$filter" || "$n" == *"$filter"* ]] || continue
    run_suite "$n" "$t"
done

for t in tests/e2e/test_*.sh; do
    [ -f "$t" ] || continue
    n="e2e/$(basename "$t" .sh)"
    [[ -z "$filter" || "$n" == *"$filter"* ]] || continue
    run_suite "$n" bash "$t"
done

if [ "${#failed_names[@]}" -gt 0 ]; then
    echo "failed suites: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
