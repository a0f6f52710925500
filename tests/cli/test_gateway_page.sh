#!/usr/bin/env bash
# The department's page (gateway/www/) in a real browser: Debian's chromium driven by playwright-core
# (tests/browser/gateway_page.js) against dfa-gateway, a real dfa-broker, redis-server and dfa-consumer.
# The officer signs in, sends a delegation through the form and a file with an invalid line and another
# province's event, and reads the results; then Redis must hold exactly what the oracle computes from the
# topic, and the figures computed here by hand. The page's screenshot: $BIN/tests/gateway_page.png.
source "$(dirname "$0")/lib.sh"


scenario "what the browser needs"
check "chromium is installed" test -x /usr/bin/chromium
check "playwright-core installed with npm ci" browser_deps

start_pipeline
start_consumer page
TOKENS="$WORK/tokens"
TOKEN=$("$BIN/bin/dfa-token" --file "$TOKENS" create hanoi-dept --provinces 01 --rights publish)
start_gateway gw

# line 3 is blank (skipped, still counted as a line); line 2 is invalid; line 5 is another province's
cat >"$WORK/upload.ndjson" <<'EOF'
{"event_id":"hn-file-1","type":"delegation.out.approved","occurred_at":"2025-03-09T08:00:00+07:00","province":"Hà Nội","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"departments","members":4,"countries":["FR"],"in_plan":false}}
{"event_id":"hn-file-2","type":"delegation.out.approved","occurred_at":"2025-03-10T08:00:00+07:00","province":"Hà Nội","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"departments","members":"ba","countries":["FR"]}}

{"event_id":"hn-file-3","type":"delegation.out.approved","occurred_at":"2025-03-16T09:30:00+07:00","province":"Thành phố Hà Nội","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"enterprises","members":12,"countries":["US","CA","MX"]}}
{"event_id":"hcm-file-1","type":"delegation.out.approved","occurred_at":"2025-08-16T09:30:00+07:00","province":"TP. Hồ Chí Minh","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"enterprises","members":5,"countries":["SG"]}}
EOF
# a spreadsheet's CSV (docs/events.md "CSV"): the header is line 1; line 3's members is no number
cat >"$WORK/visits.csv" <<'EOF'
event_id,type,occurred_at,province,reporter,data.origin_country,data.kind,data.members
hn-csv-1,delegation.in.received,2025-03-20T14:00:00+07:00,Hà Nội,dept_foreign_affairs,KR,embassy,5
hn-csv-2,delegation.in.received,2025-03-21T14:00:00+07:00,Hà Nội,dept_foreign_affairs,JP,consulate,năm
EOF
printf 'this is not an export\nat all\n' >"$WORK/garbage.ndjson"

scenario "the page is served with its scripts from files only"
curl -s -D "$WORK/page.head" -o "$WORK/page.html" "$GW/"
check "index.html at /" grep -q '<script type="module" src="app.js"></script>' "$WORK/page.html"
check "no inline script" bash -c "! grep -qE '<script>|on(click|submit|load|change)=' '$WORK/page.html'"
check "no external resource" bash -c "! grep -qiE '(src|href)=\"(https?:)?//' '$WORK/page.html'"
check "under the CSP" grep -qi "^content-security-policy: default-src 'self'" "$WORK/page.head"

scenario "what the page asks first: GET /v1/whoami and /v1/catalog, behind the token"
get() { # get PATH [TOKEN]: the status on stdout, the body in $WORK/body.json
  curl -s -o "$WORK/body.json" -w '%{http_code}' ${2:+-H "Authorization: Bearer $2"} "$GW$1"
}
body() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/body.json" "$1"; }
expect_eq "whoami without a token: 401" "$(get /v1/whoami)" 401
expect_eq "as JSON" "$(body 'd["error"]')" "{'code': 'unauthorized', 'message': 'an Authorization: Bearer <token> header is required'}"
expect_eq "a wrong secret: 401" "$(get /v1/whoami "hanoi-dept.AAAA")" 401
expect_eq "catalog without a token: 401" "$(get /v1/catalog)" 401
expect_eq "whoami: 200" "$(get /v1/whoami "$TOKEN")" 200
expect_eq "the token's name, rights, provinces and limits" \
  "$(body '[d["name"], d["rights"], d["provinces"], d["limits"]]')" \
  "['hanoi-dept', ['publish'], [{'code': '01', 'name': 'Hà Nội'}], {'max_body_bytes': 8388608, 'max_events': 10000}]"
expect_eq "its reporter roles: all of the catalog's" "$(body 'd["reporters"]')" \
  "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["reporters"])' "$ROOT/config/catalog.json")"
expect_eq "catalog: 200" "$(get /v1/catalog "$TOKEN")" 200
check "the catalog as the file says" python3 - "$WORK/body.json" "$ROOT/config/catalog.json" <<'PY'
import json, sys
d, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert all(d[k] == want[k] for k in ("reporters", "metrics", "types"))
PY
expect_eq "minor units: VND 0, USD 2, KWD 3 digits" \
  "$(body '[c["exponent"] for c in d["currencies"] if c["code"] in ("KWD", "USD", "VND")]')" "[3, 2, 0]"
expect_eq "countries are ISO 3166-1 codes" "$(body '[c in d["countries"] for c in ("VN", "JP", "XX")]')" "[True, True, False]"
start_gateway second
expect_eq "a second gateway answers whoami" "$(get /v1/whoami "$TOKEN")" 200
expect_eq "and the catalog" "$(get /v1/catalog "$TOKEN")" 200
kill -TERM "$GW_PID"
rc=0; wait "$GW_PID" || rc=$?
expect_eq "that gateway stops cleanly on SIGTERM (in the sanitize build: nothing leaked)" "$rc" 0
GW=$(cat "$WORK/gw.addr")

scenario "the officer's session in chromium"
SHOT="$BIN/tests/gateway_page.png"
rm -f "$SHOT"
page_run() { # the browser's checks print their own ok/FAIL lines; the token goes by the environment
  GW=$GW TOKEN=$TOKEN FILE="$WORK/upload.ndjson" CSV="$WORK/visits.csv" GARBAGE="$WORK/garbage.ndjson" SCREENSHOT="$SHOT" \
    NODE_PATH="$BIN/tests/browser/node_modules" node "$ROOT/tests/browser/gateway_page.js" >"$WORK/page.json"
}
check "every check on the page passed" page_run
check "the screenshot was saved ($SHOT)" bash -c "head -c 8 '$SHOT' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
FORM_ID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["form_event_id"])' "$WORK/page.json")

scenario "what the page sent is counted in Redis"
topic_events "$WORK/topic.ndjson"
expect_eq "the topic holds the form's event, the file's two accepted ones and the CSV's" \
  "$(python3 -c 'import json, sys; print(" ".join(json.loads(l)["event_id"] for l in open(sys.argv[1])))' "$WORK/topic.ndjson")" \
  "$FORM_ID hn-file-1 hn-file-3 hn-csv-1"
expect_eq "each traced to the page's token" "$(kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q -f '%h\n' 2>/dev/null |
  grep -o 'dfa.token=[a-z-]*' | sort | uniq -c | tr -s ' ')" " 4 dfa.token=hanoi-dept"
oracle_tsv "$WORK/topic.ndjson" >"$WORK/want.tsv"
check "Redis equals the oracle of the topic" wait_converged "$WORK/want.tsv" 30

figure() { # figure ROW: the value of a row of Hà Nội's first quarter of 2025
  "$BIN/bin/dfa-query" --period Q2025-1 --province 01 --metric delegations_out --metric delegation_out_members \
    --metric delegations_in --metric delegation_in_members \
    --breakdowns --json | python3 -c '
import json, sys
rows = {f["row"]: f["value"] for f in json.load(sys.stdin)["figures"]}
print(rows.get(sys.argv[1], 0))' "$1"
}
# by hand: the form's delegation (provincial leaders, 6 members, JP and KR, cooperation, in plan) and the
# file's lines 1 (4 members, FR) and 4 (12 members, US CA MX); line 2 is invalid, line 5 forbidden; the
# CSV's row of line 2 (an embassy's delegation of 5 from KR), not line 3
expect_eq "delegations out: 3" "$(figure delegations_out)" 3
expect_eq "members: 6 + 4 + 12" "$(figure delegation_out_members)" 22
expect_eq "the form's level" "$(figure 'delegation_out_members|level=provincial_leaders')" 6
expect_eq "the form's countries, JP" "$(figure 'delegations_out|countries=JP')" 1
expect_eq "and KR" "$(figure 'delegations_out|countries=KR')" 1
expect_eq "the form's purpose" "$(figure 'delegations_out|purpose=cooperation')" 1
expect_eq "the form's in_plan" "$(figure 'delegations_out|in_plan=yes')" 1
expect_eq "nothing of the invalid line (FR once, from line 1)" "$(figure 'delegations_out|countries=FR')" 1
expect_eq "delegations in: the CSV's valid row" "$(figure delegations_in)" 1
expect_eq "its members" "$(figure delegation_in_members)" 5
expect_eq "its origin" "$(figure 'delegations_in|origin_country=KR')" 1
check "the gateway never logged the token's secret" bash -c "! grep -qF '${TOKEN#*.}' '$WORK/gw.log'"

finish
