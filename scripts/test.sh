#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs ctest.
# --sanitize runs them in an AddressSanitizer + UBSan build instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
dir=$("$root/scripts/build.sh" "$@")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$dir"
ctest --output-on-failure --timeout 600 -j2
