#!/usr/bin/env bash
# dfa-snapshot on a small dataset checked by hand (tests/data/snapshot-events.ndjson):
# golden rollups, comparisons, plan, restatement, historic units, the
# administrative calendar, nightly versions and the restatement of a late event.
source "$(dirname "$0")/lib.sh"
start_pipeline
SNAP="$BIN/bin/dfa-snapshot"
"$BIN/bin/dfa-produce" "$ROOT/tests/data/snapshot-events.ndjson" >/dev/null 2>&1
start_consumer snap
check "all 21 events consumed" wait_for_log "$WORK/snap.log" 'event=stats .* messages=21 ' 30

"$SNAP" --period H2025-1 >"$WORK/h1.json"
"$SNAP" --period H2025-1 --format md >"$WORK/h1.md"
check "H2025-1 JSON equals the golden rollup" cmp -s "$WORK/h1.json" "$ROOT/tests/data/golden/H2025-1.json"
check "H2025-1 Markdown equals the golden summary" cmp -s "$WORK/h1.md" "$ROOT/tests/data/golden/H2025-1.md"
check "the summary reads like the reports" grep -q '^- Đoàn ra: 3 đoàn (14 thành viên), tăng 2 đoàn (10 thành viên) so với cùng kỳ, đạt 75,0% kế hoạch.$' "$WORK/h1.md"

jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
expect_eq "no data last year: no previous, no %, and a note" "$(jq_py "$WORK/h1.json" 'd["national"]["rows"]["delegations_in"]["previous"], d["national"]["rows"]["delegations_in"]["pct"], d["national"]["rows"]["delegations_in"]["pct_note"]')" \
  "None None no data for the same period of the year before"
expect_eq "a province's nil declaration: value 0, declared_none" "$(jq_py "$WORK/h1.json" '[p["rows"]["delegations_out"] for p in d["provinces"] if p["unit"]=="04"][0]["value"], [p["rows"]["delegations_out"] for p in d["provinces"] if p["unit"]=="04"][0]["declared_none"]')" "0 True"
expect_eq "plan achievement" "$(jq_py "$WORK/h1.json" 'd["national"]["rows"]["delegations_out"]["plan"], d["national"]["rows"]["delegations_out"]["plan_pct"]')" "4 75.0"
expect_eq "restated on today's An Giang (91): the 2025 An Giang event, not the retracted Kiên Giang one" \
  "$(jq_py "$WORK/h1.json" '[p["rows"]["delegations_out"]["value"] for p in d["provinces"] if p["unit"]=="91"][0]')" 1
expect_eq "share of the national total" \
  "$(jq_py "$WORK/h1.json" '[p["rows"]["delegations_out"]["share_pct"] for p in d["provinces"] if p["unit"]=="01"][0]')" 66.7
expect_eq "a nil declaration shows on its province's row, at 0" \
  "$(jq_py "$WORK/h1.json" '[(p["rows"]["delegations_out"]["value"], p["rows"]["delegations_out"]["declared_none"]) for p in d["provinces"] if p["unit"]=="04"][0]')" "(0, True)"
expect_eq "coverage counts a nil declaration" "$(jq_py "$WORK/h1.json" 'd["national"]["coverage"]["reported"], "04" in d["national"]["coverage"]["missing"]')" "4 False"
expect_eq "gauge restated: the absorbed units' last reports" "$(jq_py "$WORK/h1.json" 'd["national"]["rows"]["ov_population"]["value"]')" 12000
"$SNAP" --period Y2025 >"$WORK/y.json"
expect_eq "gauge: the new unit's own report once it has one" "$(jq_py "$WORK/y.json" 'd["national"]["rows"]["ov_population"]["value"]')" 13000
"$SNAP" --period H2024-1 --historic >"$WORK/h2024.json"
expect_eq "historic units: the 63 units of 2024, Kiên Giang (91x) has the delegation" \
  "$(jq_py "$WORK/h2024.json" 'len(d["provinces"]), [p["rows"]["delegations_out"]["value"] for p in d["provinces"] if p["unit"]=="91x"][0], d["units"]')" "63 1 historic"
"$SNAP" --period A2025-03 >"$WORK/a3.json"
"$SNAP" --period A2025-04 >"$WORK/a4.json"
expect_eq "admin month closing 14 March holds the 23:59 delegation" "$(jq_py "$WORK/a3.json" 'd["national"]["rows"]["delegations_out"]["value"], d["first"], d["last"]')" "1 2025-02-15 2025-03-14"
expect_eq "the one at 17:00Z on the 14th opens the next" "$(jq_py "$WORK/a4.json" 'd["national"]["rows"]["delegations_out"]["value"]')" 1
"$SNAP" --period N2025 --as-of 2025-03-14 >"$WORK/asof.json"
expect_eq "an as-of cut-off" "$(jq_py "$WORK/asof.json" 'd["national"]["rows"]["delegations_out"]["value"], d["as_of"]')" "2 2025-03-14"

# nightly: versions, determinism, notices
export DFA_SNAPSHOT_DIR="$WORK/snapshots"
"$SNAP" --nightly --date 2025-09-30 2>"$WORK/n1.log"
check "nightly wrote the day's periods and the finals" grep -q 'event=nightly_done date=2025-09-30 written=42 unchanged=0' "$WORK/n1.log"
(cd "$WORK/snapshots" && find . -type f | sort | xargs sha256sum) >"$WORK/sums1"
"$SNAP" --nightly --date 2025-09-30 2>"$WORK/n2.log"
(cd "$WORK/snapshots" && find . -type f | sort | xargs sha256sum) >"$WORK/sums2"
check "a rerun with no new data writes no version" grep -q 'written=0 unchanged=42' "$WORK/n2.log"
check "and leaves every file byte-identical" cmp -s "$WORK/sums1" "$WORK/sums2"
expect_eq "one notice per version on the rollups topic" "$(topic_count dfa.rollups)" 42
expect_eq "versions are in Redis too" "$(redis-cli -p "$REDIS_PORT" hget dfa:snapshots H2025-1@2025-06-30)" 1

# a late event about March 2025 restates what was snapshotted
printf '%s\n' '{"event_id":"late-1","type":"delegation.out.approved","occurred_at":"2025-03-02T09:00:00+07:00","province":"01","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"departments","members":4,"countries":["JP"]}}' \
  | "$BIN/bin/dfa-produce" >/dev/null 2>&1
wait_for_log "$WORK/snap.log" 'event=stats .* messages=22 ' 30
"$SNAP" --nightly --date 2025-09-30 2>"$WORK/n3.log"
check "the late event gave new versions" grep -q 'event=snapshot_written period=H2025-1 as_of=2025-06-30 version=2 ' "$WORK/n3.log"
check "untouched periods kept their version" test ! -e "$WORK/snapshots/H2024-1/2024-06-30/v2.json"
expect_eq "the diff says what changed" "$(jq_py "$WORK/snapshots/H2025-1/2025-06-30/diff-v2.json" '[(c["scope"], c["row"], c["was"], c["now"]) for c in d["changes"] if c["row"]=="delegations_out"]')" \
  "[('national', 'delegations_out', 3, 4), ('01', 'delegations_out', 2, 3)]"
check "version 1 is still there, unchanged" grep -q "H2025-1/2025-06-30/v1.json" "$WORK/sums1"
finish
