#!/usr/bin/env bash
# dfa-gateway against a real dfa-broker and redis-server on loopback, driven with curl (and python3 for
# raw sockets and concurrency): tokens and scopes, every status code, the limits, TLS, and an accepted
# event counted in Redis exactly as the oracle says.
source "$(dirname "$0")/lib.sh"
start_pipeline
TOKENS="$WORK/tokens"
tok() { "$BIN/bin/dfa-token" --file "$TOKENS" "$@"; }

post() { # post TOKEN CONTENT-TYPE FILE [CURL OPTION]...: the status on stdout, the body in $WORK/body.json
  local token=$1 type=$2 file=$3; shift 3
  curl -s -o "$WORK/body.json" -w '%{http_code}' ${token:+-H "Authorization: Bearer $token"} \
    -H "Content-Type: $type" --data-binary @"$file" "$@" "$GW/v1/events"
}

field() { # field PYTHON-EXPRESSION-OF-d: evaluated on the last body
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/body.json" "$1"
}

event() { # event ID PROVINCE [REPORTER] [OCCURRED_AT]: one valid delegation event
  printf '{"event_id":"%s","type":"delegation.out.approved","occurred_at":"%s","province":"%s","reporter":"%s","schema_version":1,"data":{"level":"provincial_leaders","members":3,"countries":["JP"],"in_plan":true}}\n' \
    "$1" "${4:-2026-03-02T08:00:00+07:00}" "$2" "${3:-dept_foreign_affairs}"
}

scenario "tokens: created with dfa-token, the secret printed once and never stored"
HANOI=$(tok create hanoi --provinces 01 --rights publish)
TQ=$(tok create tuyenquang --provinces 08 --reporters dept_foreign_affairs,dept_tourism --rights publish,read)
ALL=$(tok create ministry-feed --provinces '*' --rights publish)
READER=$(tok create reader --provinces '*' --rights read)
DOOMED=$(tok create doomed --provinces 01 --rights publish)
expect_eq "the file is private (mode 600)" "$(stat -c %a "$TOKENS")" 600
check "no secret in the file" bash -c "! grep -qF '${HANOI#*.}' '$TOKENS'"
expect_exit "a province that is not one of today's is refused" 2 tok create bad --provinces 02
check "and named" grep -qF 'provinces: "02" is not the code of a province of today' "$WORK/exit.err"
expect_exit "a name given twice is refused" 2 tok create hanoi --provinces 01
tok list >"$WORK/list.txt"
check "list shows the scopes" grep -qE '^tuyenquang +08 +dept_foreign_affairs,dept_tourism +publish,read$' "$WORK/list.txt"
check "list shows no hash" bash -c "! grep -q 'b2:' '$WORK/list.txt'"

start_gateway gw --set gateway.delivery_timeout_ms=3000 --set gateway.max_per_ip=0 --set gateway.max_connections=400 \
  --set gateway.request_timeout_s=3 --set gateway.rate_per_s=1000 --set gateway.rate_burst=1000
MAIN=$GW MAIN_PID=$GW_PID

