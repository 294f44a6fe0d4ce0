#!/bin/bash
# exaudit-lab end to end: start the fleet on loopback, check with curl (and nmap's
# own NTLM decoder) that representative personas answer as the field notes say
# (../shared/docs/remote-detection.md, logs-and-builds.md), that the manifest is
# consistent and deterministic, that hostile personas misbehave for real, and that
# the lab stops cleanly. Every address is in 127.0.0.0/8.
. "$(dirname "$0")/lib.sh"

LAB="$BUILD_DIR/exaudit-lab"
[ -x "$LAB" ] || { fail "lab binary built" "missing $LAB"; exit 1; }
CURL=(curl -sk --max-time 5 --noproxy '*')
HOSTS=2000

. "$SRC/tests/lab/start-lab.sh"
start_lab() { LAB_BIN="$LAB" lab_start "$@"; PORT=$LAB_PORT; }

start_lab "$TMP/a" --hosts $HOSTS --seed 11
A_PID=$LAB_PID
trap 'kill -TERM $A_PID 2>/dev/null; rm -rf "$TMP"' EXIT
M="$TMP/a/manifest.jsonl"
check "lab starts and writes its ready file" test -n "$PORT"
expect_eq "first stdout line names the port" "$(head -1 "$TMP/a/stdout")" "port $PORT"

# ---- manifest -------------------------------------------------------------------------------------
"$LAB" --list-personas | cut -f1 | sort >"$TMP/personas"
python3 - "$M" "$TMP/personas" "$PORT" >"$TMP/mcheck" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
personas = set(open(sys.argv[2]).read().split())
port = int(sys.argv[3])
ips = [r["ip"] for r in rows]
print("lines", len(rows))
print("unique", len(set(ips)) == len(ips))
print("first_last", ips[0], ips[-1])
print("ports", all(r["port"] == port for r in rows))
missing = personas - set(r["persona"] for r in rows)
print("missing", ",".join(sorted(missing)) or "none")
bad = []
for r in rows:
    ex = r["exchange"]
    if ex != "onprem" and r["cves"]:
        bad.append(r["ip"] + " non-Exchange with CVEs")
    if r["hostile"] and ex != "unknown":
        bad.append(r["ip"] + " hostile not unknown")
    if ex == "onprem":
        if set(r["cves"]) != {"CVE-2021-26855", "CVE-2021-34473", "CVE-2021-33766", "CVE-2022-41040", "CVE-2022-41080"}:
            bad.append(r["ip"] + " CVE set")
        tb = r["true_build"]
        for p, vb in ((r["precision"], r["visible_build"]), (r["precision_passive"], r["visible_build_passive"])):
            if p == "su" and vb != tb: bad.append(r["ip"] + " su visible != true")
            if p == "cu" and (vb is None or not tb.startswith(vb + ".") or vb.count(".") != 2): bad.append(r["ip"] + " cu visible")
            if p == "none" and vb is not None: bad.append(r["ip"] + " none visible")
        # Probes can only add a build where none was visible (owaVer= on hidden hosts).
        if (r["precision"], r["visible_build"]) != (r["precision_passive"], r["visible_build_passive"]) and \
                (r["precision_passive"] != "none" or not r["persona"].endswith("-hidden")):
            bad.append(r["ip"] + " probes changed a visible build")
        for cve, t in r["cves"].items():
            if t["truth"] == "mitigated" and not r["mitigation"]: bad.append(r["ip"] + " mitigated without mitigation")
            if r["precision_passive"] == "none" and t["expect_passive"] is not None: bad.append(r["ip"] + " passive without build")
            if t["truth"] == "not-applicable" and (t["expect"] or t["expect_passive"]): bad.append(r["ip"] + " n/a expected")
print("bad", "; ".join(bad[:5]) or "none")
EOF
expect_contains "manifest has one line per host" "$(cat "$TMP/mcheck")" "lines $HOSTS"
expect_contains "manifest addresses are unique" "$(cat "$TMP/mcheck")" "unique True"
expect_contains "manifest spans 127.1.0.0 .. 127.1.7.207" "$(cat "$TMP/mcheck")" "first_last 127.1.0.0 127.1.7.207"
expect_contains "manifest carries the port" "$(cat "$TMP/mcheck")" "ports True"
expect_contains "every persona is in 2,000 hosts" "$(cat "$TMP/mcheck")" "missing none"
expect_contains "manifest rows are consistent (precision, CVEs, hostile)" "$(cat "$TMP/mcheck")" "bad none"

