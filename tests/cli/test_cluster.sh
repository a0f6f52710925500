#!/usr/bin/env bash
# Runs the cluster routing's unit tests (tests/test_cluster.c) against a real
# Redis Cluster: 6 redis-server, 3 masters with a replica each, the provinces
# balanced by scripts/dfa-cluster-balance. The C test moves a slot and kills a
# master itself, so it is given the script and the pids.
source "$(dirname "$0")/lib.sh"
start_cluster
check "dfa-cluster-balance moved the provinces to 12/11/11" \
  grep -qE '^provinces per master after: ([^ ]+=(12|11) ?){3}$' "$WORK/cluster-balance.log"
expect_eq "dfa-cluster-balance again moves nothing" \
  "$("$ROOT/scripts/dfa-cluster-balance" "$CLUSTER_SEED" | grep '^slots moved')" "slots moved: 0"
check "cluster routing against a real Redis Cluster" env DFA_CLUSTER_SEED="$CLUSTER_SEED" \
  DFA_CLUSTER_PIDS="${CLUSTER_PIDS[*]}" DFA_CLUSTER_BALANCE="$ROOT/scripts/dfa-cluster-balance" \
  "$BIN/tests/test_cluster"
finish
