#!/bin/bash
# The inventory part of `make demo`: record a fleet scan and a hunt of a
# planted evidence tree into a fresh database, and write the German report.
# Prints the report's path as its last line.
#
# With `exaudit scan` and `exaudit hunt` built (branches scan, hunt), the lab
# is scanned and mkevidence's ProxyLogon scenario is hunted, both with --db.
# Without them, the same database is filled through `exaudit record` from
# `exaudit build --json` records and the planted hunt of the test fixtures.
#   scripts/demo-inventory.sh [OUTDIR]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
EX="$PWD/$BUILD/exaudit"
OUT=${1:-$(mktemp -d /tmp/exaudit-demo.XXXXXX)}
mkdir -p "$OUT"
DB="$OUT/inventory.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
FIX=tests/fixtures/inventory
export XDG_DATA_HOME="$OUT/xdg"

has() { "$EX" "$1" --help >/dev/null 2>&1; }

"$EX" hosts import --db "$DB" "$FIX/hosts.csv"
if has scan && [ -x "$BUILD/exaudit-lab" ]; then
    "$BUILD/exaudit-lab" --hosts 16 --manifest "$OUT/lab.jsonl" --ready-file "$OUT/lab.ready" >"$OUT/lab.out" &
    lab=$!
    trap 'kill $lab 2>/dev/null || true' EXIT
    for _ in $(seq 100); do [ -s "$OUT/lab.ready" ] && break; sleep 0.1; done
    port=$(cat "$OUT/lab.ready")
    "$EX" scan --db "$DB" --port "$port" 127.1.0.0/28 >"$OUT/scan.txt" || true
    kill "$lab" 2>/dev/null || true
else
    builds=$(grep -v '^#' "$FIX/fleet-a.txt" | cut -d'|' -f2 | grep -v '^-$')
    # shellcheck disable=SC2086
    "$EX" build --json $builds | python3 "$FIX/mkfleet.py" "$FIX/fleet-a.txt" >"$OUT/scan.jsonl"
    "$EX" record scan --db "$DB" "$OUT/scan.jsonl"
fi
if has hunt && [ -x "$BUILD/mkevidence" ]; then
    "$BUILD/mkevidence" --out "$OUT/evidence" --scenario proxylogon-oab-webshell --truth "$OUT/truth.json"
    "$EX" hunt --db "$DB" --host exch01.contoso.example "$OUT/evidence" >"$OUT/hunt.txt" || true
else
    "$EX" record hunt --db "$DB" "$FIX/hunt-proxylogon.json"
fi
"$EX" rescore --db "$DB" --quiet || true
"$EX" hosts --db "$DB" || true
"$EX" report --db "$DB" --lang de -o "$OUT/bericht.html" || true
echo "$OUT/bericht.html"
