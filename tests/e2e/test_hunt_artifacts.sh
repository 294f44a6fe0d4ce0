#!/bin/bash
# exaudit hunt on mkevidence scenarios, for the artefacts of the evtx, files,
# exsetup and iisconfig analyzers: every expected finding of the ground truth
# (docs/evidence.md) in the three event-log forms (binary, wevtutil XML,
# EvtxECmd CSV), nothing above info on the benign lookalikes or in the clean
# scenario, the installed build from ExSetup.exe, and --rules with LOKI's
# external variables. mkevidence and exaudit share no code for these formats.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

MKEV="$BUILD_DIR/mkevidence"
if [ ! -x "$MKEV" ]; then
    fail "mkevidence built" "missing $MKEV"
    exit 0
fi

# Compare exaudit's JSON findings with the truth, for the paths these analyzers read.
cat >"$TMP/compare.py" <<'EOF'
import json, sys
findings_file, truth_file = sys.argv[1], sys.argv[2]
SEV = {"info": 0, "medium": 1, "high": 2, "critical": 3}
MINE = ("evtx.", "files.", "iisconfig.")
recs = [json.loads(l) for l in open(findings_file) if l.strip()]
finds = [r for r in recs if "severity" in r]
truth = json.load(open(truth_file))

def ours(path):  # event logs and web-shell files, not the web logs
    return "winevt/" in path or path.startswith("EventLogs/") or path.endswith((".aspx", ".dll", ".config"))

def same_path(finding_path, truth_path):
    # the engine may put the evidence folder's name before a drive-less path
    return finding_path == truth_path or finding_path.endswith("/" + truth_path)

bad = 0
for e in truth["expected"]:
    if not ours(e["path"]):
        continue
    hit = [f for f in finds if f["id"].startswith(MINE) and same_path(f["evidence"]["path"], e["path"])
           and f["kind"] == e["kind"] and SEV[f["severity"]] >= SEV[e["min_severity"]]
           and (e["line"] is None or f["evidence"]["line"] == e["line"])
           and (e["time"] is None or f["time"] == e["time"])
           and (e["cve"] is None or f.get("cve") in (None, e["cve"]))]
    if not hit:
        bad += 1
        print(f"missing: {e['kind']} {e['cve']} {e['path']} line {e['line']} time {e['time']} ({e.get('note')})")
def is_event_log(path):
    return "winevt/" in path or path.startswith("EventLogs/")

def record_of(f):  # "..., record 1319" in the title of an event finding
    t = f["title"]
    i = t.rfind("record ")
    return int(t[i + 7:].split()[0].rstrip(",)")) if i >= 0 and t[i + 7:i + 8].isdigit() else None

# Every event finding above info is an expected or context entry (by line or record), or
# another line of the same attack (same kind and CVE: docs/evidence.md allows those).
known = truth["expected"] + truth.get("context", [])
for f in finds:
    if not f["id"].startswith("evtx.") or SEV[f["severity"]] == 0:
        continue
    at = [e for e in known if same_path(f["evidence"]["path"], e["path"])
          and (e["line"] is None or f["evidence"]["line"] == e["line"])
          and (e.get("record") is None or record_of(f) == e["record"])]
    same_attack = [e for e in truth["expected"] if e["kind"] == f["kind"] and e["cve"] == f.get("cve")]
    if not at and not same_attack:
        bad += 1
        print(f"unexpected: {f['id']} {f['severity']} {f['evidence']['path']} line {f['evidence']['line']} {f['title']}")
for b in truth.get("benign", []):
    if b["line"] is None and is_event_log(b["path"]):
        continue  # a binary log's benign events carry no locator: the text forms check them by line
    for f in finds:
        if (f["id"].startswith(MINE) and SEV[f["severity"]] > 0 and same_path(f["evidence"]["path"], b["path"])
                and (b["line"] is None or f["evidence"]["line"] == b["line"])):
            bad += 1
            print(f"on benign: {f['id']} {f['severity']} {b['path']} line {b['line']} ({b['note']})")
if truth["scenario"] == "clean":
    for f in finds:
        if f["id"].startswith(MINE) and SEV[f["severity"]] > 0:
            bad += 1
            print(f"clean scenario: {f['id']} {f['severity']} {f['evidence']['path']}")
