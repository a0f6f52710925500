#!/usr/bin/env bash
# Rebalance disruption: what a kill -9 of one consumer and its restart cost a
# group of two, for one configuration given as extra --set flags.
#
#   bench/rebalance.sh [--label NAME] [--runs N] [--static] [--events N] [--rate R]
#                      [--kill-at S] [--restart-after S] [--results FILE] [--keep DIR]
#                      [--set kafka.x=y]...
#
# Each run: a fresh dfa-broker (6 partitions) and Redis, consumers a and b in one
# group (tests/cli/lib.sh's start_consumer: session 6000 ms, heartbeat 500 ms,
# then the --set flags given here), a paced stream (--events at --rate, 80,000 at
# 2,000/s by default: 40 s), b killed with kill -9 --kill-at seconds into the
# stream (12) and started again --restart-after seconds later (3). --static gives
# a and b a stable kafka.group.instance.id (rb-a, rb-b; the restarted b keeps it).
# Measured, from the consumers' logs and from Redis's offset markers (polled every
# 100 ms by bench/rebalance.py):
#   survivor_gap_s           longest time a applied no batch while the stream ran
#   killed_partitions_gap_s  longest time one of b's partitions went unapplied across the kill
#   handback_gap_s           longest pause, after the restart, of a partition the restarted b ends with
#   group_gap_s              longest time no partition at all was applied
#   commit_failures          commit_failed lines of all three consumers; commit_block_max_s: the
#                            longest a failing commit held its consumer (from the batch line before it)
#   replayed_restart         replayed= of the restarted b's last stats line (replayed_survivor: a's)
#   exact                    dfa-dump equals the loadgen truth at the end
# One JSON line per run goes to --results (default build/rebalance-results.jsonl), and
# a summary (median [min-max]) of this label's runs in that file to stdout. Build first
# (./scripts/build.sh); run one configuration at a time, under nice on a shared machine.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/build}
HERE=$ROOT/bench
label=default runs=3 static=0 events=80000 rate=2000 kill_at=12 restart_after=3 keep=""
results=$BIN/rebalance-results.jsonl
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --label) label=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --static) static=1; shift ;;
    --events) events=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --kill-at) kill_at=$2; shift 2 ;;
    --restart-after) restart_after=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --set) extra+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "rebalance.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/tests/cli/lib.sh"   # start_broker, start_redis, start_consumer, truth_tsv, wait_converged
BASE=$WORK
trap 'WORK=$BASE; cleanup' EXIT
now() { date +%s.%N; }

stop_all() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}

consumer() { # consumer NAME INSTANCE-ID
  local id=()
  [ "$static" = 1 ] && id=(--set "kafka.group.instance.id=$2")
  start_consumer "$1" --set log.level=debug --set consumer.stats_interval_s=1 "${id[@]}" "${extra[@]}"
}

one_run() { # one_run N: appends the run's JSON line to $results
  local n=$1
  WORK=$BASE/run-$n
  mkdir -p "$WORK"
  unset REDIS_PORT
  start_broker
  start_redis
  pipeline_env
  python3 "$HERE/rebalance.py" poll "$REDIS_PORT" "$WORK/poll.tsv" & PIDS+=($!)
  local poller=$!
  consumer a rb-a; local A=$CONSUMER_PID
  wait_for_log "$WORK/a.log" 'event=partitions_assigned partitions=[0-9]' 60
  consumer b1 rb-b; local B=$CONSUMER_PID
  # the stream starts once the group is settled: both own partitions, all 6 owned
  local i owned
  for ((i = 0; i < 600; i++)); do
    owned=$(python3 "$HERE/rebalance.py" owners "$WORK/a.log" "$WORK/b1.log")
    set -- $owned
    [ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ $(($1 + $2)) -eq 6 ] && break
    sleep 0.1
  done
  sleep 1
  local t0 tk tr te tc exact=yes
  t0=$(now)
  "$BIN/bin/dfa-loadgen" --count "$events" --seed "$((700 + n))" --rate "$rate" --kafka \
    --truth "$WORK/truth.json" 2>"$WORK/loadgen.log" &
  local loadgen=$!
  sleep "$kill_at"
  kill -9 "$B"; tk=$(now)
  { wait "$B"; } 2>/dev/null || true   # reaped here, quietly
  sleep "$restart_after"
  consumer b2 rb-b; tr=$(now)
  wait "$loadgen"; te=$(now)
  truth_tsv "$WORK/truth.json" >"$WORK/want.tsv"
  wait_converged "$WORK/want.tsv" 240 || exact=no
  tc=$(now)
  sleep 2   # the last stats lines
  kill -TERM "$poller" 2>/dev/null || true
  stop_all
  printf '{"load_start":%s,"kill":%s,"restart":%s,"load_end":%s,"converged":%s,"exact":"%s"}\n' \
    "$t0" "$tk" "$tr" "$te" "$tc" "$exact" >"$WORK/marks.json"
  python3 "$HERE/rebalance.py" analyze "$WORK" | python3 -c '
import json, sys
r = json.load(sys.stdin); r = {"label": sys.argv[1], "run": int(sys.argv[2]), "config": sys.argv[3], **r}
print(json.dumps(r))' "$label" "$n" "${extra[*]:-} static=$static" | tee -a "$results"
  if [ -n "$keep" ]; then mkdir -p "$keep"; cp -r "$WORK" "$keep/$label-run-$n"; fi
  rm -rf "$WORK"
}

for ((r = 1; r <= runs; r++)); do
  log "--- $label: run $r of $runs"
  one_run "$r"
done
WORK=$BASE
python3 "$HERE/rebalance.py" summary "$label" "$results"
