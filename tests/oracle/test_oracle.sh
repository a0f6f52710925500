#!/usr/bin/env bash
# The oracle itself, on logs whose expected counters were written by hand (selftest.*, overflow.*),
# on every order of an event and its retractions, and against dfa-loadgen's ground truth while the
# two must agree (loadgen's duplicates and retractions are exact copies).
source "$(dirname "$0")/../cli/lib.sh"
HERE="$ROOT/tests/oracle"
oracle() { python3 "$HERE/dfa_oracle.py" "$@"; }

# the hand-made log: '#' lines are comments for the reader, not events
grep -av '^#' "$HERE/selftest.ndjson" >"$WORK/self.ndjson"
oracle_tsv "$WORK/self.ndjson" --now 2026 --stats >"$WORK/self.tsv" 2>"$WORK/self.stats"
check "hand-made log: the counters written by hand" diff "$HERE/selftest.tsv" "$WORK/self.tsv"
expect_eq "hand-made log: each line took the path it was written for" "$(cat "$WORK/self.stats")" \
  "already_retracted=1 cancelled=2 counted=10 dead:invalid=2 dead:outside_horizon=1 dead:retraction_mismatch=4 duplicate=4 retracted=4 tombstone=4"

# overflow: 9223 events of 10^15 first, then the hand-made lines
python3 -c '
import sys
line = ("{\"event_id\":\"ovf-%d\",\"type\":\"oda.allocated\",\"occurred_at\":\"2026-01-10T10:00:00+07:00\",\"province\":\"92\",\"reporter\":\"other\",\"schema_version\":1,\"data\":{\"donor_id\":\"donor-x\",\"sector\":\"health\",\"amount\":{\"amount\":1000000000000000,\"currency\":\"VND\"}}}\n")
sys.stdout.write("".join(line % i for i in range(1, 9224)))' >"$WORK/overflow.ndjson"
grep -v '^#' "$HERE/overflow.ndjson" >>"$WORK/overflow.ndjson"
oracle_tsv "$WORK/overflow.ndjson" --now 2026 --stats >"$WORK/overflow.tsv" 2>"$WORK/overflow.stats"
check "overflow: counters stop at 2^63 - 1, the events that would pass it count nothing" \
  diff "$HERE/overflow.tsv" "$WORK/overflow.tsv"
expect_eq "overflow: two events dead-lettered" "$(grep -o 'dead:counter_overflow=[0-9]*' "$WORK/overflow.stats")" \
  "dead:counter_overflow=2"

# an event (E), its retraction (R) and a wrong copy (W), in each of the 6 orders: nothing left;
# E and W in either order: E counts
env='"type":"inspection.conducted","occurred_at":"2026-05-01T10:00:00Z","province":"01","reporter":"other","schema_version":1'
declare -A L=(
  [E]="{\"event_id\":\"e\",$env,\"data\":{\"kind\":\"other\"}}"
  [R]="{\"event_id\":\"r\",$env,\"data\":{\"kind\":\"other\"},\"op\":\"retract\",\"ref\":\"e\"}"
  [W]="{\"event_id\":\"w\",$env,\"data\":{\"kind\":\"ngo_aid\"},\"op\":\"retract\",\"ref\":\"e\"}")
in_order() { local i; for ((i = 0; i < ${#1}; i++)); do printf '%s\n' "${L[${1:i:1}]}"; done; }
in_order E >"$WORK/e.ndjson"
oracle_tsv "$WORK/e.ndjson" >"$WORK/e.tsv"
for order in ERW EWR REW RWE WER WRE; do
  in_order "$order" >"$WORK/$order.ndjson"
  expect_eq "order $order: nothing left" "$(oracle_tsv "$WORK/$order.ndjson" | wc -l)" 0
done
for order in EW WE; do
  in_order "$order" >"$WORK/$order.ndjson"
  check "order $order: the event counts" diff "$WORK/e.tsv" <(oracle_tsv "$WORK/$order.ndjson")
done

# --now moves the horizon: a 2015 event counts for 2025, not for 2026
printf '%s\n' "${L[E]/2026-05-01/2015-06-01}" >"$WORK/old.ndjson"
expect_eq "--now 2025: a 2015 event counts" "$(oracle_tsv "$WORK/old.ndjson" --now 2025 | wc -l)" 6
expect_eq "--now 2026: it does not" "$(oracle_tsv "$WORK/old.ndjson" --now 2026 | wc -l)" 0

# a line dfa-check calls valid that the oracle cannot count is an error, not a silent skip
printf '{"file":"x","line":1,"valid":true}\n' >"$WORK/lie.json"
printf '[1]\n' >"$WORK/lie.ndjson"
expect_exit "a disagreement with dfa-check stops the oracle" 2 \
  python3 "$HERE/dfa_oracle.py" --check-json "$WORK/lie.json" "$WORK/lie.ndjson"
check "and names the line" grep -q 'lie.ndjson:1: valid for dfa-check, not for the oracle' "$WORK/exit.err"

# today, with exact copies only, the oracle and dfa-loadgen's truth must agree row for row
for seed in 1 2; do
  "$BIN/bin/dfa-loadgen" --count 20000 --seed "$seed" --output "$WORK/lg.ndjson" --truth "$WORK/lg.json" 2>/dev/null
  truth_tsv "$WORK/lg.json" >"$WORK/lg-truth.tsv"
  check "loadgen seed $seed: the oracle equals --truth" diff -q "$WORK/lg-truth.tsv" <(oracle_tsv "$WORK/lg.ndjson")
done
finish
