#!/bin/bash
# exaudit build / kb from the command line: output forms, exit codes, stdin,
# colour rules, bundle updates from a file and a loopback URL.
. "$(dirname "$0")/lib.sh"

# --- exit codes (documented: 0 nothing, 1 vulnerable, 2 usage, 3 runtime) ---
run "$EXAUDIT" build 15.1.2176.2
expect_eq "vulnerable build exits 1" "$RC" 1
expect_contains "names the CU and security update" "$OUT" "Exchange Server 2016 CU19"
expect_contains "ProxyLogon line" "$OUT" "ProxyLogon"
run "$EXAUDIT" build 15.2.2562.46
expect_eq "current SE build exits 0" "$RC" 0
run "$EXAUDIT" build not-a-build
expect_eq "garbage exits 2" "$RC" 2
expect_contains "garbage gets a clear error" "$ERR" "not an Exchange build"
run "$EXAUDIT" build --bogus-option
expect_eq "unknown option exits 2" "$RC" 2
run "$EXAUDIT" frobnicate
expect_eq "unknown command exits 2" "$RC" 2
run "$EXAUDIT" build --help
expect_eq "build --help exits 0" "$RC" 0
expect_contains "build --help describes the forms" "$OUT" "Version 15.1 (Build 2176.9)"
run "$EXAUDIT" --help
expect_contains "top-level help lists exit codes" "$OUT" "Exit codes"
# runtime errors (exit 3): unreadable input, unwritable output
run "$EXAUDIT" build <"$TMP"
expect_eq "a directory on stdin exits 3" "$RC" 3
expect_contains "unreadable stdin is named as such" "$ERR" "cannot read standard input"
if [ -w /dev/full ]; then
    "$EXAUDIT" kb >/dev/full 2>/dev/null
    expect_eq "kb with a full disk on stdout exits 3" "$?" 3
fi

# --- the CU-only answer is "possibly", with the threshold named ---
run "$EXAUDIT" build 15.1.2176
expect_contains "CU-only build is possibly vulnerable" "$OUT" "possibly vulnerable: CU19"
expect_contains "CU-only names the first fixed build" "$OUT" "builds below 15.1.2176.9"
# The issue: for a CU-only build "vulnerable" is wrong; so is a family count that says "not patched".
expect_not_contains "CU-only family line claims no certain 'not patched'" "$OUT" "CVEs not patched"

# --- stdin, one per line, blank lines ignored, an overlong line is an error not a crash ---
{ echo "15.1.2176.9"; echo; echo "  Exchange/15.02.0858.002  "; head -c 5000 /dev/zero | tr '\0' 7; echo; echo "14.3.123.4"; } >"$TMP/in"
run "$EXAUDIT" build --json <"$TMP/in"
expect_eq "stdin gives one JSON line per input" "$(wc -l <<<"$OUT")" 4
check "every line is valid JSON" python3 -c '
import json,sys
for l in sys.stdin: json.loads(l)' <<<"$OUT"
expect_contains "overlong line reported" "$OUT" '"error":"line longer than 1023 bytes"'
line2="$(sed -n 2p <<<"$OUT")"
# X-ServerApplication and owaVer= carry component builds: samples 05/06 show 15.2.858.2
# on a 2019 CU9 server whose first build is 15.2.858.5 (remote-detection.md §1 V5/V6,
# §6.9). Like scan (docs/probes.md "Precision"), build takes only their CU.
check "X-ServerApplication form: CU 15.2.858 only, ProxyShell possibly" python3 -c '
import json,sys
j=json.loads(sys.argv[1]); b=j["build"]
assert b["version"]=="15.2.858" and b["version_long"]=="15.02.0858", b
assert b["precision"]=="cu" and b["cu"]=="CU9", b
assert {c["id"]:c for c in j["cves"]}["CVE-2021-34473"]["status"]=="possibly"
assert j["schema"]=="exaudit.host/1" and j["input"]=="  Exchange/15.02.0858.002  "' "$line2"
run "$EXAUDIT" build --json "owaVer=15.2.858.2"
check "owaVer= form: CU only" python3 -c '
import json,sys
b=json.loads(sys.argv[1])["build"]
assert b["version"]=="15.2.858" and b["precision"]=="cu", b' "$OUT"

