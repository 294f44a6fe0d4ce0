#!/bin/bash
# End to end, live: the lab (exaudit-lab, seed A) scanned with `exaudit scan --db`,
# mkevidence's proxylogon-oab-webshell scenario hunted with `exaudit hunt --db --host`
# (one of the scanned servers), the report in German and English (HTML and
# Markdown), then the lab restarted with seed B, scanned again, and `exaudit diff`.
# Expected values come from independent sources only:
#   - the lab's manifests (tests/lab: its own build and CVE truth, docs/lab.md),
#     taken as written (compare_manifest.py holds the scanner to them);
#   - mkevidence's ground truth (web shell path and SHA-256, log coverage, patch day);
#   - ../shared/reference/exchange-builds.tsv and exchange-cve-fixes.tsv (the KB of
#     the ProxyLogon fix for the host's CU, the KB of the newest CU);
#   - GDPR Art. 33: 72 hours after awareness (../shared/docs/README.md), computed
#     here with date(1) from the hunt's end as the database holds it.
# The diff is compared change by change with what the two manifests imply
# (inventory_live.py). For that the inventory is rescored against a knowledge base
# that knows only the five CVEs the lab models, and in which no other update claims
# security fixes: there a verdict is the worst status of those five, which the
# manifests give. Tarpits are left out of the target lists: they only cost time
# (test_scan_lab covers them). Loopback only.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/start-lab.sh
. "$SRC/tests/lab/start-lab.sh"
export EXAUDIT_LOOPBACK_ONLY=1 EXAUDIT_TODAY=2026-09-01 XDG_DATA_HOME="$TMP/xdg"
# ../shared next to the repository (CI), or next to the worktrees' parent (development).
REF="$SRC/../shared/reference"
[ -d "$REF" ] || REF="$SRC/../../shared/reference"
HOSTS=300
DB="$TMP/inventory.db"
HELP="$SRC/tests/e2e/inventory_live.py"
trap 'lab_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
[ -x "$BUILD_DIR/exaudit-lab" ] && [ -x "$BUILD_DIR/mkevidence" ] || { fail "exaudit-lab and mkevidence are built"; exit 0; }
[ -r "$REF/exchange-builds.tsv" ] || { fail "the reference tables are at ../shared/reference"; exit 0; }

targets() { # manifest -> one address per line, tarpits left out
    python3 -c 'import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m["hostile"] != "tarpit":
        print(m["ip"])' "$1"
}
q() { sqlite3 "$DB" "$@"; }
# Generous limits: the agreement must not depend on how loaded the machine is.
scan_db() { "$EXAUDIT" scan --db "$DB" -p "$PORT" --concurrency 32 --connect-timeout 30 --timeout 30 --host-timeout 120 "$@"; }

# --- seed A: scan into a fresh inventory ---------------------------------------------------------
lab_start "$TMP/lab-a" --hosts "$HOSTS" --seed 1 || { fail "lab A started" "$(cat "$TMP/lab-a/stderr")"; exit 0; }
PORT=$LAB_PORT
cp "$LAB_MANIFEST" "$TMP/a.jsonl"
targets "$TMP/a.jsonl" >"$TMP/targets-a"
na=$(grep -c . "$TMP/targets-a")
run scan_db -iL "$TMP/targets-a"
expect_eq "scan --db: exit 1 (the lab has vulnerable servers)" "$RC" "1"
expect_contains "scan --db: the summary names the run and what it recorded" "$OUT" \
    "inventory: run 1, $na hosts recorded ($DB)"
expect_not_contains "scan --db: no per-host table (the results are in the inventory)" "$OUT" "$(head -1 "$TMP/targets-a") "
expect_eq "run 1 is a scan, done" "$(q "SELECT kind, status FROM runs WHERE id=1")" "scan|done"
expect_eq "every target recorded once" "$(q "SELECT count(*), count(DISTINCT host_id) FROM results WHERE run_id=1")" "$na|$na"
expect_eq "the inventory's targets are the scanned address:port" \
    "$(q "SELECT group_concat(target, ' ') FROM (SELECT target FROM hosts ORDER BY target)")" \
    "$(sed "s/\$/:$PORT/" "$TMP/targets-a" | sort | tr '\n' ' ' | sed 's/ $//')"
