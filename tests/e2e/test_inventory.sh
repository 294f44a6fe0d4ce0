#!/bin/bash
# End to end: a fleet scan (host records from the real library: `exaudit build
# --json` on real builds, plus scan fields) and a planted hunt scenario go into
# the inventory; the fleet view, rescore after a knowledge-base update, the
# reports in German and English (HTML, Markdown, CSV, JSON) and the diff after
# a changed fleet. Expected values come from the field notes:
#   - ProxyLogon (CVE-2021-26855) was fixed by Mar21SU, 2016 CU19 build
#     15.1.2176.9, KB5000871 (logs-and-builds.md §5.2): 15.1.2176.2 is vulnerable;
#   - Exchange 2013 support ended 2023-04-11, 2016/2019 on 2025-10-14 (README.md);
#   - GDPR Art. 33: 72 hours after awareness (README.md);
#   - the planted hunt is the HELSECERT case quoted in logs-and-builds.md §3.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

FIX="$SRC/tests/fixtures/inventory"
export EXAUDIT_TODAY=2026-09-01
export XDG_DATA_HOME="$TMP/xdg"
DB="$TMP/inv.db"
ex() { "$EXAUDIT" "$@" --db "$DB"; }

scan_records() { # fleet file -> host records (JSON Lines)
    local builds
    builds=$(grep -v '^#' "$1" | cut -d'|' -f2 | grep -v '^-$')
    # shellcheck disable=SC2086
    "$EXAUDIT" build --json $builds | python3 "$FIX/mkfleet.py" "$1"
}

# --- the fleet ----------------------------------------------------------------
run ex hosts import "$FIX/hosts.csv"
expect_eq "hosts import: 7 hosts" "$OUT" "7 hosts imported"
# Excel in a German locale writes ';'-separated CSV (with a BOM and CRLF): accepted,
# with the separator taken from the header row (regression: "no 'target' column").
DBS="$TMP/semicolon.db"
printf '\xef\xbb\xbftarget;customer;name;tags\r\nmail.mueller.example;"M\xc3\xbcller GmbH; Co. KG";MAIL01;"prod;dag1"\r\n' >"$TMP/excel-de.csv"
run "$EXAUDIT" hosts import --db "$DBS" "$TMP/excel-de.csv"
expect_eq "hosts import of a ';'-separated file" "$OUT" "1 hosts imported"
run "$EXAUDIT" hosts --db "$DBS" --json
expect_contains "';' CSV: quoted customer with a ';' inside" "$OUT" '"customer":"Müller GmbH; Co. KG"'
expect_contains "';' CSV: quoted tags" "$OUT" '"tags":"dag1,prod"'
scan_records "$FIX/fleet-a.txt" >"$TMP/a.jsonl"
run ex record scan "$TMP/a.jsonl"
expect_eq "record scan A" "$OUT" "run 1: 7 hosts recorded"
run ex record hunt "$FIX/hunt-proxylogon.json"
expect_contains "record the planted ProxyLogon hunt" "$OUT" "hunt of exch01.contoso.example recorded, 4 findings"
run ex record hunt "$FIX/hunt-attempt-only.json"
expect_eq "record an attempt-only hunt: rc" "$RC" "0"
# The scan kept the facts of mail.fabrikam (Extended Protection etc. on): rescoring
# from them turns its configuration-dependent CVEs into patched ones.
run ex rescore
expect_contains "rescore uses the stored configuration facts" "$OUT" "mail.fabrikam.example"
expect_contains "rescore: config -> patched" "$OUT" "config -> patched"

