#!/usr/bin/env bash
# The whole pipeline on a real Redis Cluster (issue 14; docs/operations.md "Redis Cluster"): 6 redis-server,
# 3 masters each with a replica, balanced; dfa-loadgen -> dfa-broker -> dfa-consumer with
# redis.cluster_seeds and redis.wait_replicas=1. While events flow:
#   1. the slot of a busy province moves to another master by hand, its offset markers first, so the
#      consumer meets ASK for a while, then the rest of its keys and the slot itself; another moves while
#      the consumer is stopped, so it meets MOVED;
#   2. a master is cut from its replica, so its provinces' batches are applied but never acknowledged, and
#      is then killed with -9: its replica, which never got them, takes over; nothing acknowledged is lost.
# Redis equals the independent oracle after each. A second consumer group fills a single Redis from the
# same topic: dfa-query and dfa-snapshot give the same bytes on both; dfa-snapshot --nightly and
# dfa-consumer --stats work on the cluster; dfa-rebuild replays the log into an empty Redis and finds it equal to the cluster.
source "$(dirname "$0")/lib.sh"
CLUSTER_NODE_TIMEOUT_MS=1000 start_cluster
start_pipeline # the broker, and the single Redis fed the same events
export DFA_REDIS_CLUSTER_SEEDS=$CLUSTER_SEED # every program below reads the cluster unless told otherwise
single() { DFA_REDIS_CLUSTER_SEEDS= "$@"; }

