#!/bin/sh
# Install the Debian 12 packages exaudit needs to build, test and demo.
# Idempotent: apt-get runs only when something is missing and we are root;
# otherwise the exact command is printed and the script fails if anything is missing.
set -eu

# Build: compiler, libraries (one per job, see DEVELOPERS.md), gettext tools.
BUILD_PKGS="build-essential pkg-config clang libclang-rt-14-dev gettext
  libcurl4-openssl-dev libssl-dev libyara-dev libsqlite3-dev libevtx-dev libregf-dev libbfio-dev
  libexpat1-dev libarchive-dev libpcre2-dev libjansson-dev openssl ca-certificates"
# Test and benchmark peers: bc (bench timings), nmap, curl, yara, ripgrep, python3 (Test-ProxyLogon
# stand-in), sqlite3 CLI, chromium + poppler for the report rendering test, iproute2,
# nghttp2-server (nghttpd) for the HTTP/2 scan test.
TEST_PKGS="bc curl nmap yara ripgrep python3 sqlite3 chromium poppler-utils iproute2 procps
  libevtx-utils time fonts-dejavu-core locales nghttp2-server"

want="$BUILD_PKGS"
case "${1:-}" in
  --test|--all) want="$BUILD_PKGS $TEST_PKGS" ;;
esac

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "deps: all packages present"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  echo "deps: done"
else
  echo "deps: missing packages:$missing" >&2
  echo "deps: run as root:  sudo $cmd" >&2
  exit 1
fi
