#!/bin/bash
# bench/run.sh (make bench): every benchmark under bench/, one after another.
cd "$(dirname "$0")" || exit 2
for b in *; do
    [ -f "$b" ] && [ -x "$b" ] && [ "$b" != run.sh ] || continue
    echo "== bench/$b"
    "./$b"
done
