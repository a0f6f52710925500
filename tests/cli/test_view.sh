#!/usr/bin/env bash
# dfa-view (docs/view.md): its totals equal dfa-query's for the same periods, as JSON and CSV; tokens
# and scopes (401, 403, a department on another province); 400 naming a bad period; Server-Sent Events
# (an event per change, Last-Event-ID on reconnect); the limits; and dfa-consumer's /metrics counted
# exactly against the oracle of the stream it applied.
source "$(dirname "$0")/lib.sh"
start_pipeline
MPORT=$(free_port)
"$BIN/bin/dfa-loadgen" --count 4000 --seed 161 --years 2024-2026 --kafka --truth "$WORK/truth.json" 2>/dev/null
start_consumer c1 --set consumer.metrics_listen=127.0.0.1:$MPORT --set kafka.statistics.interval.ms=300
topic_events "$WORK/topic.ndjson"
"$BIN/bin/dfa-check" --json "$WORK/topic.ndjson" >"$WORK/check.json" 2>/dev/null || true
python3 "$ROOT/tests/oracle/dfa_oracle.py" --check-json "$WORK/check.json" --stats "$WORK/topic.ndjson" \
  >"$WORK/want.tsv" 2>"$WORK/oracle.stats"
check "the pipeline converged on the oracle" wait_converged "$WORK/want.tsv" 90

scenario "dfa-consumer /metrics: exact counts of the stream it applied"
oracle_stat() { tr ' ' '\n' <"$WORK/oracle.stats" | awk -F= -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }
metric() { # metric NAME LABEL-REGEX: the value of the series
  grep -E "^$1\{[^}]*$2[^}]*\} " "$WORK/cmetrics.txt" | awk '{ s += $2 } END { print s + 0 }'
}
scrape_lagless() { # until librdkafka's statistics say the lag of all 6 partitions is 0
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s "http://127.0.0.1:$MPORT/metrics" >"$WORK/cmetrics.txt"
    [ "$(grep -cE '^kafka_consumergroup_lag\{consumergroup="dfa-consumers",topic="dfa.events",partition="[0-5]"\} 0$' "$WORK/cmetrics.txt")" = 6 ] && return 0
    sleep 0.2
  done
  return 1
}
check "kafka_consumergroup_lag: 0 on each of the 6 partitions once applied" scrape_lagless
expect_eq "duplicates equal the oracle's" "$(metric dfa_consumer_messages_total 'outcome="duplicate"')" "$(oracle_stat duplicate)"
expect_eq "counted equal the oracle's" "$(metric dfa_consumer_messages_total 'outcome="counted"')" "$(oracle_stat counted)"
expect_eq "tombstones equal the oracle's" "$(metric dfa_consumer_messages_total 'outcome="tombstone"')" "$(oracle_stat tombstone)"
dead=$(tr ' ' '\n' <"$WORK/oracle.stats" | awk -F= '$1 ~ /^dead:/ { s += $2 } END { print s + 0 }')
expect_eq "dead letters equal the oracle's" "$(metric dfa_consumer_messages_total 'outcome="dead_letter"')" "$dead"
expect_eq "no replays on a first pass" "$(metric dfa_consumer_messages_total 'outcome="replayed"')" 0
expect_eq "every message settled once" "$(grep -E '^dfa_consumer_messages_total' "$WORK/cmetrics.txt" | awk '{ s += $2 } END { print s }')" \
  "$(wc -l <"$WORK/topic.ndjson")"
check "batches and round trips counted" test "$(metric dfa_consumer_batches_total '')" -gt 0 -a \
  "$(metric dfa_consumer_redis_round_trips_total '')" -ge "$(metric dfa_consumer_batches_total '')"
check "conflicts and redos exposed" grep -qE '^dfa_consumer_transaction_(conflicts|redos)_total\{' "$WORK/cmetrics.txt"
expect_eq "/healthz" "$(curl -s "http://127.0.0.1:$MPORT/healthz")" '{"status":"ok"}'

