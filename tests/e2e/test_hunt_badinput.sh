#!/bin/bash
# exaudit hunt on hostile evidence (the issue's "Bad input" list): a zip bomb,
# a path traversal entry, a symlink loop, unreadable files, a truncated EVTX,
# a CSV whose columns shift mid-file, a 100 MB line, UTF-16 and invalid UTF-8
# names. Each must give a clear finding or error, bounded memory, the rest
# still scanned, and nothing in the evidence changed (times included).
# Everything hostile is made here, by python3's zipfile and the shell.
. "$(dirname "$0")/lib.sh"

EV="$TMP/ev"
ROOT="$EV/C/Program Files/Microsoft/Exchange Server/V15"
HP="$ROOT/Logging/HttpProxy/Ecp"
mkdir -p "$HP" "$EV/C/inetpub/logs/LogFiles/W3SVC1" "$EV/C/Windows/System32/winevt/Logs"

# One real attack line (HELSECERT, logs-and-builds.md §3.1) in a good file: it must be found whatever else is broken.
HDR='#Fields: DateTime,RequestId,ClientIpAddress,UrlHost,UrlStem,RoutingHint,UserAgent,AnchorMailbox,HttpStatus'
ATTACK='2021-03-03T06:49:43.699Z,xxx,130.255.189.21,mail.xxx.no,/ecp/y.js,X-BEResource-Cookie,python-requests/2.25.1,ServerInfo~a]@servernavn.xxx.local:444/mapi/emsmdb/?#,200'
printf '%s\n%s\n' "$HDR" "$ATTACK" > "$HP/HttpProxy_2021030306-1.LOG"

# A 100 MB line, then the attack line: cut, reported, line numbers kept.
python3 - "$HP/HttpProxy_2021030307-1.LOG" "$HDR" "$ATTACK" <<'EOF'
import sys
with open(sys.argv[1], 'w') as f:
    f.write(sys.argv[2] + '\n')
    f.write('2021-03-03T07:00:00.000Z,' + 'A' * (100 << 20) + '\n')
    f.write(sys.argv[3] + '\n')
EOF

# Columns that shift mid-file (a field too many before AnchorMailbox).
printf '%s\n%s\n%s\n' "$HDR" \
  '2021-03-03T08:00:00.000Z,r1,1.2.3.4,mail,/owa/,,Mozilla,Smtp~a@b.c,200' \
  '2021-03-03T08:00:01.000Z,r2,EXTRA,1.2.3.4,mail,/ecp/y.js,X-BEResource-Cookie,python-requests/2.25.1,ServerInfo~a]@s:444/ecp/proxyLogon.ecp?#,241' \
  > "$HP/HttpProxy_2021030308-1.LOG"

# A symbolic link loop and a link out of the evidence.
ln -s loop "$ROOT/Logging/loop"
ln -s /etc "$ROOT/Logging/outside"

# An unreadable log (for root too, inside a user namespace: see below).
printf '%s\n%s\n' "$HDR" "$ATTACK" > "$HP/HttpProxy_2021030309-1.LOG"
chmod 000 "$HP/HttpProxy_2021030309-1.LOG"

# A truncated EVTX: a real file's first 5000 bytes.
head -c 5000 "$SRC/../shared/reference/evtx/om__MSExchange_Management_wec.evtx" \
  > "$EV/C/Windows/System32/winevt/Logs/MSExchange Management.evtx" 2>/dev/null ||
  head -c 5000 /dev/urandom > "$EV/C/Windows/System32/winevt/Logs/MSExchange Management.evtx"

# Names: invalid UTF-8 and UTF-16LE bytes (with a BOM) in IIS log names.
IISHDR='#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'
SHELL='2021-03-05 03:09:00 10.0.0.5 POST /owa/auth/zntwv.aspx - 443 - 130.255.189.21 antSword/v2.1 - 200 0 0 88'
printf '%s\n%s\n' "$IISHDR" "$SHELL" > "$EV/C/inetpub/logs/LogFiles/W3SVC1/$(printf 'u_ex21\xff\xfe.log')"
printf '%s\n%s\n' "$IISHDR" "$SHELL" > "$EV/C/inetpub/logs/LogFiles/W3SVC1/$(printf 'u_ex\xff\xfeu\x00.log' 2>/dev/null | tr -d '\0')"

# The triage zip: a bomb, a traversal entry, a name in UTF-16LE bytes, and a good log after all of them.
python3 - "$TMP/triage.zip" "$HDR" "$ATTACK" <<'EOF'
import sys, zipfile, zlib
out, hdr, attack = sys.argv[1:]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    with z.open('uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030300-1.LOG', 'w', force_zip64=True) as f:
        block = b'\0' * (1 << 20)
        for _ in range(400):          # 400 MiB of zeros, about 400 KB compressed
            f.write(block)
    z.writestr('../../../../tmp/exaudit-traversal.LOG', hdr + '\n' + attack + '\n')
    zi = zipfile.ZipInfo('uploads/auto/C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex' + '\ufffe\u0041' + '.log')
    z.writestr(zi, 'x')
    z.writestr('uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG',
               hdr + '\n' + attack + '\n')
