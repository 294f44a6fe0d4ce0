#!/bin/bash
# bench/build: `exaudit build` on 10,000 builds from stdin, side by side with a
# peer (the righel/owa_info lookup plus HealthChecker's per-CVE rule in Python, bench/build/peer_lookup.py)
# over the same input in the same run. Prints time per lookup and the ratio.
# Never asserts on timing.
set -u
cd "$(dirname "$0")/../.."
BIN="${BUILD:-build}/exaudit"
N="${N:-10000}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
# A realistic mix: every known build, CU-only forms, unknown revisions, long forms, garbage.
awk -F'\t' 'NR>1 {
    split($5, p, ".");
    print $5
    print p[1] "." p[2] "." p[3]
    print p[1] "." p[2] "." p[3] "." p[4] + 1
    printf "%02d.%02d.%04d.%03d\n", p[1], p[2], p[3], p[4]
}' data/kb/builds.tsv | awk '{print} NR % 97 == 0 {print "garbage-" NR}' > "$work/all"
while [ "$(wc -l <"$work/all")" -lt "$N" ]; do cat "$work/all" "$work/all" > "$work/x"; mv "$work/x" "$work/all"; done
head -n "$N" "$work/all" > "$work/in"

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
t_text=$(secs sh -c "'$BIN' build < '$work/in'")
t_json=$(secs sh -c "'$BIN' build --json < '$work/in'")
t_peer=$(secs sh -c "python3 bench/build/peer_lookup.py data/kb/builds.tsv data/kb/cves.tsv < '$work/in'")
per() { echo "scale=2; $1 * 1000000 / $N" | bc -l; }
printf 'bench/build: %d builds from stdin\n' "$N"
printf '  exaudit build (text, full verdicts + update path) %8.3f s  %7.1f us/lookup\n' "$t_text" "$(per "$t_text")"
printf '  exaudit build --json                              %8.3f s  %7.1f us/lookup\n' "$t_json" "$(per "$t_json")"
printf '  peer: python lookup + HealthChecker rule per CVE %8.3f s  %7.1f us/lookup\n' "$t_peer" "$(per "$t_peer")"
printf '  ratio peer/exaudit (text): %.2fx   peer/exaudit (json): %.2fx\n' \
    "$(echo "$t_peer / $t_text" | bc -l)" "$(echo "$t_peer / $t_json" | bc -l)"