scenario "dfa-view: tokens"
TOKENS="$WORK/tokens"
tok() { "$BIN/bin/dfa-token" --file "$TOKENS" "$@" 2>/dev/null; }
MIN=$(tok create ministry --provinces '*' --rights read)
HN=$(tok create hanoi --provinces 01 --rights read)
PUB=$(tok create hanoi-pub --provinces 01 --rights publish)
start_view() {
  rm -f "$WORK/view.addr"
  "$BIN/bin/dfa-view" --set view.tokens="$TOKENS" --set view.listen=127.0.0.1:0 --set view.interval_ms=100 \
    --set view.max_per_ip=0 --set view.heartbeat_s=1 "$@" --address-file "$WORK/view.addr" 2>>"$WORK/view.log" &
  VIEW_PID=$!
  PIDS+=("$VIEW_PID")
  wait_for_file "$WORK/view.addr" 20
  VIEW=$(cat "$WORK/view.addr")
}
start_view --set view.max_connections=300 --set view.request_timeout_s=2
get() { # get TOKEN PATH [CURL ARGS]: the status; the body in $WORK/body
  local token=$1 path=$2; shift 2
  curl -s -o "$WORK/body" -w '%{http_code}' ${token:+-H "Authorization: Bearer $token"} "$@" "$VIEW$path"
}
field() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/body" "$1"; }
expect_eq "no token: 401" "$(get '' '/v1/totals?period=Y2025')" 401
expect_eq "and says so" "$(field 'd["error"]["message"]')" "an Authorization: Bearer <token> header is required"
expect_eq "a wrong secret: 401" "$(get "${MIN%.*}.AAAA" '/v1/totals?period=Y2025')" 401
expect_eq "a publish-only token: 403" "$(get "$PUB" '/v1/totals?period=Y2025')" 403
expect_eq "and says why" "$(field 'd["error"]["message"]')" "token hanoi-pub has no read right"
expect_eq "a department, another province: 403" "$(get "$HN" '/v1/totals?period=Y2025&province=79')" 403
expect_eq "and says why" "$(field 'd["error"]["message"]')" "token hanoi reads province 01 only, not 79"
expect_eq "a department, by province: 403" "$(get "$HN" '/v1/totals?period=Y2025&by=province')" 403
expect_eq "a department, the rollup: its province only" "$(get "$HN" '/v1/rollups/Y2025')" 200
expect_eq "one province in it" "$(field '[p["unit"] for p in d["provinces"]]')" "['01']"
expect_eq "a department, the snapshots: 403" "$(get "$HN" '/v1/snapshots')" 403

scenario "dfa-view: 400 naming what is wrong"
expect_eq "a bad period: 400" "$(get "$MIN" '/v1/totals?period=Y20x5')" 400
expect_eq "naming it" "$(field 'd["error"]["code"] + " " + d["error"]["message"]')" \
  'bad_period period: expected an id like M2025-07, Q2025-3, H2025-1, N2025, Y2025, R2021-2025, A2025-07 or AY2025, got "Y20x5"'
expect_eq "a period out of range" "$(get "$MIN" '/v1/totals?period=Y2100' && field 'd["error"]["message"]')" '400period: "Y2100" is outside 1990..2099'
expect_eq "a bad rollup period" "$(get "$MIN" '/v1/rollups/Q2025-5' && field 'd["error"]["code"]')" 400bad_period
expect_eq "no period" "$(get "$MIN" '/v1/totals' && field 'd["error"]["code"]')" 400bad_period
expect_eq "an unknown metric" "$(get "$MIN" '/v1/totals?period=Y2025&metric=nope' && field 'd["error"]["message"]')" \
  '400metric "nope": not in the catalog (GET /v1/catalog)'
expect_eq "an unknown parameter" "$(get "$MIN" '/v1/totals?period=Y2025&provnce=01' && field 'd["error"]["message"]')" \
  '400parameter "provnce": unknown parameter'
expect_eq "a bad date range" "$(get "$MIN" '/v1/totals?from=2025-03-01&to=2025-02-01' && field 'd["error"]["code"]')" 400bad_period

