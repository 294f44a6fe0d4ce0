#!/bin/bash
# The inventory under the real scanner (docs/inventory.md, "Durability and concurrency"):
#   - `exaudit scan --db` killed with SIGKILL in the middle of a lab scan, then
#     `--db --resume` (no targets: those of the interrupted run): every target of the
#     list recorded exactly once in the one run, nothing duplicated, the run done;
#   - SIGTERM: the hosts in flight are finished and committed, the run is
#     "interrupted", and --resume with the targets given again completes it;
#   - two `exaudit scan --db` processes (--shard 1/2 and 2/2) writing one database at
#     the same time: both complete, PRAGMA integrity_check is ok, every host once.
# No assertion depends on timing: the kills wait (bounded) for a number of committed
# hosts counted with sqlite3, and the scan cannot end before the kill because its
# first target is the lab's tarpit, which holds its slot for the connect timeout.
# Loopback only.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/start-lab.sh
. "$SRC/tests/lab/start-lab.sh"
export EXAUDIT_LOOPBACK_ONLY=1 EXAUDIT_TODAY=2026-09-01 XDG_DATA_HOME="$TMP/xdg"
trap 'lab_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
[ -x "$BUILD_DIR/exaudit-lab" ] || { fail "exaudit-lab is built"; exit 0; }

lab_start "$TMP/lab" --hosts 300 --seed 1 || { fail "lab started" "$(cat "$TMP/lab/stderr")"; exit 0; }
PORT=$LAB_PORT
# The tarpit first (it never completes a TLS handshake), then every other host.
# Sorting is stable: the others keep the manifest's order.
python3 -c 'import json, sys
ms = [json.loads(l) for l in open(sys.argv[1])]
for m in sorted(ms, key=lambda m: m["hostile"] != "tarpit"):
    print(m["ip"])' "$LAB_MANIFEST" >"$TMP/targets"
total=$(grep -c . "$TMP/targets")
tarpits=$(grep -c '"hostile": "tarpit"' "$LAB_MANIFEST")
[ "$tarpits" -ge 1 ] || { fail "the lab fleet has a tarpit to hold the scan open"; exit 0; }
sed "s/\$/:$PORT/" "$TMP/targets" | sort >"$TMP/keys"

count() { sqlite3 "$1" "SELECT count(*) FROM results" 2>/dev/null || echo 0; }
wait_count() { # db, n, pid: wait (bounded) until n hosts are committed; the count reached
    local c=0
    for _ in $(seq 1200); do
        c=$(count "$1")
        [ "$c" -ge "$2" ] && break
        kill -0 "$3" 2>/dev/null || break
        sleep 0.05
    done
    echo "$c"
}
no_duplicates() { # db: rows that share (run, host), and hosts that share a target
    sqlite3 "$1" "SELECT (SELECT count(*) FROM (SELECT 1 FROM results GROUP BY run_id, host_id HAVING count(*) > 1))
                       + (SELECT count(*) FROM (SELECT 1 FROM hosts GROUP BY target HAVING count(*) > 1))"
}

# --- kill -9 in the middle, then --resume ------------------------------------------------------------
DB="$TMP/crash.db"
"$EXAUDIT" scan --db "$DB" -q -p "$PORT" --concurrency 8 --connect-timeout 600 --retries 0 --timeout 30 \
    --host-timeout 600 -iL "$TMP/targets" >"$TMP/scan1.out" 2>&1 &
scanner=$!
reached=$(wait_count "$DB" 100 "$scanner")
kill -9 "$scanner" 2>/dev/null
wait "$scanner" 2>/dev/null
killed=$(count "$DB")
[ "$reached" -ge 100 ] && ok "before the kill: $reached hosts committed" ||
    fail "before the kill: 100 hosts committed" "reached $reached" "$(cat "$TMP/scan1.out")"
expect_eq "the killed run stays open (it could not have ended: the tarpit holds a slot)" \
    "$(sqlite3 "$DB" "SELECT status FROM runs")" "running"
expect_eq "after SIGKILL the database is intact" "$(sqlite3 "$DB" "PRAGMA integrity_check")" "ok"
expect_eq "after SIGKILL nothing is duplicated" "$(no_duplicates "$DB")" "0"
[ "$killed" -lt "$total" ] && ok "the kill came in the middle ($killed of $total committed)" ||
    fail "the kill came in the middle" "$killed of $total"

# No targets: --resume takes those of the interrupted run (with its port); the engine
# options are today's (a short connect timeout lets the tarpit go quickly;
# hosts that miss it are recorded as unreachable, which is all this test counts).
run "$EXAUDIT" scan --db "$DB" --resume --concurrency 32 --connect-timeout 1 --retries 0 --timeout 30 --host-timeout 120
expect_contains "resume: says which run and how much it holds" "$ERR" "resuming run 1: $killed hosts already recorded"
expect_contains "resume: records the rest, skips what was committed" "$OUT" \
    "inventory: run 1, $((total - killed)) hosts recorded, $killed already recorded before the interruption"
