#!/usr/bin/env bash
# dfa-consumer against a real redis-server and dfa-broker: Redis must equal, exactly and whatever is
# done to the pipeline, what the independent oracle (tests/oracle) computes from the events topic.
source "$(dirname "$0")/lib.sh"
SMALL_BATCHES=(--set consumer.batch_events=300 --set consumer.batch_ms=50)

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

# 1. a clean run, and the dead-letter topic holds exactly the invalid lines
scenario "clean run"
new_pipeline clean
stream_events 4000 101
wait_stream # all of it published before the consumer starts
# max_keys 500: almost every batch is cut where its counters would pass the bound,
# so the cut path (apply a prefix, keep the parsed rest) carries the whole run
start_consumer clean --set consumer.max_keys=500
converge_with_oracle clean 60
check "clean: batches were cut by consumer.max_keys" \
  python3 -c 'import re,sys; a=[float(x) for x in re.findall(r"avg_batch=([0-9.]+)", open(sys.argv[1]).read()) if float(x) > 0]; sys.exit(0 if a and max(a) < 200 else 1)' "$WORK/clean.log"
invalid=$(loadgen_truth invalid)
check "clean: the dead-letter topic fills up" wait_topic_count dfa.events.dlq "$invalid" 30
expect_eq "clean: dead-lettered = invalid lines, no more" "$(topic_count dfa.events.dlq)" "$invalid"
# a keyspace far larger than one SCAN page: --stats must still find the consumer's key
redis-cli -p "$REDIS_PORT" eval "for i = 1, 60000 do redis.call('SET', 'filler:' .. i, 'x') end return 0" 0 >/dev/null
"$BIN/bin/dfa-consumer" --stats >"$WORK/stats.txt"
redis-cli -p "$REDIS_PORT" eval "for i = 1, 60000 do redis.call('DEL', 'filler:' .. i) end return 0" 0 >/dev/null
check "clean: --stats shows the live consumer's figures" grep -q "counted=$(loadgen_truth valid_adds)" "$WORK/stats.txt"
kill_and_wait TERM "$CONSUMER_PID"
check "clean: SIGTERM stops the consumer cleanly" grep -q "event=stopped" "$WORK/clean.log"

# 2. kill -9 of the consumer at random moments while it works, restarted each
# time. A restart costs about 11 s here (the killed member keeps its place for
# the 6 s session timeout, then the group rebalances), so the stream is paced to
# outlast six of them.
scenario "kill -9 x6"
new_pipeline kill
stream_events 8000 202 100
for round in 1 2 3 4 5 6; do
  start_consumer "kill-$round" "${SMALL_BATCHES[@]}"
  wait_assigned "kill-$round"
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  kill_and_wait KILL "$CONSUMER_PID"
done
expect_eq "kill -9 x6: every kill came while events were still arriving" \
  "$(kill -0 "$LOADGEN" 2>/dev/null && echo yes || echo no)" yes
wait_stream # all of it published before the last consumer starts
start_consumer kill-final "${SMALL_BATCHES[@]}"
converge_with_oracle "kill -9 x6" 90
check "kill -9 x6: some incarnation replayed what was applied but not committed" \
  grep -qE 'event=stats .* replayed=[1-9]' "$WORK"/kill-*.log

# 3. Redis killed with kill -9 mid-stream and restarted on its AOF
scenario "redis kill -9"
new_pipeline redis
stream_events 8000 303 1000
start_consumer redis "${SMALL_BATCHES[@]}"
wait_applying redis
kill_and_wait KILL "$REDIS_PID"
sleep 1.5
start_redis
converge_with_oracle "redis kill -9" 90
check "redis kill -9: the consumer rode out the outage" grep -q "event=outage_over" "$WORK/redis.log"

# 4. two consumers in one group, a rebalance in the middle
scenario "rebalance"
new_pipeline rebalance
stream_events 8000 404 2000
start_consumer rebalance-a "${SMALL_BATCHES[@]}"; A=$CONSUMER_PID
wait_applying rebalance-a
start_consumer rebalance-b "${SMALL_BATCHES[@]}"
check "rebalance: A and B share the partitions" wait_settled "$WORK/rebalance-a.log" "$WORK/rebalance-b.log" 30
held=$(holding "$WORK/rebalance-a.log")
kill_and_wait TERM "$A"
check "rebalance: when A stopped, B was given the partitions A held [$held]" \
  wait_holds 30 "$WORK/rebalance-b.log" $held
converge_with_oracle rebalance 90

# 5. a consumer frozen past its session timeout, resumed after its partitions moved
scenario "SIGSTOP past the session timeout"
new_pipeline freeze
stream_events 9000 505 800
start_consumer freeze-a "${SMALL_BATCHES[@]}"; A=$CONSUMER_PID
start_consumer freeze-b "${SMALL_BATCHES[@]}"
wait_applying freeze-a
check "SIGSTOP: A and B share the partitions" wait_settled "$WORK/freeze-a.log" "$WORK/freeze-b.log" 30
held=$(holding "$WORK/freeze-a.log")
kill -STOP "$A"
# A stays frozen until its session (6 s) has expired and B was given its partitions
check "SIGSTOP: B was given the partitions A held [$held] while A was frozen" \
  wait_holds 30 "$WORK/freeze-b.log" $held
kill -CONT "$A"
converge_with_oracle SIGSTOP 90 "no stale deltas"

# 6. broker errors injected through the mock cluster
scenario "broker errors"
new_pipeline errors
stream_events 6000 606 2000
start_consumer errors "${SMALL_BATCHES[@]}"
wait_applying errors
echo "push 8 5 16" >"$CONTROL"   # OffsetCommit: NOT_COORDINATOR
echo "push 1 5 6" >"$CONTROL"    # Fetch: NOT_LEADER_FOR_PARTITION
echo "push 0 5 7" >"$CONTROL"    # Produce (dead letters): REQUEST_TIMED_OUT
sleep 1
echo "down 2" >"$CONTROL"
sleep 1.5
echo "up 2" >"$CONTROL"
converge_with_oracle "broker errors" 90
check "broker errors: they were injected" grep -q "event=inject_errors api_key=8" "$WORK/broker.log"
finish
