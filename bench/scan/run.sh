#!/bin/bash
# bench/scan: exaudit scan against the lab fleet, and its peers against the
# same lab in the same run (loopback only). Prints; asserts nothing.
#   1. 10,000 lab hosts (default mix): hosts/s, peak memory, and the CPU time
#      per host of the scanner and of the lab (both share the machine)
#   2. peers on the same host subsets: exaudit, then nmap (http-title,
#      http-headers, http-ntlm-info at high parallelism) on the first
#      NMAP_HOSTS hosts; exaudit, then a curl loop under xargs -P on the first
#      PEER_HOSTS hosts; the rate ratios
#   3. 65,536 hosts of which 10 % are tarpits (--mix tarpit10): time to finish,
#      hosts/s and peak memory
# The issue's target: 10,000 hosts at >= 500 hosts/s on the 2-core machine with
# the lab on it, peak memory < 512 MiB; the 65,536-host run must finish.
# Knobs: BENCH_HOSTS (10000), PEER_HOSTS (1000), NMAP_HOSTS (200), BIG_HOSTS (65536),
# CONCURRENCY (1000), BIG_CONCURRENCY (5000), THREADS (exaudit --threads, default:
# its own), LAB_THREADS (1), SKIP_BIG=1, SKIP_PEERS=1, EXAUDIT and LAB (binaries,
# e.g. an older build for a before/after comparison).
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
EXAUDIT=${EXAUDIT:-$PWD/$BUILD/exaudit}
LAB=${LAB:-$PWD/$BUILD/exaudit-lab}
[ -x "$EXAUDIT" ] && [ -x "$LAB" ] || { echo "bench/scan: build first (make)"; exit 2; }
export EXAUDIT_LOOPBACK_ONLY=1
BENCH_HOSTS=${BENCH_HOSTS:-10000}
PEER_HOSTS=${PEER_HOSTS:-1000}
NMAP_HOSTS=${NMAP_HOSTS:-200}     # nmap's scripts are slow: a smaller share, rates are per host
NMAP_LIMIT=${NMAP_LIMIT:-900}     # seconds before nmap is stopped (then its rate is a ceiling)
BIG_HOSTS=${BIG_HOSTS:-65536}
CONCURRENCY=${CONCURRENCY:-1000}
BIG_CONCURRENCY=${BIG_CONCURRENCY:-5000}
LAB_THREADS=${LAB_THREADS:-1}
THREAD_ARGS=()
[ -n "${THREADS:-}" ] && THREAD_ARGS=(--threads "$THREADS")
TMP=$(mktemp -d /tmp/exaudit-bench.XXXXXX)
LABPID=
cleanup() { [ -n "$LABPID" ] && kill "$LABPID" 2>/dev/null && wait "$LABPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

start_lab() {  # hosts, mix, port
    [ -n "$LABPID" ] && kill "$LABPID" 2>/dev/null && wait "$LABPID" 2>/dev/null
    rm -f "$TMP/ready" "$TMP/lab.out"
    "$LAB" --hosts "$1" --mix "$2" --port "$3" --threads "$LAB_THREADS" --manifest "$TMP/manifest.jsonl" \
        --ready-file "$TMP/ready" >"$TMP/lab.out" 2>"$TMP/lab.err" &
    LABPID=$!
    for _ in $(seq 1 1200); do [ -s "$TMP/ready" ] && break; kill -0 $LABPID 2>/dev/null || break; sleep 0.1; done
    PORT=$(awk '$1 == "port" {print $2}' "$TMP/lab.out")
    [ -n "$PORT" ] || { echo "bench/scan: the lab did not start: $(cat "$TMP/lab.err")"; exit 3; }
    python3 -c 'import json,sys; [print(json.loads(l)["ip"]) for l in open(sys.argv[1])]' "$TMP/manifest.jsonl" \
        >"$TMP/targets"
}

lab_ticks() { awk '{print $14 + $15}' "/proc/$LABPID/stat" 2>/dev/null || echo 0; }

timed() {  # label, command... -> SECS, PEAK_KB, CPU_SECS (user + sys), LAB_CPU_SECS (the lab meanwhile)
    local label=$1 l0 l1
    shift
    l0=$(lab_ticks)
    /usr/bin/time -f "%e %M %U %S" -o "$TMP/time" "$@" >/dev/null 2>"$TMP/$label.err"
    l1=$(lab_ticks)
    read -r SECS PEAK_KB user sys < <(tail -1 "$TMP/time")
    CPU_SECS=$(python3 -c "print('%.2f' % ($user + $sys))")
    LAB_CPU_SECS=$(python3 -c "import os; print('%.2f' % (($l1 - $l0) / os.sysconf('SC_CLK_TCK')))")
}
rate() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }
ratio() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }
per_host_ms() { python3 -c "import sys; print('%.2f' % (1000 * float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

echo "bench/scan on $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "exaudit: $EXAUDIT ${THREAD_ARGS[*]}; lab: $LAB (--threads $LAB_THREADS)"
# nmap runs its http scripts on ports it thinks are HTTP(S); 8443 is both, so use it when free.
LABPORT=8443
ss -ltn 2>/dev/null | awk '{print $4}' | grep -q ':8443$' && LABPORT=0

# 1. 10,000 hosts
start_lab "$BENCH_HOSTS" default "$LABPORT"
SCAN=("$EXAUDIT" scan -p "$PORT" -q --json --concurrency "$CONCURRENCY" --connect-timeout 5 --timeout 5 --host-timeout 20
      "${THREAD_ARGS[@]}")
timed exaudit "${SCAN[@]}" -iL "$TMP/targets" -o "$TMP/scan.jsonl"
EX_RATE=$(rate "$BENCH_HOSTS" "$SECS")
printf '%-52s %7s s %8s hosts/s  peak %4d MiB\n' "exaudit scan, $BENCH_HOSTS hosts (target >= 500/s, < 512 MiB)" \
    "$SECS" "$EX_RATE" $((PEAK_KB / 1024))
echo "  CPU per host: exaudit $(per_host_ms "$CPU_SECS" "$BENCH_HOSTS") ms, lab $(per_host_ms "$LAB_CPU_SECS" \
    "$BENCH_HOSTS") ms (user + sys; $(nproc) cores: $(python3 -c "print('%.0f' % (100 * ($CPU_SECS + $LAB_CPU_SECS) / \
    ($SECS * $(nproc))))") % of the machine's CPU time)"
python3 - "$TMP/scan.jsonl" <<'EOF2'
import json, sys, collections
kinds, req, conn, slowest = collections.Counter(), 0, 0, 0
for l in open(sys.argv[1]):
    d = json.loads(l)
    kinds[d["exchange"]] += 1
    req += d["timings"]["requests"]
    conn += d["timings"]["connections"]
    slowest = max(slowest, d["timings"]["elapsed_ms"])
n = sum(kinds.values())
print("  %d results: %s" % (n, dict(kinds)))
print("  %.1f requests and %.2f connections per host; slowest host %.1f s (tarpits: the 5 s connect timeout)" %
      (req / max(n, 1), conn / max(n, 1), slowest / 1000))
EOF2

# 2. peers on the same lab, each against exaudit on the same hosts
if [ "${SKIP_PEERS:-0}" != 1 ]; then
    if command -v nmap >/dev/null; then
        head -n "$NMAP_HOSTS" "$TMP/targets" >"$TMP/nmap_targets"
        timed exaudit_nmap "${SCAN[@]}" -iL "$TMP/nmap_targets" -o "$TMP/sub_nmap.jsonl"
        EX_NMAP_RATE=$(rate "$NMAP_HOSTS" "$SECS")
        printf '%-52s %7s s %8s hosts/s\n' "exaudit scan, first $NMAP_HOSTS hosts" "$SECS" "$EX_NMAP_RATE"
        NMAP_ARGS=(-n -Pn -p "$PORT" --script http-title,http-headers,http-ntlm-info
                   --script-args http-ntlm-info.root=/rpc/ -T5 --min-parallelism 500 --min-hostgroup 500
                   --max-retries 0 --host-timeout 30s -oN /dev/null)
        [ "$PORT" = 8443 ] || NMAP_ARGS+=(-sV --version-light)
        timed nmap timeout "$NMAP_LIMIT" nmap "${NMAP_ARGS[@]}" -iL "$TMP/nmap_targets"
        NMAP_RATE=$(rate "$NMAP_HOSTS" "$SECS")
        printf '%-52s %7s s %8s hosts/s\n' "nmap http-title,http-headers,http-ntlm-info, same hosts" "$SECS" \
            "$NMAP_RATE"
    fi
    head -n "$PEER_HOSTS" "$TMP/targets" >"$TMP/peer_targets"
    timed exaudit_sub "${SCAN[@]}" -iL "$TMP/peer_targets" -o "$TMP/sub.jsonl"
    SUB_RATE=$(rate "$PEER_HOSTS" "$SECS")
    printf '%-52s %7s s %8s hosts/s\n' "exaudit scan, first $PEER_HOSTS hosts" "$SECS" "$SUB_RATE"
    # curl: the logon page and /owa/ (the two requests every peer script starts with), 500 in parallel
    timed curl xargs -P 500 -I{} curl -sk --max-time 10 -o /dev/null -o /dev/null \
        "https://{}:$PORT/owa/auth/logon.aspx" "https://{}:$PORT/owa/" <"$TMP/peer_targets"
    CURL_RATE=$(rate "$PEER_HOSTS" "$SECS")
    printf '%-52s %7s s %8s hosts/s\n' "curl under xargs -P 500 (2 requests/host), same hosts" "$SECS" "$CURL_RATE"
    [ -n "${NMAP_RATE:-}" ] && echo "ratio exaudit/nmap ($NMAP_HOSTS hosts): $(ratio "$EX_NMAP_RATE" "$NMAP_RATE")x"
    echo "ratio exaudit/curl loop ($PEER_HOSTS hosts): $(ratio "$SUB_RATE" "$CURL_RATE")x" \
        "(exaudit sends ~7 requests per host, curl 2)"
fi

# 3. 65,536 hosts, 10 % tarpits
if [ "${SKIP_BIG:-0}" != 1 ]; then
    start_lab "$BIG_HOSTS" tarpit10 0
    timed big "$EXAUDIT" scan -p "$PORT" -q --json --concurrency "$BIG_CONCURRENCY" --connect-timeout 5 --timeout 5 \
        --host-timeout 20 "${THREAD_ARGS[@]}" -iL "$TMP/targets" -o "$TMP/big.jsonl"
    printf '%-52s %7s s %8s hosts/s  peak %4d MiB  (%d results)\n' \
        "exaudit scan, $BIG_HOSTS hosts, 10% tarpits, --concurrency $BIG_CONCURRENCY" "$SECS" \
        "$(rate "$BIG_HOSTS" "$SECS")" $((PEAK_KB / 1024)) "$(wc -l <"$TMP/big.jsonl")"
    echo "  CPU per host: exaudit $(per_host_ms "$CPU_SECS" "$BIG_HOSTS") ms, lab $(per_host_ms "$LAB_CPU_SECS" \
        "$BIG_HOSTS") ms"
fi
