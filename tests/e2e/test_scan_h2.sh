#!/bin/bash
# exaudit scan over HTTP/2 (issue 3: "keep-alive within a host; HTTP/1.1 and HTTP/2"). The lab speaks HTTP/1.1
# only, so nghttpd (Debian nghttp2-server, an HTTP/2-only server over TLS with ALPN h2) serves a static tree on
# 127.0.0.1. Loopback only.
. "$(dirname "$0")/lib.sh"
export EXAUDIT_LOOPBACK_ONLY=1

NGHTTPD=$(command -v nghttpd || true)
if [ -z "$NGHTTPD" ] || ! command -v ss >/dev/null; then
    echo "ok - scan over HTTP/2 # SKIP nghttpd (nghttp2-server) or ss not installed (scripts/install-deps.sh --test)"
    exit 0
fi

mkdir -p "$TMP/root/owa/auth"
echo '<html><head><title>plain page</title></head></html>' >"$TMP/root/owa/auth/logon.aspx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 30 -subj "/CN=mail.h2.example" 2>/dev/null
"$NGHTTPD" -a 127.0.0.1 -d "$TMP/root" 0 "$TMP/key.pem" "$TMP/cert.pem" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
PORT=
for _ in $(seq 1 200); do
    PORT=$(ss -ltnpH 2>/dev/null | grep "pid=$SERVER," | awk '{print $4}' | sed 's/.*://' | head -1)
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "$PORT" ] || { fail "nghttpd started"; exit 0; }

fields() { python3 -c 'import json,sys
d = json.loads(sys.stdin.read())
print(d["exchange"], d["tls"]["http"], d["timings"]["requests"], d["timings"]["connections"])'; }

run "$EXAUDIT" scan -q --json --no-ntlm --timeout 3 --host-timeout 6 127.0.0.1:"$PORT"
# requests 1-3 of docs/probes.md on a non-Exchange host, all on one HTTP/2 connection
expect_eq "HTTP/2 negotiated by ALPN, one connection for the host's requests" "$(fields <<<"$OUT")" "none 2 3 1"
run "$EXAUDIT" scan -q --json --no-ntlm --http1.1 --timeout 3 --host-timeout 6 127.0.0.1:"$PORT"
expect_contains "--http1.1 never negotiates HTTP/2 (this server speaks nothing else)" "$OUT" '"http":null'