# Helpers over the manifest: first host of a persona (optionally without a quirk), a field of it.
host_of() {  # persona [quirk-to-avoid]
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["persona"] == sys.argv[2] and (len(sys.argv) < 4 or sys.argv[3] not in r["quirks"]):
        print(r["ip"]); break' "$M" "$@"
}
field() {  # ip key
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["ip"] == sys.argv[2]:
        v = r
        for k in sys.argv[3].split("."): v = v[k]
        print(v); break' "$M" "$1" "$2"
}
headers() { "${CURL[@]}" -D - -o /dev/null "$@" | tr -d '\r'; }

# ---- V1/V2: a 2019 CU9 like samples 02/03 -----------------------------------------------------------
H=$(host_of e2019-cu9 x-owa-version-on-owa-302)
R=$(headers "https://$H:$PORT/owa/")
expect_contains "/owa/ answers 302 to logon.aspx (sample 02)" "$R" "Location: https://$H:$PORT/owa/auth/logon.aspx?url=https%3a%2f%2f"
expect_contains "/owa/ 302 carries X-FEServer (sample 02)" "$R" "X-FEServer:"
expect_not_contains "/owa/ 302 has no X-OWA-Version on a CU9 (sample 02)" "${R,,}" "x-owa-version"
BODY=$("${CURL[@]}" -D "$TMP/h" "https://$H:$PORT/owa/auth/logon.aspx")
expect_contains "logon page shows the CU path (sample 03)" "$BODY" 'href="/owa/auth/15.2.858/themes/resources/favicon.ico"'
expect_contains "logon page has the OwaPage marker" "$BODY" "<!-- OwaPage = ASP.auth_logon_aspx -->"
expect_contains "logon page has the FBA GUID" "$BODY" "{57A118C6-2DA9-419d-BE9A-F92B0F9A418B}"
expect_not_contains "logon page 200 has no X-OWA-Version (sample 03)" "$(tr 'A-Z' 'a-z' <"$TMP/h")" "x-owa-version"
expect_not_contains "logon page 200 has no X-FEServer (RD §4)" "$(tr 'A-Z' 'a-z' <"$TMP/h")" "x-feserver"
R=$(headers "https://$H:$PORT/ews/exchange.asmx")
expect_contains "EWS 401 carries the exact build" "${R,,}" "x-owa-version: 15.2.858.5"
expect_contains "EWS 401 offers NTLM" "$R" "WWW-Authenticate: NTLM"

# ---- CU-only: the contract's example persona --------------------------------------------------------
H=$(host_of e2016-cu19-feb21su-cuonly)
expect_eq "CU-only persona's visible build is the CU" "$(field "$H" visible_build)" "15.1.2176"
for p in /owa/service /ews/exchange.asmx /Microsoft-Server-ActiveSync /autodiscover/autodiscover.xml; do
    R=$(headers "https://$H:$PORT$p")
    expect_not_contains "CU-only persona hides the build on $p" "$R" "15.1.2176.4"
