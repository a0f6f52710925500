#!/usr/bin/env bash
# Measures, in one run on this machine, the pipeline against its limits and
# against a naive consumer, and writes BENCHMARKS.md. Every ratio in it is of
# two figures measured in this run.
#   BENCH_EVENTS=400000     events preloaded for the throughput runs (the embedded broker keeps
#                           5 MB per partition, and events are keyed by province: 34 keys)
#   BENCH_LIVE_EVENTS=100000 events for the live profile: the same stream re-dated to the last three
#                           days, as in daily operation, where a batch's deltas fall on few keys
#   BENCH_BIG_EVENTS=1600000 then as many more, produced at 15,000/s while one consumer keeps up,
#                           to show peak RSS does not grow with the number of events (0: skip)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
for p in python3-confluent-kafka python3-redis wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
bin=$("$root/scripts/build.sh")
N=${BENCH_EVENTS:-400000}
BIG=${BENCH_BIG_EVENTS:-1600000}
LIVE=${BENCH_LIVE_EVENTS:-100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/dfa-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }
kv() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$1" | tail -1; }
now() { date +%s.%N; }
redis_cpu() { redis-cli -p "$1" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.3f", s}'; }
us_per() { python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1e6 / float(sys.argv[3]):.1f}')" "$1" "$2" "$3"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else '-')" "$1" "$2"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync always --save '' \
  --logfile "$work/redis.log" & pids+=($!)
# The embedded broker keeps 5 MB per partition (librdkafka's mock cluster): the
# preloaded backlog needs enough partitions to be held whole until it is read.
partitions=96   # events are keyed by province: spread the 34 keys thin
"$bin/bin/dfa-broker" --set topic.partitions=$partitions --address-file "$work/broker.addr" >/dev/null 2>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker.addr" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker.addr") DFA_REDIS_PORT=$port DFA_CONSUMER_STATS_INTERVAL_S=1
export DFA_LOG_LEVEL=debug   # consumers log each batch; the rates are measured between those lines

# wait until consumers have handled `want` messages; prints events/s measured
# from the end of their first batch to the batch that reaches `want`
consumer_rate() { # consumer_rate WANT LOG...
  local want=$1; shift
  for _ in $(seq 3600); do
    local total=0
    for l in "$@"; do local m; m=$(kv "$l" messages); total=$((total + ${m:-0})); done
    [ "$total" -ge "$want" ] && break
    sleep 0.5
  done
  python3 - "$want" "$@" <<'PY'
import sys, re, datetime as dt
want = int(sys.argv[1]); pts = []
for f in sys.argv[2:]:
    for line in open(f):
        m = re.search(r"ts=(\S+) .*event=batch .* messages=(\d+)", line)
        if m:
            pts.append((dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp(), f, int(m.group(2))))
pts.sort()
last = {}; series = []
for t, f, n in pts:
    last[f] = n; series.append((t, sum(last.values())))
start = next((t, n) for t, n in series if n > 0)
end = next((t, n) for t, n in series if n >= want)
print(f"{(end[1] - start[1]) / (end[0] - start[0]):.0f}")
PY
}

say "1/11 generating $N events"
"$bin/bin/dfa-loadgen" --count "$N" --seed 42 --years 2024-2026 --output "$work/events.ndjson" 2>/dev/null
say "2/11 core parse-and-validate rate"
"$bin/bench/dfa-bench-core" "$work/events.ndjson" 1 >"$work/core.txt"
say "3/11 dfa-produce"
t0=$(now); "$bin/bin/dfa-produce" --set producer.progress=0 "$work/events.ndjson" >/dev/null 2>"$work/produce.log" || true; t1=$(now)
sent=$(kv "$work/produce.log" sent)   # the valid ones: what is on the topic
produce_rate=$(python3 -c "print(f'{$N/($t1-$t0):.0f}')")
say "4/11 C API producer"
DFA_TOPIC_EVENTS=bench.capi "$bin/bench/dfa-bench-produce" "$work/events.ndjson" >"$work/capi.txt"
say "5/11 raw consume"
"$bin/bench/dfa-bench-consume" "$sent" >"$work/raw.txt"
say "6/11 redis-benchmark, pipelined HINCRBY"
redis-benchmark -p "$port" -n 2000000 -P 1000 -q hincrby bench:h f 1 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 >"$work/rb.txt"
redis-cli -p "$port" del bench:h >/dev/null
say "7/11 dfa-consumer, one process (three passes, each from an empty Redis: the median is reported)"
one_rates=(); one_cpu=()   # one_cpu: "rate redis-µs-per-event" of each pass
for pass in 1 2 3; do
  redis-cli -p "$port" flushall >/dev/null
  cpu0=$(redis_cpu "$port")
  "$bin/bin/dfa-consumer" --set consumer.group=bench-one-$pass >/dev/null 2>"$work/one.log" & cpid=$!; pids+=($cpid)
  rate=$(consumer_rate "$sent" "$work/one.log")
  one_rates+=("$rate"); one_cpu+=("$rate $(us_per "$cpu0" "$(redis_cpu "$port")" "$sent")")
  rss_one=$(awk '/VmHWM/ {print $2}' "/proc/$cpid/status")
  kill -TERM "$cpid"; wait "$cpid" 2>/dev/null || true
