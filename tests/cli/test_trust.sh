#!/usr/bin/env bash
# The trust cases end to end (issue 12): the oracle's hand-made log (duplicates, retractions with right
# and wrong copies in both orders, a correction of an old event, the horizon) and an overflow log go
# through dfa-produce, the broker and a consumer; Redis must equal the independent oracle computed from
# the events topic read back, and every line must take the path the oracle says.
source "$(dirname "$0")/lib.sh"
start_pipeline
HERE="$ROOT/tests/oracle"

grep -av '^#' "$HERE/selftest.ndjson" >"$WORK/log.ndjson"
python3 -c '
import sys
line = ("{\"event_id\":\"ovf-%d\",\"type\":\"oda.allocated\",\"occurred_at\":\"2026-01-10T10:00:00+07:00\",\"province\":\"92\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"donor_id\":\"donor-x\",\"sector\":\"health\",\"amount\":{\"amount\":1000000000000000,\"currency\":\"VND\"}}}\n")
sys.stdout.write("".join(line % i for i in range(1, 9224)))' >>"$WORK/log.ndjson"
grep -v '^#' "$HERE/overflow.ndjson" >>"$WORK/log.ndjson"
"$BIN/bin/dfa-produce" --set producer.progress=0 "$WORK/log.ndjson" >/dev/null 2>"$WORK/produce.log" || true
start_consumer trust
topic_events "$WORK/topic.ndjson"
expect_eq "every valid line is on the topic" "$(wc -l <"$WORK/topic.ndjson")" \
  "$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$WORK/produce.log" | tail -1)"
oracle_tsv "$WORK/topic.ndjson" --stats >"$WORK/want.tsv" 2>"$WORK/oracle.stats"
check "Redis equals the oracle" wait_converged "$WORK/want.tsv" 60
dead() { grep -o "dead:$1=[0-9]*" "$WORK/oracle.stats" | cut -d= -f2; }
wait_topic_count dfa.events.dlq 1 20 || true
sleep 2
kcat -b "$BOOTSTRAP" -C -t dfa.events.dlq -e -q -f '%h\n' 2>/dev/null >"$WORK/dlq.headers"
for code in counter_overflow outside_horizon; do
  expect_eq "dead letters $code: as many as the oracle says" \
    "$(grep -o "dfa.error=$code" "$WORK/dlq.headers" | wc -l)" "$(dead $code)"
done
# the oracle dead-letters a mismatched retraction when it meets a counted event; a notice is sent when
# a mismatched tombstone meets its event: together, one per wrong copy
expect_eq "dead letters retraction_mismatch: one per wrong copy" \
  "$(grep -o 'dfa.error=retraction_mismatch' "$WORK/dlq.headers" | wc -l)" "$(dead retraction_mismatch)"
check "no outage: nothing in the pipeline failed on data" bash -c "! grep -q 'event=outage ' '$WORK/trust.log'"
finish
