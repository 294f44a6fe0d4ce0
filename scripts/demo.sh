#!/bin/bash
# `make demo`: the whole flow on loopback, recorded into a fresh inventory.
#   1. start a lab of a few hundred emulated Exchange servers (exaudit-lab, docs/lab.md)
#   2. scan it with `exaudit scan --db` (live progress line on a terminal, then the summary)
#   3. stop the lab
#   4. plant a ProxyLogon compromise in synthetic evidence (mkevidence, docs/evidence.md)
#      and hunt it with `exaudit hunt --db --host <one of the scanned servers>`
#   5. write the German report; its path is the last line printed.
# Nothing leaves 127.0.0.0/8 (EXAUDIT_LOOPBACK_ONLY). Needs only what `make` builds,
# bash and coreutils.
#   DEMO_HOSTS=300 DEMO_DIR=/tmp/x scripts/demo.sh
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD:-build}
EX="$PWD/$BUILD_DIR/exaudit"
HOSTS=${DEMO_HOSTS:-300}
OUT=${DEMO_DIR:-$(mktemp -d /tmp/exaudit-demo.XXXXXX)}
for bin in exaudit exaudit-lab mkevidence; do
    [ -x "$BUILD_DIR/$bin" ] || { echo "demo: $BUILD_DIR/$bin is missing: run make first" >&2; exit 2; }
done
[ "$HOSTS" -ge 1 ] && [ "$HOSTS" -le 65536 ] || { echo "demo: DEMO_HOSTS must be 1..65536" >&2; exit 2; }
mkdir -p "$OUT"
DB="$OUT/inventory.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
export EXAUDIT_LOOPBACK_ONLY=1
export XDG_DATA_HOME="$OUT/xdg" # the demo never touches the user's own inventory or knowledge base

# shellcheck source=tests/lab/start-lab.sh
. tests/lab/start-lab.sh
trap 'lab_stop >/dev/null 2>&1 || true' EXIT

echo "== 1. a lab of $HOSTS emulated Exchange servers on loopback"
lab_start "$OUT/lab" --hosts "$HOSTS" || { echo "demo: the lab did not start: $(cat "$OUT/lab/stderr")" >&2; exit 3; }
last=$((HOSTS - 1))
range="127.1.0.0-127.1.$((last / 256)).$((last % 256))"
echo "   $range, port $LAB_PORT; ground truth in $LAB_MANIFEST"
echo
echo "== 2. exaudit scan --db: every finished server is committed at once"
echo "   \$ exaudit scan --db $DB -p $LAB_PORT $range"
# Exit 1 means vulnerable servers were found: that is the point of the lab.
"$EX" scan --db "$DB" -p "$LAB_PORT" --concurrency 200 --connect-timeout 3 --host-timeout 20 "$range" || [ $? -eq 1 ]
echo
echo "== 3. the lab is stopped"
lab_stop || true
echo

# A server of the fleet that runs the build of the planted scenario (Exchange 2016 CU19,
# 15.1.2176.2), else any on-premises server that gave its name over NTLM.
name=$(grep -m1 '"persona": "e2016-cu19"' "$LAB_MANIFEST" | sed -n 's/.*"dns_computer": "\([^"]*\)".*/\1/p' || true)
[ -n "$name" ] || name=$(grep '"exchange": "onprem"' "$LAB_MANIFEST" | grep -m1 '"dns_computer"' |
    sed -n 's/.*"dns_computer": "\([^"]*\)".*/\1/p')
echo "== 4. a planted ProxyLogon compromise, hunted as $name"
rm -rf "$OUT/evidence"
"$BUILD_DIR/mkevidence" --out "$OUT/evidence" --scenario proxylogon-oab-webshell --size 16M \
    --truth "$OUT/evidence-truth.json"
echo "   \$ exaudit hunt --db $DB --host $name $OUT/evidence"
# Exit 1: a compromise was found (it was planted).
"$EX" hunt --db "$DB" --host "$name" --no-progress "$OUT/evidence" | tail -8 || true
echo
echo "== the inventory (exaudit hosts): the hunted server, and the first red ones"
"$EX" hosts --db "$DB" | grep -F -- "$name" || true
"$EX" hosts --db "$DB" --state red | head -6 || true
echo

echo "== 5. the German report"
"$EX" report --db "$DB" --lang de -o "$OUT/bericht.html" || [ $? -eq 1 ] # 1: red servers in it
[ -s "$OUT/bericht.html" ] || { echo "demo: no report was written" >&2; exit 3; }
echo "$OUT/bericht.html"