done
one_rate=$(printf '%s\n' "${one_rates[@]}" | sort -n | sed -n 2p)
one_range="passes: $(printf '%s\n' "${one_rates[@]}" | sort -n | paste -sd/ -)"
one_rt=$(kv "$work/one.log" redis_round_trips)
one_redis_us=$(printf '%s\n' "${one_cpu[@]}" | sort -n | sed -n '2s/.* //p')   # the median pass's
all_redis_us="passes: $(printf '%s\n' "${one_cpu[@]}" | sort -n | awk '{print $2}' | paste -sd/ -)"
say "7b/11 dfa-consumer, one process, live profile: $LIVE events re-dated to the last three days (fresh broker)"
# Every date of the stream (an event's and its retraction's copy alike, so they still meet) moves to one of
# the last three days, keeping the time of day and the offset.
head -"$LIVE" "$work/events.ndjson" | python3 -c '
import sys, re, datetime, zlib
today = datetime.date.today()
def day(m):
    return (today - datetime.timedelta(days=1 + zlib.crc32(m.group(1).encode()) % 3)).isoformat()
for line in sys.stdin:
    sys.stdout.write(re.sub(r"(?<=\"occurred_at\":\")(\d{4}-\d\d-\d\d)", day, line))
' >"$work/live.ndjson"
redis-cli -p "$port" flushall >/dev/null
"$bin/bin/dfa-broker" --set topic.partitions=$partitions --address-file "$work/broker-live.addr" >/dev/null 2>>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker-live.addr" ] && break; sleep 0.1; done
DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker-live.addr") "$bin/bin/dfa-produce" --set producer.progress=0 \
  "$work/live.ndjson" >/dev/null 2>"$work/produce-live.log" || true
live_sent=$(kv "$work/produce-live.log" sent)
cpu0=$(redis_cpu "$port")
DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker-live.addr") "$bin/bin/dfa-consumer" --set consumer.group=bench-live \
  >/dev/null 2>"$work/live.log" & lcp=$!; pids+=($lcp)
live_rate=$(consumer_rate "$live_sent" "$work/live.log")
live_redis_us=$(us_per "$cpu0" "$(redis_cpu "$port")" "$live_sent")
kill -TERM "$lcp"; wait "$lcp" 2>/dev/null || true
say "8/11 dfa-consumer, two processes in one group (fresh Redis)"
redis-cli -p "$port" flushall >/dev/null
"$bin/bin/dfa-consumer" --set consumer.group=bench-two >/dev/null 2>"$work/two-a.log" & a=$!; pids+=($a)
"$bin/bin/dfa-consumer" --set consumer.group=bench-two >/dev/null 2>"$work/two-b.log" & b=$!; pids+=($b)
two_rate=$(consumer_rate "$sent" "$work/two-a.log" "$work/two-b.log")
kill -TERM "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
say "9/11 the naive Python consumer"
naive_n=$((sent < 200000 ? sent : 200000))
# Debian's python3, where python3-confluent-kafka and python3-redis install
/usr/bin/python3 "$root/bench/naive_consumer.py" "$DFA_KAFKA_BOOTSTRAP_SERVERS" "$port" "$naive_n" >"$work/naive.txt"
# ... and against a Redis as its user would run it: Debian's own configuration (no AOF, RDB snapshots),
# only the paths and port made private; compiled-in defaults where /etc/redis/redis.conf is not readable
say "9b/11 the naive Python consumer against a Redis with Debian's default configuration"
dport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/default-redis"
dconf=(); naive_redis="Debian's /etc/redis/redis.conf"
if [ -r /etc/redis/redis.conf ]; then dconf=(/etc/redis/redis.conf); else naive_redis="redis-server's compiled-in defaults"; fi
redis-server "${dconf[@]}" --port "$dport" --daemonize no --pidfile "$work/default-redis/pid" \
  --logfile "$work/default-redis/redis.log" --dir "$work/default-redis" & pids+=($!)