scenario "dfa-view: the totals are dfa-query's"
same_as_query() { # same_as_query QUERY-STRING DFA-QUERY-ARGS...: every row of dfa-query equals the API's value
  local qs=$1; shift
  [ "$(get "$MIN" "/v1/totals?$qs")" = 200 ] || return 1
  "$BIN/bin/dfa-query" --json "$@" >"$WORK/query.json" || return 1
  python3 - "$WORK/body" "$WORK/query.json" <<'PY'
import json, sys
api, q = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
got = {m["row"]: m["value"] for m in api["metrics"]}
want = {f["row"]: f["value"] for f in q["figures"] if f["value"] != 0}
assert want, "nothing to compare"
assert {r: v for r, v in got.items() if v != 0} == want, (sorted(set(got.items()) ^ set(want.items())))[:6]
assert api["coverage"]["reported"] == q["coverage"]["reported"], (api["coverage"], q["coverage"])
assert api["offsets"] == q["offsets"], (api["offsets"], q["offsets"])
assert all(m["label_vi"] and m["kind"] for m in api["metrics"])
PY
}
check "Y2025, national" same_as_query 'period=Y2025' --period Y2025
check "H2025-1 (6 tháng đầu năm)" same_as_query 'period=H2025-1' --period H2025-1
check "N2025 (9 tháng)" same_as_query 'period=N2025' --period N2025
check "A2025-07, the administrative month" same_as_query 'period=A2025-07' --period A2025-07
check "a date range" same_as_query 'from=2025-01-10&to=2025-03-05' --from 2025-01-10 --to 2025-03-05
check "a province by name" same_as_query 'period=Y2024&province=Kien%20Giang' --period Y2024 --province 'Kien Giang'
check "a historic unit" same_as_query 'period=Y2024&unit=89x' --period Y2024 --unit 89x
check "metric filter (repeated)" same_as_query 'period=Y2025&metric=delegations_out&metric=conferences' \
  --period Y2025 --metric delegations_out --metric conferences
expect_eq "a department's default scope is its province" "$(get "$HN" '/v1/totals?period=Y2025' && field 'd["scope"]')" 20001
"$BIN/bin/dfa-query" --json --period Y2025 --province 01 >"$WORK/q01.json"
expect_eq "with dfa-query's figures" "$(field 'sorted((m["row"], m["value"]) for m in d["metrics"] if m["value"])')" \
  "$(python3 -c 'import json,sys; print(sorted((f["row"], f["value"]) for f in json.load(open(sys.argv[1]))["figures"] if f["value"]))' "$WORK/q01.json")"
expect_eq "a closed period is complete" "$(get "$MIN" '/v1/totals?period=Y2025' && field 'd["complete"]')" 200True
expect_eq "an open one is not" "$(get "$MIN" "/v1/totals?period=Y$(date -u +%Y)" && field 'd["complete"]')" 200False
expect_eq "by=province: 34 provinces" "$(get "$MIN" '/v1/totals?period=Y2025&by=province' && field 'len(d["provinces"])')" 20034
check "their shares and comparisons are the rollup's" python3 - "$WORK/body" <<'PY'
import json, subprocess, sys, os
d = json.load(open(sys.argv[1]))
r = json.loads(subprocess.check_output([os.environ["BIN"] + "/bin/dfa-snapshot", "--period", "Y2025"]))
for p, q in zip(d["provinces"], r["provinces"]):
    assert p["unit"] == q["unit"]
    for m in p["metrics"]:
        for k in ("value", "previous", "diff", "pct", "share_pct"):
            assert m.get(k) == q["rows"][m["row"]].get(k), (p["unit"], m["row"], k)
PY

