#!/usr/bin/env bash
# Runs the applier's unit tests (tests/test_applier.c) and those of the
# protocol it writes and reads (tests/test_resp.c) against a private
# redis-server: the transaction, its WATCH and the replays need a real one.
source "$(dirname "$0")/lib.sh"
start_redis
check "applier against a real Redis" env DFA_REDIS_PORT="$REDIS_PORT" "$BIN/tests/test_applier"
check "RESP writer and reply tally against a real Redis" env DFA_REDIS_PORT="$REDIS_PORT" "$BIN/tests/test_resp"
check "the batch against a real Redis" env DFA_REDIS_PORT="$REDIS_PORT" "$BIN/tests/test_batch"
finish