done
# V3: the export-tool manifest carries the CU release (15.1.2176.2), not the installed SU.
"${CURL[@]}" -o "$TMP/et" "https://$H:$PORT/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
expect_eq "export tool names the CU release build, three times (RD §1.3)" \
    "$(grep -o 'version="15[^"]*"' "$TMP/et" | sort | uniq -c | tr -s ' ')" ' 3 version="15.1.2176.2"'
SIZE=$(wc -c <"$TMP/et")
check "export tool manifest is 15-17 KB like samples 12/13 ($SIZE bytes)" test "$SIZE" -gt 15000 -a "$SIZE" -lt 17500
expect_contains "Metasploit's export-tool regex matches" "$(cat "$TMP/et")" 'name="microsoft.exchange.ediscovery.exporttool" version="15.1.2176.2"'

# ---- Exchange 2010: 4-part build in the OWA path, no X-FEServer ------------------------------------------
H=$(host_of e2010-sp3-ru30)
BODY=$("${CURL[@]}" "https://$H:$PORT/owa/auth/logon.aspx")
expect_contains "2010 logon page has the 4-part build path" "$BODY" "/owa/14.3.496.0/themes/resources/"
R=$(headers "https://$H:$PORT/owa/")
expect_not_contains "2010 has no X-FEServer (3gstudent)" "${R,,}" "x-feserver"

# ---- ProxyLogon probe (RD §2.1) --------------------------------------------------------------------------
PL=(-H 'Cookie: X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;')
R=$(headers "${PL[@]}" "https://$(host_of e2016-cu19):$PORT/owa/auth/x.js")
expect_contains "vulnerable 2016 CU19: X-CalculatedBETarget localhost" "$R" "X-CalculatedBETarget: localhost"
R=$(headers "${PL[@]}" "https://$(host_of e2016-cu19-mar21su):$PORT/owa/auth/x.js")
expect_not_contains "2016 CU19 Mar21SU: no SSRF" "$R" "X-CalculatedBETarget"
H=$(host_of e2016-cu19-eomt)
"${CURL[@]}" "${PL[@]}" -o /dev/null "https://$H:$PORT/owa/auth/x.js"; RC=$?
check "EOMT aborts the trigger without an HTTP answer (curl 52/56: $RC)" test "$RC" -eq 56 -o "$RC" -eq 52
R=$(headers "https://$H:$PORT/owa/auth/logon.aspx")
expect_contains "EOMT host serves requests without the cookie" "$R" "HTTP/1.1 200 OK"

# ---- ProxyShell probes (RD §2.2) -------------------------------------------------------------------------
PS='/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com'
PSM='/autodiscover/autodiscover.json?@test.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@test.com'
H=$(host_of e2019-cu9)
R=$(headers "https://$H:$PORT$PS")
expect_contains "vulnerable 2019 CU9: errorfe 302 (sample 05)" "$R" "Location: /owa/auth/errorfe.aspx?"
expect_contains "errorfe carries OwaADUserNotFoundException and owaVer=15.2.858.2 (sample 05)" "$R" \
    "OwaADUserNotFoundException&owaVer=15.2.858.2&"
BODY=$("${CURL[@]}" "https://$H:$PORT$PSM")
expect_contains "MAPI page reached as SYSTEM (sample 06)" "$BODY" "<title>Exchange MAPI/HTTP Connectivity Endpoint</title>"
expect_contains "MAPI page shows the component build (sample 06)" "$BODY" "Version: 15.2.858.2"
R=$(headers "https://$(host_of e2019-cu9-apr21su):$PORT$PS")
check "Apr21SU: 400 or 401, no redirect (GossiTheDog, #11)" grep -qE '^HTTP/1.1 40[01]' <<<"$R"

# A 401 to the ProxyShell probe (GossiTheDog #11) decides nothing (RD §6.4): on a patched host that
# shows its CU only, the manifest expects what the CU alone says.
H=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["precision"] == "cu" and "proxyshell-patched-401" in r["quirks"] and r["cves"]["CVE-2021-34473"]["truth"] == "patched":
        print(r["ip"]); break' "$M")
R=$(headers "https://$H:$PORT$PS")
expect_contains "proxyshell-patched-401 host answers the probe with 401" "$R" "HTTP/1.1 401"
expect_eq "... and the manifest expects the CU-only status for it" "$(field "$H" cves.CVE-2021-34473.expect)" \
    "$(field "$H" cves.CVE-2021-34473.expect_passive)"

H=$(host_of e2016-cu19-hidden)
R=$(headers "https://$H:$PORT$PS")
expect_contains "hidden 2016 CU19: ProxyShell still answers through Autodiscover" "$R" "OwaADUserNotFoundException"
OWAVER=$(sed -n 's/.*[?&]owaVer=\([0-9.]*\).*/\1/p' <<<"$R")
expect_eq "hidden: with probes the visible build is the CU of owaVer= ($OWAVER, RD §1 V5)" \
    "$(field "$H" visible_build) $(field "$H" precision)" "${OWAVER%.*} cu"
expect_eq "hidden: without probes no build is visible" \
    "$(field "$H" visible_build_passive) $(field "$H" precision_passive)" "None none"
R=$(headers "${PL[@]}" "https://$H:$PORT/owa/auth/x.js")
expect_contains "hidden: /owa is not published, the ProxyLogon probe meets a 404" "$R" "HTTP/1.1 404"
expect_eq "hidden: ProxyLogon expects what CU19 alone says (as on a CU-only host)" \
    "$(field "$H" cves.CVE-2021-26855.expect)" "$(field "$(host_of e2016-cu19-cuonly)" cves.CVE-2021-26855.expect_passive)"
R=$(headers "https://$H:$PORT/ews/exchange.asmx")
expect_contains "hidden: EWS 401 still marks Exchange with X-FEServer" "${R,,}" "x-feserver:"
expect_not_contains "hidden: ... but shows no build" "$R" "15.1.2176"

# ---- EOMTv2 (LB §6.2) -------------------------------------------------------------------------------------
H=$(host_of e2019-cu12-aug22su-eomtv2)
"${CURL[@]}" -o /dev/null "https://$H:$PORT/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ&FooProtocol=%50owershell"; RC=$?
check "EOMTv2 aborts autodiscover+powershell even percent-encoded (curl $RC)" test "$RC" -eq 56 -o "$RC" -eq 52
R=$(headers "https://$H:$PORT/ews/exchange.asmx")
expect_contains "EOMTv2 host still answers EWS with its build" "${R,,}" "x-owa-version: 15.2.1118.12"

# ---- NTLM (V7), decoded by nmap's own http-ntlm-info -----------------------------------------------------
H=$(host_of e2019-cu11-nov21su)
NM=$(nmap -Pn -n -p "$PORT" --script +http-ntlm-info --script-args http-ntlm-info.root=/rpc/ "$H" 2>&1)
OS=$(field "$H" ntlm.os_version)
check "2019 runs on Windows Server 2019/2022 ($OS)" grep -qE '^10\.0\.(17763|20348)$' <<<"$OS"
expect_contains "nmap reads the Windows build from the type 2" "$NM" "Product_Version: $OS"
expect_contains "nmap reads the computer name the manifest names" "$NM" "NetBIOS_Computer_Name: $(field "$H" ntlm.netbios_computer)"
expect_contains "nmap reads the DNS computer name" "$NM" "DNS_Computer_Name: $(field "$H" ntlm.dns_computer)"

# ---- look-alikes (RD §6.7, §6.8) --------------------------------------------------------------------------
R=$(headers "https://$(host_of exo):$PORT/owa/")
expect_contains "EXO redirects OWA to login.microsoftonline.com" "$R" "Location: https://login.microsoftonline.com/"
expect_contains "EXO back end is *.PROD.OUTLOOK.COM (sample 19)" "$R" ".PROD.OUTLOOK.COM"
R=$(headers "https://$(host_of havoc-decoy):$PORT/no/such/path.aspx")
expect_contains "Havoc decoy replays X-OWA-Version 15.1.1240.20 anywhere (sample 18)" "$R" "X-OWA-Version: 15.1.1240.20"
H=$(host_of exo)
CN=$(openssl s_client -connect "$H:$PORT" </dev/null 2>/dev/null | openssl x509 -noout -subject -nameopt multiline |
    sed -n 's/^ *commonName *= *//p')
expect_eq "EXO presents Microsoft's certificate name, as the manifest says" "$CN" "$(field "$H" tls_name)"
H=$(host_of tmg)
BODY=$("${CURL[@]}" -L --max-redirs 2 -D "$TMP/h" "https://$H:$PORT/owa/")
expect_contains "TMG logon page shares the FBA GUID" "$BODY" "{57A118C6-2DA9-419d-BE9A-F92B0F9A418B}"
expect_not_contains "TMG page has no X-OWA-Version" "$(tr 'A-Z' 'a-z' <"$TMP/h")" "x-owa-version"
expect_eq "TMG is what stands in front (manifest waf)" "$(field "$H" waf)" "tmg"
expect_contains "IIS default page" "$("${CURL[@]}" "https://$(host_of iis):$PORT/")" "<title>IIS Windows Server</title>"
expect_contains "nginx default page" "$("${CURL[@]}" "https://$(host_of nginx):$PORT/")" "Welcome to nginx!"

# ---- WAFs (RD §4, §6.6) ------------------------------------------------------------------------------------
H=$(host_of e2019-cu8-f5)
R=$(headers "${PL[@]}" "https://$H:$PORT/owa/auth/x.js")
expect_contains "F5 ASM answers the probe with 200" "$R" "HTTP/1.1 200 OK"
expect_contains "F5 ASM sets its TS01 cookie (sample 10)" "$R" "Set-Cookie: TS01"
H=$(host_of e2016-cu18-gateway)
R=$(headers "${PL[@]}" "https://$H:$PORT/owa/auth/x.js")
expect_contains "gateway rewrites the 500 to 200 ..." "$R" "HTTP/1.1 200 OK"
expect_contains "... but the SSRF header passes" "$R" "X-CalculatedBETarget: localhost"
R=$(headers "https://$H:$PORT/powershell/")
expect_contains "gateway: /powershell/ is 200 Content-Length: 0 (feilian-agw)" "$R" "Content-Length: 0"

# ---- hostile personas --------------------------------------------------------------------------------------
hostile() {  # persona -> curl exit code of one GET /owa/
    "${CURL[@]}" --max-time "${2:-5}" --max-filesize 10000000 --max-redirs 10 -L -o /dev/null "https://$(host_of "$1"):$PORT/owa/"
    echo $?
}
expect_eq "tarpit never answers (curl 28, timeout)" "$(hostile tarpit 1)" 28
expect_eq "broken TLS fails the handshake (curl 35)" "$(hostile broken-tls)" 35
expect_eq "TLS 1.0-only host fails a default client (curl 35)" "$(hostile old-tls)" 35
H=$(host_of old-tls)
expect_eq "... and serves a TLS 1.0 client" "$("${CURL[@]}" --tlsv1.0 --tls-max 1.0 --ciphers 'DEFAULT@SECLEVEL=0' -o /dev/null -w '%{http_code}' "https://$H:$PORT/owa/auth/logon.aspx")" 200
expect_eq "reset mid-response (curl 56)" "$(hostile reset-mid-response)" 56
expect_eq "malformed chunked encoding (curl 18 or 56)" "$(hostile bad-chunked | sed 's/^56$/18/')" 18
expect_eq "redirect loop (curl 47, too many redirects)" "$(hostile redirect-loop)" 47
expect_eq "huge body is refused by size (curl 63)" "$(hostile huge-body)" 63
R=$(headers --max-filesize 1 "https://$(host_of huge-body):$PORT/")
expect_contains "huge body announces 5 GiB" "$R" "Content-Length: 5368709120"
RC=$("${CURL[@]}" -o /dev/null "https://$(host_of endless-headers):$PORT/"; echo $?)
check "endless headers never end (curl $RC)" test "$RC" -ne 0 -a "$RC" -ne 28

# Regression: a client that closes its side right after its request still gets the answer (the lab
# used to drop buffered requests on EOF).
HC=$(python3 - "$(host_of e2019-cu9)" "$PORT" 2>&1 <<'EOF'
import socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out)
def pump():
    data = out.read()
    if data: sock.sendall(data)
while True:
    try:
        tls.do_handshake(); break
    except ssl.SSLWantReadError:
        pump(); inc.write(sock.recv(65536))
pump()
# The request and the close_notify leave in one write, so the server reads both at once.
tls.write(b"GET /owa/ HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    tls.unwrap()
except ssl.SSLWantReadError:
    pass
sock.sendall(out.read())
got = b""
while True:
    try:
        d = sock.recv(65536)
    except OSError:
        break
    if not d: break
    inc.write(d)
    try:
        while True: got += tls.read(65536)
    except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLError):
        pass
print(got.split(b"\r\n")[0].decode() or "no answer")
EOF
)
expect_eq "a request followed at once by close_notify is still answered" "$HC" "HTTP/1.1 302 Found"