scenario "dfa-view: CSV"
expect_eq "Accept: text/csv" "$(get "$MIN" '/v1/totals?period=Y2025' -H 'Accept: text/csv')" 200
check "the rollup's CSV, national rows, the same values" python3 - "$WORK/body" <<'PY'
import csv, json, os, subprocess, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
q = json.loads(subprocess.check_output([os.environ["BIN"] + "/bin/dfa-query", "--json", "--period", "Y2025"]))
want = {f["row"]: f["value"] for f in q["figures"] if f["value"]}
got = {r["row"]: int(r["value"]) for r in rows if r["scope"] == "national" and int(r["value"])}
assert got == want, sorted(set(got.items()) ^ set(want.items()))[:5]
assert list(rows[0].keys())[:4] == ["scope", "name", "row", "value"]
PY
expect_eq "the rollup as CSV: dfa-snapshot's bytes" "$(get "$MIN" '/v1/rollups/Y2025?format=csv' && md5sum <"$WORK/body")" \
  "200$("$BIN/bin/dfa-snapshot" --period Y2025 --format csv | md5sum)"
expect_eq "the rollup JSON: dfa-snapshot's bytes" "$(get "$MIN" '/v1/rollups/H2025-1' && md5sum <"$WORK/body")" \
  "200$("$BIN/bin/dfa-snapshot" --period H2025-1 | md5sum)"
expect_eq "the Vietnamese report: dfa-snapshot's Markdown" "$(get "$MIN" '/v1/rollups/H2025-1?format=md' && md5sum <"$WORK/body")" \
  "200$("$BIN/bin/dfa-snapshot" --period H2025-1 --format md | md5sum)"
expect_eq "and its printable HTML" "$(get "$MIN" '/v1/rollups/H2025-1' -H 'Accept: text/html' && md5sum <"$WORK/body")" \
  "200$("$BIN/bin/dfa-snapshot" --period H2025-1 --format html | md5sum)"
expect_eq "a department's report is its province's" "$(get "$HN" '/v1/rollups/H2025-1?format=md' && md5sum <"$WORK/body")" \
  "200$("$BIN/bin/dfa-snapshot" --period H2025-1 --province 01 --format md | md5sum)"

scenario "dfa-view: reference data"
expect_eq "provinces with lineage" "$(get "$MIN" '/v1/provinces' && field 'd["current"], [u["current"] for u in d["units"] if u["unit"] == "91x"]')" \
  "200(34, ['91'])"
expect_eq "the catalog" "$(get "$HN" '/v1/catalog' && field '[m["label_vi"] for m in d["metrics"] if m["name"] == "delegations_out"]')" \
  "200['Đoàn ra']"
SNAPS="$WORK/snaps"
"$BIN/bin/dfa-snapshot" --nightly --date 2025-06-30 --no-notices --set snapshot.dir="$SNAPS" 2>/dev/null
kill_and_wait TERM "$VIEW_PID"
start_view --set snapshot.dir="$SNAPS"
expect_eq "snapshots: the nightly versions" "$(get "$MIN" '/v1/snapshots?period=H2025-1' && field '[(s["as_of"], [v["version"] for v in s["versions"]]) for s in d["series"]]')" \
  "200[('2025-06-30', [1])]"

scenario "dfa-view: Server-Sent Events"
cat >"$WORK/ev1.ndjson" <<'J'
{"event_id": "view-sse-1", "type": "delegation.out.approved", "occurred_at": "2025-05-10T09:00:00+07:00", "province": "Hà Nội", "reporter": "dept_foreign_affairs", "schema_version": 1, "data": {"level": "provincial_leaders", "members": 4, "countries": ["JP"]}}
J
sed 's/view-sse-1/view-sse-2/' "$WORK/ev1.ndjson" >"$WORK/ev2.ndjson"
check "an event per change, its id the offsets; Last-Event-ID on reconnect misses nothing" \
  python3 - "${VIEW#http://}" "$MIN" "$BIN/bin/dfa-produce" "$WORK/ev1.ndjson" "$WORK/ev2.ndjson" <<'PY'
import http.client, json, subprocess, sys
host, port = sys.argv[1].split(":")
token, produce = sys.argv[2], sys.argv[3]

def connect(last=None):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    h = {"Authorization": "Bearer " + token}
    if last:
        h["Last-Event-ID"] = last
    c.request("GET", "/v1/stream?period=Y2025&metric=delegations_out", headers=h)
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/event-stream"), r.status
    return c, r

