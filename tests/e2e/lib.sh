# Shared helpers for end-to-end tests. Each check prints "ok - name" or
# "not ok - name"; tests/run.sh counts those lines.
# shellcheck shell=bash
set -u
: "${EXAUDIT:?run through tests/run.sh}"
SRC="${EXAUDIT_SRC:-.}"
BUILD_DIR="$SRC/${BUILD:-build}"
TMP="$(mktemp -d /tmp/exaudit-e2e.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

ok()   { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() {  # name, command... : passes when the command succeeds
    local name="$1"; shift
    if "$@" >"$TMP/.check.out" 2>&1; then ok "$name"; else fail "$name" "$(head -c 2000 "$TMP/.check.out")"; fi
}
expect_eq() {  # name, actual, expected
    if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "got:      $2" "expected: $3"; fi
}
expect_contains() {  # name, haystack, needle
    if [[ "$2" == *"$3"* ]]; then ok "$1"; else fail "$1" "missing: $3" "in: ${2:0:1500}"; fi
}
expect_not_contains() {
    if [[ "$2" != *"$3"* ]]; then ok "$1"; else fail "$1" "unexpected: $3"; fi
}
# Run a command, capture stdout in $OUT and the exit code in $RC.
run() { OUT="$("$@" 2>"$TMP/.stderr")"; RC=$?; ERR="$(cat "$TMP/.stderr")"; }