# ---- addresses outside the fleet, determinism, clean stop -------------------------------------------------------
"${CURL[@]}" -o /dev/null "https://127.1.200.1:$PORT/"; RC=$?
check "a loopback address outside the fleet is refused (curl $RC)" test "$RC" -eq 35 -o "$RC" -eq 56 -o "$RC" -eq 7
start_lab "$TMP/b" --hosts $HOSTS --seed 11
B_PID=$LAB_PID
expect_eq "same seed, same fleet" "$(sed 's/"port": [0-9]*//' "$M" | md5sum)" "$(sed 's/"port": [0-9]*//' "$TMP/b/manifest.jsonl" | md5sum)"
kill -TERM "$B_PID"; wait "$B_PID"
start_lab "$TMP/c" --hosts 300 --seed 12
kill -TERM "$LAB_PID"; wait "$LAB_PID"
check "another seed, another fleet" test "$(head -300 "$M" | cut -d, -f3 | md5sum)" != "$(cut -d, -f3 "$TMP/c/manifest.jsonl" | md5sum)"

kill -TERM "$A_PID"; wait "$A_PID"; RC=$?
expect_eq "the fleet stops with status 0 on SIGTERM" "$RC" 0
expect_contains "lab reports a clean stop" "$(cat "$TMP/a/stderr")" "exaudit-lab: stopped"

