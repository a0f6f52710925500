#!/usr/bin/env bash
# dfa-consumer against a real redis-server and dfa-broker: Redis must equal, exactly and whatever is
# done to the pipeline, what the independent oracle (tests/oracle) computes from the events topic.
source "$(dirname "$0")/lib.sh"
SMALL_BATCHES=(--set consumer.batch_events=300 --set consumer.batch_ms=50)

want_from_topic() { # want_from_topic SCENARIO: $WORK/want.tsv from the log the consumers read
  topic_events "$WORK/topic.ndjson"
  expect_eq "$1: the topic holds every line loadgen wrote" "$(wc -l <"$WORK/topic.ndjson")" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lines"])' "$WORK/truth.json")"
  oracle_tsv "$WORK/topic.ndjson" >"$WORK/want.tsv"
}

holding() { # holding LOG: the partitions LOG's consumer holds, from its log (cooperative-sticky
  # rebalancing logs changes: partitions_assigned adds partitions, partitions_revoked takes them away)
  awk '/event=partitions_(assigned|revoked) / {
         match($0, /partitions=[0-9,]*/); n = split(substr($0, RSTART + 11, RLENGTH - 11), p, ",")
         for (i = 1; i <= n; i++) if (/partitions_assigned/) held[p[i]] = 1; else delete held[p[i]]
       }
       END { for (k in held) print k }' "$1" | sort -n | paste -sd' '
}

holds() { # holds LOG PARTITION...: LOG's consumer holds all of them (and they are not none)
  local log=$1 now p; shift
  [ $# -gt 0 ] || return 1
  now=" $(holding "$log") "
  for p in "$@"; do [[ $now == *" $p "* ]] || return 1; done
}

wait_settled() { # wait_settled LOG_A LOG_B SECONDS: until both consumers hold partitions
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    [ -n "$(holding "$1")" ] && [ -n "$(holding "$2")" ] && return 0
    sleep 0.2
  done
  log "the group did not settle: A holds [$(holding "$1")], B holds [$(holding "$2")]"; return 1
}

wait_holds() { # wait_holds SECONDS LOG PARTITION...: until LOG's consumer holds all of them
  local deadline=$((SECONDS + $1)); shift
  while [ $SECONDS -lt $deadline ]; do
    holds "$@" && return 0
    sleep 0.2
  done
  log "$1 holds [$(holding "$1")], not all of [${*:2}]"; return 1
}

new_pipeline() { # a fresh broker (with a control FIFO) and a fresh Redis
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
  rm -rf "$WORK"/redis-*
  mkfifo "$WORK/control.$1"
  start_broker --control "$WORK/control.$1"
  unset REDIS_PORT
  start_redis
  pipeline_env
}

scenario() { log "--- $*"; }

# 1. a clean run, and the dead-letter topic holds exactly the invalid lines
scenario "clean run"
new_pipeline clean
"$BIN/bin/dfa-loadgen" --count 4000 --seed 101 --kafka --truth "$WORK/truth.json" 2>/dev/null
want_from_topic clean
# max_keys 500: almost every batch is cut where its counters would pass the bound,
# so the cut path (apply a prefix, keep the parsed rest) carries the whole run
start_consumer clean --set consumer.max_keys=500
check "clean: Redis equals the oracle" wait_converged "$WORK/want.tsv" 60
check "clean: batches were cut by consumer.max_keys" \
  python3 -c 'import re,sys; a=[float(x) for x in re.findall(r"avg_batch=([0-9.]+)", open(sys.argv[1]).read()) if float(x) > 0]; sys.exit(0 if a and max(a) < 200 else 1)' "$WORK/clean.log"
invalid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["invalid"])' "$WORK/truth.json")
check "clean: the dead-letter topic fills up" wait_topic_count dfa.events.dlq "$invalid" 30
expect_eq "clean: dead-lettered = invalid lines, no more" "$(topic_count dfa.events.dlq)" "$invalid"
# a keyspace far larger than one SCAN page: --stats must still find the consumer's key
redis-cli -p "$REDIS_PORT" eval "for i = 1, 60000 do redis.call('SET', 'filler:' .. i, 'x') end return 0" 0 >/dev/null
"$BIN/bin/dfa-consumer" --stats >"$WORK/stats.txt"
redis-cli -p "$REDIS_PORT" eval "for i = 1, 60000 do redis.call('DEL', 'filler:' .. i) end return 0" 0 >/dev/null
check "clean: --stats shows the live consumer's figures" grep -q "counted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["valid_adds"])' "$WORK/truth.json")" "$WORK/stats.txt"
kill -TERM "$CONSUMER_PID"; wait "$CONSUMER_PID" 2>/dev/null || true
check "clean: SIGTERM stops the consumer cleanly" grep -q "event=stopped" "$WORK/clean.log"

# 2. kill -9 of the consumer at random moments while it works, restarted each
# time. A restart costs about 11 s here (the killed member keeps its place for
# the 6 s session timeout, then the group rebalances), so the stream is paced to
# outlast six of them.
scenario "kill -9 x6"
new_pipeline kill
"$BIN/bin/dfa-loadgen" --count 8000 --seed 202 --rate 100 --kafka --truth "$WORK/truth.json" 2>/dev/null &
LOADGEN=$!
for round in 1 2 3 4 5 6; do
  start_consumer "kill-$round" "${SMALL_BATCHES[@]}"
  wait_for_log "$WORK/kill-$round.log" 'event=partitions_assigned partitions=[0-9]' 30
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  kill -9 "$CONSUMER_PID"
  wait "$CONSUMER_PID" 2>/dev/null || true