summary = recs[-1]
want = truth.get("patched_build") or truth["build"]
got = (summary.get("install") or {}).get("build")
if got != want:
    bad += 1
    print(f"installed build {got}, truth {want}")
sys.exit(1 if bad else 0)
EOF

for scenario in proxylogon-oab-webshell proxyshell-pst-webshell; do
    for form in binary xml csv; do
        d="$TMP/$scenario-$form"
        "$MKEV" --out "$d" --scenario "$scenario" --evtx "$form" --truth "$d.truth.json" --size 1M --quiet
        run "$EXAUDIT" hunt --json --no-progress --max-per-rule 100000 "$d"
        expect_eq "$scenario ($form event logs): exit 1" "$RC" "1"
        printf '%s\n' "$OUT" >"$d.out.json"
        check "$scenario ($form event logs): truth for evtx/files/exsetup" python3 "$TMP/compare.py" "$d.out.json" "$d.truth.json"
    done
done

d="$TMP/clean"
"$MKEV" --out "$d" --scenario clean --truth "$d.truth.json" --size 1M --quiet
run "$EXAUDIT" hunt --json --no-progress "$d"
printf '%s\n' "$OUT" >"$d.out.json"
check "clean: nothing above info from evtx/files/iisconfig" python3 "$TMP/compare.py" "$d.out.json" "$d.truth.json"

# --rules: a user rule file with all six LOKI externals, and a broken one beside it.
d="$TMP/proxyshell-pst-webshell-binary"
shell="$(cd "$d" && find C/inetpub/wwwroot/aspnet_client -name '*.aspx' -size +10k | head -1)"
base="$(basename "$shell")"
md5="$(md5sum "$d/$shell" | cut -d' ' -f1)"
mkdir -p "$TMP/rules/sub"
cat >"$TMP/rules/sub/ext.yar" <<EOF
rule E2E_Loki_Externals {
  meta: author = "e2e author" reference = "https://example.org/e2e"
  condition: filename == "$base" and filepath == "C:\\\\inetpub\\\\wwwroot\\\\aspnet_client" and extension == ".aspx"
    and filetype == "PST" and owner == "" and md5 == "$md5"
}
EOF
echo 'rule Broken { condition: no_such_identifier }' >"$TMP/rules/broken.yar"
run "$EXAUDIT" hunt --json --no-progress --analyzers files --rules "$TMP/rules" "$d"
expect_contains "--rules: the externals rule matched the PST shell" "$OUT" '"files.yara.E2E_Loki_Externals"'
expect_contains "--rules: the rule's author is kept" "$OUT" '"author":"e2e author"'
expect_contains "--rules: the rule's reference is kept" "$OUT" '"reference":"https://example.org/e2e"'
expect_contains "--rules: the broken file is reported" "$ERR" "broken.yar"
run "$EXAUDIT" hunt --no-progress --rules "$TMP/no-such-rules" "$d"
expect_eq "--rules: a missing path is a usage error" "$RC" "2"

# Extended Protection lowered on one virtual directory ("partial") leaves CVE-2024-21410 open:
# it is an NTLM relay, one unprotected vdir is enough (regression: "partial" used to read as unknown).
"$MKEV" --out "$TMP/ep" --scenario clean --build 15.2.1544.4 >/dev/null 2>&1
cfg="$(find "$TMP/ep" -name applicationHost.config | head -1)"
ep_status() {
    "$EXAUDIT" hunt --json "$TMP/ep" | python3 -c '
import json,sys
for l in sys.stdin:
    j=json.loads(l)
    if j.get("schema")=="exaudit.hunt-summary/1":
        print({c["id"]:c["status"] for c in j["assessment"]["cves"]}["CVE-2024-21410"])'
}
expect_eq "Extended Protection on everywhere: CVE-2024-21410 patched" "$(ep_status)" patched
chmod u+w "$cfg"
sed -i '0,/tokenChecking="Require"/s//tokenChecking="None"/' "$cfg"
expect_eq "Extended Protection off on one vdir: CVE-2024-21410 vulnerable" "$(ep_status)" vulnerable
