#!/bin/bash
# make demo: start a lab of a few hundred emulated Exchange hosts on loopback,
# scan it, show the summary, stop the lab. Loopback only.
#   DEMO_HOSTS=300 scripts/demo.sh
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
HOSTS=${DEMO_HOSTS:-300}
EXAUDIT=$PWD/$BUILD/exaudit
LAB=$PWD/$BUILD/exaudit-lab
[ -x "$EXAUDIT" ] && [ -x "$LAB" ] || { echo "demo: build first (make)"; exit 2; }
export EXAUDIT_LOOPBACK_ONLY=1
TMP=$(mktemp -d /tmp/exaudit-demo.XXXXXX)
"$LAB" --hosts "$HOSTS" --port 0 --manifest "$TMP/manifest.jsonl" --ready-file "$TMP/ready" >"$TMP/lab.out" \
    2>"$TMP/lab.err" &
LABPID=$!
trap 'kill $LABPID 2>/dev/null; wait $LABPID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 300); do [ -s "$TMP/ready" ] && break; kill -0 $LABPID 2>/dev/null || break; sleep 0.1; done
PORT=$(awk '$1 == "port" {print $2; exit}' "$TMP/lab.out")
[ -n "$PORT" ] || { echo "demo: the lab did not start: $(cat "$TMP/lab.err")"; exit 3; }
LAST=$(python3 -c 'import json,sys; print([json.loads(l)["ip"] for l in open(sys.argv[1])][-1])' "$TMP/manifest.jsonl")
echo "demo: lab of $HOSTS emulated hosts on 127.1.0.0-$LAST port $PORT; scanning (JSON in $TMP/scan.jsonl)"
echo
"$EXAUDIT" scan -p "$PORT" --concurrency 200 --timeout 5 --host-timeout 20 "127.1.0.0-$LAST" \
    --json -o "$TMP/scan.jsonl"
rc=$?
echo
echo "demo: a few hosts in detail:"
python3 - "$TMP/scan.jsonl" <<'EOF'
import json, sys
shown = set()
for line in open(sys.argv[1]):
    d = json.loads(line)
    key = (d["exchange"], (d.get("build") or {}).get("precision"), bool(d.get("waf")))
    if key in shown or len(shown) >= 8:
        continue
    shown.add(key)
    b = d.get("build") or {}
    bad = [c["id"] + " " + c["status"] + (" (probe)" if c["by_probe"] else "") for c in d["cves"]
           if c["family"] in ("ProxyLogon", "ProxyShell", "ProxyNotShell") and c["status"] != "patched"]
    print("  %-12s %-8s %-14s %-5s %s%s" % (d["target"], d["exchange"], b.get("version") or "-", b.get("precision") or "",
          ", ".join(bad[:3]) or (d["errors"][0] if d["errors"] else d.get("exchange_evidence") or "")[:90],
          "  [behind %s]" % d["waf"]["name"] if d.get("waf") else ""))
EOF
echo "demo: exit status $rc (1 = vulnerable hosts found); lab stopped"
exit 0
