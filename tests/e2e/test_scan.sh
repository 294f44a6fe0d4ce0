#!/bin/bash
# exaudit scan against a handful of emulated hosts on 127.77.0.0/24
# (tests/e2e/scan_server.py; expected values are that file's persona notes,
# taken from ../shared/docs/remote-detection.md). Loopback only.
. "$(dirname "$0")/lib.sh"
export EXAUDIT_LOOPBACK_ONLY=1

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 30 -subj "/CN=mail.contoso.example" -addext "subjectAltName=DNS:mail.contoso.example" 2>/dev/null
python3 "$SRC/tests/e2e/scan_server.py" "$TMP/cert.pem" "$TMP/key.pem" "$TMP/port" &
SERVER=$!
python3 "$SRC/tests/e2e/connect_proxy.py" "$TMP/proxy.port" "$TMP/proxy.log" &
PROXY=$!
trap 'kill $SERVER $PROXY 2>/dev/null; wait $SERVER $PROXY 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMP/port" 2>/dev/null)
[ -n "$PORT" ] || { fail "scan server started"; exit 0; }

jq_py() {  # file, python expression over the list of records "r" keyed by target
    python3 - "$1" "$2" <<'EOF'
import json, sys
recs = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    recs[d["target"]] = d
def cve(t, c):
    for x in recs[t]["cves"]:
        if x["id"] == c:
            return x["status"]
    return None
def probe(t, n):
    for p in recs[t]["probes"]:
        if p["name"] == n:
            return p["result"]
r = recs
print(eval(sys.argv[2]))
EOF
}

SCAN=("$EXAUDIT" scan -p "$PORT" --timeout 2 --host-timeout 4 --connect-timeout 2)
run "${SCAN[@]}" --json -q 127.77.0.1-7
echo "$OUT" >"$TMP/all.jsonl"
expect_eq "exit code 1 when a host is vulnerable" "$RC" "1"
expect_eq "one JSON line per host" "$(wc -l <"$TMP/all.jsonl")" "7"
expect_eq "kinds" "$(jq_py "$TMP/all.jsonl" '" ".join(r["127.77.0.%d" % i]["exchange"] for i in range(1, 8))')" \
    "onprem onprem none decoy unknown unknown unknown"
expect_eq "full build from X-OWA-Version" \
    "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.1"]["build"]["version"] + " " + r["127.77.0.1"]["build"]["precision"]')" "15.1.2176.2 su"
expect_eq "ProxyLogon probe positive" "$(jq_py "$TMP/all.jsonl" 'cve("127.77.0.1", "CVE-2021-26855")')" "vulnerable"
expect_eq "ProxyShell probe positive" "$(jq_py "$TMP/all.jsonl" 'probe("127.77.0.1", "proxyshell")')" "positive"
expect_eq "NTLM names" "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.1"]["ntlm"]["dns_computer"] + " " + r["127.77.0.1"]["ntlm"]["os_version"]')" \
    "exch01.contoso.local 10.0.17763"
expect_eq "certificate subject" "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.1"]["tls"]["certificate"]["subject_cn"]')" "mail.contoso.example"
expect_eq "CU only from the logon page" \
    "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.2"]["build"]["version"] + " " + r["127.77.0.2"]["build"]["precision"]')" "15.1.2176 cu"
expect_eq "aborted ProxyLogon trigger is mitigated" "$(jq_py "$TMP/all.jsonl" 'cve("127.77.0.2", "CVE-2021-26855")')" "mitigated"
expect_eq "CU-only CVE without probe stays possibly" "$(jq_py "$TMP/all.jsonl" 'cve("127.77.0.2", "CVE-2021-26857")')" "possibly"
expect_eq "decoy has no build and no CVE" "$(jq_py "$TMP/all.jsonl" '(r["127.77.0.4"]["build"], r["127.77.0.4"]["cves"], r["127.77.0.4"]["verdict"])')" \
    "(None, [], None)"
expect_contains "tarpit ends with a clear error" "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.5"]["errors"]')" "no complete answer"
expect_contains "endless headers end with a clear error" "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.6"]["errors"]')" "headers larger than the limit"
expect_contains "nothing listening: refused" "$(jq_py "$TMP/all.jsonl" 'r["127.77.0.7"]["errors"]')" "refused"

# Regression: a TLS handshake that stalls after TCP connected is a tarpit, not a connect timeout: no retry.
run "${SCAN[@]}" --json -q --retries 3 127.77.0.8
expect_eq "a stalled TLS handshake is not retried" \
    "$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["exchange"], d["timings"]["retries"], d["timings"]["requests"])' <<<"$OUT")" \
    "unknown 0 1"