def next_event(r):
    """The next event (id, data), skipping comments (heartbeats) and retry lines."""
    ev = {}
    while True:
        line = r.fp.readline().decode().rstrip("\n")
        if line == "" and "data" in ev:
            return ev["id"], json.loads(ev["data"])
        if line.startswith(":") or line == "" or line.startswith("retry:"):
            continue
        k, _, v = line.partition(": ")
        ev[k] = v

def national(d):
    return {m["row"]: m["value"] for m in d["metrics"]}["delegations_out"]

c, r = connect()
id0, d0 = next_event(r)
assert id0 == d0["change_id"] and "dfa.events:0=" in id0, id0
subprocess.run([produce, sys.argv[4]], check=True, capture_output=True)
id1, d1 = next_event(r)
assert id1 != id0 and national(d1) == national(d0) + 1, (id0, id1, national(d0), national(d1))
c.close()
c, r = connect(last=id0)              # missed id1: it comes at once
idr, dr = next_event(r)
assert idr == id1 and national(dr) == national(d1), (idr, id1)
c.close()
c, r = connect(last=id1)              # up to date: the next event is the next change, nothing repeated
subprocess.run([produce, sys.argv[5]], check=True, capture_output=True)
id2, d2 = next_event(r)
assert id2 not in (id0, id1) and national(d2) == national(d1) + 1, (id2, national(d2))
c.close()
print(f"events: {national(d0)} -> {national(d1)} -> {national(d2)}", file=sys.stderr)
PY
HN_STREAM=$(timeout 5 curl -sN -H "Authorization: Bearer $HN" "$VIEW/v1/stream?period=Y2025" | head -5 | grep '^data:' || true)
expect_eq "a department's stream: its province only" "$(printf '%s' "${HN_STREAM#data: }" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scope"])')" 01
expect_eq "a department's stream of another province: 403" "$(get "$HN" '/v1/stream?period=Y2025&province=79')" 403

scenario "dfa-view: limits"
expect_eq "a body on a GET: 413" "$(get "$MIN" '/v1/totals?period=Y2025' -X GET --data-binary 'x')" 413
expect_eq "headers over 32 KiB: refused" "$(get "$MIN" '/v1/totals?period=Y2025' -H "X-Pad: $(head -c 40000 /dev/zero | tr '\0' a)")" 431
check "a slow client is cut off" python3 - "${VIEW#http://}" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
req = b"GET /v1/totals?period=Y2025 HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100
sent, s_timeout = 0, s.settimeout(1.5)
for b in req:
    try:
        s.send(bytes([b])); sent += 1
        if s.recv(1) == b"":
            break
    except socket.timeout:
        continue
    except (ConnectionResetError, BrokenPipeError):
        break
assert sent < len(req) - 50, sent
PY
check "view.max_connections (300): 400 connections at once, each served (the rest wait) or refused" python3 "$ROOT/tests/cli/connections.py" "${VIEW#http://}" 400
expect_eq "still answering" "$(get "$MIN" '/healthz')" 200
kill_and_wait TERM "$VIEW_PID"
start_view --set view.max_streams=2 --set view.stream_buffer_bytes=4096
check "view.max_streams (2): the third stream is refused 503" python3 - "${VIEW#http://}" "$MIN" "$VIEW" <<'PY'
import http.client, socket, sys, time, urllib.request
host, port = sys.argv[1].split(":")
def stream():
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("GET", "/v1/stream?period=Y2025&by=province", headers={"Authorization": "Bearer " + sys.argv[2]})
    return c, c.getresponse()
a, ra = stream()
b, rb = stream()
c, rc = stream()
assert (ra.status, rb.status, rc.status) == (200, 200, 503), (ra.status, rb.status, rc.status, urllib.request.urlopen(sys.argv[3] + "/metrics").read().decode()[-900:])
PY
kill_and_wait TERM "$VIEW_PID"
check "the view stopped cleanly on SIGTERM, streams open" grep -q 'event=stopped rc=0' "$WORK/view.log"
finish
