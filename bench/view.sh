#!/usr/bin/env bash
# dfa-view under load (docs/view.md), while a consumer applies a steady stream of events:
#   1. wrk, 100 concurrent keep-alive clients on GET /v1/totals?period=Y2025 (goal >= 5,000 requests/s,
#      p99 <= 50 ms);
#   2. Server-Sent Events: Redis reads a second (INFO commandstats: HGETALL and SMEMBERS, which only the
#      view sends) with 1 stream open, then with 1,000 held at once: they must not grow with the clients.
# Prints a Markdown section on stdout (bench/run.sh appends it to BENCHMARKS.md); run alone with
#   bench/view.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$("$root/scripts/build.sh")}
RATE=${BENCH_VIEW_RATE:-4000}   # events/s applied meanwhile
SECS=${BENCH_VIEW_SECONDS:-15}
work=$(mktemp -d "${TMPDIR:-/tmp}/dfa-bench-view.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'say "failed at line $LINENO"' ERR
say() { printf '%s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync always --save '' \
  --logfile "$work/redis.log" & pids+=($!)
"$bin/bin/dfa-broker" --address-file "$work/broker.addr" >/dev/null 2>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker.addr" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker.addr") DFA_REDIS_PORT=$port
"$bin/bin/dfa-loadgen" --count 50000 --seed 9 --years 2024-2026 --kafka --truth "$work/t0.json" 2>/dev/null
"$bin/bin/dfa-consumer" 2>"$work/consumer.log" & pids+=($!)
# the consumer keeps applying: a stream at RATE/s for the whole run
"$bin/bin/dfa-loadgen" --count $((RATE * (SECS * 4 + 60))) --seed 10 --years 2025-2025 --rate "$RATE" --kafka \
  --truth "$work/t1.json" 2>/dev/null & pids+=($!)
min=$("$bin/bin/dfa-token" --file "$work/tokens" create bench --provinces '*' --rights read 2>/dev/null)
"$bin/bin/dfa-view" --set view.tokens="$work/tokens" --set view.listen=127.0.0.1:0 --set view.max_per_ip=0 \
  --set view.max_connections=4096 --set view.max_streams=2000 --address-file "$work/view.addr" 2>"$work/view.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/view.addr" ] && break; sleep 0.1; done
view=$(cat "$work/view.addr")
sleep 5   # the backlog applied; from here the consumer follows the stream
curl -sf -H "Authorization: Bearer $min" "$view/v1/totals?period=Y2025" >/dev/null

say "wrk: 100 keep-alive clients, ${SECS} s"
wrk -t2 -c100 -d"${SECS}s" --latency -H "Authorization: Bearer $min" "$view/v1/totals?period=Y2025" >"$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {print int($2)}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt"); non2xx=${non2xx:-0}
applied=$(redis-cli -p "$port" hget "$(redis-cli -p "$port" --scan --pattern 'dfa:consumer:*' | head -1)" stats | sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p')

reads() { redis-cli -p "$port" info commandstats | awk -F'[=,:]' '/^cmdstat_(hgetall|smembers):/ {s += $3} END {print s}'; }
window() { # window SECONDS: Redis reads a second over it
  local a b; a=$(reads); sleep "$1"; b=$(reads); python3 -c "print(f'{($b - $a) / $1:.1f}')"
}
streams() { # streams N: holds N SSE clients open until killed; writes how many got their first event
  python3 - "${view#http://}" "$min" "$1" "$work/streams.$1" >/dev/null <<'PY' &
import asyncio, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
host, port = sys.argv[1].split(":"); token, n, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
got = 0
async def one():
    global got
    r, w = await asyncio.open_connection(host, int(port))
    w.write(f"GET /v1/stream?period=Y2025 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await w.drain()
    seen = False
    while True:
        line = await r.readline()
        if not line:
            return
        if line.startswith(b"data:") and not seen:
            seen = True; got += 1
            open(out, "w").write(str(got))
async def main():
    await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
asyncio.run(main())
PY
  pids+=($!)
}
wait_streams() { local n; for _ in $(seq 600); do n=$(cat "$work/streams.$1" 2>/dev/null || true); [ "${n:-0}" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
streams 1; wait_streams 1
say "Redis reads with 1 stream"
one_rate=$(window 10)
streams 1000; wait_streams 1000 || say "not all 1000 streams got their first event"
held=$(cat "$work/streams.1000")
say "Redis reads with 1,001 streams"
many_rate=$(window 10)
open_streams=$(curl -s "$view/metrics" | awk '$1 == "dfa_view_streams" {print $2}')
rss=$(awk '/VmHWM/ {print $2}' /proc/"$(pgrep -f "dfa-view --set view.tokens=$work" | head -1)"/status)
ratio=$(python3 -c "print(f'{$many_rate / $one_rate:.2f}' if $one_rate else '-')")
cat <<MD

## Live view (dfa-view)

Measured by \`bench/view.sh\` on $(nproc) cores, $(date -u +%Y-%m-%d), while one \`dfa-consumer\` applied a stream of
$RATE events/s (it reported ${applied:-?} events/s), everything on this machine (view.threads 2, view.interval_ms 500).

| what | value | goal |
|---|---:|---|
| \`GET /v1/totals?period=Y2025\`, wrk, 100 keep-alive clients, ${SECS} s | **$rps requests/s** ($non2xx not 2xx) | ≥ 5,000 |
| its p99 latency | **$p99** | ≤ 50 ms |
| Redis reads/s (HGETALL + SMEMBERS, INFO commandstats) with 1 stream open | $one_rate | |
| the same with $open_streams streams open (1,000 more, $held of them given their first event) | $many_rate | $ratio × with 1 stream: does not grow with the clients |
| peak RSS of dfa-view | $rss kB | |
MD
cat "$work/wrk.txt" >&2