expect_contains "a stalled TLS handshake is named" "$OUT" "the TLS handshake did not complete"

run "${SCAN[@]}" --json -q --no-active 127.77.0.1 127.77.0.2
echo "$OUT" >"$TMP/passive.jsonl"
expect_eq "--no-active: probes not run" \
    "$(jq_py "$TMP/passive.jsonl" '{p["result"] for t in r for p in r[t]["probes"]}')" "{'not-run'}"
expect_eq "--no-active: CU-only ProxyLogon is possibly" "$(jq_py "$TMP/passive.jsonl" 'cve("127.77.0.2", "CVE-2021-26855")')" "possibly"
expect_eq "--no-active: exact build still decides" "$(jq_py "$TMP/passive.jsonl" 'cve("127.77.0.1", "CVE-2021-26855")')" "vulnerable"

run "${SCAN[@]}" --csv -q --exclude 127.77.0.3,127.77.0.5-7 127.77.0.1-7
expect_eq "--exclude and CSV" "$(printf '%s\n' "$OUT" | cut -d, -f1,4 | sort | tr '\n' ' ')" \
    "127.77.0.1,onprem 127.77.0.2,onprem 127.77.0.4,decoy target,exchange "

# resume: a first run writes two hosts; the second skips them and appends the rest
"${SCAN[@]}" --json -q -o "$TMP/res.jsonl" 127.77.0.3 127.77.0.4 >/dev/null 2>&1
printf '{"target": "127.77.0.9", "po' >>"$TMP/res.jsonl"   # a line cut by an interruption
run "${SCAN[@]}" --json -q --resume "$TMP/res.jsonl" -o "$TMP/res.jsonl" 127.77.0.2-4
expect_eq "--resume appends only the missing host" "$(jq_py "$TMP/res.jsonl" 'sorted(r)')" \
    "['127.77.0.2', '127.77.0.3', '127.77.0.4']"

run "$EXAUDIT" scan --bogus-option
expect_eq "usage error exit code" "$RC" "2"
run "$EXAUDIT" scan 192.0.2.300
expect_eq "bad target is a usage error" "$RC" "2"
run "$EXAUDIT" scan --shard 4/3 127.0.0.1
expect_eq "bad shard is a usage error" "$RC" "2"
run "$EXAUDIT" scan --threads 0 127.0.0.1
expect_eq "--threads 0 is a usage error" "$RC" "2"
run "${SCAN[@]}" -q --json https://mail.contoso.example:"$PORT"/ --resolve mail.contoso.example:"$PORT":127.77.0.3
expect_eq "a host name is sent as SNI and resolved via --resolve" \
    "$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["target"], d["ip"], d["tls"]["sni"])' <<<"$OUT")" \
    "mail.contoso.example 127.77.0.3 mail.contoso.example"
run "${SCAN[@]}" -q --json 192.0.2.1
expect_contains "non-loopback addresses are refused under EXAUDIT_LOOPBACK_ONLY" "$OUT" "refused: the address is excluded"

# --proxy (issue 3: "an optional proxy"): every host goes through a CONNECT proxy on loopback. Regression: the
# record's "ip" was the proxy's address (libcurl's primary IP through a proxy), not the target's.
for _ in $(seq 1 200); do [ -s "$TMP/proxy.port" ] && break; sleep 0.05; done
run "${SCAN[@]}" -q --json --proxy "http://127.0.0.1:$(cat "$TMP/proxy.port")" 127.77.0.1 \
    https://mail.contoso.example:"$PORT"/ --resolve mail.contoso.example:"$PORT":127.77.0.3
expect_eq "--proxy: the proxy carried each host" "$(sort -u "$TMP/proxy.log" | tr '\n' ' ')" \
    "CONNECT 127.77.0.1:$PORT HTTP/1.1 CONNECT mail.contoso.example:$PORT HTTP/1.1 "
expect_eq "--proxy: the scan through it reads the same host, ip is the target's (unknown for a name)" \
    "$(printf '%s\n' "$OUT" | python3 -c 'import json,sys
for l in sys.stdin: d=json.loads(l); print(d["target"], d["ip"], d["exchange"], (d["build"] or {}).get("version"))' | sort | tr '\n' ' ')" \
    "127.77.0.1 127.77.0.1 onprem 15.1.2176.2 mail.contoso.example None unknown None "

