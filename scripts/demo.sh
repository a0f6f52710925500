#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, and
# runs the pipeline over a realistic sample, printing national totals.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
dir=$("$root/scripts/build.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$dir/producers/dfa-loadgen" --count 20000 --seed 2026 --years 2025-2026 --output "$work/events.ndjson"
"$dir/producers/dfa-check" --totals "$work/events.ndjson" >"$work/totals.txt" || true
grep -E '^(month|M2026-0[1-3]) ' "$work/totals.txt" | grep -E 'month|delegations_out |delegations_in |ngo_aid_items'