# ---- --single and usage ----------------------------------------------------------------------------------------
start_lab "$TMP/s" --single 127.3.0.1 --persona e2019-cu9
R=$(headers "https://127.3.0.1:$PORT/owa/auth/logon.aspx")
expect_contains "--single serves its persona" "$R" "HTTP/1.1 200 OK"
"${CURL[@]}" -o /dev/null "https://127.3.0.2:$PORT/"; RC=$?
expect_eq "--single binds only its address (curl 7, refused)" "$RC" 7
expect_eq "--single manifest has one line" "$(wc -l <"$TMP/s/manifest.jsonl")" 1
kill -TERM "$LAB_PID"; wait "$LAB_PID"; RC=$?
expect_eq "SIGTERM stops the lab with status 0" "$RC" 0
"$LAB" --base 10.0.0.0 --hosts 4 >/dev/null 2>&1; RC=$?
expect_eq "a non-loopback fleet is a usage error" "$RC" 2
"$LAB" --single 10.1.2.3 --persona e2019-cu9 >/dev/null 2>&1; RC=$?
expect_eq "a non-loopback --single is a usage error" "$RC" 2
"$LAB" --mix nonsense >/dev/null 2>&1; RC=$?
expect_eq "an unknown mix is a usage error" "$RC" 2