# --- a list saved by Windows (Out-File -Encoding utf8) starts with a UTF-8 BOM, lines end in CRLF ---
printf '\xef\xbb\xbfVersion 15.1 (Build 2176.9)\r\n15.2.1544.4\r\n' >"$TMP/bom"
run "$EXAUDIT" build --json <"$TMP/bom"
check "BOM and CRLF: both builds parsed" python3 -c '
import json,sys
v=[json.loads(l)["build"]["version"] for l in sys.stdin]
assert v==["15.1.2176.9","15.2.1544.4"], v' <<<"$OUT"

# --- the JSON host record (docs/schema.md) ---
run "$EXAUDIT" build --json 15.1.2176
check "CU-only JSON: precision cu, no update, CVE possibly with fixed_in" python3 -c '
import json,sys
j=json.loads(sys.argv[1])
assert j["build"]["precision"]=="cu" and j["build"]["update"] is None and j["build"]["cu"]=="CU19"
c={x["id"]:x for x in j["cves"]}["CVE-2021-26855"]
assert c["status"]=="possibly" and c["fixed_in"]=="15.1.2176.9" and c["family"]=="ProxyLogon", c
assert j["support"]["status"]=="ended" and j["support"]["end"]=="2025-10-14"
assert any(r["kb"]=="KB5011155" for r in j["remediation"]), j["remediation"]
' "$OUT"

# --- colour only on a TTY, never with NO_COLOR ---
if command -v script >/dev/null; then
    tty_out="$(NO_COLOR= TERM=xterm script -qec "$EXAUDIT build 15.1.2176.2" /dev/null)"
    expect_contains "colour on a TTY" "$tty_out" $'\033['
    tty_out="$(NO_COLOR=1 TERM=xterm script -qec "$EXAUDIT build 15.1.2176.2" /dev/null)"
    expect_not_contains "no colour with NO_COLOR" "$tty_out" $'\033['
fi
run env -u NO_COLOR "$EXAUDIT" build 15.1.2176.2
expect_not_contains "no colour into a pipe" "$OUT" $'\033['

