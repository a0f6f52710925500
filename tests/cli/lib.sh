# Helpers for the command tests: a private dfa-broker and redis-server each on
# free loopback ports in a temporary directory, torn down on exit, and
# assertions that say what differed.
set -euo pipefail

BIN=${BIN:?set BIN to the build directory}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfa-test.XXXXXX")
PIDS=()
FAILS=0
PASSES=0

cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

pass() { PASSES=$((PASSES + 1)); log "ok: $1"; }
fail() { FAILS=$((FAILS + 1)); log "FAIL: $1"; }

check() { # check NAME CONDITION-COMMAND...: passes when the command succeeds
  # (a long condition: a function, or `check NAME python3 - ARGS <<'PY'` with asserts)
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

expect_eq() { # expect_eq NAME GOT WANT
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got [$2] want [$3]"; fi
}

expect_exit() { # expect_exit NAME WANT CMD...: CMD exits with status WANT; what it wrote stays in
  # $WORK/exit.out and $WORK/exit.err for the checks that follow
  local name=$1 want=$2 rc=0; shift 2
  "$@" >"$WORK/exit.out" 2>"$WORK/exit.err" || rc=$?
  if [ "$rc" = "$want" ]; then pass "$name"
  else fail "$name: exit status $rc, want $want"; head -5 "$WORK/exit.err" >&2; fi
}

finish() {
  log "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}

wait_for_file() { # wait_for_file PATH SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do [ -s "$1" ] && return 0; sleep 0.1; done
  log "timed out waiting for $1"; return 1
}

start_broker() { # sets BOOTSTRAP
  rm -f "$WORK/broker.addr"
  "$BIN/bin/dfa-broker" --address-file "$WORK/broker.addr" "$@" >/dev/null 2>>"$WORK/broker.log" &
  BROKER_PID=$!
  PIDS+=("$BROKER_PID")
  wait_for_file "$WORK/broker.addr" 20
  BOOTSTRAP=$(cat "$WORK/broker.addr")
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_redis() { # sets REDIS_PORT; AOF on, fsync always (docs/exactly-once.md)
  REDIS_PORT=${REDIS_PORT:-$(free_port)}
  local dir="$WORK/redis-$REDIS_PORT"   # its own files: a restart on this port finds them again
  mkdir -p "$dir"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
    --appendfsync always --save '' --daemonize no --logfile "$dir/redis.log" &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  log "redis-server did not start"; return 1
}

# --- the pipeline: consumers, ground truth, waiting for convergence ---

pipeline_env() { # the environment every program of a test reads
  export DFA_KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP DFA_REDIS_PORT=$REDIS_PORT
  export DFA_CONSUMER_STATS_INTERVAL_S=${DFA_CONSUMER_STATS_INTERVAL_S:-1}
}

start_consumer() { # start_consumer NAME [--set k=v]...; sets CONSUMER_PID
  local name=$1; shift
  "$BIN/bin/dfa-consumer" --set kafka.session.timeout.ms=6000 --set kafka.heartbeat.interval.ms=500 \
    "$@" >/dev/null 2>>"$WORK/$name.log" &
  CONSUMER_PID=$!
  PIDS+=("$CONSUMER_PID")
}

# The counters Redis must hold come from tests/oracle/dfa_oracle.py, a second implementation that
# shares no code with the consumer; dfa-loadgen --truth is computed by the consumer's own C code, so a
# counting bug would pass against it. truth_tsv stays for tests that want loadgen's view.
oracle_tsv() { # oracle_tsv LOG.ndjson [ORACLE OPTIONS] > sorted TSV like dfa-dump's
  local log=$1; shift
  # dfa-check names the invalid lines (dead-lettered, counting nothing); the oracle does the counting
  "$BIN/bin/dfa-check" --json "$log" >"$log.check.json" 2>/dev/null || [ $? -eq 1 ]
  python3 "$ROOT/tests/oracle/dfa_oracle.py" --check-json "$log.check.json" "$@" "$log"
}

topic_events() { # topic_events FILE: the events topic as NDJSON, a message a line, bytes as they are
  # (invalid messages included: the oracle skips what dfa-check rejects, as the consumer dead-letters
  # them). Each partition comes in order; partitions interleave, which changes nothing: a province's
  # events share one partition and its counters depend only on its own events.
  kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q -f '%s\n' >"$1" 2>/dev/null
}

truth_tsv() { # truth_tsv TRUTH.json > sorted TSV like dfa-dump's
  python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
rows = sorted(f"{k}\t{f}\t{v}" for k, h in t["counters"].items() for f, v in h.items())
print("\n".join(rows))' "$1"
}

wait_converged() { # wait_converged WANT.tsv SECONDS: until dfa-dump equals WANT
  local want=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    "$BIN/bin/dfa-dump" >"$WORK/dump.tsv" 2>/dev/null || true
    cmp -s "$WORK/dump.tsv" "$want" && return 0
    sleep 1
  done
  log "not converged: $(diff "$want" "$WORK/dump.tsv" | grep -c '^[<>]') differing rows, e.g.:"
  diff "$want" "$WORK/dump.tsv" | head -5 >&2
  return 1
}

topic_count() { # topic_count TOPIC: messages in it
  kcat -b "$BOOTSTRAP" -C -t "$1" -e -q 2>/dev/null | wc -l
}

wait_for_log() { # wait_for_log FILE REGEX SECONDS
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  log "timed out waiting for /$2/ in $1"; return 1
}

wait_topic_count() { # wait_topic_count TOPIC N SECONDS: dead letters follow the counters by a moment
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(topic_count "$1")" -ge "$2" ] && return 0
    sleep 0.5
  done
  log "topic $1 has $(topic_count "$1") messages, expected $2"; return 1
}

deltas_tsv() { # deltas_tsv LOG.ndjson > what its valid events add (dfa-check --explain), like dfa-dump's
  "$BIN/bin/dfa-check" --explain --json "$1" | python3 -c '
import json, sys
from collections import defaultdict
s = defaultdict(int)
for line in sys.stdin:
    for d in json.loads(line)["deltas"]:
        s[(d["key"], d["field"])] += d["amount"]
print("\n".join(sorted(f"{k}\t{f}\t{v}" for (k, f), v in s.items() if v)))'
}

# --- the HTTP gateway (docs/gateway.md) ---

start_gateway() { # start_gateway NAME [--set k=v]...: dfa-gateway on a free loopback port with the token
  # file $TOKENS; sets GW (its URL) and GW_PID; its log in $WORK/NAME.log
  local name=$1; shift
  rm -f "$WORK/$name.addr"
  "$BIN/bin/dfa-gateway" --set gateway.tokens="$TOKENS" --set gateway.listen=127.0.0.1:0 \
    --address-file "$WORK/$name.addr" "$@" 2>>"$WORK/$name.log" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_for_file "$WORK/$name.addr" 20
  GW=$(cat "$WORK/$name.addr")
}

# --- scenarios: a fresh pipeline, a stream of events, something done to the pipeline, convergence ---

scenario() { log "--- $*"; }

start_pipeline() { # start_pipeline [BROKER OPTION]...: a broker, a Redis, and the environment naming them
  start_broker "$@"
  start_redis
  pipeline_env
}

new_pipeline() { # new_pipeline NAME: all started so far killed; a fresh broker listening on a control
  # FIFO ($CONTROL: "push API COUNT ERROR", "down BROKER", "up BROKER") and a fresh Redis
  local pid
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
  rm -rf "$WORK"/redis-*
  CONTROL="$WORK/control.$1"
  mkfifo "$CONTROL"
  unset REDIS_PORT
  start_pipeline --control "$CONTROL"
}

stream_events() { # stream_events COUNT SEED [RATE]: dfa-loadgen publishes COUNT events (RATE a second,
  # or as fast as it can) in the background; sets LOADGEN; its own truth in $WORK/truth.json
  "$BIN/bin/dfa-loadgen" --count "$1" --seed "$2" ${3:+--rate "$3"} --kafka --truth "$WORK/truth.json" 2>/dev/null &
  LOADGEN=$!
}

wait_stream() { # wait_stream: until loadgen has published all of it (the test stops if loadgen failed)
  [ -n "${LOADGEN:-}" ] || return 0
  local pid=$LOADGEN
  LOADGEN=
  wait "$pid"
}

loadgen_truth() { # loadgen_truth FIELD: a figure of loadgen's truth (lines, invalid, valid_adds...)
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/truth.json" "$1"
}

converge_with_oracle() { # converge_with_oracle NAME SECONDS [NOTE]: once the stream is published, the
  # topic read back holds every line loadgen wrote, and within SECONDS Redis equals the oracle of it
  local name=$1 seconds=$2 note=${3:+ ($3)}
  wait_stream
  topic_events "$WORK/topic.ndjson"
  expect_eq "$name: the topic holds every line loadgen wrote" "$(wc -l <"$WORK/topic.ndjson")" "$(loadgen_truth lines)"
  oracle_tsv "$WORK/topic.ndjson" >"$WORK/want.tsv"
  check "$name: Redis equals the oracle$note" wait_converged "$WORK/want.tsv" "$seconds"
}

wait_assigned() { # wait_assigned NAME: until consumer NAME was given partitions (30 s at most)
  wait_for_log "$WORK/$1.log" 'event=partitions_assigned partitions=[0-9]' 30
}

wait_applying() { # wait_applying NAME: until consumer NAME has applied a batch (30 s at most)
  wait_for_log "$WORK/$1.log" 'event=stats .* batches=[1-9]' 30
}

kill_and_wait() { # kill_and_wait SIGNAL PID: sends SIGNAL and waits until the process is gone
  kill -s "$1" "$2"
  wait "$2" 2>/dev/null || true
}

# --- a Redis Cluster (store/dfa_cluster.c; docs/operations.md "Redis Cluster") ---

free_ports() { # free_ports N: N distinct free loopback ports, one a line
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

cluster_node_start() { # cluster_node_start PORT BUS_PORT: one node of the cluster, AOF on, fsync always; run
  # again after a kill, it finds its files (nodes.conf, AOF) and rejoins
  local port=$1 dir="$WORK/cluster-$1"
  mkdir -p "$dir"
  redis-server --port "$port" --cluster-port "$2" --bind 127.0.0.1 --dir "$dir" \
    --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
    --cluster-node-timeout "${CLUSTER_NODE_TIMEOUT_MS:-2000}" --appendonly yes --appendfsync always \
    --save '' --daemonize no --logfile "$dir/redis.log" &
  PIDS+=("$!")
  CLUSTER_PIDS+=("$port:$!")
}

start_cluster() { # start_cluster: 6 redis-server (3 masters, 1 replica each), AOF on, fsync always, the
  # provinces balanced 12/11/11 (scripts/dfa-cluster-balance); sets CLUSTER_PORTS (the 6), CLUSTER_BUS_PORTS
  # (theirs, in the same order), CLUSTER_SEED (host:port of a master) and CLUSTER_PIDS ("port:pid" each).
  # CLUSTER_NODE_TIMEOUT_MS (2000) is how long a dead master goes unnoticed before its replica takes over.
  local ports i port addrs=()
  mapfile -t ports < <(free_ports 12) # a client port and a bus port each: port + 10000 may not exist
  CLUSTER_PORTS=("${ports[@]:0:6}") CLUSTER_BUS_PORTS=("${ports[@]:6:6}") CLUSTER_PIDS=()
  for ((i = 0; i < 6; i++)); do
    cluster_node_start "${ports[i]}" "${ports[i + 6]}"
    addrs+=("127.0.0.1:${ports[i]}")
  done
  for port in "${CLUSTER_PORTS[@]}"; do
    for ((i = 0; i < 100; i++)); do
      redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
      sleep 0.1
    done
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$WORK/cluster-create.log" 2>&1 ||
    { log "redis-cli --cluster create failed:"; tail -5 "$WORK/cluster-create.log" >&2; return 1; }
  cluster_wait_ok "${CLUSTER_PORTS[@]}" || return 1
  cluster_wait_synced "${CLUSTER_PORTS[@]}" || return 1
  for port in "${CLUSTER_PORTS[@]}"; do
    redis-cli -p "$port" role | head -1 | grep -qx master && { CLUSTER_SEED=127.0.0.1:$port; break; }
  done
  "$ROOT/scripts/dfa-cluster-balance" "$CLUSTER_SEED" >"$WORK/cluster-balance.log" 2>&1 ||
    { log "dfa-cluster-balance failed:"; tail -5 "$WORK/cluster-balance.log" >&2; return 1; }
}

cluster_wait_ok() { # cluster_wait_ok PORT...: until CLUSTER INFO says cluster_state:ok on each (30 s at most)
  local port deadline=$((SECONDS + 30))
  for port in "$@"; do
    until redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
      [ $SECONDS -lt $deadline ] || { log "cluster_state not ok on port $port"; return 1; }
      sleep 0.1
    done
  done
}

cluster_wait_synced() { # cluster_wait_synced PORT...: until each master's replica is online (30 s at most):
  # before, a write is on one node only and a replica could not take over
  local port deadline=$((SECONDS + 30))
  for port in "$@"; do
    redis-cli -p "$port" role 2>/dev/null | head -1 | grep -qx master || continue
    until redis-cli -p "$port" info replication 2>/dev/null | grep -q '^slave0:.*state=online'; do
      [ $SECONDS -lt $deadline ] || { log "the replica of port $port is not online"; return 1; }
      sleep 0.1
    done
  done
}

browser_deps() { # the browser tests' playwright-core, from tests/browser/package-lock.json, into $BIN/tests/browser: npm ci
  # runs again only when the lock changed (no browser is ever downloaded: /usr/bin/chromium is used); the
  # scripts are run from there too, so that both require() and import resolve it
  local dir="$BIN/tests/browser"
  mkdir -p "$dir"
  ( flock 9 # ctest -j2 may start both browser tests at once
    cmp -s "$ROOT/tests/browser/package-lock.json" "$dir/node_modules/.dfa-installed-lock" && exit 0
    cp "$ROOT/tests/browser/package.json" "$ROOT/tests/browser/package-lock.json" "$dir/"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline --loglevel=error) \
      >"$WORK/npm.log" 2>&1 || { log "npm ci failed:"; tail -5 "$WORK/npm.log" >&2; exit 1; }
    cp "$ROOT/tests/browser/package-lock.json" "$dir/node_modules/.dfa-installed-lock"
  ) 9>"$dir.lock"
}