for _ in $(seq 100); do redis-cli -p "$dport" ping >/dev/null 2>&1 && break; sleep 0.1; done
/usr/bin/python3 "$root/bench/naive_consumer.py" "$DFA_KAFKA_BOOTSTRAP_SERVERS" "$dport" "$naive_n" >"$work/naive-default.txt"
redis-cli -p "$dport" shutdown nosave >/dev/null 2>&1 || true
say "10/11 snapshot: a national year over three years of data"
t0=$(now); "$bin/bin/dfa-snapshot" --period Y2025 >"$work/y2025.json"; t1=$(now)
snap_s=$(python3 -c "print(f'{$t1-$t0:.2f}')")
say "11/11 event-to-visible latency at 10,000 events/s (fresh broker and Redis)"
redis-cli -p "$port" flushall >/dev/null
"$bin/bin/dfa-broker" --address-file "$work/broker2.addr" >/dev/null 2>>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker2.addr" ] && break; sleep 0.1; done
head -200000 "$work/events.ndjson" | grep -av '"op":"retract"' >"$work/latency-load.ndjson" || true
DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker2.addr") "$bin/bin/dfa-consumer" --set consumer.group=bench-lat \
  --set consumer.batch_ms=50 >/dev/null 2>"$work/lat-consumer.log" & lc=$!; pids+=($lc)
# the load starts once the consumer owns the partitions (polled: a tail -f could start before the log exists)
for _ in $(seq 300); do grep -q 'partitions_assigned' "$work/lat-consumer.log" 2>/dev/null && break; sleep 0.1; done
DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker2.addr") "$bin/bench/dfa-bench-latency" "$work/latency-load.ndjson" 10000 15 "$port" >"$work/latency.txt" || true
kill -TERM "$lc"; wait "$lc" 2>/dev/null || true

rss_big="not run (BENCH_BIG_EVENTS=0)"
if [ "$BIG" -gt 0 ]; then
  say "extra: $BIG more events at 15,000/s while one consumer keeps up, for peak RSS"
  redis-cli -p "$port" flushall >/dev/null
  "$bin/bin/dfa-consumer" --set consumer.group=bench-big >/dev/null 2>"$work/big.log" & bc=$!; pids+=($bc)
  "$bin/bin/dfa-loadgen" --count "$BIG" --seed 43 --years 2024-2026 --rate 15000 --kafka 2>/dev/null
  consumer_rate "$((sent + BIG * 98 / 100))" "$work/big.log" >/dev/null
  rss_big="$(awk '/VmHWM/ {print $2}' "/proc/$bc/status") kB after $(kv "$work/big.log" messages) events"
  kill -TERM "$bc"; wait "$bc" 2>/dev/null || true
fi

say "extra: dfa-gateway, batches of 1,000 and one-event requests (bench/gateway.sh, its own broker)"
"$root/bench/gateway.sh" "$bin" 100000 >"$work/gateway.txt"
gw_produce=$(kv "$work/gateway.txt" gateway_produce_per_s); gw_batch=$(kv "$work/gateway.txt" gateway_batch_per_s)
gw_p50=$(kv "$work/gateway.txt" gateway_one_event_p50); gw_p99=$(kv "$work/gateway.txt" gateway_one_event_p99)
gw_rps=$(kv "$work/gateway.txt" gateway_one_event_rps)

"$root/bench/view.sh" "$bin" >"$work/view.md"   # the live view under load: its own section
parse=$(kv "$work/core.txt" parse_validate_per_s); jansson=$(kv "$work/core.txt" jansson_parse_per_s)
deltas=$(kv "$work/core.txt" parse_validate_deltas_per_s); raw=$(kv "$work/raw.txt" raw_consume_per_s)
capi=$(kv "$work/capi.txt" c_api_per_s); naive=$(kv "$work/naive.txt" naive_per_s)
naive_default=$(kv "$work/naive-default.txt" naive_per_s)
rb=$(awk '{print int($1)}' "$work/rb.txt"); limit=$(python3 -c "print(min($raw, $parse))")
rt_per_k=$(python3 -c "print(f'{$one_rt*1000/$N:.3f}')")
cat >"$root/BENCHMARKS.md" <<MD
# Benchmarks

