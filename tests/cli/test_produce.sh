#!/usr/bin/env bash
# dfa-produce, dfa-loadgen and the C API against dfa-broker, read back with kcat.
source "$(dirname "$0")/lib.sh"
start_broker
K="--set kafka.bootstrap.servers=$BOOTSTRAP"

# a stream with every kind of line, and what dfa-check says of each
"$BIN/bin/dfa-loadgen" --count 3000 --seed 11 --invalid 2 --output "$WORK/events.ndjson" 2>/dev/null
"$BIN/bin/dfa-check" --json --explain "$WORK/events.ndjson" >"$WORK/check.json" 2>/dev/null || true
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
lines = open(f"{w}/events.ndjson", "rb").read().split(b"\n")
valid, invalid = [], []
for rec in map(json.loads, open(f"{w}/check.json")):
    n = rec["line"]
    if rec["valid"]:
        valid.append(rec["province"]["current"]["code"].encode() + b"\t" + lines[n - 1])
    else:
        invalid.append(f'{n}')
open(f"{w}/want.tsv", "wb").write(b"\n".join(sorted(valid)) + b"\n")
open(f"{w}/want_invalid.txt", "w").write("\n".join(invalid) + "\n")
PY

expect_exit "exit 1 when some lines are invalid" 1 "$BIN/bin/dfa-produce" $K "$WORK/events.ndjson"
expect_eq "invalid lines reported with their numbers" \
  "$(sed -E 's/^[^:]*:([0-9]+): invalid.*/\1/' "$WORK/exit.out")" "$(cat "$WORK/want_invalid.txt")"
check "summary counts every line" grep -q "read=3000 sent=$(wc -l <"$WORK/want.tsv") rejected=$(wc -l <"$WORK/want_invalid.txt") failed=0" "$WORK/exit.err"

kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q -f '%k\t%s\n' 2>/dev/null | sort >"$WORK/got.tsv"
expect_eq "kcat reads as many messages as valid lines" "$(wc -l <"$WORK/got.tsv")" "$(wc -l <"$WORK/want.tsv")"
check "same bytes, keyed by today's province code" cmp -s "$WORK/got.tsv" "$WORK/want.tsv"

# one province's events stay in one partition
kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q -f '%k %p\n' 2>/dev/null | sort -u >"$WORK/key_partition.txt"
expect_eq "each key in exactly one partition" "$(cut -d' ' -f1 "$WORK/key_partition.txt" | uniq -d | wc -l)" 0

# --dry-run sends nothing
before=$(kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q 2>/dev/null | wc -l)
"$BIN/bin/dfa-produce" $K --dry-run "$WORK/events.ndjson" >/dev/null 2>&1 || true
expect_eq "--dry-run publishes nothing" "$(kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q 2>/dev/null | wc -l)" "$before"

# the C API example: three delivered, one refused with its reason
expect_exit "example program exits 0" 0 "$BIN/bin/send_events" $K
check "example's invalid event refused with the field" grep -q 'example-4 (#4): refused: data.members: expected integer 1..10000, got "ba"' "$WORK/exit.out"
expect_eq "example's events are on the topic" \
  "$(kcat -b "$BOOTSTRAP" -C -t dfa.events -e -q -f '%k %s\n' 2>/dev/null | grep -o '^[0-9]* {"event_id":"example-[0-9]*' | sort | tr '\n' ' ')" \
  '01 {"event_id":"example-1 79 {"event_id":"example-3 91 {"event_id":"example-2 '

# broker unreachable: non-zero exit, the undelivered events named
head -20 "$WORK/want.tsv" | cut -f2- >"$WORK/twenty.ndjson"
expect_exit "exit 1 when the broker is unreachable" 1 \
  "$BIN/bin/dfa-produce" --set kafka.bootstrap.servers=127.0.0.1:$(free_port) --set kafka.message.timeout.ms=2000 "$WORK/twenty.ndjson"
expect_eq "every undelivered event named with its line" "$(grep -c 'event=not_delivered line=' "$WORK/exit.err")" 20
check "a closing message says events were not delivered" grep -q '20 valid events were not delivered' "$WORK/exit.err"

# startup errors name the key
expect_exit "unknown kafka property is a startup error" 2 "$BIN/bin/dfa-produce" --set kafka.no.such.property=1 /dev/null
check "and names it" grep -q 'kafka.no.such.property: No such configuration property' "$WORK/exit.err"

# loadgen is reproducible
"$BIN/bin/dfa-loadgen" --count 3000 --seed 11 --invalid 2 --output "$WORK/again.ndjson" 2>/dev/null
check "same seed, same stream" cmp -s "$WORK/events.ndjson" "$WORK/again.ndjson"
finish