run ex hosts --json
lights=$(python3 -c '
import json, sys
for l in sys.stdin:
    h = json.loads(l); print(h["target"], h["state"], h["verdict"], h["hunt"], h["customer"])' <<<"$OUT" | sort)
expect_contains "EXCH01 (15.1.2176.2, hunted: web shell) is red and compromised" "$lights" \
    "exch01.contoso.example red vulnerable compromised Contoso"
expect_contains "EXCH02 (SE RTM) had attempts only: suspicious" "$lights" "exch02.contoso.example red vulnerable suspicious Contoso"
expect_contains "Exchange 2013 is red (ProxyLogon unpatched, end of life)" "$lights" "legacy.fabrikam.example red vulnerable None Fabrikam"
expect_contains "CU-only build is yellow (possibly)" "$lights" "owa.fabrikam.example yellow possibly None Fabrikam"
expect_contains "SE Aug26SU with settings on is green" "$lights" "mail.fabrikam.example green patched None Fabrikam"
expect_contains "unreachable host is grey" "$lights" "vpn.contoso.example grey unknown None Contoso"
expect_contains "Exchange Online is grey" "$lights" "outlook.contoso.example grey unknown None Contoso"

run ex hosts --state red
expect_eq "hosts --state red: exit 1 (something red)" "$RC" "1"
expect_eq "hosts --state red: three servers" "$(grep -c . <<<"$OUT")" "3"
run ex hosts --customer Fabrikam
expect_eq "hosts --customer Fabrikam: three servers" "$(grep -c . <<<"$OUT")" "3"
run ex hosts --tag dag1
expect_eq "hosts --tag dag1 (tags from the CSV, ';' and space separated)" "$(grep -c . <<<"$OUT")" "2"
run ex hosts --cve CVE-2021-26855
expect_contains "which hosts are hit by ProxyLogon: EXCH01" "$OUT" "EXCH01"
expect_contains "which hosts are hit by ProxyLogon: the 2013 server" "$OUT" "LEGACY"
expect_not_contains "ProxyLogon: not the SE server" "$OUT" "EXCH02"
run ex hosts --cve cve-2021-26855
expect_contains "--cve is case-insensitive (regression: lower case listed 0 hosts)" "$OUT" "EXCH01"
# Before the knowledge base knows today's CVE, "0 hosts" would read as "nobody
# is hit": it is an error that says to update the knowledge base (regression).
run ex hosts --cve CVE-2026-99999
expect_eq "--cve unknown to the knowledge base: exit 3" "$RC" "3"
expect_contains "--cve unknown: says to update" "$ERR" "CVE-2026-99999 is not in the knowledge base"
expect_not_contains "--cve unknown: no '0 hosts'" "$ERR" "0 hosts"

# --- reports --------------------------------------------------------------------
run ex report --lang en --aware-since 2021-03-05T08:30:00Z -o "$TMP/en.html"
expect_eq "report en: exit 1 (red servers)" "$RC" "1"
en=$(cat "$TMP/en.html")
expect_contains "en: title page" "$en" "Exchange security report"
expect_contains "en: executive summary" "$en" "Executive summary"
expect_contains "en: three most urgent actions" "$en" "The three most urgent actions"
expect_contains "en: first action is the incident" "$en" "<li>Treat EXCH01 as compromised"
expect_contains "en: GDPR draft" "$en" "Draft: notification of a personal data breach (GDPR Art. 33)"
expect_contains "en: draft marked as not legal advice" "$en" "not legal advice"
expect_contains "en: awareness time as given" "$en" "2021-03-05T08:30:00Z"
expect_contains "en: 72 h deadline computed from it" "$en" "2021-03-08T08:30:00Z"
expect_contains "en: deadline passed (report dated 2026)" "$en" "The 72-hour deadline has passed"
expect_contains "en: fields for the controller" "$en" "Name and contact details of the data protection officer"
expect_contains "en: Art. 33(5)" "$en" "Documentation duty (Art. 33(5))"
expect_contains "en: Art. 34" "$en" "Informing the data subjects (Art. 34)"
expect_contains "en: supervisory authorities" "$en" "BfDI"
expect_contains "en: ProxyLogon fix KB" "$en" "Mar21SU 15.1.2176.9"
expect_contains "en: update path with KB" "$en" "KB5011155"
expect_contains "en: web shell path" "$en" "FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx"
expect_contains "en: web shell hash" "$en" "5e4d3c2b1a0f9e8d7c6b5a49382716059f8e7d6c5b4a39281706f5e4d3c2b1a0"
expect_contains "en: rule" "$en" "APT_WEBSHELL_HAFNIUM_Chopper_WebShell"
expect_contains "en: log coverage" "$en" "Logging/HttpProxy/Ecp"
expect_not_contains "en: hunts with log coverage are not flagged as blind" "$en" "The hunt read no dated log entry"
expect_contains "en: patch time from the timeline closes the window" "$en" "The evidence shows the fix installed at 2021-03-10T21:14:00Z"
expect_contains "en: certificate" "$en" "CN=exch01.contoso.example"
expect_contains "en: NTLM names" "$en" "exch01.corp.contoso.example"
expect_contains "en: support ended" "$en" "ended 2025-10-14"
expect_contains "en: methods: possibly" "$en" "does not mean &quot;probably&quot;"
expect_contains "en: methods: probes recorded" "$en" "owa-logon"
expect_not_contains "en: no script" "$en" "<script"
# The unreachable server has no build: its update path is unknown, not "no update
# needed" (a guess that reads as certain; regression).
vpn_section=$(awk '/<h2>vpn.contoso.example /,/<\/section>/' "$TMP/en.html")
expect_contains "en: unreachable server: its section is there" "$vpn_section" "Update path"
expect_contains "en: unreachable server: update path unknown" "$vpn_section" "No update path: the build is not known."
expect_not_contains "en: unreachable server: not 'no update needed'" "$vpn_section" "No update needed"
for pat in "src=" "href=\"http" "url(" "@import" "<link" "<iframe" "<object"; do
    expect_not_contains "en: no external resource ($pat)" "$en" "$pat"
done

run ex report --lang de -o "$TMP/de.html"
de=$(cat "$TMP/de.html")
expect_contains "de: title" "$de" "Exchange-Sicherheitsbericht"
expect_contains "de: html lang" "$de" '<html lang="de">'
expect_contains "de: severity translated in the findings table" "$de" "<tr><td>kritisch<br>"
expect_contains "de: 'Bewertung' for verdict" "$de" "<th>Bewertung</th>"
expect_not_contains "de: not the court's 'Urteil'" "$de" "Urteil"
expect_contains "de: knowledge-base origin in German (regression: 'built-in')" "$de" "), eingebaut</td>"
expect_contains "de: summary" "$de" "Zusammenfassung für die Leitung"
expect_contains "de: GDPR draft" "$de" "Entwurf: Meldung einer Verletzung des Schutzes personenbezogener Daten (DSGVO Art. 33)"
expect_contains "de: keine Rechtsberatung" "$de" "keine Rechtsberatung"
expect_contains "de: status translated" "$de" "verwundbar"
expect_contains "de: methods" "$de" "Anhang: Methoden und Grenzen"
# German wording: the exposure began no later than the fix's publication
# ("spätestens seit"; "seit mindestens" was ambiguous), and "mitigation" is
# "Abhilfe" throughout.
expect_contains "de: exposure window wording" "$de" "Exponiert spätestens seit"
expect_not_contains "de: no 'seit mindestens'" "$de" "seit mindestens"
expect_not_contains "de: no 'Abschwächung'" "$de" "Abschwächung"
# The verdict's own sentences (CVE basis, update path) are German too, rendered from the
# record's sentence codes; the English sentences of the record do not leak into it.
expect_contains "de: CVE basis in German" "$de" "erster korrigierter Build 15.1.2176.9 (CU19 Mar21SU)"
expect_contains "de: update step in German" "$de" "Exchange Server 2016 CU23 installieren (KB5011155)"
expect_not_contains "de: no English basis" "$de" "first fixed build"
expect_not_contains "de: no English update step" "$de" "the newest security update for"
expect_contains "en: CVE basis in English" "$en" "first fixed build 15.1.2176.9 (CU19 Mar21SU)"
# Awareness defaults to the end of the hunt that found the compromise; the
# deadline is 72 hours later (independent arithmetic, from the database).
hunt_end=$(sqlite3 "$DB" "SELECT min(finished) FROM hunts WHERE verdict='compromised'")
aware=$(date -u -d "@$hunt_end" +%Y-%m-%dT%H:%M:%SZ)
deadline=$(date -u -d "@$((hunt_end + 72 * 3600))" +%Y-%m-%dT%H:%M:%SZ)
expect_contains "de: awareness = end of the hunt" "$de" "$aware"
expect_contains "de: deadline = awareness + 72 h" "$de" "$deadline"

# German from the locale, with only C.UTF-8 on the machine.
run env LANG=de_DE.UTF-8 LC_ALL= LANGUAGE= "$EXAUDIT" report --db "$DB" --format md
expect_contains "language from LANG=de_DE.UTF-8" "$OUT" "# Exchange-Sicherheitsbericht"
expect_contains "de md: no build, no update path (not 'kein Update nötig')" "$OUT" "Kein Update-Pfad: der Build ist nicht bekannt."
# Support status in the German summary table (Exchange 2016 ended 2025-10-14,
# README.md). Regression: the Markdown table printed the raw "ended".
expect_contains "de md: support translated" "$OUT" "| CVE-2021-26855 verwundbar | beendet | kompromittiert |"
expect_not_contains "de md: no raw support key" "$OUT" "| ended |"
expect_contains "de md: severity translated (regression: 'critical')" "$OUT" "- kritisch 2021-03-03T06:49:53Z: Set-OabVirtualDirectory"
# LANGUAGE is a priority list (GNU gettext manual, "The LANGUAGE variable"): the
# first language with a catalogue wins. Regression: "fr:de" gave English.
run env LANGUAGE=fr:de LANG=C LC_ALL= "$EXAUDIT" report --db "$DB" --format md
expect_contains "LANGUAGE=fr:de gives German" "$OUT" "# Exchange-Sicherheitsbericht"
run env LANGUAGE=en:de LANG=de_DE.UTF-8 LC_ALL= "$EXAUDIT" report --db "$DB" --format md
expect_contains "LANGUAGE=en:de gives English" "$OUT" "# Exchange security report"
run env LANG=C LC_ALL= LANGUAGE= "$EXAUDIT" report --db "$DB" --format md --customer Fabrikam
expect_contains "C locale gives English" "$OUT" "# Exchange security report"
expect_contains "customer filter, md: no draft for Fabrikam (not hunted)" "$OUT" "GDPR Art. 33: no notification draft"
expect_contains "why no draft is given" "$OUT" "no compromise hunt was recorded"
expect_not_contains "customer filter keeps other customers out" "$OUT" "EXCH01"
# The customer match is exact: a misspelt customer is an error, not an empty
# report that says "Nothing urgent". (Regression: it was the latter, exit 0.)
run ex report --customer contoso --format md --lang en
expect_eq "report for an unknown customer: exit 3" "$RC" "3"
expect_contains "report for an unknown customer: says so" "$ERR" "no servers of customer 'contoso'"
expect_not_contains "report for an unknown customer: no 'nothing urgent' report" "$OUT" "Nothing urgent"
# An unwritable -o names the file and the system's reason (regression: it printed
# SQLite's "no more rows available").
run ex report --lang en -o "$TMP/no-such-dir/r.html"
expect_eq "report -o into a missing directory: exit 3" "$RC" "3"
expect_contains "report -o error names the cause" "$ERR" "cannot write $TMP/no-such-dir/r.html: No such file or directory"
run ex report --customer Contoso --format md --lang en
expect_contains "Contoso md: draft" "$OUT" "Draft: notification of a personal data breach"

run ex report --format csv
expect_eq "csv: header + one row per server" "$(grep -c . <<<"$OUT")" "8"
expect_contains "csv: header" "$OUT" "customer,server,target,state,verdict,build"
expect_contains "csv: EXCH01 row" "$OUT" '"Contoso","EXCH01","exch01.contoso.example","red","vulnerable","15.1.2176.2"'
ex report --format json >"$TMP/report.json"
check "json: one valid document with 7 servers and the draft" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["servers"]) == 7, len(d["servers"])
assert d["report"]["gdpr"]["reportable"] is True
inc = d["report"]["gdpr"]["incidents"]
assert [i["host"] for i in inc] == ["EXCH01"], inc
assert inc[0]["reason"] == "compromise"
assert inc[0]["first_seen"] == "2021-03-03T06:49:42Z", inc[0]["first_seen"]
assert d["report"]["counts"] == {"red": 3, "yellow": 1, "green": 1, "grey": 2}, d["report"]["counts"]
' "$TMP/report.json"

