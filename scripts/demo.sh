#!/bin/bash
# `make demo`: real work on loopback only, each part printing what it made.
set -eu
cd "$(dirname "$0")/.."
BIN=build/exaudit
echo "== exaudit build: what is each of these servers, and what is it exposed to?"
"$BIN" build 15.1.2176.2 15.1.2176 2>&1 | head -30 || true
echo
echo "== inventory, hunt and German report"
report=$(scripts/demo-inventory.sh "${DEMO_DIR:-/tmp/exaudit-demo}" | tee /dev/stderr | tail -1)
echo "report: $report"
