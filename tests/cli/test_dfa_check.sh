#!/usr/bin/env bash
# dfa-check: line numbers and reasons, exit status, --explain and --json, NDJSON and CSV.
source "$(dirname "$0")/lib.sh"
CHECK="$BIN/bin/dfa-check"
ok='{"event_id":"e1","type":"delegation.out.approved","occurred_at":"2024-05-10T07:00:00Z","province":"Kien Giang","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"provincial_leaders","members":5,"countries":["JP","KR"],"in_plan":true}}'
bad_members=${ok/\"members\":5/\"members\":\"ba\"}
bad_province=${ok/Kien Giang/Atlantis}
printf '%s\n\n%s\n%s\n%s\n' "$ok" "$bad_members" "$ok" "$bad_province" >"$WORK/mixed.ndjson"

expect_exit "exit 1 with invalid lines" 1 "$CHECK" "$WORK/mixed.ndjson"
expect_eq "each invalid line with number and reason" "$(cat "$WORK/exit.out")" \
"$WORK/mixed.ndjson:3: invalid (schema): data.members: expected integer 1..10000, got \"ba\"
$WORK/mixed.ndjson:5: invalid (province): province: unknown province \"Atlantis\""
expect_eq "summary on stderr (blank lines skipped)" "$(cat "$WORK/exit.err")" "dfa-check: 4 events: 2 valid, 2 invalid"

printf '%s\n' "$ok" | "$CHECK" >"$WORK/out.txt" 2>/dev/null
check "stdin, all valid: exit 0 and nothing to report" test ! -s "$WORK/out.txt"

printf '%s\n' "$ok" | "$CHECK" --explain --json >"$WORK/explain.json" 2>/dev/null
check "--explain --json" python3 - "$WORK/explain.json" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["valid"] and r["line"] == 1
assert r["province"]["current"]["code"] == "91" and r["province"]["original"]["unit_id"] == "91x", r["province"]
assert r["local_time"] == "2024-05-10T14:00:00+07:00"
assert r["periods"] == {"day": "D2024-05-10", "month": "M2024-05", "quarter": "Q2024-2", "half": "H2024-1",
                        "nine_months": "N2024", "year": "Y2024", "admin_month": "A2024-05", "admin_year": "AY2024"}, r["periods"]
d = {(x["key"], x["field"]): x["amount"] for x in r["deltas"]}
assert len(r["deltas"]) == 20
assert d[("dfa:{p:91}:c:M2024-05:7", "delegation_out_members@91x")] == 5
assert d[("dfa:{p:91}:d:M2024-05:partner_countries@91x", "KR")] == 1
PY

printf '%s\n' "$ok" | "$CHECK" --explain >"$WORK/explain.txt" 2>/dev/null
check "--explain names both units" grep -q "province today: 91 An Giang; unit in force then: 91x Kiên Giang" "$WORK/explain.txt"
check "--explain lists deltas" grep -q "HINCRBY dfa:{p:91}:c:M2024-05:7 delegations_out|countries=JP@91x 1" "$WORK/explain.txt"

printf '%s\n%s\n' "$ok" "${ok/e1/e2}" | "$CHECK" --totals >"$WORK/totals.txt" 2>/dev/null
check "--totals sums the month" grep -qE '^M2024-05 +delegation_out_members +10$' "$WORK/totals.txt"

# Input echoed in a message cannot forge a line of output: one line per input line.
printf '%s\n' "${ok/Kien Giang/x\\nfake.ndjson:9: valid}" >"$WORK/forge.ndjson"
"$CHECK" "$WORK/forge.ndjson" >"$WORK/out.txt" 2>/dev/null || true
expect_eq "a newline in the province stays on its line" "$(cat "$WORK/out.txt")" \
"$WORK/forge.ndjson:1: invalid (province): province: \"x\\nfake.ndjson:9: valid\" is neither a code nor a name"
expect_eq "and is one line" "$(wc -l <"$WORK/out.txt")" 1

# Hostile bytes: every line gets one line of text, and one JSON object with its error.
python3 - "$WORK/hostile.ndjson" "$ok" <<'PY'
import sys
ok = sys.argv[2].encode()
lines = [
    ok.replace(b"Kien Giang", b"x\\nfake.ndjson:9: valid"),   # escaped newline in a value
    b'{"event_id":"\xff\xfe"}',                                # invalid UTF-8
    b'{"a":1\x1b[31m}',                                        # a raw escape sequence
    b'{"event_id":"e1"\x00}',                                  # a NUL
    b'{"event_id":"' + b"x" * 70000 + b'"}',                   # longer than an event may be
    ok.replace(b'"data"', b'"' + b"a" * 39 + "é".encode() + b'z":1,"data"'),   # a cut in a 2-byte character
    ok.replace(b'"data"', b'"' + b"a" * 38 + "😀".encode() + b'z":1,"data"'),  # and in a 4-byte one
    ok.replace(b"delegation.out.approved", b"\\u009b31m\\u2028"),  # C1 control, line separator
    b"\x80" * 1000,                                            # continuation bytes alone
    b'{"event_id":"\xc3',                                       # a character cut by the end of the line
    b'\r{"a":\r1\x7f}',                                         # CR and DEL
]
open(sys.argv[1], "wb").write(b"\n".join(lines) + b"\n")
PY
"$CHECK" "$WORK/hostile.ndjson" >"$WORK/out.txt" 2>/dev/null || true
expect_eq "hostile lines: one line of text each" "$(wc -l <"$WORK/out.txt")" 11
check "each names its line" python3 -c '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
sys.exit(any(not l.startswith(b"%s:%d: invalid (" % (sys.argv[2].encode(), i + 1)) or any(c < 0x20 for c in l)
             for i, l in enumerate(lines)))' "$WORK/out.txt" "$WORK/hostile.ndjson"
"$CHECK" --json "$WORK/hostile.ndjson" >"$WORK/out.json" 2>/dev/null || true
check "--json: valid JSON with an error for every hostile line" python3 - "$WORK/out.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
rows = [json.loads(l) for l in raw.decode("utf-8").split("\n")[:-1]]
assert [r["line"] for r in rows] == list(range(1, 12)), [r.get("line") for r in rows]
for r in rows:
    assert r["valid"] is False, r
    e = r["error"]
    assert isinstance(e["code"], str) and isinstance(e["message"], str) and e["message"], r
    assert not any(ord(c) < 0x20 for c in e["message"]), r
m = {r["line"]: r["error"]["message"] for r in rows}
assert m[1] == 'province: "x\\nfake.ndjson:9: valid" is neither a code nor a name', m[1]
assert m[3] == "json: column 7: '}' expected near '\\u001b'", m[3]
assert m[5] == "event: 70015 bytes, more than the limit of 65536", m[5]
assert m[6] == "a" * 39 + "...: unknown envelope field", m[6]
assert m[7] == "a" * 38 + "...: unknown envelope field", m[7]
assert m[8] == 'type: unknown event type "\\u009b31m\\u2028"', m[8]
PY
# CSV: the example file is valid; a missing column stops the file at its header; a bad row is one line
expect_exit "CSV: the example file is valid" 0 "$CHECK" "$ROOT/producers/examples/delegations.csv"
expect_eq "CSV: nothing to report" "$(cat "$WORK/exit.out")" ""
expect_eq "CSV: summary" "$(cat "$WORK/exit.err")" "dfa-check: 3 events: 3 valid, 0 invalid"
csv_head='event_id,type,occurred_at,province,reporter,data.level,data.members,data.countries,data.in_plan'
csv_row='e1,delegation.out.approved,2024-05-10T07:00:00Z,Kien Giang,dept_foreign_affairs,provincial_leaders,5,JP;KR,TRUE'
printf '%s\r\n' "${csv_head/,data.members/}" "${csv_row/,5,/,}" >"$WORK/missing.csv"
expect_exit "CSV: a missing column: exit 1" 1 "$CHECK" "$WORK/missing.csv"
expect_eq "CSV: the missing column named, at the header" "$(cat "$WORK/exit.out")" \
"$WORK/missing.csv:1: invalid (csv): header: missing column \"data.members\", required for type delegation.out.approved"
printf '%s\n' "$csv_head" "$csv_row" "${csv_row/,5,/,ba,}" "${csv_row/,TRUE/}" "${csv_row/Kien Giang/Kien \"Giang}" \
  "${csv_row/e1/e2}" >"$WORK/rows.csv"
expect_exit "CSV: bad rows: exit 1" 1 "$CHECK" "$WORK/rows.csv"
expect_eq "CSV: each bad row with its line and reason" "$(cat "$WORK/exit.out")" \
"$WORK/rows.csv:3: invalid (schema): data.members: expected integer 1..10000, got \"ba\"
$WORK/rows.csv:4: invalid (csv): expected 9 cells as in the header, got 8
$WORK/rows.csv:5: invalid (csv): cell 4 (province): a quote inside an unquoted cell (quote the whole cell and write the quote as \"\")"
expect_eq "CSV: summary counts every row" "$(cat "$WORK/exit.err")" "dfa-check: 5 events: 2 valid, 3 invalid"
printf '%s\n' "$csv_head" "${csv_row/,5,/,\"ba\",}" >"$WORK/members.csv"
# the same reason as the NDJSON line, from stdin with --format csv
"$CHECK" --format csv <"$WORK/members.csv" >"$WORK/out.txt" 2>/dev/null || true
expect_eq "CSV: a bad number gets the NDJSON reason" "$(cat "$WORK/out.txt")" \
"<stdin>:2: invalid (schema): data.members: expected integer 1..10000, got \"ba\""
printf '%s\n' "$csv_head" "$csv_row" | "$CHECK" --format csv --explain --json >"$WORK/csv1.json" 2>/dev/null
printf '%s\n' "$ok" | "$CHECK" --explain --json >"$WORK/nd1.json" 2>/dev/null
check "CSV: --explain --json of a row equals its NDJSON line's (but the line)" python3 - "$WORK/csv1.json" "$WORK/nd1.json" <<'PY'
import json, sys
a, b = (json.loads(open(f).read()) for f in sys.argv[1:])
assert a.pop("line") == 2 and b.pop("line") == 1
a.pop("file"); b.pop("file")
assert a == b, (a, b)
PY
expect_exit "--format must be ndjson or csv" 2 "$CHECK" --format xml /dev/null
expect_exit "missing file: exit 2" 2 "$CHECK" /nonexistent.ndjson
expect_exit "bad catalog path: exit 2" 2 "$CHECK" --set catalog=/nonexistent.json </dev/null
check "and names the file" grep -q "/nonexistent.json: line -1 column -1: unable to open" "$WORK/exit.err"
finish