EOF
cp "$TMP/triage.zip" "$EV/triage-copy.zip"

# Evidence times: atime set equal to mtime, so that any read under relatime would move it.
snapshot() {
    python3 - "$EV" <<'EOF'
import os, sys, hashlib
root = sys.argv[1]
for d, dirs, files in os.walk(root, followlinks=False):
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        st = os.lstat(p)
        h = '-'
        if os.path.isfile(p) and not os.path.islink(p) and st.st_mode & 0o444:
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NOATIME)
                m = hashlib.sha256()
                while True:
                    b = os.read(fd, 1 << 20)
                    if not b: break
                    m.update(b)
                os.close(fd)
                h = m.hexdigest()
            except PermissionError:
                pass
        print(repr(p), st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns, st.st_size, h)
EOF
}
python3 - "$EV" <<'EOF'
import os, sys
for d, dirs, files in os.walk(sys.argv[1], followlinks=False):
    for n in dirs + files:
        p = os.path.join(d, n)
        if not os.path.islink(p):
            st = os.lstat(p)
            os.utime(p, ns=(st.st_mtime_ns, st.st_mtime_ns), follow_symlinks=False)
EOF
snapshot > "$TMP/before"

# Root reads everything; inside a user namespace without mappings it loses the override and mode 000 holds.
RUNNER=()
if [ "$(id -u)" -eq 0 ] && unshare -U true 2>/dev/null; then RUNNER=(unshare -U); fi
/usr/bin/time -f '%M' -o "$TMP/rss" "${RUNNER[@]}" "$EXAUDIT" hunt --json --no-progress "$EV" "$TMP/triage.zip" \
  > "$TMP/out.jsonl" 2> "$TMP/err"
RC=$?
snapshot > "$TMP/after"

expect_eq "exit code 1: the planted attack lines were found" "$RC" "1"
check "every output line is valid JSON (names made valid UTF-8)" python3 -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8"): json.loads(l)' "$TMP/out.jsonl"
SUMMARY="$(tail -n 1 "$TMP/out.jsonl")"
FINDINGS="$(head -n -1 "$TMP/out.jsonl")"
SKIPS="$(jq -r '.skipped[] | "\(.path): \(.reason)"' <<<"$SUMMARY")"

expect_contains "zip bomb cut and reported" "$SKIPS" "decompression bomb"
expect_contains "path traversal entry reported, not read" "$SKIPS" "path traversal"
expect_contains "symlink loop reported" "$SKIPS" "symbolic link loop"
expect_contains "link out of the evidence not followed" "$SKIPS" "pointing outside the evidence"
if [ "${#RUNNER[@]}" -gt 0 ] || [ "$(id -u)" -ne 0 ]; then
    expect_contains "unreadable file reported" "$SKIPS" "Permission denied"
else
    echo "ok - unreadable file reported # SKIP root without user namespaces reads mode 000 files"
fi
expect_contains "100 MB line cut and reported" "$SKIPS" "line longer than 1 MiB"
expect_contains "shifted columns reported" "$SKIPS" "columns shifted"

n_attack=$(jq -r 'select(.id=="httpproxy.cve-2021-26855") | "\(.evidence.path):\(.evidence.line)"' <<<"$FINDINGS" | sort -u)
expect_contains "attack line in the good tree file found" "$n_attack" "Ecp/HttpProxy_2021030306-1.LOG:2"
expect_contains "attack line after the 100 MB line found, line number kept" "$n_attack" "HttpProxy_2021030307-1.LOG:3"
expect_contains "shifted row still recognised by its ServerInfo~ value" "$n_attack" "HttpProxy_2021030308-1.LOG:3"
zip_hits=$(jq -r 'select(.id=="httpproxy.cve-2021-26855" and (.evidence.sha256 != null)) | .evidence.path' <<<"$FINDINGS" | grep -c '^C:/Program Files/.*/Ecp/HttpProxy_2021030306-1.LOG$')
expect_eq "the zip's good entry after the bomb still read (tree + zip)" "$zip_hits" "2"
expect_not_contains "nothing read from the traversal entry" "$FINDINGS" "exaudit-traversal"
check "traversal entry not written anywhere" test ! -e /tmp/exaudit-traversal.LOG
shells=$(jq -r 'select(.id=="iis.webshell.request") | .evidence.path' <<<"$FINDINGS" | wc -l)
expect_eq "both oddly named IIS logs read" "$shells" "2"

rss_kb=$(tail -n 1 "$TMP/rss")
if [ "$rss_kb" -lt 131072 ]; then ok "peak memory bounded ($rss_kb KiB < 128 MiB)"; else fail "peak memory bounded" "$rss_kb KiB"; fi
if cmp -s "$TMP/before" "$TMP/after"; then ok "evidence unchanged: bytes, atime, mtime, ctime"
else fail "evidence unchanged: bytes, atime, mtime, ctime" "$(diff "$TMP/before" "$TMP/after" | head -20)"; fi
chmod 644 "$HP/HttpProxy_2021030309-1.LOG"
