#!/usr/bin/env bash
# Installs every Debian package dfa-pipeline needs to build, test and run the
# demo. Idempotent: installs only what is missing; non-interactive; uses sudo
# when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config     # toolchain
  librdkafka-dev libjansson-dev libhiredis-dev libcmocka-dev   # the fixed stack
  libsodium-dev                        # SHA-256 (fingerprints, dead-letter digests), token hashes
  libmicrohttpd-dev                    # the HTTP layer (dfa-gateway)
  redis-server                         # the real Redis the demo and tests start
  kcat                                 # a real Kafka client the tests read back with
  python3                              # test drivers
  curl openssl                         # the gateway's tests: requests, a TLS certificate
)
# --test: the browser tests drive Debian's chromium with playwright-core (tests/browser, npm ci; never a
# browser download); bench/view.sh loads dfa-view with wrk.
# --test: what only the tests need: docker-compose validates the compose files
# (its `config` needs no Docker engine), systemd-analyze checks the timer;
# chromium, driven by playwright-core from npm (tests/browser), tests the
# department's page and turns the printable report into a PDF, read back with
# poppler-utils (pdftotext, pdftoppm). A node and npm already on PATH (e.g. not
# from Debian) are kept. bench/view.sh uses wrk.
if [ "${1:-}" = "--test" ]; then
  packages+=(docker-compose systemd chromium poppler-utils wrk)
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