# RLIMIT_NOFILE (issue 3: "raised and reported when too low"): a hard limit of 200 cannot hold 5,000 hosts in
# flight (2 descriptors per host + 64, docs/scan.md): the scan says so, lowers the concurrency and still finishes.
run bash -c 'ulimit -n 200 && exec "$@"' _ "${SCAN[@]}" --json -q --concurrency 5000 127.77.0.1 127.77.0.3
expect_contains "a too low open-file limit is reported" "$ERR" "the open-file limit (RLIMIT_NOFILE) is 200, too low for --concurrency 5000; using 68"
expect_eq "and the scan still finishes" "$(printf '%s\n' "$OUT" | grep -c '"target"')" "2"
run bash -c 'ulimit -n 40 && exec "$@"' _ "${SCAN[@]}" --json -q 127.77.0.1
expect_eq "a limit too low for any host is a runtime error" "$RC $(grep -c 'too low to scan' <<<"$ERR")" "3 1"

# --host-timeout shorter than --timeout (docs/scan.md: "then the host ends with host-timeout"). Regression: the
# error was "timeout", as if --timeout had run out.
run "$EXAUDIT" scan -p "$PORT" --json -q --timeout 30 --host-timeout 1 127.77.0.5
expect_contains "the host's budget running out is a host-timeout" "$OUT" "GET /owa/auth/logon.aspx: host-timeout: the host's time budget of 1000 ms"

# --retries (issue 3: "retries only where they help (a connect timeout, not a 404)"): a listener whose accept queue
# is full drops new SYNs, so the TCP connect times out; it is retried --retries times, then named connect-timeout.
python3 - "$TMP/full.port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.3)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(30)
PY
FULL=$!
for _ in $(seq 1 200); do [ -s "$TMP/full.port" ] && break; sleep 0.05; done
run "$EXAUDIT" scan -q --json -p "$(cat "$TMP/full.port")" --connect-timeout 1 --retries 2 127.0.0.1
kill $FULL 2>/dev/null; wait $FULL 2>/dev/null
expect_eq "a connect timeout is retried --retries times" \
    "$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["timings"]["retries"], d["timings"]["requests"], d["errors"][0].split(": ")[1])' <<<"$OUT")" \
    "2 3 connect-timeout"

# Exit codes of docs/scan.md: an unreadable input file is a runtime error (3), for -iL and --exclude-file alike
# (regressions: --exclude-file gave 2; -iL failed only after the other targets were scanned); a bad line in the exclude file is a usage error (2): nothing is scanned.
run "${SCAN[@]}" -q --json -iL "$TMP/no-such-file" 127.77.0.1
expect_eq "-iL unreadable: exit 3 before anything is scanned" "$RC:$OUT" "3:"
run "${SCAN[@]}" -q --json --exclude-file "$TMP/no-such-file" 127.77.0.1
expect_eq "--exclude-file unreadable: exit 3, nothing scanned" "$RC:$OUT" "3:"
printf '127.77.0.2\nnot a target!\n' >"$TMP/bad-exclude"
run "${SCAN[@]}" -q --json --exclude-file "$TMP/bad-exclude" 127.77.0.1
expect_eq "--exclude-file with a bad line: exit 2, nothing scanned" "$RC:$OUT" "2:"

# --resume reads --json output; given a CSV it skipped nothing, rescanned every host and appended duplicates to it.
"${SCAN[@]}" --csv -q -o "$TMP/res.csv" 127.77.0.3 >/dev/null 2>&1
run "${SCAN[@]}" --csv -q --resume "$TMP/res.csv" -o "$TMP/res.csv" 127.77.0.3 127.77.0.4
expect_eq "--resume of a CSV file is a usage error, and the file is left as it was" "$RC $(wc -l <"$TMP/res.csv")" "2 2"
expect_contains "--resume of a CSV file says why" "$ERR" "no JSON Lines host record"

# Engine options are checked up front (regressions: a malformed --resolve failed every request of every host with
# libcurl's "Couldn't parse CURLOPT_RESOLVE entry"; a NaN timeout was taken; under 1 ms became libcurl's "no limit").
for bad in "--resolve bad" "--resolve mail.example::127.0.0.1" "--resolve mail.example:99999:127.0.0.1" \
    "--connect-timeout nan" "--timeout 0.0001" "--host-timeout inf"; do
    # shellcheck disable=SC2086
    run "$EXAUDIT" scan -q --json $bad 127.77.0.1
    expect_eq "$bad is a usage error, nothing scanned" "$RC:$OUT" "2:"
done
