#!/usr/bin/env bash
# dfa-check: line numbers and reasons, exit status, --explain and --json.
source "$(dirname "$0")/lib.sh"
CHECK="$BIN/producers/dfa-check"
ok='{"event_id":"e1","type":"delegation.out.approved","occurred_at":"2024-05-10T07:00:00Z","province":"Kien Giang","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"provincial_leaders","members":5,"countries":["JP","KR"],"in_plan":true}}'
bad_members=${ok/\"members\":5/\"members\":\"ba\"}
bad_province=${ok/Kien Giang/Atlantis}
printf '%s\n\n%s\n%s\n%s\n' "$ok" "$bad_members" "$ok" "$bad_province" >"$WORK/mixed.ndjson"

set +e
"$CHECK" "$WORK/mixed.ndjson" >"$WORK/out.txt" 2>"$WORK/err.txt"; rc=$?
set -e
expect_eq "exit 1 with invalid lines" "$rc" 1
expect_eq "each invalid line with number and reason" "$(cat "$WORK/out.txt")" \
"$WORK/mixed.ndjson:3: invalid (schema): data.members: expected integer 1..10000, got \"ba\"
$WORK/mixed.ndjson:5: invalid (province): province: unknown province \"Atlantis\""
expect_eq "summary on stderr (blank lines skipped)" "$(cat "$WORK/err.txt")" "dfa-check: 4 events: 2 valid, 2 invalid"

printf '%s\n' "$ok" | "$CHECK" >"$WORK/out.txt" 2>/dev/null
check "stdin, all valid: exit 0 and nothing to report" test ! -s "$WORK/out.txt"

printf '%s\n' "$ok" | "$CHECK" --explain --json >"$WORK/explain.json" 2>/dev/null
python3 - "$WORK/explain.json" <<'PY' && PASSES=$((PASSES + 1)) && log "ok: --explain --json" || { FAILS=$((FAILS + 1)); log "FAIL: --explain --json"; }
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["valid"] and r["line"] == 1
assert r["province"]["current"]["code"] == "91" and r["province"]["original"]["unit_id"] == "91x", r["province"]
assert r["local_time"] == "2024-05-10T14:00:00+07:00"
assert r["periods"] == {"day": "D2024-05-10", "month": "M2024-05", "quarter": "Q2024-2", "half": "H2024-1",
                        "nine_months": "N2024", "year": "Y2024", "admin_month": "A2024-05", "admin_year": "AY2024"}, r["periods"]
d = {(x["key"], x["field"]): x["amount"] for x in r["deltas"]}
assert len(r["deltas"]) == 20
assert d[("dfa:{p:91}:c:M2024-05", "delegation_out_members@91x")] == 5
assert d[("dfa:{p:91}:d:M2024-05:partner_countries@91x", "KR")] == 1
PY

printf '%s\n' "$ok" | "$CHECK" --explain >"$WORK/explain.txt" 2>/dev/null
check "--explain names both units" grep -q "province today: 91 An Giang; unit in force then: 91x Kiên Giang" "$WORK/explain.txt"
check "--explain lists deltas" grep -q "HINCRBY dfa:{p:91}:c:M2024-05 delegations_out|countries=JP@91x 1" "$WORK/explain.txt"

printf '%s\n%s\n' "$ok" "${ok/e1/e2}" | "$CHECK" --totals >"$WORK/totals.txt" 2>/dev/null
check "--totals sums the month" grep -qE '^M2024-05 +delegation_out_members +10$' "$WORK/totals.txt"

set +e
"$CHECK" /nonexistent.ndjson 2>"$WORK/err.txt"; rc=$?
expect_eq "missing file: exit 2" "$rc" 2
"$CHECK" --set catalog=/nonexistent.json </dev/null 2>"$WORK/err.txt"; rc=$?
set -e
expect_eq "bad catalog path: exit 2" "$rc" 2
check "and names the file" grep -q "/nonexistent.json: line -1 column -1: unable to open" "$WORK/err.txt"
finish
