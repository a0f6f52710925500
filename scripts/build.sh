#!/usr/bin/env bash
# Configures and builds into build/ (or build-sanitize/ with --sanitize).
# Prints the build directory on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build" flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir="$root/build-sanitize" flags=(-DCMAKE_BUILD_TYPE=Debug -DDFA_SANITIZE=ON)
fi
cmake -S "$root" -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" >&2
echo "$dir"