# The stored facts are those the scanner assessed: rescoring against the same
# knowledge base reproduces every verdict (probe observations included).
run "$EXAUDIT" rescore --db "$DB"
expect_contains "rescore with the same knowledge base changes no verdict" "$ERR" ", 0 verdicts changed"
# ... and no assessment at all: the stored assessment is exactly what the facts and the knowledge
# base give (regression: the scanner's build source/evidence made every host's assessment "change").
expect_contains "rescore with the same knowledge base changes no assessment" "$ERR" ": 0 changed, 0 verdicts changed"

# --- the hunt of one of the scanned servers ----------------------------------------------------------
"$BUILD_DIR/mkevidence" --out "$TMP/ev" --scenario proxylogon-oab-webshell --size 2M --truth "$TMP/truth.json" --quiet
build=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["build"])' "$TMP/truth.json")
read -r ip name product newest_kb fix_build fix_kb < <(python3 "$HELP" pick "$TMP/a.jsonl" "$build" "$REF")
[ -n "${fix_kb:-}" ] || { fail "the lab has a vulnerable server to hunt"; exit 0; }
echo "# hunted: $name ($ip, Exchange $product), ProxyLogon fix $fix_build $fix_kb, newest CU $newest_kb"
expect_eq "the scan named the server by its NTLM computer name" "$(q "SELECT name FROM hosts WHERE target='$ip:$PORT'")" "$name"
run "$EXAUDIT" hunt --db "$DB" --host "$name" --no-progress "$TMP/ev"
expect_eq "hunt --db: exit 1 (compromise found)" "$RC" "1"
expect_contains "hunt --db: says where it went" "$OUT" "Inventory: run 2, hunt of $name recorded ($DB)"
expect_eq "the hunt is run 2, on the scanned server, compromised" \
    "$(q "SELECT r.kind, r.status, h.target, u.verdict FROM hunts u JOIN runs r ON r.id=u.run_id JOIN hosts h ON h.id=u.host_id")" \
    "hunt|done|$ip:$PORT|compromised"
eval "$(python3 - "$TMP/truth.json" <<'EOF'
import json, shlex, sys
t = json.load(open(sys.argv[1]))
shell = next(e for e in t["expected"] if e["kind"] == "webshell" and e["sha256"])
ecp = t["log_coverage"]["Logging/HttpProxy/Ecp"]
for k, v in (("shell_path", shell["path"]), ("shell_sha", shell["sha256"]), ("ecp_first", ecp["first"]),
             ("ecp_last", ecp["last"]), ("patched_on", t["patched_on"])):
    print("%s=%s" % (k, shlex.quote(v)))
EOF
)"
expect_eq "the web shell is a stored finding, with its SHA-256 (ground truth)" \
    "$(q "SELECT count(*) > 0 FROM findings WHERE kind='webshell' AND json_extract(json, '\$.evidence.path')='$shell_path' AND json_extract(json, '\$.evidence.sha256')='$shell_sha'")" "1"
expect_eq "the hunt's log coverage is stored (Ecp, as mkevidence wrote it)" \
    "$(q "SELECT json_extract(coverage, '\$.\"Logging/HttpProxy/Ecp\".first') || ' ' || json_extract(coverage, '\$.\"Logging/HttpProxy/Ecp\".last') FROM hunts")" \
    "$ecp_first $ecp_last"
expect_eq "the hunt's timeline holds the patch install, on the day mkevidence patched" \
    "$(q "SELECT substr(json_extract(e.value, '\$.time'), 1, 10) FROM hunts, json_each(hunts.timeline) e WHERE json_extract(e.value, '\$.key')='patch.installed'")" \
    "$patched_on"