# --- a changed fleet, and diff --------------------------------------------------
scan_records "$FIX/fleet-b.txt" >"$TMP/b.jsonl"
run ex record scan "$TMP/b.jsonl"
expect_eq "record scan B" "$OUT" "run 4: 7 hosts recorded"
run ex diff
expect_eq "diff: exit 1 (something newly vulnerable)" "$RC" "1"
expect_contains "diff default: the last two scan runs" "$OUT" "changes from run 1 to run 4"
expect_contains "diff: EXCH01 patched against ProxyLogon... verdict changed" "$OUT" "build-changed     exch01.contoso.example         Contoso          15.1.2176.2 -> 15.1.2507.72"
expect_contains "diff: CU-only -> exact vulnerable build" "$OUT" "newly-vulnerable  owa.fabrikam.example"
expect_contains "diff: build of owa.fabrikam" "$OUT" "15.1.2507 -> 15.1.2507.6"
expect_contains "diff: gone" "$OUT" "gone              legacy.fabrikam.example"
expect_contains "diff: unreachable" "$OUT" "unreachable       mail.fabrikam.example"
expect_contains "diff: new host" "$OUT" "new-host          new.contoso.example"
expect_contains "diff: hunt findings between the runs" "$OUT" "hunt-finding      exch01.contoso.example"
expect_not_contains "diff: unchanged hosts stay quiet" "$OUT" "exch02.contoso.example         Contoso          15.2"
run ex diff 4 4
expect_eq "diff of a run with itself is empty" "$OUT" "changes from run 4 to run 4"
run ex diff 1 99
expect_eq "diff: unknown run is an error" "$RC" "3"
# Run 2 is the recorded hunt: it holds no host results, so comparing it as a scan
# would list every host as gone. (Regression: it did.)
run ex diff 1 2
expect_eq "diff: a hunt run is refused" "$RC" "3"
expect_contains "diff: says why" "$ERR" "run 2 is a hunt run"
expect_not_contains "diff: no bogus 'gone' for a hunt run" "$OUT" "gone"
# A scan run that holds no host (here: a recorded file with nothing readable)
# is skipped by the default diff: compared, every host would read "gone".
printf 'not json\n' >"$TMP/nothing.jsonl"
run ex record scan "$TMP/nothing.jsonl"
expect_eq "an empty recorded scan: run 5, exit 3" "$OUT/$RC" "run 5: 0 hosts recorded/3"
run ex diff
expect_contains "diff default skips the empty run" "$OUT" "changes from run 1 to run 4"
expect_contains "diff says which run it skipped" "$ERR" "skipping scan run 5 (done, 0 hosts)"
expect_not_contains "diff default: no bogus 'gone' from the empty run" "$OUT" "gone              exch02"