# --- kb: show, update from a file, refuse older/corrupt, update from a loopback URL ---
data="$TMP/data"
run "$EXAUDIT" kb --data "$data"
expect_contains "kb shows the built-in data" "$OUT" "from built-in"
bundle="$BUILD_DIR/kb.bundle"
resign() {  # bundle, new version -> stdout
    python3 - "$1" "$2" <<'PY'
import hashlib,sys
t=open(sys.argv[1],"rb").read().decode()
body=t[:t.rindex("#sha256\t")]
body="".join(("version\t%s\n"%sys.argv[2]) if l.startswith("version\t") else l for l in body.splitlines(True))
sys.stdout.write(body+"#sha256\t"+hashlib.sha256(body.encode()).hexdigest()+"\n")
PY
}
resign "$bundle" 2099.01.01 >"$TMP/newer.bundle"
resign "$bundle" 2001.01.01 >"$TMP/older.bundle"
# A --data DIR without a bundle (a typo, an unmounted share) is said, not silently replaced by the built-in data.
run "$EXAUDIT" build --data "$TMP/no-such-dir" 15.1.2176.9
expect_contains "--data without a bundle: warned" "$ERR" "no knowledge-base bundle in $TMP/no-such-dir"
mkdir -p "$TMP/old-data" && cp "$TMP/older.bundle" "$TMP/old-data/kb.bundle"
run "$EXAUDIT" build --data "$TMP/old-data" 15.1.2176.9
expect_contains "--data with a bundle older than the built-in one: warned" "$ERR" "(2001.01.01) is older than the built-in"
run env XDG_DATA_HOME="$TMP/empty-xdg" "$EXAUDIT" build 15.1.2176.9
expect_eq "no --data and no bundle installed: no warning" "$ERR" ""
run "$EXAUDIT" kb --data "$data" update "$TMP/older.bundle"
expect_eq "older bundle refused (exit 3)" "$RC" 3
expect_contains "older bundle: says why" "$ERR" "older"
check "older bundle left nothing behind" test ! -e "$data/kb.bundle"
run "$EXAUDIT" kb --data "$data" update "$TMP/newer.bundle"
expect_eq "newer bundle installed" "$RC" 0
run "$EXAUDIT" kb --data "$data"
expect_contains "kb now shows the installed bundle" "$OUT" "2099.01.01"
cp "$TMP/newer.bundle" "$TMP/corrupt.bundle"
printf 'x' | dd of="$TMP/corrupt.bundle" bs=1 seek=5000 conv=notrunc 2>/dev/null
sum_before="$(sha256sum "$data/kb.bundle")"
run "$EXAUDIT" kb --data "$data" update "$TMP/corrupt.bundle"
expect_eq "corrupt bundle refused" "$RC" 3
expect_eq "corrupt bundle changed nothing" "$(sha256sum "$data/kb.bundle")" "$sum_before"
run "$EXAUDIT" kb --data "$data" update "file://$TMP/newer.bundle"
expect_eq "file:// URL accepted" "$RC" 0
port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
(cd "$TMP" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
srv=$!
for _ in $(seq 50); do python3 -c "import socket;socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done
resign "$bundle" 2099.02.02 >"$TMP/url.bundle"
run "$EXAUDIT" kb --data "$data" update "http://127.0.0.1:$port/url.bundle"
expect_eq "http URL on loopback installed" "$RC" 0
run "$EXAUDIT" kb --data "$data" update "http://127.0.0.1:$port/missing.bundle"
expect_eq "404 URL is a runtime error" "$RC" 3
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
run "$EXAUDIT" kb --data "$data"
expect_contains "URL bundle in use" "$OUT" "2099.02.02"
run "$EXAUDIT" build --data "$data" --json 15.1.2176.9
expect_contains "build uses the installed bundle" "$OUT" '"version":"2099.02.02"'
# "older than the one in use" means the installed bundle, not only the built-in tables
sum_before="$(sha256sum "$data/kb.bundle")"
run "$EXAUDIT" kb --data "$data" update "$TMP/newer.bundle"
expect_eq "bundle older than the installed one refused" "$RC" 3
expect_eq "refused bundle changed nothing" "$(sha256sum "$data/kb.bundle")" "$sum_before"

# --- without --data: $XDG_DATA_HOME/exaudit, else ~/.local/share/exaudit ---
run env XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/home" "$EXAUDIT" kb update "$TMP/newer.bundle"
expect_eq "kb update into XDG_DATA_HOME" "$RC" 0
check "bundle installed under XDG_DATA_HOME/exaudit" test -s "$TMP/xdg/exaudit/kb.bundle"
run env XDG_DATA_HOME="$TMP/xdg" HOME="$TMP/home" "$EXAUDIT" kb
expect_contains "kb reads XDG_DATA_HOME" "$OUT" "2099.01.01"
run env -u XDG_DATA_HOME HOME="$TMP/home" "$EXAUDIT" kb update "$TMP/newer.bundle"
check "without XDG_DATA_HOME: ~/.local/share/exaudit" test -s "$TMP/home/.local/share/exaudit/kb.bundle"

# --- the man page renders ---
if command -v man >/dev/null; then
    check "man page renders" bash -c "MANWIDTH=80 man -l '$SRC/docs/exaudit.1' 2>&1 | grep -q 'EXIT STATUS'"
fi
