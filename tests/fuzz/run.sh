#!/bin/bash
# make fuzz-smoke: run every libFuzzer harness of build-fuzz/ for FUZZ_SECONDS
# seconds each. Seeds: tests/fuzz/corpus/<harness>/ when present, plus the
# fixtures (and, for .evtx, ../shared/reference/evtx) the harness's format has;
# new inputs go to tests/fuzz/corpus-work/<harness>/ (not in git). A crash
# prints the reproducer's path and the end of the log.
set -u
cd "$(dirname "$0")/../.."
secs="${FUZZ_SECONDS:-15}"
shared=""
for d in "${EXAUDIT_SHARED:-}" ../shared ../../shared; do
    [ -n "$d" ] && [ -d "$d/reference" ] && { shared="$d"; break; }
done

seed_dirs() {  # harness name -> seed directories, one per line
    [ -d "tests/fuzz/corpus/$1" ] && echo "tests/fuzz/corpus/$1"
    case "$1" in
        fuzz_pever) echo tests/fixtures/pe ;;
        fuzz_evtx_xml|fuzz_evtx_csv) echo tests/fixtures/events ;;
        fuzz_iisconfig) echo tests/fixtures/config ;;
        fuzz_evtx_bin) [ -n "$shared" ] && echo "$shared/reference/evtx" ;;
    esac
    return 0
}

export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
extra_flags() {  # harness name -> libFuzzer flags
    case "$1" in
        fuzz_evtx_bin) echo "-max_len=262144" ;; # 1 MiB seeds run 30 times a second; cut copies are the point anyway
    esac
    return 0
}

passed=0
failed=0
for bin in build-fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name="$(basename "$bin")"
    work="tests/fuzz/corpus-work/$name"
    mkdir -p "$work"
    mapfile -t seeds < <(seed_dirs "$name")
    # shellcheck disable=SC2046
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" $(extra_flags "$name") \
        "$work" "${seeds[@]}" >"$work.log" 2>&1; then
        echo "ok - $name ($(grep -o 'Done [0-9]* runs' "$work.log" | tail -1))"
        passed=$((passed + 1))
    else
        echo "not ok - $name"
        tail -40 "$work.log" | sed 's/^/#   /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