# --- kb update + rescore: which customers are hit by today's CVE? -----------------
# A synthetic "today's CVE" (CVE-2026-99999), fixed only in a new SE security
# update 15.2.2562.50: SE servers below it are hit, and so are Exchange 2019
# servers (same 15.2 line, no fix released for their CU); 2016 (15.1) is not.
mkdir -p "$TMP/kb2"
cp "$SRC"/data/kb/*.tsv "$TMP/kb2/"
sed -i 's/^version\t.*/version\t2026.09.08/; s/^date\t.*/date\t2026-09-08/' "$TMP/kb2/meta.tsv"
printf 'SE\tRTM\tSep26SU\t2026-09-08\t15.2.2562.50\tKB9999999\ttest fixture: synthetic security update\n' >>"$TMP/kb2/builds.tsv"
printf 'CVE-2026-99999\t\tSep26SU\tSE\tRTM\t15.2.2562.50\tsu\t\tconfirmed\ttest fixture: synthetic CVE\n' >>"$TMP/kb2/cves.tsv"
"$BUILD_DIR/kbgen" --bundle "$TMP/kb2" >"$TMP/kb2.bundle" 2>"$TMP/kbgen.err"
run "$EXAUDIT" kb update "$TMP/kb2.bundle"
expect_eq "kb update with the new bundle" "$RC" "0"
# Until rescored, the stored verdicts are those of the old knowledge base: the
# fleet view says so (regression: "hosts --cve" for the new CVE silently gave 0).
run ex hosts --cve CVE-2026-99999
expect_contains "before rescore: hosts warns that verdicts are stale" "$ERR" "assessed with a knowledge base older than 2026.09.08: run 'exaudit rescore'"
run ex rescore
expect_contains "rescore after kb update reports the change" "$ERR" "against knowledge base 2026.09.08"
run ex hosts --cve CVE-2026-99999
expect_contains "today's CVE hits the SE RTM server of Contoso" "$OUT" "EXCH02"
expect_contains "with its customer" "$OUT" "Contoso"
expect_contains "and the Exchange 2019 server (no fix for its CU)" "$OUT" "new.contoso.example"
expect_eq "and nothing else (2016 and the unreachable host are not hit)" "$(grep -c . <<<"$OUT")" "2"
expect_not_contains "after rescore: no stale warning" "$ERR" "older than"
run ex report --lang en
expect_contains "report after kb update: the installed knowledge base" "$OUT" "2026.09.08 (2026-09-08), installed update</td>"
expect_not_contains "report: no local bundle path in the customer's document" "$OUT" "$XDG_DATA_HOME"