done
killed_mid_stream=$(kill -0 "$LOADGEN" 2>/dev/null && echo yes || echo no)
wait "$LOADGEN"
want_from_topic "kill -9 x6"
start_consumer kill-final "${SMALL_BATCHES[@]}"
expect_eq "kill -9 x6: every kill came while events were still arriving" "$killed_mid_stream" yes
check "kill -9 x6: Redis equals the oracle" wait_converged "$WORK/want.tsv" 90
check "kill -9 x6: some incarnation replayed what was applied but not committed" \
  grep -qE 'event=stats .* replayed=[1-9]' "$WORK"/kill-*.log

# 3. Redis killed with kill -9 mid-stream and restarted on its AOF
scenario "redis kill -9"
new_pipeline redis
"$BIN/bin/dfa-loadgen" --count 8000 --seed 303 --rate 1000 --kafka --truth "$WORK/truth.json" 2>/dev/null &
LOADGEN=$!
start_consumer redis "${SMALL_BATCHES[@]}"
wait_for_log "$WORK/redis.log" 'event=stats .* batches=[1-9]' 30
kill -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
sleep 1.5
start_redis
wait "$LOADGEN"
want_from_topic "redis kill -9"
check "redis kill -9: Redis equals the oracle" wait_converged "$WORK/want.tsv" 90
check "redis kill -9: the consumer rode out the outage" grep -q "event=outage_over" "$WORK/redis.log"

# 4. two consumers in one group, a rebalance in the middle
scenario "rebalance"
new_pipeline rebalance
"$BIN/bin/dfa-loadgen" --count 8000 --seed 404 --rate 2000 --kafka --truth "$WORK/truth.json" 2>/dev/null &
LOADGEN=$!
start_consumer rebalance-a "${SMALL_BATCHES[@]}"; A=$CONSUMER_PID
wait_for_log "$WORK/rebalance-a.log" 'event=stats .* batches=[1-9]' 30
start_consumer rebalance-b "${SMALL_BATCHES[@]}"; B=$CONSUMER_PID
check "rebalance: A and B share the partitions" wait_settled "$WORK/rebalance-a.log" "$WORK/rebalance-b.log" 30
held=$(holding "$WORK/rebalance-a.log")
kill -TERM "$A"; wait "$A" 2>/dev/null || true
check "rebalance: when A stopped, B was given the partitions A held [$held]" \
  wait_holds 30 "$WORK/rebalance-b.log" $held
wait "$LOADGEN"
want_from_topic rebalance
check "rebalance: Redis equals the oracle" wait_converged "$WORK/want.tsv" 90

# 5. a consumer frozen past its session timeout, resumed after its partitions moved
scenario "SIGSTOP past the session timeout"
new_pipeline freeze
"$BIN/bin/dfa-loadgen" --count 9000 --seed 505 --rate 800 --kafka --truth "$WORK/truth.json" 2>/dev/null &
LOADGEN=$!
start_consumer freeze-a "${SMALL_BATCHES[@]}"; A=$CONSUMER_PID
start_consumer freeze-b "${SMALL_BATCHES[@]}"; B=$CONSUMER_PID
wait_for_log "$WORK/freeze-a.log" 'event=stats .* batches=[1-9]' 30
check "SIGSTOP: A and B share the partitions" wait_settled "$WORK/freeze-a.log" "$WORK/freeze-b.log" 30
held=$(holding "$WORK/freeze-a.log")
kill -STOP "$A"
# A stays frozen until its session (6 s) has expired and B was given its partitions
check "SIGSTOP: B was given the partitions A held [$held] while A was frozen" \
  wait_holds 30 "$WORK/freeze-b.log" $held
kill -CONT "$A"
wait "$LOADGEN"
want_from_topic SIGSTOP
check "SIGSTOP: Redis equals the oracle (no stale deltas)" wait_converged "$WORK/want.tsv" 90

# 6. broker errors injected through the mock cluster
scenario "broker errors"
new_pipeline errors
"$BIN/bin/dfa-loadgen" --count 6000 --seed 606 --rate 2000 --kafka --truth "$WORK/truth.json" 2>/dev/null &
LOADGEN=$!
start_consumer errors "${SMALL_BATCHES[@]}"
wait_for_log "$WORK/errors.log" 'event=stats .* batches=[1-9]' 30
echo "push 8 5 16" >"$WORK/control.errors"   # OffsetCommit: NOT_COORDINATOR
echo "push 1 5 6" >"$WORK/control.errors"    # Fetch: NOT_LEADER_FOR_PARTITION
echo "push 0 5 7" >"$WORK/control.errors"    # Produce (dead letters): REQUEST_TIMED_OUT
sleep 1
echo "down 2" >"$WORK/control.errors"
sleep 1.5
echo "up 2" >"$WORK/control.errors"
wait "$LOADGEN"
want_from_topic "broker errors"
check "broker errors: Redis equals the oracle" wait_converged "$WORK/want.tsv" 90
check "broker errors: they were injected" grep -q "event=inject_errors api_key=8" "$WORK/broker.log"
finish