scenario "who is knocking: 401, 403"
event hn-1 "Hà Nội" >"$WORK/one.ndjson"
expect_eq "no token: 401" "$(post '' application/x-ndjson "$WORK/one.ndjson")" 401
expect_eq "with a JSON error" "$(field 'd["error"]["code"]')" unauthorized
expect_eq "a wrong secret: 401" "$(post "hanoi.${TQ#*.}" application/x-ndjson "$WORK/one.ndjson")" 401
expect_eq "no such token: 401" "$(post "nobody.xyz" application/x-ndjson "$WORK/one.ndjson")" 401
expect_eq "and says so" "$(field 'd["error"]["message"]')" "unknown or revoked token"
expect_eq "a token without the publish right: 403" "$(post "$READER" application/x-ndjson "$WORK/one.ndjson")" 403
expect_eq "naming it" "$(field 'd["error"]["message"]')" "token reader has no publish right"
check "the gateway never logs a secret" bash -c "! grep -qF '${HANOI#*.}' '$WORK/gw.log' && ! grep -qF '${TQ#*.}' '$WORK/gw.log'"

scenario "another province's events: forbidden one by one, nothing reaches Kafka"
{ event hcm-1 79; event hcm-2 "TP. Hồ Chí Minh"; event hg-old "Hà Giang" dept_foreign_affairs 2024-03-02T08:00:00+07:00; } >"$WORK/other.ndjson"
expect_eq "200 with a result per record" "$(post "$HANOI" application/x-ndjson "$WORK/other.ndjson")" 200
expect_eq "each forbidden" "$(field '[r["status"] for r in d["results"]]')" "['forbidden', 'forbidden', 'forbidden']"
expect_eq "with why" "$(field 'd["results"][0]["why"]')" "province 79 (Hồ Chí Minh) is outside the provinces of token hanoi (01)"
expect_eq "an old unit belongs to its successor" "$(field 'd["results"][2]["why"]')" \
  "province 08 (Tuyên Quang, of which Hà Giang is now part) is outside the provinces of token hanoi (01)"
expect_eq "totals" "$(field 'd["totals"]')" "{'records': 3, 'accepted': 0, 'rejected': 0, 'forbidden': 3, 'failed': 0}"
expect_eq "nothing on the topic" "$(topic_count dfa.events)" 0

scenario "a successor's department publishes its absorbed units' history, within its reporter roles"
{ event hg-2024 "Hà Giang" dept_foreign_affairs 2024-03-02T08:00:00+07:00; event tq-police "Tuyên Quang" police; event hn-2 01; } >"$WORK/tq.ndjson"
expect_eq "200" "$(post "$TQ" application/x-ndjson "$WORK/tq.ndjson")" 200
expect_eq "accepted, forbidden (reporter), forbidden (province)" "$(field '[r["status"] for r in d["results"]]')" \
  "['accepted', 'forbidden', 'forbidden']"
expect_eq "the reporter named" "$(field 'd["results"][1]["why"]')" \
  "reporter police is outside the reporters of token tuyenquang (dept_foreign_affairs,dept_tourism)"
expect_eq "only the accepted one on the topic" "$(topic_count dfa.events)" 1
kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q -f '%k|%h|%s\n' 2>/dev/null >"$WORK/tq.topic"
check "keyed by today's code, with the token and the time received as headers" \
  grep -qE '^08\|dfa.token=tuyenquang,dfa.received_at=20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z\|\{"event_id":"hg-2024"' "$WORK/tq.topic"

scenario "every event judged as dfa-check judges it (NDJSON and JSON arrays)"
"$BIN/bin/dfa-loadgen" --count 400 --seed 15 --invalid 8 --output "$WORK/mixed.ndjson" 2>/dev/null
"$BIN/bin/dfa-check" --json "$WORK/mixed.ndjson" >"$WORK/mixed.check" 2>/dev/null || true
expect_eq "NDJSON: 200" "$(post "$ALL" application/x-ndjson "$WORK/mixed.ndjson")" 200
check "the same lines rejected with the same reasons, the rest accepted" python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
invalid = {r["line"]: r for r in map(json.loads, open(f"{w}/mixed.check"))}  # dfa-check --json: the invalid lines
got = json.load(open(f"{w}/body.json"))
assert len(got["results"]) == 400, len(got["results"])
for r in got["results"]:
    c = invalid.get(r["line"])
    if c is None:
        assert r["status"] == "accepted", r
    else:
        assert r["status"] == "rejected" and r["error"] == c["error"], (r, c)
t = got["totals"]
assert t["rejected"] == len(invalid) > 0, t
assert t["accepted"] + t["rejected"] == t["records"] == 400, t
PY
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
lines = [l for l in open(f"{w}/mixed.ndjson", encoding="utf-8", errors="surrogateescape").read().split("\n") if l.strip()]
# the first 20 valid-looking JSON lines as one array, spread over lines
import json
objs = []
for l in lines:
    try:
        json.loads(l); objs.append(l)
    except ValueError:
        pass
open(f"{w}/array.json", "w").write("[\n" + ",\n".join(objs[:20]) + "\n]\n")
PY
expect_eq "a JSON array: 200" "$(post "$ALL" application/json "$WORK/array.json")" 200
expect_eq "one result per element, each on its line" "$(field '[r["line"] for r in d["results"]]')" \
  "$(python3 -c 'print(list(range(2, 22)))')"
head -1 "$WORK/one.ndjson" >"$WORK/one.json"
expect_eq "one JSON object: 200" "$(post "$HANOI" application/json "$WORK/one.json")" 200
expect_eq "accepted" "$(field 'd["results"][0]["status"]')" accepted

scenario "bad bodies: 422, 415, 413 for too many events"
printf '{"event_id": "x", "type": ' >"$WORK/broken.json"
expect_eq "broken JSON: 422" "$(post "$HANOI" application/json "$WORK/broken.json")" 422
expect_eq "as a JSON error" "$(field 'd["error"]["code"]')" unprocessable
printf 'a,b,c\n1,2,3\n' >"$WORK/csvish.ndjson"
expect_eq "NDJSON none of whose lines is JSON: 422" "$(post "$HANOI" application/x-ndjson "$WORK/csvish.ndjson")" 422
expect_eq "an empty body: 422" "$(post "$HANOI" application/x-ndjson /dev/null)" 422
expect_eq "text/plain: 415" "$(post "$HANOI" text/plain "$WORK/one.ndjson")" 415
expect_eq "as a JSON error" "$(field 'd["error"]["code"]')" unsupported_media_type
for i in $(seq 1 10001); do echo '{}'; done >"$WORK/many.ndjson"
expect_eq "10,001 events (gateway.max_events 10,000): 413" "$(post "$HANOI" application/x-ndjson "$WORK/many.ndjson")" 413
expect_eq "naming the limit" "$(field 'd["error"]["message"]')" "more than 10000 events in one request"

scenario "CSV bodies: each row read as dfa-check reads a .csv file"
example="$ROOT/producers/examples/delegations.csv"
expect_eq "the example file: 200" "$(post "$HANOI" text/csv "$example")" 200
expect_eq "every row accepted" "$(field 'd["totals"]["accepted"]')" "$(($(grep -c . "$example") - 1))"
csv_head='event_id,type,occurred_at,province,reporter,data.level,data.members,data.countries,data.in_plan'
csv_row='csv-1,delegation.out.approved,2026-05-10T07:00:00Z,Hà Nội,dept_foreign_affairs,provincial_leaders,5,JP;KR,TRUE'
printf '%s\n' "$csv_head" "$csv_row" "${csv_row/,5,/,ba,}" "${csv_row/,TRUE/}" "${csv_row/Hà Nội/Hồ Chí Minh}" >"$WORK/rows.csv"
"$BIN/bin/dfa-check" "$WORK/rows.csv" >"$WORK/rows.check" 2>/dev/null || true
expect_eq "a bad CSV row: 200, one result a row" "$(post "$HANOI" text/csv "$WORK/rows.csv")" 200
expect_eq "each row's status, by line" \
  "$(field '" ".join("%d:%s" % (r["line"], r["status"]) for r in d["results"])')" \
  "2:accepted 3:rejected 4:rejected 5:forbidden"
expect_eq "a value that does not fit: the reason dfa-check gives" \
  "$(field '"%s: invalid (%s): %s" % (d["results"][1]["line"], d["results"][1]["error"]["code"], d["results"][1]["error"]["message"])')" \
  "$(sed -n 's|^.*rows.csv:\(3: .*\)$|\1|p' "$WORK/rows.check")"
expect_eq "a row of the wrong shape: the reason dfa-check gives" \
  "$(field '"%s: invalid (%s): %s" % (d["results"][2]["line"], d["results"][2]["error"]["code"], d["results"][2]["error"]["message"])')" \
  "$(sed -n 's|^.*rows.csv:\(4: .*\)$|\1|p' "$WORK/rows.check")"
printf '%s\n' "${csv_head/,data.members/}" "${csv_row/,5,/,}" >"$WORK/missing.csv"
expect_eq "a missing column: 422" "$(post "$HANOI" text/csv "$WORK/missing.csv")" 422
expect_eq "naming the column" "$(field 'd["error"]["message"]')" \
  'line 1: header: missing column "data.members", required for type delegation.out.approved'

scenario "a 100 MB body: 413 before it is read, memory bounded"
rss() { awk '/VmRSS/ {print $2}' "/proc/$GW_PID/status"; }
rss_before=$(rss)
head -c 100000000 /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
expect_eq "Content-Length over 8 MiB: 413" "$(post "$HANOI" application/json "$WORK/huge.json")" 413
expect_eq "payload_too_large" "$(field 'd["error"]["code"]')" payload_too_large
rc=0; post "$HANOI" application/json "$WORK/huge.json" -H 'Transfer-Encoding: chunked' >/dev/null || rc=$?
check "chunked, over 8 MiB: the connection is cut (curl fails or gets 413)" \
  bash -c "[ $rc -ne 0 ] || grep -q payload_too_large '$WORK/body.json'"
rss_after=$(rss)
check "RSS grew by less than 40 MB ($rss_before kB -> $rss_after kB)" test $((rss_after - rss_before)) -lt 40000
rm -f "$WORK/huge.json"

scenario "a slow client is cut off"
check "one byte a second: closed by the gateway long before its request is whole" python3 - "${GW#http://}" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
req = b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nX-Padding: " + b"a" * 100
sent = 0
s.settimeout(2)
for b in req:
    try:
        s.send(bytes([b]))
        sent += 1
        if s.recv(1) == b"":
            break
    except socket.timeout:
        continue
    except (ConnectionResetError, BrokenPipeError):
        break
print(f"cut after {sent} of {len(req)} bytes", file=sys.stderr)
assert sent < len(req) - 50, sent
PY
check "and logged" grep -q 'event=slow_client_cut' "$WORK/gw.log"

scenario "1,000 concurrent connections: each served or refused, no crash"
check "every connection served (200) or refused" python3 "$ROOT/tests/cli/connections.py" "${GW#http://}" 1000
check "the gateway is still running" kill -0 "$GW_PID"
expect_eq "and still answers" "$(curl -s -o /dev/null -w '%{http_code}' "$GW/healthz")" 200

scenario "revoked, then SIGHUP: refused, without dropping connections"
expect_eq "the token works" "$(post "$DOOMED" application/x-ndjson "$WORK/one.ndjson")" 200
tok revoke doomed 2>/dev/null
expect_eq "until the gateway is told" "$(post "$DOOMED" application/x-ndjson "$WORK/one.ndjson")" 200
check "a keep-alive connection survives the reload, and the revoked token is refused" python3 - "${GW#http://}" "$GW_PID" "$DOOMED" "$WORK/gw.log" <<'PY'
import http.client, os, signal, sys, time
host, port = sys.argv[1].split(":")
c = http.client.HTTPConnection(host, int(port))
c.request("GET", "/healthz"); assert c.getresponse().read()
sock = c.sock
before = open(sys.argv[4]).read().count("event=tokens_reloaded")
os.kill(int(sys.argv[2]), signal.SIGHUP)
for _ in range(100):
    if open(sys.argv[4]).read().count("event=tokens_reloaded") > before:
        break
    time.sleep(0.1)
c.request("GET", "/healthz"); r = c.getresponse(); r.read()
assert r.status == 200 and c.sock is sock, "reconnected"
# a refusal before the body is read closes its connection (the body is never read), so a new one here
c.request("POST", "/v1/events", body=b'{}', headers={"Authorization": "Bearer " + sys.argv[3], "Content-Type": "application/json"})
r = c.getresponse(); r.read()
assert r.status == 401, r.status
PY
expect_eq "the other tokens still work" "$(post "$HANOI" application/x-ndjson "$WORK/one.ndjson")" 200
printf 'garbage line\n' >>"$TOKENS"
kill -HUP "$GW_PID"
wait_for_log "$WORK/gw.log" 'event=tokens_not_reloaded' 10
expect_eq "a broken file on SIGHUP keeps the tokens in force" "$(post "$HANOI" application/x-ndjson "$WORK/one.ndjson")" 200
sed -i '$d' "$TOKENS"

scenario "metrics and health"
curl -s "$GW/metrics" >"$WORK/metrics.txt"
check "requests by status" grep -qE '^dfa_http_requests_total\{route="/v1/events",code="401"\} [0-9]+$' "$WORK/metrics.txt"
check "events forbidden counted (5 by scope, 1 CSV row)" grep -qE '^dfa_gateway_events_total\{outcome="forbidden"\} 6$' "$WORK/metrics.txt"
check "delivery time histogram" grep -qE '^dfa_gateway_delivery_seconds_bucket\{le="\+Inf"\} [1-9]' "$WORK/metrics.txt"
check "slow clients counted" grep -qE '^dfa_http_slow_clients_cut_total 1$' "$WORK/metrics.txt"
expect_eq "healthz" "$(curl -s "$GW/healthz")" '{"status":"ok","kafka":"up"}'

scenario "the page's files, served from the binary"
check "every file under gateway/www/ served as it is, with its type" python3 - "$GW" "$ROOT/gateway/www" <<'PY'
import os, sys, urllib.request, urllib.error
url, root = sys.argv[1], sys.argv[2]
types = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png"}
files = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs] if os.path.isdir(root) else []
for f in files:
    with urllib.request.urlopen(f"{url}/{f}") as r:
        assert r.read() == open(os.path.join(root, f), "rb").read(), f
        ext = os.path.splitext(f)[1]
        if ext in types:
            assert r.headers["Content-Type"] == types[ext], (f, r.headers["Content-Type"])