# --- the default inventory on a fresh account ------------------------------------------
# No --db and no XDG_DATA_HOME: ~/.local/share/exaudit/inventory.db (XDG Base
# Directory default), created with every missing directory. Regression: a HOME
# without ~/.local failed with "cannot create the data directory".
mkdir -p "$TMP/freshhome"
run env -u XDG_DATA_HOME HOME="$TMP/freshhome" "$EXAUDIT" hosts add --customer Initech fresh.initech.example
expect_eq "default inventory on a fresh HOME: exit 0" "$RC" "0"
check "default inventory created under ~/.local/share/exaudit" test -s "$TMP/freshhome/.local/share/exaudit/inventory.db"
run env -u XDG_DATA_HOME HOME="$TMP/freshhome" "$EXAUDIT" hosts --customer Initech
expect_contains "default inventory is found again" "$OUT" "fresh.initech.example"

# --- hosts add / tag / rm -------------------------------------------------------------
run ex hosts add --customer Initech --tag new spare.initech.example
expect_eq "hosts add" "$RC" "0"
run ex hosts tag spare.initech.example dmz
# One server that was never hunted: singular, in both languages (regression:
# "1 Server wurden nicht untersucht"); Fabrikam's three take the plural.
run ex report --customer Initech --format md --lang de
expect_contains "de: one server not hunted (singular)" "$OUT" "1 Server wurde nicht untersucht: ob er kompromittiert wurde"
run ex report --customer Initech --format md --lang en
expect_contains "en: one server not hunted (singular)" "$OUT" "1 server was not hunted: whether it was compromised"
run ex report --customer Fabrikam --format md --lang de
expect_contains "de: three servers not hunted (plural)" "$OUT" "3 Server wurden nicht untersucht: ob sie kompromittiert wurden"
run ex hosts --tag dmz --json
expect_contains "hosts tag" "$OUT" '"tags":"dmz,new"'
run ex hosts rm spare.initech.example
run ex hosts --customer Initech
expect_eq "hosts rm" "$OUT" ""
run ex hosts rm nowhere.example
expect_eq "hosts rm of an unknown host fails" "$RC" "3"
run ex hosts add "bad$(printf '\001')host"
expect_eq "control characters in a target are refused" "$RC" "3"

