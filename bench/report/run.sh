#!/bin/bash
# bench/report: rescore and report over an inventory of HOSTS hosts (default
# 100,000) with RUNS scan runs of history (default 3), hunts on one host in a
# hundred. Prints the times; asserts nothing.
#   bench/report/run.sh [HOSTS] [RUNS]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
HOSTS=${1:-100000}
RUNS=${2:-3}
EX="$BUILD/exaudit"
[ -x "$EX" ] || make -s -j2 all
W=$(mktemp -d /tmp/exaudit-bench-report.XXXXXX)
trap 'rm -rf "$W"' EXIT
export XDG_DATA_HOME="$W/xdg"
PKGS="libcurl openssl yara sqlite3 libevtx libregf libarchive libpcre2-8 jansson"
# shellcheck disable=SC2046
cc -std=c17 -D_GNU_SOURCE -O2 -Ilib -I"$BUILD/gen" $(pkg-config --cflags $PKGS) -o "$W/genfleet" \
    bench/report/genfleet.c "$BUILD/libexaudit.a" $(pkg-config --libs $PKGS) -lpthread -lm

t() { # label, command...: wall time of one run
    local label="$1" s e; shift
    s=$(date +%s.%N); "$@" >"$W/out" 2>"$W/err" || true; e=$(date +%s.%N)
    printf '%-44s %8.2f s\n' "$label" "$(echo "$e - $s" | bc)"
}
echo "inventory: $HOSTS hosts x $RUNS scan runs (+1 hunt run), $(nproc) cores"
t "generate (one transaction per host)" "$W/genfleet" "$W/inv.db" "$HOSTS" "$RUNS"
printf '%-44s %8s\n' "database size" "$(du -h "$W/inv.db" | cut -f1)"
t "rescore (current results)" "$EX" rescore --db "$W/inv.db" --quiet
tail -1 "$W/err"
t "rescore --all (history too)" "$EX" rescore --db "$W/inv.db" --all --quiet
t "hosts --cve CVE-2021-26855 (who is hit)" "$EX" hosts --db "$W/inv.db" --cve CVE-2021-26855
printf '%-44s %8s\n' "  hosts hit" "$(wc -l <"$W/out")"
t "hosts (whole fleet)" "$EX" hosts --db "$W/inv.db"
t "diff (last two runs)" "$EX" diff --db "$W/inv.db"
t "report --format csv" "$EX" report --db "$W/inv.db" --format csv -o "$W/r.csv"
t "report --customer customer-007 (html)" "$EX" report --db "$W/inv.db" --customer customer-007 -o "$W/c.html"
t "report (html, whole fleet)" "$EX" report --db "$W/inv.db" --lang de -o "$W/r.html"
printf '%-44s %8s\n' "  html size" "$(du -h "$W/r.html" | cut -f1)"
