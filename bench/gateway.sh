#!/usr/bin/env bash
# The gateway's section of bench/run.sh, runnable alone: on a fresh dfa-broker, N valid events published
# by dfa-produce, then the same N through dfa-gateway in batches of 1,000 over keep-alive connections
# (the ratio of the two, goal >= 0.5), then the latency of one-event requests under load (wrk with
# bench/gateway_one_event.lua). Prints key=value lines on stdout.
#   bench/gateway.sh BIN_DIR [N=100000]
set -euo pipefail
bin=$1 N=${2:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfa-bench-gw.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }

"$bin/bin/dfa-broker" --address-file "$work/broker.addr" >/dev/null 2>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker.addr" ] && break; sleep 0.1; done
export DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker.addr")
"$bin/bin/dfa-loadgen" --count "$N" --seed 77 --years 2024-2026 --invalid 0 --output "$work/events.ndjson" 2>/dev/null

t0=$(now); "$bin/bin/dfa-produce" --set producer.progress=0 "$work/events.ndjson" 2>/dev/null; t1=$(now)
produce=$(python3 -c "print(int($N / ($t1 - $t0)))")

touch "$work/tokens"; chmod 600 "$work/tokens"
token=$("$bin/bin/dfa-token" --file "$work/tokens" create bench --provinces '*' --rights publish)
"$bin/bin/dfa-gateway" --set gateway.tokens="$work/tokens" --set gateway.listen=127.0.0.1:0 \
  --set gateway.rate_per_s=1000000 --set gateway.rate_burst=1000000 --set gateway.max_per_ip=0 \
  --address-file "$work/gw.addr" 2>"$work/gw.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/gw.addr" ] && break; sleep 0.1; done
url=$(cat "$work/gw.addr")

gateway=$(python3 - "$url" "$token" "$work/events.ndjson" <<'PY'
import http.client, sys, threading, time, json
url, token, path = sys.argv[1:4]
host, port = url[len("http://"):].split(":")
lines = open(path, "rb").read().split(b"\n")
lines = [l for l in lines if l.strip()]
batches = [b"\n".join(lines[i:i + 1000]) + b"\n" for i in range(0, len(lines), 1000)]
CONNS = 4
accepted = [0] * CONNS
def run(k):
    c = http.client.HTTPConnection(host, int(port))  # one keep-alive connection each
    for b in batches[k::CONNS]:
        c.request("POST", "/v1/events", body=b, headers={"Authorization": "Bearer " + token,
                                                         "Content-Type": "application/x-ndjson"})
        r = c.getresponse()
        d = json.loads(r.read())
        assert r.status == 200, (r.status, d)
        accepted[k] += d["totals"]["accepted"]
t0 = time.monotonic()
ts = [threading.Thread(target=run, args=(k,)) for k in range(CONNS)]
for t in ts: t.start()
for t in ts: t.join()
dt = time.monotonic() - t0
assert sum(accepted) == len(lines), (sum(accepted), len(lines))
print(int(len(lines) / dt))
PY
)
head -1 "$work/events.ndjson" >"$work/one.ndjson"
TOKEN=$token EVENT_FILE="$work/one.ndjson" wrk -t 2 -c 16 -d 10s --latency -s "$root/bench/gateway_one_event.lua" \
  "$url/v1/events" >"$work/wrk.txt"
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
rps=$(awk '/^Requests\/sec/ {print int($2)}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
echo "gateway_produce_per_s=$produce gateway_batch_per_s=$gateway gateway_ratio=$(python3 -c "print(f'{$gateway/$produce:.2f}')")"
echo "gateway_one_event_p50=$p50 gateway_one_event_p99=$p99 gateway_one_event_rps=$rps gateway_one_event_non2xx=${non2xx:-0}"
