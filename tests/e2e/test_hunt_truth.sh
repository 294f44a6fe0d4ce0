#!/bin/bash
# exaudit hunt against the ground truth mkevidence writes (docs/evidence.md):
# every planted scenario, as a tree, as KAPE and Velociraptor zips, with the
# install moved, and with the event logs as XML and CSV exports. The checks
# (tests/e2e/hunt_truth.py) compare findings, coverage and timeline with the
# truth file; nothing here is computed by exaudit itself.
. "$(dirname "$0")/lib.sh"

# The generator is a tool here, not what is under test: under `make asan-test`
# the plain build's mkevidence is used when there is one (exaudit stays the
# sanitized binary).
MK="${MKEVIDENCE:-$BUILD_DIR/mkevidence}"
[ -z "${MKEVIDENCE:-}" ] && [ -x "$SRC/build/mkevidence" ] && MK="$SRC/build/mkevidence"
if [ ! -x "$MK" ]; then
    echo "ok - ground truth # SKIP mkevidence not built"
    exit 0
fi
SIZE=2M

run_case() { # label, expected exit code, mkevidence arguments...
    local label="$1" want_rc="$2"
    shift 2
    local out="$TMP/$label" truth="$TMP/$label.truth.json"
    case " $* " in *" --layout kape-zip "* | *" --layout velociraptor-zip "*) out="$out.zip" ;; esac
    if ! "$MK" --out "$out" --truth "$truth" --size "$SIZE" --quiet "$@" >"$TMP/$label.mk.log" 2>&1; then
        fail "$label: mkevidence" "$(head -c 1500 "$TMP/$label.mk.log")"
        return
    fi
    "$EXAUDIT" hunt --json --no-progress --timeline "$TMP/$label.csv" "$out" >"$TMP/$label.jsonl" 2>"$TMP/$label.err"
    local rc=$?
    expect_eq "$label: exit code" "$rc" "$want_rc"
    python3 "$SRC/tests/e2e/hunt_truth.py" "$truth" "$TMP/$label.jsonl" "$label"
    # the timeline imports into Timesketch: message, datetime, timestamp_desc on every row
    check "$label: timeline CSV in Timesketch's layout" python3 - "$TMP/$label.csv" "$TMP/$label.jsonl" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
dated = [json.loads(l) for l in open(sys.argv[2]) if l.strip()][:-1]
dated = [f for f in dated if f.get("time")]
assert rows and all(r["message"] and r["datetime"] and r["timestamp_desc"] for r in rows), "empty required column"
assert sum(1 for r in rows if r["timestamp_desc"] == "Evidence time") == len(dated), "a row per dated finding"
EOF
    rm -rf "$out"
}

run_case clean 0 --scenario clean
run_case scanned-only 1 --scenario scanned-only
run_case proxylogon-oab-webshell 1 --scenario proxylogon-oab-webshell
run_case proxyshell-pst-webshell 1 --scenario proxyshell-pst-webshell
run_case proxynotshell 1 --scenario proxynotshell
run_case compiled-webshell-only 1 --scenario compiled-webshell-only
run_case proxylogon-kape-zip 1 --scenario proxylogon-oab-webshell --layout kape-zip
run_case proxylogon-velociraptor-zip 1 --scenario proxylogon-oab-webshell --layout velociraptor-zip
run_case proxylogon-moved-install 1 --scenario proxylogon-oab-webshell --install-root 'C:\Microsoft\Exchange Server\V15'
run_case proxyshell-evtx-xml 1 --scenario proxyshell-pst-webshell --evtx xml
run_case proxyshell-evtx-csv 1 --scenario proxyshell-pst-webshell --evtx csv
run_case clean-velociraptor-zip 0 --scenario clean --layout velociraptor-zip
