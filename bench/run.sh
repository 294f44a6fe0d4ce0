#!/bin/bash
# make bench: every bench/<name>/run.sh, one after the other. Benchmarks print
# ratios measured side by side in one run; they assert nothing.
cd "$(dirname "$0")/.." || exit 2
rc=0
for b in bench/*/run.sh; do
    [ -x "$b" ] || continue
    echo "### $b"
    "$b" || rc=1
done
exit $rc