# The wildcard listener serves loopback destinations only (issue 3, docs/lab.md): in a network namespace of its own
# (nothing leaves it), 192.0.2.1 (TEST-NET-1) is put on lo; a connection to it reaches the listener and is reset,
# while a 127.1.0.0/16 host of the same lab answers.
NS_OUT=$(timeout 30 unshare -n bash -c '
    ip link set lo up 2>/dev/null && ip addr add 192.0.2.1/32 dev lo 2>/dev/null || { echo "no-netns"; exit 0; }
    "$1" --hosts 4 --ready-file "$2/ns.ready" >/dev/null 2>"$2/ns.err" &
    L=$!
    for _ in $(seq 1 100); do [ -s "$2/ns.ready" ] && break; sleep 0.05; done
    P=$(cat "$2/ns.ready")
    curl -sk --max-time 5 --noproxy "*" -o /dev/null -w "loopback:%{http_code} " "https://127.1.0.1:$P/owa/auth/logon.aspx"
    curl -sk --max-time 5 --noproxy "*" -o /dev/null -w "other:%{http_code}" "https://192.0.2.1:$P/owa/auth/logon.aspx"
    kill -TERM $L; wait $L
    echo " $(cat "$2/ns.err")"' _ "$LAB" "$TMP" 2>/dev/null)
if [ "$NS_OUT" = "no-netns" ] || [ -z "$NS_OUT" ]; then
    echo "ok - a non-loopback destination is refused # SKIP no network namespace here (unshare -n)"
else
    expect_contains "a loopback destination is served, a non-loopback one gets no answer" "$NS_OUT" "loopback:200 other:000"
    expect_contains "the lab counts the refused non-loopback connection" "$NS_OUT" "1 refused (not loopback)"
fi