This file is generated by \`bench/run.sh\`: the sections up to "Snapshot" are that run's figures; the
sections after it are \`bench/analysis.md\`, measurements made by hand or by the other scripts of
\`bench/\` (each says which, and when), appended as they are. Edit those there, not here.

Measured by \`bench/run.sh\` in one run on $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(date -u +%Y-%m-%d),
with $N events from \`dfa-loadgen\` (2024–2026, 3% duplicates, 2% retractions, 5% late, 1% invalid), the
embedded broker (\`dfa-broker\`, librdkafka's mock cluster, 3 brokers, $partitions partitions so that the
preloaded backlog fits its 5 MB-per-partition retention) and \`redis-server\` with
AOF and \`appendfsync always\`, all on this machine. The broker, Redis, producers and consumers share the
two cores, so every ratio below is of two figures from this same run.

## Throughput

| what | events/s | ratio |
|---|---:|---|
| core: jansson parse alone | $jansson | |
| core: parse and validate (\`dfa_event_parse\`) | $parse | |
| core: parse, validate, deltas, accumulate | $deltas | |
| raw consume (librdkafka, read and discard) | $raw | |
| redis-benchmark, pipelined HINCRBY (-P 1000) | $rb ops/s | |
| **dfa-consumer, one process**, broker → Redis (median of 3 passes; $one_range) | **$one_rate** | $(ratio "$one_rate" "$limit") × min(raw consume, parse-and-validate) (target ≥ 0.5) |
| dfa-consumer, two processes in one group | $two_rate | $(ratio "$two_rate" "$one_rate") × one process |
| dfa-consumer, one process, live profile ($live_sent events re-dated to the last three days) | $live_rate | $(ratio "$live_rate" "$limit") × min(raw consume, parse-and-validate) |
| naive Python consumer (one HINCRBY per event, auto-commit), against the pipeline's Redis (AOF, fsync always) | $naive | dfa-consumer is $(ratio "$one_rate" "$naive") × it |
| naive Python consumer, against a Redis as its user would run it ($naive_redis: no AOF) | $naive_default | dfa-consumer is $(ratio "$one_rate" "$naive_default") × it (target ≥ 10) |
| dfa-produce (validate + idempotent produce, file → broker) | $produce_rate | $(ratio "$produce_rate" "$parse") × parse-and-validate (target ≥ 0.7) |
| C API (\`dfa_producer_send_json\`, lines in memory) | $capi | $(ratio "$capi" "$parse") × parse-and-validate |

## Redis and memory

| what | value |
|---|---|
| Redis CPU per event, one consumer (\`used_cpu_sys\` + \`used_cpu_user\` over the pass / events; median pass; $all_redis_us) | **$one_redis_us µs** (target ≤ 5) |
| Redis CPU per event, live profile | $live_redis_us µs |
| Redis round trips, one consumer, whole run | $one_rt for $N events = **$rt_per_k per 1,000 events** (target ≤ 5) |
| peak RSS of dfa-consumer after $N events | $rss_one kB |
| peak RSS with more events | $rss_big |

## Latency

Event-to-visible at a fixed rate (\`dfa-bench-latency\`: background events at the target rate through the C
API, a probe every 50 ms, Redis polled every millisecond for each probe):

\`$(cat "$work/latency.txt")\`

Target: p99 ≤ 1 s at 10,000 events/s.

## Gateway

\`bench/gateway.sh\` on a fresh embedded broker: 100,000 valid events published by \`dfa-produce\`, then the
same events through \`dfa-gateway\` (NDJSON, batches of 1,000, 4 keep-alive connections, every batch
answered after its delivery reports), then one-event requests from \`wrk\` (2 threads, 16 connections,
10 s) with the same token.

| what | value |
|---|---|
| dfa-produce, file → broker | $gw_produce events/s |
| dfa-gateway, batches of 1,000 | $gw_batch events/s = **$(ratio "$gw_batch" "$gw_produce") × dfa-produce** (goal ≥ 0.5) |
| one-event requests under load | $gw_rps requests/s, p50 $gw_p50, **p99 $gw_p99** |

## Snapshot

\`dfa-snapshot --period Y2025\` (national year, 34 provinces, the same period of 2024, over the three years
of data above): **$snap_s s**.
$(cat "$work/view.md")
MD
cat "$root/bench/analysis.md" >>"$root/BENCHMARKS.md"
say "wrote $root/BENCHMARKS.md"
cat "$root/BENCHMARKS.md"
