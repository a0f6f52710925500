#!/usr/bin/env bash
# The department's page of dfa-gateway in a real browser: Debian's chromium driven by playwright-core
# (tests/browser/gateway_page.mjs) against the real service, broker, Redis and consumer on loopback.
# Sign in, one delegation through the form, a file of three lines of which one is invalid (its reason
# exactly as dfa-check gives it), then the events counted in Redis exactly. Saves a screenshot.
source "$(dirname "$0")/lib.sh"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1   # chromium is Debian's; never a download
(cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --silent) >&2

start_pipeline
start_consumer consumer
TOKENS="$WORK/tokens"
TOKEN=$("$BIN/bin/dfa-token" --file "$TOKENS" create hanoi-page --provinces 01 --rights publish)
rm -f "$WORK/gw.addr"
"$BIN/bin/dfa-gateway" --set gateway.tokens="$TOKENS" --set gateway.listen=127.0.0.1:0 \
  --address-file "$WORK/gw.addr" 2>>"$WORK/gw.log" &
PIDS+=($!)
wait_for_file "$WORK/gw.addr" 20
GW=$(cat "$WORK/gw.addr")

scenario "the page is served with its scripts from files only"
curl -s -D "$WORK/page.head" -o "$WORK/page.html" "$GW/"
check "index.html at /" grep -q '<script src="/app.js" defer></script>' "$WORK/page.html"
check "no inline script" bash -c "! grep -qE '<script>|<script [^s]|on(click|submit|load)=' '$WORK/page.html'"
check "no external resource" bash -c "! grep -qiE '(src|href)=\"(https?:)?//' '$WORK/page.html'"
check "under the CSP" grep -qi "^content-security-policy: default-src 'self'" "$WORK/page.head"
expect_eq "whoami without a token: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$GW/v1/whoami")" 401
expect_eq "catalog without a token: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$GW/v1/catalog")" 401

scenario "in chromium: sign in, a delegation through the form, a file read line by line"
ev() { # ev ID MEMBERS-JSON LEVEL DAY: a delegation of Hà Nội in March 2026
  printf '{"event_id":"%s","type":"delegation.out.approved","occurred_at":"2026-03-%sT09:00:00+07:00","province":"Hà Nội","reporter":"dept_foreign_affairs","schema_version":1,"data":{"level":"%s","members":%s,"countries":["FR"]}}\n' \
    "$1" "$4" "$3" "$2"
}
{ ev hn-page-1 2 departments 10; ev hn-page-2 '"ba"' departments 11; ev hn-page-3 5 communes 12; } >"$WORK/upload.ndjson"
# what each line must show: dfa-check's verdict on the same file
"$BIN/bin/dfa-check" --json "$WORK/upload.ndjson" >"$WORK/check.json" 2>/dev/null || [ $? -eq 1 ]
python3 - "$WORK/upload.ndjson" "$WORK/check.json" >"$WORK/expect.json" <<'PY'
import json, sys
bad = {c["line"]: c["error"]["message"] for c in map(json.loads, open(sys.argv[2])) if not c["valid"]}
lines = []
for n, text in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    lines.append({"line": n, "event_id": json.loads(text)["event_id"],
                  "status": "rejected" if n in bad else "accepted", "reason": bad.get(n, "")})
print(json.dumps({"lines": lines}))
PY
expect_eq "dfa-check finds the one invalid line" "$(python3 -c 'import json,sys; print([l["reason"] for l in json.load(open(sys.argv[1]))["lines"]])' "$WORK/expect.json")" \
  "['', 'data.members: expected integer 1..10000, got \"ba\"', '']"
SHOT="$BIN/tests/gateway_page.png"
rm -f "$SHOT"
check "the page does what the officer asks" node "$ROOT/tests/browser/gateway_page.mjs" "$GW" "$TOKEN" \
  "$WORK/upload.ndjson" "$WORK/expect.json" "$SHOT"
check "a screenshot saved" test -s "$SHOT"
log "screenshot: $SHOT"

scenario "counted in Redis: Hà Nội, March 2026"
# by hand: the form's delegation (4 members) and the file's two valid lines (2 and 5 members)
want='delegations_out=3 delegation_out_members=11'
counted() {
  local deadline=$((SECONDS + 60)) got=''
  while [ $SECONDS -lt $deadline ]; do
    got=$("$BIN/bin/dfa-query" --json --period M2026-03 --province 01 --metric delegations_out \
      --metric delegation_out_members 2>/dev/null | python3 -c '
import json, sys
total = {f["row"]: f["value"] for f in json.load(sys.stdin)["figures"]}  # a total row is the metric alone
print(" ".join(f"{m}={total.get(m)}" for m in ("delegations_out", "delegation_out_members")))' 2>/dev/null) || true
    [ "$got" = "$want" ] && return 0
    sleep 1
  done
  log "dfa-query gives [$got], want [$want]"; return 1
}
check "dfa-query: $want" counted
finish