# --- kill -9 in the middle of a recorded scan, then --resume ---------------------------
# The writer reads host records from a FIFO: after K records have been committed it
# is killed with SIGKILL; --resume then records the rest, none twice.
DB2="$TMP/crash.db"
scan_records "$FIX/fleet-a.txt" >"$TMP/a2.jsonl"
total=$(grep -c . "$TMP/a2.jsonl")
mkfifo "$TMP/fifo"
"$EXAUDIT" record scan --db "$DB2" "$TMP/fifo" >/dev/null 2>&1 &
writer=$!
exec 7>"$TMP/fifo"
head -n 4 "$TMP/a2.jsonl" >&7
committed=0
for _ in $(seq 600); do # wait for the condition (bounded), not for a time
    committed=$(sqlite3 "$DB2" "SELECT count(*) FROM results" 2>/dev/null || echo 0)
    [ "$committed" -ge 4 ] && break
    sleep 0.05
done
kill -9 "$writer"
wait "$writer" 2>/dev/null
exec 7>&-
expect_eq "before the kill: the 4 hosts sent are committed" "$committed" "4"
expect_eq "the killed run stays open" "$(sqlite3 "$DB2" "SELECT status FROM runs")" "running"
run "$EXAUDIT" record scan --db "$DB2" --resume "$TMP/a2.jsonl"
expect_contains "resume continues the run" "$OUT" "run 1: $((total - 4)) hosts recorded, 4 already recorded"
expect_eq "after resume: every host once" "$(sqlite3 "$DB2" "SELECT count(*), count(DISTINCT host_id) FROM results")" "$total|$total"
expect_eq "after resume: one run, done" "$(sqlite3 "$DB2" "SELECT count(*), max(status) FROM runs")" "1|done"

