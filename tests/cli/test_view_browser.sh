#!/usr/bin/env bash
# The dashboard in a real browser (tests/browser/view.test.mjs, playwright-core driving /usr/bin/chromium):
# a pipeline with a stream applied, dfa-view, a ministry and a department token. Screenshots are kept in
# $BIN/tests/view-screenshots.
source "$(dirname "$0")/lib.sh"
check "playwright-core installed with npm ci" browser_deps
cp "$ROOT/tests/browser/view.test.mjs" "$BIN/tests/browser/" # an ES module resolves its imports from where it is
start_pipeline
"$BIN/bin/dfa-loadgen" --count 3000 --seed 33 --years 2024-2026 --kafka --truth "$WORK/truth.json" 2>/dev/null
start_consumer c1
truth_tsv "$WORK/truth.json" >"$WORK/want.tsv"
check "the pipeline converged" wait_converged "$WORK/want.tsv" 60
tok() { "$BIN/bin/dfa-token" --file "$WORK/tokens" "$@" 2>/dev/null; }
export MIN_TOKEN=$(tok create ministry --provinces '*' --rights read) HN_TOKEN=$(tok create hanoi --provinces 01 --rights read)
"$BIN/bin/dfa-view" --set view.tokens="$WORK/tokens" --set view.listen=127.0.0.1:0 --set view.max_per_ip=0 \
  --set view.interval_ms=200 --address-file "$WORK/view.addr" 2>"$WORK/view.log" &
PIDS+=("$!")
wait_for_file "$WORK/view.addr" 20
cat >"$WORK/event.ndjson" <<'J'
{"event_id": "browser-1", "type": "delegation.out.approved", "occurred_at": "2025-09-02T10:00:00+07:00", "province": "Hà Nội", "reporter": "dept_foreign_affairs", "schema_version": 1, "data": {"level": "provincial_leaders", "members": 3, "countries": ["KR"]}}
J
export VIEW=$(cat "$WORK/view.addr") BIN SHOTS="$BIN/tests/view-screenshots" EVENT_FILE="$WORK/event.ndjson"
check "the dashboard in chromium" node "$BIN/tests/browser/view.test.mjs"
finish