expect_eq "after resume: one run, done" "$(sqlite3 "$DB" "SELECT count(*), max(status) FROM runs")" "1|done"
expect_eq "after resume: every target recorded once" \
    "$(sqlite3 "$DB" "SELECT count(*), count(DISTINCT host_id) FROM results")" "$total|$total"
expect_eq "after resume: exactly the targets of the list" \
    "$(sqlite3 "$DB" "SELECT target FROM hosts ORDER BY target" | sort | cmp - "$TMP/keys" && echo same)" "same"
expect_eq "after resume: nothing duplicated" "$(no_duplicates "$DB")" "0"
expect_eq "after resume: the database is intact" "$(sqlite3 "$DB" "PRAGMA integrity_check")" "ok"

# --- SIGTERM: hosts in flight finish and are committed; the run is "interrupted" ----------------------
DB="$TMP/term.db"
"$EXAUDIT" scan --db "$DB" -p "$PORT" --concurrency 8 --connect-timeout 1 --retries 0 --timeout 30 \
    --host-timeout 120 -iL "$TMP/targets" >"$TMP/scan2.out" 2>&1 &
scanner=$!
wait_count "$DB" 50 "$scanner" >/dev/null
kill -TERM "$scanner"
wait "$scanner"
rc=$?
expect_eq "SIGTERM: exit 1 or 3 (vulnerable hosts so far, or interrupted)" "$([ $rc -eq 1 ] || [ $rc -eq 3 ] && echo yes)" "yes"
expect_eq "SIGTERM: the run is marked interrupted" "$(sqlite3 "$DB" "SELECT status FROM runs")" "interrupted"
expect_contains "SIGTERM: the scanner says how to go on" "$(cat "$TMP/scan2.out")" "--db --resume continues"
held=$(count "$DB")
# The targets given again (also possible): only those not recorded are scanned.
run "$EXAUDIT" scan --db "$DB" --resume -p "$PORT" --concurrency 32 --connect-timeout 1 --retries 0 -iL "$TMP/targets"
expect_contains "resume with the targets given: the rest" "$OUT" \
    "inventory: run 1, $((total - held)) hosts recorded, $held already recorded"
expect_eq "SIGTERM + resume: every target once, one run, done" \
    "$(sqlite3 "$DB" "SELECT count(*), count(DISTINCT host_id), (SELECT group_concat(status) FROM runs) FROM results")" \
    "$total|$total|done"

# --- two writers on one database at once ---------------------------------------------------------------
DB="$TMP/two.db"
for shard in 1 2; do
    "$EXAUDIT" scan --db "$DB" -q -p "$PORT" --shard "$shard/2" --concurrency 16 --connect-timeout 1 --retries 0 \
        --timeout 30 --host-timeout 120 -iL "$TMP/targets" >"$TMP/shard$shard.out" 2>&1 &
    eval "pid$shard=$!"
done
wait "$pid1"
rc1=$?
wait "$pid2"
rc2=$?
expect_eq "two writers: both complete (exit 1: vulnerable hosts)" "$rc1 $rc2" "1 1"
expect_eq "two writers: PRAGMA integrity_check" "$(sqlite3 "$DB" "PRAGMA integrity_check")" "ok"
expect_eq "two writers: two runs, both done" "$(sqlite3 "$DB" "SELECT count(*), group_concat(DISTINCT status) FROM runs")" "2|done"
expect_eq "two writers: every host once across the two runs" \
    "$(sqlite3 "$DB" "SELECT count(*), count(DISTINCT host_id) FROM results")" "$total|$total"
# --shard keeps target k (0-based, in input order) when k mod 2 = shard - 1.
expect_eq "two writers: each run holds its shard" \
    "$(sqlite3 "$DB" "SELECT group_concat(n, ' ') FROM (SELECT count(*) n FROM results GROUP BY run_id ORDER BY n)")" \
    "$((total / 2)) $(((total + 1) / 2))"
expect_eq "two writers: exactly the targets of the list" \
    "$(sqlite3 "$DB" "SELECT target FROM hosts ORDER BY target" | sort | cmp - "$TMP/keys" && echo same)" "same"
expect_eq "two writers: nothing duplicated" "$(no_duplicates "$DB")" "0"
overlap=$(sqlite3 "$DB" "SELECT CASE WHEN max(started) <= min(finished) THEN 'yes' ELSE 'no' END FROM runs")
echo "# the two runs overlapped in time (seconds resolution): $overlap"