try:
    urllib.request.urlopen(f"{url}/no-such-file.js")
    raise AssertionError("served a file that is not there")
except urllib.error.HTTPError as e:
    assert e.code == 404
print(f"{len(files)} files", file=sys.stderr)
PY

scenario "rate per token: 429 with Retry-After"
start_gateway gw-rate --set gateway.rate_per_s=1 --set gateway.rate_burst=2
codes=""
for i in 1 2 3; do codes+="$(curl -s -o "$WORK/body.json" -D "$WORK/headers.txt" -w '%{http_code} ' -H "Authorization: Bearer $HANOI" \
  -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/one.ndjson" "$GW/v1/events")"; done
expect_eq "two in the burst, then 429" "$codes" "200 200 429 "
check "with Retry-After" grep -qiE '^Retry-After: [1-9]' "$WORK/headers.txt"
expect_eq "as a JSON error" "$(field 'd["error"]["code"]')" rate_limited
kill_and_wait TERM "$GW_PID"

scenario "TLS with a certificate made here"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
start_gateway gw-tls --set gateway.tls_cert="$WORK/cert.pem" --set gateway.tls_key="$WORK/key.pem"
check "the address is https" grep -q '^https://' "$WORK/gw-tls.addr"
expect_eq "healthz with --cacert" "$(curl -s --cacert "$WORK/cert.pem" "$GW/healthz")" '{"status":"ok","kafka":"up"}'
check "refused without the CA" bash -c "! curl -s '$GW/healthz' >/dev/null"
check "plain HTTP gets nothing" bash -c "! curl -s -m 5 '${GW/https/http}/healthz' | grep -q ok"
event hn-tls 01 >"$WORK/tls.ndjson"
expect_eq "an event over TLS: 200" "$(post "$HANOI" application/x-ndjson "$WORK/tls.ndjson" --cacert "$WORK/cert.pem")" 200
expect_eq "accepted" "$(field 'd["results"][0]["status"]')" accepted
kill_and_wait TERM "$GW_PID"

