#!/bin/bash
# mkevidence: determinism, log formats, EVTX read back by libevtx's evtxexport,
# ground truth pointing at real lines, triage-zip layouts.
# Expected formats come from the field notes (logs-and-builds.md §3, the
# reference EVTX samples), re-typed here, never from the generator's tables.
. "$(dirname "$0")/lib.sh"
MK="$BUILD_DIR/mkevidence"
CHECK="$SRC/tests/e2e/mkevidence_check.py"
[ -x "$MK" ] || { fail "mkevidence built" "missing $MK"; exit 0; }

gen() { # dir truth args...
    local out="$1" truth="$2"; shift 2
    "$MK" --out "$out" --truth "$truth" --quiet "$@"
}

# --- determinism: the same arguments give the same bytes and file times ------------------------
gen "$TMP/a" "$TMP/a.json" --scenario proxylogon-oab-webshell --size 3M --seed 7
gen "$TMP/b" "$TMP/b.json" --scenario proxylogon-oab-webshell --size 3M --seed 7
listing() { (cd "$1" && { find . -type f -printf '%P\tf\t%s\t%T@\n'; find . -type d -printf '%P\td\t%T@\n'; } | LC_ALL=C sort); }
check "determinism: same files, directories, sizes and times" diff <(listing "$TMP/a") <(listing "$TMP/b")
check "determinism: same bytes" diff -r "$TMP/a" "$TMP/b"
check "determinism: same ground truth" cmp "$TMP/a.json" "$TMP/b.json"
gen "$TMP/c" "$TMP/c.json" --scenario proxylogon-oab-webshell --size 3M --seed 8
if diff -rq "$TMP/a" "$TMP/c" >/dev/null; then fail "another seed gives other traffic"; else ok "another seed gives other traffic"; fi

# --- formats and ground truth of every scenario -------------------------------------------------
for s in clean scanned-only proxylogon-oab-webshell proxyshell-pst-webshell proxynotshell compiled-webshell-only; do
    if [ "$s" = proxylogon-oab-webshell ]; then d="$TMP/a"; t="$TMP/a.json"; else
        d="$TMP/s-$s"; t="$TMP/s-$s.json"; gen "$d" "$t" --scenario "$s" --size 2M; fi
    check "$s: formats and ground truth" python3 "$CHECK" tree "$d" "$t"
done

# --- the size asked for is reached ------------------------------------------------------------------
run python3 "$CHECK" logbytes "$TMP/s-clean"
if [ "$RC" -eq 0 ] && [ "$OUT" -ge $((2 * 1024 * 1024)) ] && [ "$OUT" -lt $((3 * 1024 * 1024)) ]; then
    ok "--size 2M gives at least 2 MiB of logs ($OUT bytes)"
else fail "--size 2M gives at least 2 MiB of logs" "got $OUT ($ERR)"; fi

# --- the fix installed before the attack: attempts only ----------------------------------------
gen "$TMP/p" "$TMP/p.json" --scenario proxylogon-oab-webshell --size 2M --patched-on 2021-03-01
check "patched before the attack: formats and ground truth" python3 "$CHECK" tree "$TMP/p" "$TMP/p.json"
check "patched before the attack: no success, no web shell" python3 "$CHECK" only-attempts "$TMP/p.json"
gen "$TMP/n" "$TMP/n.json" --scenario proxylogon-oab-webshell --size 2M --patched-on never
check "never patched: ExSetup.exe keeps the vulnerable build" python3 "$CHECK" exsetup "$TMP/n" 15.1.2176.2
check "patched in the window: ExSetup.exe carries Mar21SU" python3 "$CHECK" exsetup "$TMP/a" 15.1.2176.9
if command -v objdump >/dev/null; then
    run objdump -p "$TMP/a/C/Program Files/Microsoft/Exchange Server/V15/Bin/ExSetup.exe"
    expect_contains "binutils reads ExSetup.exe as PE32+" "$OUT" "file format pei-x86-64"
    expect_contains "binutils finds the RT_VERSION resource" "$OUT" "Entry: ID: 0x000010"
fi

# --- Exchange 2013 layout and a moved install root ------------------------------------------------
gen "$TMP/e13" "$TMP/e13.json" --scenario proxylogon-oab-webshell --size 2M --build 15.0.1497.2 \
    --install-root 'D:\Exchange Server\V15\'
check "2013 build under D:\\Exchange Server: formats and ground truth" python3 "$CHECK" tree "$TMP/e13" "$TMP/e13.json"
check "2013 build: HttpProxy without UrlHost and RoutingType" python3 "$CHECK" layout2013 "$TMP/e13"
run python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["install_root"])' "$TMP/e13.json"
expect_eq "install root in the ground truth" "$OUT" "D:/Exchange Server/V15"

# --- EVTX: every record read back by evtxexport equals the XML and CSV forms -----------------------
if command -v evtxexport >/dev/null; then
    gen "$TMP/x" "$TMP/x.json" --scenario proxyshell-pst-webshell --size 1M --evtx xml
    gen "$TMP/v" "$TMP/v.json" --scenario proxyshell-pst-webshell --size 1M --evtx csv
    gen "$TMP/y" "$TMP/y.json" --scenario proxyshell-pst-webshell --size 1M
    check "evtx: every record equals its wevtutil XML form" python3 "$CHECK" evtx-vs-xml "$TMP/y" "$TMP/x"
    check "evtx: every record equals its EvtxECmd CSV form" python3 "$CHECK" evtx-vs-csv "$TMP/y" "$TMP/v"
    check "xml form: formats and ground truth" python3 "$CHECK" tree "$TMP/x" "$TMP/x.json"
    check "csv form: formats and ground truth" python3 "$CHECK" tree "$TMP/v" "$TMP/v.json"
    check "evtxinfo: no corruption" python3 "$CHECK" evtxinfo "$TMP/y"
else
    fail "evtxexport installed (libevtx-utils)"
fi

# --- triage zips ---------------------------------------------------------------------------------------
"$MK" --out "$TMP/k.zip" --layout kape-zip --scenario proxynotshell --size 1M --truth "$TMP/k.json" --quiet
"$MK" --out "$TMP/k2.zip" --layout kape-zip --scenario proxynotshell --size 1M --truth "$TMP/k2.json" --quiet
check "kape-zip: deterministic" cmp "$TMP/k.zip" "$TMP/k2.zip"
check "kape-zip: layout and content" python3 "$CHECK" zip kape "$TMP/k.zip" "$TMP/k.json"
"$MK" --out "$TMP/r.zip" --layout velociraptor-zip --scenario proxyshell-pst-webshell --size 1M --truth "$TMP/r.json" \
    --quiet
check "velociraptor-zip: layout and content" python3 "$CHECK" zip velociraptor "$TMP/r.zip" "$TMP/r.json"
check "velociraptor-zip: no temporary tree left" bash -c "! ls -d '$TMP'/.mkevidence.* 2>/dev/null"

run "$MK" --out "$TMP/a" --size 1M --quiet
expect_eq "refused: an output directory that is not empty" "$RC" 2

# --- bad arguments are refused ------------------------------------------------------------------------
for bad in "--scenario nope" "--size 12Q" "--from 2021-13-01" "--build 15.1.x" "--install-root relative/path" \
           "--layout tar" "--evtx json" "--from 2021-03-05 --to 2021-03-01" "--from 2021-02-30" \
           "--from 2020-01-01 --to 2021-06-01" "--patched-on yesterday"; do
    # shellcheck disable=SC2086
    run "$MK" --out "$TMP/bad" $bad
    expect_eq "refused: $bad" "$RC" 2
done
