#!/bin/bash
# Run every libFuzzer harness (build-fuzz/fuzz_*) for FUZZ_SECONDS each, with
# its seed corpus tests/fuzz/corpus/<name>/ when there is one. New inputs go
# to a scratch directory, never into the repository.
set -u
cd "$(dirname "$0")/../.."
secs="${FUZZ_SECONDS:-15}"
rc=0
for f in build-fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    scratch=$(mktemp -d /tmp/exaudit-fuzz.XXXXXX)
    seeds=()
    [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
    if "$f" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 "$scratch" "${seeds[@]}" >"$scratch.log" 2>&1; then
        echo "ok - fuzz $name ($(grep -o 'cov: [0-9]*' "$scratch.log" | tail -1))"
    else
        echo "not ok - fuzz $name"
        tail -40 "$scratch.log"
        rc=1
    fi
    rm -rf "$scratch" "$scratch.log"
done
exit $rc
