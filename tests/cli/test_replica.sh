#!/usr/bin/env bash
# Replicas without losing acknowledged batches (issue 14): a master and one replica, the consumer with
# redis.wait_replicas=1. Once the replica is cut off (its link to the master broken, so it holds what it
# had), batches are still applied on the master but never committed; the master is then killed (kill -9)
# and the replica, holding none of them, serves instead; a consumer on it replays them from Kafka, and
# Redis equals the oracle of the whole log.
source "$(dirname "$0")/lib.sh"
start_pipeline
MASTER_PORT=$REDIS_PORT MASTER_PID=$REDIS_PID
REPLICA_PORT=$(free_port)
mkdir -p "$WORK/replica"
redis-server --port "$REPLICA_PORT" --bind 127.0.0.1 --dir "$WORK/replica" --appendonly yes --appendfsync always \
  --save '' --replicaof 127.0.0.1 "$MASTER_PORT" --logfile "$WORK/replica/redis.log" &
REPLICA_PID=$!
PIDS+=("$REPLICA_PID")
check "the replica follows the master" wait_for_log "$WORK/replica/redis.log" 'MASTER <-> REPLICA sync: Finished' 20
WAIT=(--set redis.wait_replicas=1 --set redis.wait_timeout_ms=300 --set consumer.batch_ms=50)

# 1. with the replica following: every batch is acknowledged by it and committed
stream_events 600 901
start_consumer first "${WAIT[@]}"
converge_with_oracle "replica following" 60
DFA_REDIS_PORT=$REPLICA_PORT "$BIN/bin/dfa-dump" >"$WORK/replica.tsv"
check "the replica holds the same counters" cmp -s "$WORK/replica.tsv" "$WORK/want.tsv"
check "no outage while the replica follows" bash -c "! grep -q 'event=outage ' '$WORK/first.log'"

# 2. the replica is cut off (a SIGSTOP would not do: the kernel still buffers the replication stream for
# it); new batches are applied on the master, WAIT is not satisfied
redis-cli -p "$REPLICA_PORT" replicaof no one >/dev/null
stream_events 400 902
check "the consumer does not commit what the replica lacks" \
  wait_for_log "$WORK/first.log" 'event=outage .*0 of 1 replicas acknowledged' 30
wait_stream
sleep 1
kill_and_wait KILL "$CONSUMER_PID"
kill_and_wait KILL "$MASTER_PID"   # the master dies holding batches the replica never got
DFA_REDIS_PORT=$REPLICA_PORT "$BIN/bin/dfa-dump" >"$WORK/replica.tsv"
check "the replica that takes over holds the first stream only" cmp -s "$WORK/replica.tsv" "$WORK/want.tsv"

# 3. a consumer on the promoted replica replays what was never committed
export DFA_REDIS_PORT=$REPLICA_PORT
start_consumer second --set consumer.batch_ms=50
topic_events "$WORK/topic.ndjson"
expect_eq "the topic holds both streams" "$(wc -l <"$WORK/topic.ndjson")" 1000
oracle_tsv "$WORK/topic.ndjson" >"$WORK/want-all.tsv"
check "after the failover Redis equals the oracle: nothing acknowledged was lost" \
  wait_converged "$WORK/want-all.tsv" 60
finish