owner_of() { # owner_of SLOT: "id port" of the master serving it
  redis-cli -p "${CLUSTER_SEED##*:}" cluster nodes | awk -v s="$1" '$3 ~ /master/ && $3 !~ /fail/ {
    for (i = 9; i <= NF; i++) { n = split($i, r, "-"); if ($i !~ /^\[/ && s + 0 >= r[1] + 0 && s + 0 <= r[n] + 0) {
      split($2, a, "[:@]"); print $1, a[2]; exit } } }'
}
other_master() { # other_master ID: "id port" of a master that is not ID
  redis-cli -p "${CLUSTER_SEED##*:}" cluster nodes |
    awk -v not="$1" '$3 ~ /master/ && $3 !~ /fail/ && $1 != not { split($2, a, "[:@]"); print $1, a[2]; exit }'
}
pid_of() { # pid_of PORT: the running redis-server of that cluster port
  local e pid=
  for e in "${CLUSTER_PIDS[@]}"; do [ "${e%%:*}" = "$1" ] && pid=${e##*:}; done
  echo "$pid"
}
bus_of() { # bus_of PORT: its cluster bus port
  local i
  for i in "${!CLUSTER_PORTS[@]}"; do [ "${CLUSTER_PORTS[i]}" = "$1" ] && echo "${CLUSTER_BUS_PORTS[i]}"; done
}
log_lines() { wc -l <"$WORK/cluster.log"; }
wait_for_new_log() { # wait_for_new_log FROM_LINE REGEX SECONDS: REGEX in the cluster consumer's log after FROM_LINE
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    tail -n +"$(($1 + 1))" "$WORK/cluster.log" | grep -qE "$2" && return 0
    sleep 0.1
  done
  log "timed out waiting for /$2/ in cluster.log"; return 1
}
until_role() { # until_role PORT ROLE: until that node says it is ROLE (30 s at most)
  local deadline=$((SECONDS + 30))
  until redis-cli -p "$1" role 2>/dev/null | head -1 | grep -qx "$2"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

start_consumer cluster --set redis.wait_replicas=1 --set redis.wait_timeout_ms=300 --set consumer.batch_ms=50
CLUSTER_CONSUMER=$CONSUMER_PID
single start_consumer single --set consumer.group=dfa-single --set consumer.batch_ms=50

scenario "1. the slot of a busy province (01) moves to another master while events flow"
stream_events 3000 1401 400
wait_applying cluster
SLOT=$(redis-cli -p "${CLUSTER_SEED##*:}" cluster keyslot '{p:01}')
read -r FROM_ID FROM_PORT < <(owner_of "$SLOT")
read -r TO_ID TO_PORT < <(other_master "$FROM_ID")
from=$(log_lines)
redis-cli -p "$TO_PORT" cluster setslot "$SLOT" importing "$FROM_ID" >/dev/null
redis-cli -p "$FROM_PORT" cluster setslot "$SLOT" migrating "$TO_ID" >/dev/null
expect_eq "the province's offset markers go first" \
  "$(redis-cli -p "$FROM_PORT" migrate 127.0.0.1 "$TO_PORT" 'dfa:{p:01}:off' 0 5000)" OK
check "the consumer meets ASK and redoes the province" \
  wait_for_new_log "$from" 'event=redis_reroute step=(read|apply) why="ASK ' 30
"$ROOT/scripts/dfa-cluster-balance" --move "$SLOT" "$TO_ID" "$CLUSTER_SEED" >>"$WORK/cluster-balance.log"
expect_eq "the slot is served by the other master" "$(owner_of "$SLOT")" "$TO_ID $TO_PORT"
# another province's slot moves while the consumer is stopped: its map is stale, and it meets MOVED
SLOT=$(redis-cli -p "${CLUSTER_SEED##*:}" cluster keyslot '{p:79}')
read -r FROM_ID _ < <(owner_of "$SLOT")
read -r MOVED_TO _ < <(other_master "$FROM_ID")
from=$(log_lines)
kill -STOP "$CLUSTER_CONSUMER"
"$ROOT/scripts/dfa-cluster-balance" --move "$SLOT" "$MOVED_TO" "$CLUSTER_SEED" >>"$WORK/cluster-balance.log"
kill -CONT "$CLUSTER_CONSUMER"
check "a slot moved under a stopped consumer: it meets MOVED and follows" \
  wait_for_new_log "$from" 'event=redis_reroute step=(read|apply) why="MOVED ' 30
converge_with_oracle "slot moved while events flow" 60

scenario "2. a master cut from its replica, then killed -9 right after its EXECs: the replica takes over"
MASTER_PORT=$TO_PORT
REPLICA_PORT=$(redis-cli -p "$MASTER_PORT" info replication | sed -n 's/^slave0:ip=[^,]*,port=\([0-9]*\),.*/\1/p')
# the replica's link is cut and cannot come back (it logs in as a user that does not exist); it may still
# take over however long it was cut off
for c in "masteruser nobody" "masterauth nothing" "cluster-replica-validity-factor 0"; do
  redis-cli -p "$REPLICA_PORT" config set $c >/dev/null
done
redis-cli -p "$REPLICA_PORT" client kill type master >/dev/null
from=$(log_lines)
stream_events 1500 1402 300
check "the master applies batches its replica never gets, and the consumer commits none of them" \
  wait_for_new_log "$from" 'event=outage .*0 of 1 replicas acknowledged' 30
kill_and_wait KILL "$(pid_of "$MASTER_PORT")"
check "the replica takes over" until_role "$REPLICA_PORT" master
cluster_node_start "$MASTER_PORT" "$(bus_of "$MASTER_PORT")" # back, as the replica of its replica
check "the killed master rejoins as a replica" until_role "$MASTER_PORT" slave
cluster_wait_synced "$REPLICA_PORT"
wait_stream
topic_events "$WORK/topic.ndjson"
expect_eq "the topic holds both streams" "$(wc -l <"$WORK/topic.ndjson")" 4500
oracle_tsv "$WORK/topic.ndjson" >"$WORK/want.tsv"
check "master killed -9, replica promoted: Redis equals the oracle: nothing acknowledged was lost" \
  wait_converged "$WORK/want.tsv" 90

scenario "3. the readers on the cluster and on a single Redis fed the same events"
check "the single Redis equals the oracle too" single wait_converged "$WORK/want.tsv" 60
query() { "$BIN/bin/dfa-query" "$@" | tail -n +2; } # the first line says when it was read
for args in "--period Y2025" "--period H2025-1" "--period Y2024 --breakdowns" "--period Y2025 --province 01 --breakdowns"; do
  expect_eq "dfa-query $args: the cluster and the single Redis agree" "$(query $args)" "$(single query $args)"
done
expect_eq "dfa-snapshot --period N2025 --format json: the same bytes" \
  "$("$BIN/bin/dfa-snapshot" --period N2025 --format json | sha256sum)" \
  "$(single "$BIN/bin/dfa-snapshot" --period N2025 --format json | sha256sum)"
DFA_SNAPSHOT_DIR="$WORK/snapshots" "$BIN/bin/dfa-snapshot" --nightly --date 2025-09-30 --no-notices 2>"$WORK/nightly.log"
check "dfa-snapshot --nightly on the cluster writes its versions" \
  grep -q 'event=nightly_done date=2025-09-30 written=42 unchanged=0' "$WORK/nightly.log"
expect_eq "and indexes them in the cluster" "$(redis-cli -c -p "${CLUSTER_SEED##*:}" hlen dfa:snapshots)" 42
check "dfa-consumer --stats reads the consumer's stats from the cluster" \
  bash -c "'$BIN/bin/dfa-consumer' --stats | grep -q 'events_per_s='"
unset REDIS_PORT
start_redis # empty
check "dfa-rebuild replays the log into an empty Redis: equal to the cluster" env PATH="$BIN/bin:$PATH" \
  "$ROOT/scripts/dfa-rebuild" --into "127.0.0.1:$REDIS_PORT" --compare --timeout 60
finish
