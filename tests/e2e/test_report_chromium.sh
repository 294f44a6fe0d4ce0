#!/bin/bash
# The HTML report in a real browser (Debian's chromium, headless): no console
# errors, no request leaves the page, a sane print layout (A4, the title page,
# then a page per server), a screenshot, and a PDF whose text holds the key
# sections in German and in English (pdftotext).
# Detectors are proven first on a control page that does load an image and
# does log a console error: a check that cannot fail proves nothing.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] || ! command -v pdftotext >/dev/null; then
    echo "ok - report in chromium # SKIP chromium or poppler-utils not installed (scripts/install-deps.sh --test)"
    exit 0
fi

FIX="$SRC/tests/fixtures/inventory"
export EXAUDIT_TODAY=2026-09-01 XDG_DATA_HOME="$TMP/xdg"
DB="$TMP/inv.db"
builds=$(grep -v '^#' "$FIX/fleet-a.txt" | cut -d'|' -f2 | grep -v '^-$')
# shellcheck disable=SC2086
"$EXAUDIT" build --json $builds | python3 "$FIX/mkfleet.py" "$FIX/fleet-a.txt" >"$TMP/a.jsonl"
"$EXAUDIT" hosts import --db "$DB" "$FIX/hosts.csv" >/dev/null
"$EXAUDIT" record scan --db "$DB" "$TMP/a.jsonl" >/dev/null
"$EXAUDIT" record hunt --db "$DB" "$FIX/hunt-proxylogon.json" >/dev/null
"$EXAUDIT" report --db "$DB" --lang de -o "$TMP/report-de.html" 2>/dev/null
"$EXAUDIT" report --db "$DB" --lang en -o "$TMP/report-en.html" 2>/dev/null

# Flags as in the machine notes; every name resolves to nothing and every
# connection would go to a closed loopback port: nothing can leave this host.
browse() { # html, extra args...: stderr in $TMP/chromium.err, net log in $TMP/net.json
    local html="$1"; shift
    rm -rf "$TMP/profile"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$TMP/profile" --enable-logging=stderr --v=0 \
        --proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND" \
        --log-net-log="$TMP/net.json" "$@" "file://$html" >"$TMP/chromium.out" 2>"$TMP/chromium.err"
}
# Requests made by the page (the browser's own update checks have no page origin).
page_requests() {
    python3 - "$TMP/net.json" <<'PY'
import json, sys
try:
    log = json.load(open(sys.argv[1]))
except ValueError:  # chromium may leave the closing brackets off when killed
    text = open(sys.argv[1]).read().rstrip().rstrip(',')
    log = json.loads(text + ']}')
seen = set()
for e in log.get("events", []):
    p = e.get("params", {})
    if "url" in p and (p.get("initiator", "not an origin") != "not an origin"
                       or str(p.get("network_isolation_key", "")).startswith("file:")):
        seen.add(p["url"])
print("\n".join(sorted(seen)))
PY
}
console_errors() { grep -E 'CONSOLE|Refused to|Content.Security.Policy' "$TMP/chromium.err" || true; }

cat >"$TMP/control.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<img src="http://report-test.invalid/pixel.png"><script>console.error("control error")</script></body></html>
HTML
browse "$TMP/control.html" --screenshot="$TMP/control.png"
expect_contains "control: the net-log detector sees a page request" "$(page_requests)" "report-test.invalid"
expect_contains "control: the console detector sees a console error" "$(console_errors)" "control error"

for lang in de en; do
    html="$TMP/report-$lang.html"
    browse "$html" --screenshot="$TMP/report-$lang.png" --window-size=1000,1400
    expect_eq "$lang: no request leaves the page" "$(page_requests)" ""
    expect_eq "$lang: no console errors" "$(console_errors)" ""
    size=$(stat -c %s "$TMP/report-$lang.png" 2>/dev/null || echo 0)
    check "$lang: screenshot taken ($size bytes)" test "$size" -gt 20000
    browse "$html" --print-to-pdf="$TMP/report-$lang.pdf" --no-pdf-header-footer
    check "$lang: PDF printed" test -s "$TMP/report-$lang.pdf"
    info=$(pdfinfo "$TMP/report-$lang.pdf" 2>/dev/null)
    expect_contains "$lang: A4 pages" "$info" "(A4)"
    pages=$(awk '/^Pages:/ {print $2}' <<<"$info")
    # title + summary/GDPR + 7 servers (a page each at least) + methods
    check "$lang: at least 10 pages ($pages)" test "${pages:-0}" -ge 10
    # Reading order, line breaks folded: a phrase may wrap in the PDF.
    pdftotext "$TMP/report-$lang.pdf" - | tr -s ' \n' '  ' >"$TMP/report-$lang.txt"
    # Each server section starts at the top of a page (break-before: page).
    starts=0
    for p in $(seq 1 "${pages:-0}"); do
        first=$(pdftotext -f "$p" -l "$p" "$TMP/report-$lang.pdf" - | grep -m1 -v '^\s*$')
        case "$first" in EXCH01*|EXCH02*|MAIL-FAB*|LEGACY*|owa.fabrikam*|vpn.contoso*|outlook.contoso*) starts=$((starts + 1)) ;; esac
    done
    expect_eq "$lang: every server starts on its own page" "$starts" "7"
done

de=$(cat "$TMP/report-de.txt")
for s in "Exchange-Sicherheitsbericht" "Zusammenfassung für die Leitung" "Die drei dringendsten Maßnahmen" \
         "DSGVO Art. 33" "Zeitpunkt der Kenntnis" "Meldefrist (72 Stunden nach Kenntnis)" "keine Rechtsberatung" \
         "Dokumentationspflicht (Art. 33 Abs. 5)" "Art. 34" "Identität" "Build und Support" "Update-Pfad" \
         "Hunt-Befunde" "Log-Abdeckung und Expositionsfenster" "Anhang: Methoden und Grenzen" "CVE-2021-26855" \
         "KB5000871"; do
    expect_contains "de PDF: $s" "$de" "$s"
done
en=$(cat "$TMP/report-en.txt")
for s in "Exchange security report" "Executive summary" "The three most urgent actions" \
         "Draft: notification of a personal data breach" "Time of awareness" "Notification deadline" \
         "not legal advice" "Identity" "Build and support" "Update path" "Hunt findings" \
         "Log coverage and exposure window" "Appendix: methods and limits" "RedirSuiteServerProxy.aspx"; do
    expect_contains "en PDF: $s" "$en" "$s"
done
