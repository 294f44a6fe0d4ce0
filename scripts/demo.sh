#!/bin/bash
# `make demo`: the parts of the demo, each printing what it made.
# (Other parts, e.g. the lab scan on its own, are added here by their owners.)
set -eu
cd "$(dirname "$0")/.."
echo "== inventory, hunt and German report"
report=$(scripts/demo-inventory.sh "${DEMO_DIR:-/tmp/exaudit-demo}" | tee /dev/stderr | tail -1)
echo "report: $report"