scenario "what was accepted ends counted in Redis exactly"
start_consumer consumer
topic_events "$WORK/topic.ndjson"
oracle_tsv "$WORK/topic.ndjson" >"$WORK/want.tsv"
check "the topic holds accepted events only" python3 - "$WORK/topic.ndjson" <<'PY'
import sys
n = sum(1 for l in open(sys.argv[1], "rb") if l.strip())
assert n > 300, n
PY
check "Redis equals the oracle of the topic" wait_converged "$WORK/want.tsv" 60

scenario "Kafka down: 503, nothing accepted"
GW=$MAIN GW_PID=$MAIN_PID
kill -9 "$BROKER_PID"
expect_eq "503" "$(post "$HANOI" application/x-ndjson "$WORK/one.ndjson")" 503
expect_eq "kafka_unavailable" "$(field 'd["error"]["code"]')" kafka_unavailable
expect_eq "nothing accepted" "$(field 'd["totals"]["accepted"]')" 0
expect_eq "the record failed with Kafka's reason" "$(field 'd["results"][0]["status"]')" failed
expect_eq "healthz says so" "$(curl -s -o /dev/null -w '%{http_code}' "$GW/healthz")" 503
kill_and_wait TERM "$GW_PID"
check "the gateway stopped cleanly" grep -q 'event=stopping' "$WORK/gw.log"
finish
