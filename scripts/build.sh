#!/usr/bin/env bash
# Configures and builds into build/ (or build-sanitize/ with --sanitize),
# quietly unless it fails. Prints the build directory on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build" flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir="$root/build-sanitize" flags=(-DCMAKE_BUILD_TYPE=Debug -DDFA_SANITIZE=ON)
fi
mkdir -p "$dir"
if ! { cmake -S "$root" -B "$dir" "${flags[@]}" && cmake --build "$dir" -j"$(nproc)"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  echo "build failed (log: $dir/build.log)" >&2
  exit 1
fi
echo "$dir"