expect_eq "no CVE exposure is stored as a hunt finding" "$(q "SELECT count(*) FROM findings WHERE check_id LIKE 'cve.%'")" "0"
# Regression: `exaudit record hunt` refused the stream of `exaudit hunt --json` (its
# closing summary object is no finding). Recorded later, the hunt is the same.
"$EXAUDIT" hunt --json --no-progress "$TMP/ev" >"$TMP/hunt.jsonl"
run "$EXAUDIT" record hunt --db "$TMP/later.db" --host "$name" "$TMP/hunt.jsonl"
expect_eq "record hunt reads the stream of hunt --json" "$RC" "0"
same="SELECT u.verdict, u.coverage, u.timeline, (SELECT count(*) FROM findings), (SELECT group_concat(check_id) FROM
      (SELECT check_id FROM findings ORDER BY check_id, time)) FROM hunts u"
expect_eq "recorded later, the hunt is the one hunt --db recorded (verdict, coverage, timeline, findings)" \
    "$(sqlite3 "$TMP/later.db" "$same" | md5sum)" "$(q "$same" | md5sum)"

run "$EXAUDIT" hosts --db "$DB" --json
expect_contains "hosts: the hunted server is red and compromised" \
    "$(python3 -c 'import json, sys
for l in sys.stdin:
    h = json.loads(l)
    print(h["name"], h["state"], h["hunt"])' <<<"$OUT")" "$name red compromised"