# --- GDPR draft for attempts against a vulnerable server ---------------------------------
# A ProxyLogon request (the HELSECERT line of logs-and-builds.md §3.1) against the
# Exchange 2013 CU23 server below Mar21SU 15.0.1497.12 (KB5000871; shared/reference/
# exchange-cve-fixes.tsv): it was exploitable while attacked, so a draft is due; but
# nothing shows a compromise, and the draft must not say there was one (regression: "signs of attack and compromise").
DB3="$TMP/attempt.db"
"$EXAUDIT" hosts import --db "$DB3" "$FIX/hosts.csv" >/dev/null
"$EXAUDIT" record scan --db "$DB3" "$TMP/a.jsonl" >/dev/null
python3 - "$FIX/hunt-proxylogon.json" >"$TMP/attempt.json" <<'PY'
import json, sys
src = json.load(open(sys.argv[1]))
f = next(f for f in src["findings"] if f["kind"] == "exploitation-attempt")
f["subject"] = "legacy.fabrikam.example"
print(json.dumps({"host": "legacy.fabrikam.example", "findings": [f]}))
PY
run "$EXAUDIT" record hunt --db "$DB3" "$TMP/attempt.json"
expect_eq "record an attempt on the vulnerable 2013 server" "$RC" "0"
expect_eq "record: one finding is singular" "$OUT" "run 2: hunt of legacy.fabrikam.example recorded, 1 finding"
run "$EXAUDIT" report --db "$DB3" --customer Fabrikam --format md --lang en
expect_contains "attempt on a vulnerable server: a draft" "$OUT" "Draft: notification of a personal data breach"
expect_contains "attempt: the reason" "$OUT" "exploitation attempts against a CVE the server was vulnerable to"
expect_contains "attempt: no compromise is claimed" "$OUT" "show signs of attack; a compromise cannot be excluded:"
expect_not_contains "attempt: not 'attack and compromise'" "$OUT" "signs of attack and compromise"
run "$EXAUDIT" report --db "$DB3" --customer Fabrikam --format md --lang de
expect_contains "attempt (de): no compromise is claimed" "$OUT" "Anzeichen eines Angriffs; eine Kompromittierung ist nicht auszuschließen:"

