#!/bin/bash
# make demo: real work on loopback only. Looks up a handful of Exchange builds
# that matter (ProxyLogon-era, CU-only, end of life, current SE) in the
# compiled knowledge base.
set -u
cd "$(dirname "$0")/.."
BIN=build/exaudit
echo "== exaudit build: what is each of these servers, and what is it exposed to?"
"$BIN" build 15.1.2176.2 15.1.2176 15.2.1748.43 15.2.2562.46 14.3.123.4
echo "(exit status $? : 1 means a vulnerable build was found)"