# --- the reports ---------------------------------------------------------------------------------------
hunt_end=$(q "SELECT finished FROM hunts")
aware=$(date -u -d "@$hunt_end" +%Y-%m-%dT%H:%M:%SZ)
deadline=$(date -u -d "@$((hunt_end + 72 * 3600))" +%Y-%m-%dT%H:%M:%SZ)
section() { # report file, format -> the hunted server's section
    python3 - "$1" "$2" "$name" <<'EOF'
import sys
text, fmt, name = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
start = '<section class="server"><h2>%s ' % name if fmt == "html" else "\n## %s (" % name
nxt = '<section class="server">' if fmt == "html" else "\n## "
i = text.find(start)
print(text[i:text.find(nxt, i + len(start))] if i >= 0 else "")
EOF
}
for lang in en de; do
    for fmt in html md; do
        f="$TMP/report-$lang.$fmt"
        run "$EXAUDIT" report --db "$DB" --lang "$lang" --format "$fmt" -o "$f"
        expect_eq "report $lang $fmt: exit 1 (red servers)" "$RC" "1"
        doc=$(cat "$f")
        sec=$(section "$f" "$fmt")
        [ -n "$sec" ] || fail "report $lang $fmt: a section for $name"
        vuln=$([ "$lang" = de ] && echo verwundbar || echo vulnerable)
        if [ "$fmt" = html ]; then
            expect_contains "report $lang $fmt: CVE-2021-26855 $vuln, fixed by $fix_build ($fix_kb)" "$sec" \
                "<td class=\"mono\">CVE-2021-26855</td><td>ProxyLogon</td><td>$vuln</td>"
            expect_contains "report $lang $fmt: the fix's KB for the server's CU (reference table)" "$sec" "$fix_build ($fix_kb)"
        else
            expect_contains "report $lang $fmt: CVE-2021-26855 $vuln" "$sec" "| CVE-2021-26855 | $vuln |"
        fi
        expect_contains "report $lang $fmt: update path starts with the newest CU ($newest_kb)" "$sec" "($newest_kb)"
        shell_text=$shell_path
        [ "$fmt" = md ] && shell_text=${shell_path//_/\\_}
        expect_contains "report $lang $fmt: the planted web shell's path" "$sec" "$shell_text"
        expect_contains "report $lang $fmt: ... and its SHA-256" "$sec" "$shell_sha"
        expect_contains "report $lang $fmt: awareness = end of the hunt ($aware)" "$doc" "$aware"
        expect_contains "report $lang $fmt: notification deadline = awareness + 72 h ($deadline)" "$doc" "$deadline"
    done
done
expect_contains "report en: the GDPR Art. 33 draft" "$(cat "$TMP/report-en.html")" \
    "Draft: notification of a personal data breach (GDPR Art. 33)"
expect_contains "report de: the GDPR Art. 33 draft" "$(cat "$TMP/report-de.html")" \
    "Entwurf: Meldung einer Verletzung des Schutzes personenbezogener Daten (DSGVO Art. 33)"
expect_contains "report de: html lang" "$(cat "$TMP/report-de.html")" '<html lang="de">'
expect_contains "report de md: the German title" "$(cat "$TMP/report-de.md")" "# Exchange-Sicherheitsbericht"

# --- seed B, the same port: scan again, then diff ------------------------------------------------------
lab_stop
lab_start "$TMP/lab-b" --hosts "$HOSTS" --seed 2 --base 127.1.0.20 --port "$PORT" ||
    { fail "lab B started on port $PORT" "$(cat "$TMP/lab-b/stderr")"; exit 0; }
cp "$LAB_MANIFEST" "$TMP/b.jsonl"
targets "$TMP/b.jsonl" >"$TMP/targets-b"
nb=$(grep -c . "$TMP/targets-b")
run scan_db -q -iL "$TMP/targets-b"
lab_stop
expect_eq "scan of seed B: run 3, done, every target once" \
    "$(q "SELECT status, count(*), count(DISTINCT host_id) FROM results JOIN runs ON runs.id=run_id WHERE run_id=3")" \
    "done|$nb|$nb"

# A knowledge base of the lab's five CVEs (inventory_live.py's premise, see above).
mkdir -p "$TMP/kb5.src" "$TMP/kb5"
cp "$SRC"/data/kb/*.tsv "$TMP/kb5.src/"
awk -F'\t' 'NR == 1 || $1 ~ /^CVE-2021-(26855|34473|33766)$|^CVE-2022-(41040|41080)$/' "$SRC/data/kb/cves.tsv" \
    >"$TMP/kb5.src/cves.tsv"
awk -F'\t' -v OFS='\t' 'NR == FNR { if (FNR > 1) fixed[$6] = 1; next }
    FNR > 1 && $3 ~ /SU/ && !($5 in fixed) { sub(/SU/, "HU", $3) } { print }' \
    "$TMP/kb5.src/cves.tsv" "$SRC/data/kb/builds.tsv" >"$TMP/kb5.src/builds.tsv"
"$BUILD_DIR/kbgen" --bundle "$TMP/kb5.src" >"$TMP/kb5/kb.bundle" 2>"$TMP/kbgen.err" ||
    fail "the five-CVE knowledge base builds" "$(cat "$TMP/kbgen.err")"
run "$EXAUDIT" rescore --db "$DB" --all --data "$TMP/kb5"
expect_contains "rescore --all against the five-CVE knowledge base" "$ERR" "rescored $((na + nb)) results"

run "$EXAUDIT" diff --db "$DB" --json
expect_eq "diff: exit 1 (newly vulnerable servers, hunt findings)" "$RC" "1"
printf '%s\n' "$OUT" >"$TMP/diff.jsonl"
out=$(python3 "$HELP" diff "$TMP/a.jsonl" "$TMP/b.jsonl" "$PORT" "$TMP/diff.jsonl")
rc=$?
summary=$(tail -1 <<<"$out")
if [ $rc -eq 0 ]; then ok "diff reports exactly the changes the manifests imply: $summary"; else
    fail "diff reports exactly the changes the manifests imply: $summary" "$(grep -E '^(MISSING|UNEXPECTED)' <<<"$out" | head -30)"; fi
for kind in newly-vulnerable patched build-changed gone unreachable new-host; do
    if grep -Eq "[ (]$kind [1-9]" <<<"$summary"; then ok "the seeds give at least one '$kind' change"; else
        fail "the seeds give at least one '$kind' change" "$summary"; fi
done
expect_eq "diff: the hunt's findings, on the hunted server only" "$(grep '^hunt-finding targets:' <<<"$out")" \
    "hunt-finding targets: $ip:$PORT"
run "$EXAUDIT" diff --db "$DB"
expect_contains "diff (table): the runs compared" "$OUT" "changes from run 1 to run 3"