# --- record: input that is not what it claims ---------------------------------------------
# A hunt document that does not parse, or a hunt stream with a broken line, must
# not become a recorded hunt (regression: garbage was recorded as a hunt with 0
# findings, i.e. "nothing found", and a broken stream as a truncated hunt).
DB4="$TMP/garbage.db"
printf 'garbage{\n' >"$TMP/garbage.json"
run "$EXAUDIT" record hunt --db "$DB4" --host exch01.contoso.example "$TMP/garbage.json"
expect_eq "record hunt of garbage: exit 3" "$RC" "3"
expect_contains "record hunt of garbage: says so" "$ERR" "not the JSON output of exaudit hunt; nothing recorded"
expect_eq "record hunt of garbage: no hunt stored" "$(sqlite3 "$DB4" "SELECT count(*) FROM hunts")" "0"
python3 - "$FIX/hunt-proxylogon.json" >"$TMP/broken-stream.jsonl" <<'PY'
import json, sys
fs = json.load(open(sys.argv[1]))["findings"]
print(json.dumps(fs[0])); print('{"severity": "critical", "kind": "BROKEN-LINE'); [print(json.dumps(f)) for f in fs[1:]]
PY
run "$EXAUDIT" record hunt --db "$DB4" --host exch01.contoso.example "$TMP/broken-stream.jsonl"
expect_eq "record hunt of a broken stream: exit 3" "$RC" "3"
expect_eq "record hunt of a broken stream: no hunt stored" "$(sqlite3 "$DB4" "SELECT count(*) FROM hunts")" "0"
grep -v 'BROKEN-LINE' "$TMP/broken-stream.jsonl" >"$TMP/stream.jsonl"
run "$EXAUDIT" record hunt --db "$DB4" --host exch01.contoso.example "$TMP/stream.jsonl"
expect_contains "record hunt of the intact stream: all four findings" "$OUT" "recorded, 4 findings"
{ head -n 2 "$TMP/a.jsonl"; echo 'not json'; } >"$TMP/scan-broken.jsonl"
run "$EXAUDIT" record scan --db "$DB4" "$TMP/scan-broken.jsonl"
expect_eq "record scan with an unreadable line: exit 3" "$RC" "3"
expect_contains "record scan: the readable hosts are kept" "$OUT" "2 hosts recorded"
expect_contains "record scan: the unreadable line is reported" "$ERR" "1 unreadable line skipped"

# --- no draft after one clean hunt: the reason, in the singular ---------------------------
DB5="$TMP/clean.db"
"$EXAUDIT" hosts import --db "$DB5" "$FIX/hosts.csv" >/dev/null
"$EXAUDIT" record scan --db "$DB5" "$TMP/a.jsonl" >/dev/null
printf '{"host": "mail.fabrikam.example", "findings": []}\n' >"$TMP/clean-hunt.json"
run "$EXAUDIT" record hunt --db "$DB5" "$TMP/clean-hunt.json"
expect_eq "record a clean hunt" "$OUT" "run 2: hunt of mail.fabrikam.example recorded, 0 findings"
run "$EXAUDIT" report --db "$DB5" --customer Fabrikam --format md --lang en
expect_contains "one clean hunt: no draft, singular reason" "$OUT" "the compromise hunt recorded for 1 server found no compromise"
expect_contains "two servers not hunted: plural" "$OUT" "2 servers were not hunted"
# That hunt carried no log coverage: its "nothing found" must not read as evidence
# (regression: the server's section said nothing about it).
expect_contains "a hunt without log coverage is flagged" "$OUT" "The hunt read no dated log entry: that it found nothing says nothing about attacks."
run "$EXAUDIT" report --db "$DB5" --customer Fabrikam --format md --lang de
expect_contains "one clean hunt (de): singular" "$OUT" "der für 1 Server erfasste Kompromittierungs-Hunt fand keine Kompromittierung"

# --- a new inventory file is the owner's alone (it maps customers to vulnerable servers) ---
(umask 022 && "$EXAUDIT" hosts add --db "$TMP/private.db" --customer Initech private.initech.example >/dev/null)
expect_eq "a new inventory is created mode 600 whatever the umask" "$(stat -c %a "$TMP/private.db")" "600"
touch "$TMP/shared.db" && chmod 640 "$TMP/shared.db"
"$EXAUDIT" hosts add --db "$TMP/shared.db" --customer Initech shared.initech.example >/dev/null
expect_eq "an existing inventory keeps the mode it was given" "$(stat -c %a "$TMP/shared.db")" "640"

# --- diff, report and rescore never create an inventory (a mistyped --db must not report on an empty fleet) ---
for cmd in diff report rescore; do
    run "$EXAUDIT" $cmd --db "$TMP/typo-$cmd.db"
    expect_eq "$cmd on a missing inventory: exit 3" "$RC" "3"
    expect_contains "$cmd on a missing inventory: says so" "$ERR" "no inventory at $TMP/typo-$cmd.db"
    check "$cmd on a missing inventory: creates nothing" test ! -e "$TMP/typo-$cmd.db"
done
