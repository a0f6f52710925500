#!/usr/bin/env bash
# One message never stops the pipeline (issue 12, section 2): a message the
# dead-letter topic cannot take whole goes there as a cut copy with its size
# and SHA-256, once; a record the broker refuses is sent again smaller; a
# dead-letter outage pauses the consumer, which then sends what was not
# acknowledged, and only that.
source "$(dirname "$0")/lib.sh"
CUT=4096 # consumer.deadletter_cut_bytes' default: what a cut copy keeps of the key and of the value
PY_DATA="$ROOT/tests/data"

produce() { # produce PARTITION KEY FILE: one message, the file's bytes as they are
  kcat -P -b "$BOOTSTRAP" -t dfa.events -X message.max.bytes=8000000 -p "$1" -k "$2" "$3" 2>/dev/null
}

write_event() { # write_event FILE NAME: ORIGINAL, SENTINEL, MISMATCH or a copy of ORIGINAL with event_id NAME
  python3 - "$PY_DATA" "$1" "$2" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import bad_inputs
name = sys.argv[3]
open(sys.argv[2], "wb").write(getattr(bad_inputs, name) if name.isupper() else bad_inputs.event(event_id=name))
PY
}

want_of() { # want_of EVENT-FILE... > the counters those valid events make, as dfa-dump prints them
  local f
  for f in "$@"; do cat "$f"; echo; done >"$WORK/want.ndjson"
  deltas_tsv "$WORK/want.ndjson"
}

dlq_records() { # dlq_records OUT: every dead-letter record as a JSON line, key and value in hex
  kcat -b "$BOOTSTRAP" -C -t dfa.events.dlq -e -q -f '%p %o %S %K\n%s%k\n%h\n' 2>/dev/null | python3 -c '
import json, re, sys
data, pos = sys.stdin.buffer.read(), 0
while pos < len(data):
    nl = data.index(b"\n", pos)
    p, o, s, k = map(int, data[pos:nl].split())
    pos = nl + 1
    value, pos = data[pos:pos + max(s, 0)], pos + max(s, 0)
    key, pos = data[pos:pos + max(k, 0)], pos + max(k, 0) + 1
    nl = data.index(b"\n", pos)
    line, pos = data[pos:nl].decode(), nl + 1
    headers = dict(h.split("=", 1) for h in re.split(r",(?=dfa\.[a-z0-9._]+=)", line) if h)
    print(json.dumps({"partition": p, "offset": o, "value": value.hex(), "key": key.hex(), "headers": headers}))' >"$1"
}

check_dlq() { # check_dlq NAME EXPECTED.json: the dead-letter topic holds exactly these records, once each
  dlq_records "$WORK/dlq.json"
  check "$1" python3 - "$WORK/dlq.json" "$2" "$CUT" <<'PY'
import hashlib, json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
want = json.load(open(sys.argv[2]))  # [{"offset", "key file", "value file", "error", "form"}]
cut = int(sys.argv[3])
problems = []
by_source = {}
for r in records:
    h = r["headers"]
    by_source.setdefault((h.get("dfa.source.topic"), int(h.get("dfa.source.partition", -1)), int(h.get("dfa.source.offset", -1))), []).append(r)
for src, rs in by_source.items():
    if len(rs) != 1:
        problems.append(f"source {src}: {len(rs)} dead letters")
if len(records) != len(want):
    problems.append(f"{len(records)} dead letters, want {len(want)}")
for w in want:
    src = ("dfa.events", w["partition"], w["offset"])
    rs = by_source.get(src)
    if not rs:
        problems.append(f"source {src}: no dead letter")
        continue
    r, h = rs[0], rs[0]["headers"]
    key, value = open(w["key"], "rb").read(), open(w["value"], "rb").read()
    got_key, got_value = bytes.fromhex(r["key"]), bytes.fromhex(r["value"])
    if h.get("dfa.error") != w["error"]:
        problems.append(f"{src}: dfa.error {h.get('dfa.error')!r}, want {w['error']!r}")
    if "dfa.reason" not in h:
        problems.append(f"{src}: no dfa.reason")
    form = w["form"]
    if form == "full":
        if "dfa.truncated" in h:
            problems.append(f"{src}: a full copy says dfa.truncated={h['dfa.truncated']}")
        if (got_key, got_value) != (key, value):
            problems.append(f"{src}: the copy differs from the original")
        continue
    if h.get("dfa.truncated") != form:
        problems.append(f"{src}: dfa.truncated {h.get('dfa.truncated')!r}, want {form!r}")
    for part, orig, got in (("key", key, got_key), ("value", value, got_value)):
        if h.get(f"dfa.{part}.size") != str(len(orig)):
            problems.append(f"{src}: dfa.{part}.size {h.get(f'dfa.{part}.size')!r}, want {len(orig)}")
        if h.get(f"dfa.{part}.sha256") != hashlib.sha256(orig).hexdigest():
            problems.append(f"{src}: dfa.{part}.sha256 {h.get(f'dfa.{part}.sha256')!r}, want {hashlib.sha256(orig).hexdigest()}")
        expect = orig[:cut] if form == "cut" else b""
        if got != expect:
            problems.append(f"{src}: {part} is {len(got)} bytes, want the first {len(expect)} of the original")
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}

# 1. a 1,000,100-byte message and one with a 2 MB key, on partition 0, among
# an invalid small message and valid events on partitions 0 and 1
scenario "poison messages"
new_pipeline poison
python3 - "$WORK" <<'PY'
import random
w, r = __import__("sys").argv[1], random.Random(12)
open(f"{w}/big.value", "wb").write(r.randbytes(1_000_100))  # every byte value, NUL and newline included
open(f"{w}/big.key", "wb").write(b"big-value")
key = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(2_000_000))
open(f"{w}/long.key", "wb").write(key.encode())
open(f"{w}/long.value", "wb").write(b"poison")
open(f"{w}/long.line", "wb").write(key.encode() + b"\t" + b"poison")
open(f"{w}/small.value", "wb").write(b"not json")
open(f"{w}/small.key", "wb").write(b"small")
PY
produce 0 big-value "$WORK/big.value"                                        # offset 0
# a key longer than an argument may be: kcat takes it from stdin before the tab
kcat -P -b "$BOOTSTRAP" -t dfa.events -X message.max.bytes=8000000 -p 0 -K $'\t' <"$WORK/long.line" 2>/dev/null # offset 1
produce 0 small "$WORK/small.value"                                          # offset 2
write_event "$WORK/original.json" ORIGINAL
write_event "$WORK/sentinel.json" SENTINEL
write_event "$WORK/late.json" late-1
cat >"$WORK/want-dlq.json" <<EOF
[{"partition": 0, "offset": 0, "key": "$WORK/big.key", "value": "$WORK/big.value", "error": "limit", "form": "cut"},
 {"partition": 0, "offset": 1, "key": "$WORK/long.key", "value": "$WORK/long.value", "error": "json", "form": "cut"},
 {"partition": 0, "offset": 2, "key": "$WORK/small.key", "value": "$WORK/small.value", "error": "json", "form": "full"}]
EOF
start_consumer poison
wait_assigned poison
sleep 2 # the poison batch is in hand: what comes now must not wait behind it
produce 1 ev-1 "$WORK/original.json"
produce 0 ev-0 "$WORK/sentinel.json"                                         # offset 3
want_of "$WORK/original.json" "$WORK/sentinel.json" >"$WORK/want.tsv"
check "poison: the valid events on both partitions are counted, exactly" wait_converged "$WORK/want.tsv" 30
check "poison: three dead letters arrive" wait_topic_count dfa.events.dlq 3 30
check "poison: the consumer counted 2 and dead-lettered 3, 2 of them cut" \
  wait_for_log "$WORK/poison.log" 'event=stats .* messages=5 counted=2 .* dead_lettered=3 .* dead_letters_cut=2 dead_letters_lost=0 ' 10
sleep 2 # repeats, if any, have had time to come
check_dlq "poison: one record per message, cut copies with size and SHA-256" "$WORK/want-dlq.json"
check "poison: no outage for messages that can never go through" bash -c "! grep -q 'event=outage' '$WORK/poison.log'"
kill_and_wait TERM "$CONSUMER_PID"
# restarted: the offsets were committed past the poison, so only the new event is read
start_consumer poison-again
produce 0 ev-0 "$WORK/late.json"                                             # offset 4
want_of "$WORK/original.json" "$WORK/sentinel.json" "$WORK/late.json" >"$WORK/want.tsv"
check "poison: restarted, the next event counts and nothing changed besides" wait_converged "$WORK/want.tsv" 30
check "poison: restarted, the consumer read one message only" \
  wait_for_log "$WORK/poison-again.log" 'event=stats .* messages=1 counted=1 ' 10
check "poison: restarted, nothing stalls" bash -c "! grep -q 'event=outage' '$WORK/poison-again.log'"
check_dlq "poison: restarted, no dead letter again" "$WORK/want-dlq.json"
kill_and_wait TERM "$CONSUMER_PID"

# 2. the broker refuses a record for good (delivery reports MSG_SIZE_TOO_LARGE,
# then INVALID_RECORD): it is sent again as a cut copy, then as headers only
scenario "records refused by the broker"
new_pipeline refused
printf 'refused one' >"$WORK/a.value"; printf a >"$WORK/a.key"
printf 'refused twice' >"$WORK/b.value"; printf b >"$WORK/b.key"
produce 0 a "$WORK/a.value"                                                  # offset 0
echo "push 0 1 10" >"$CONTROL" # the next Produce request (the dead letter's) fails: MSG_SIZE_TOO_LARGE
start_consumer refused
cat >"$WORK/want-dlq.json" <<EOF
[{"partition": 0, "offset": 0, "key": "$WORK/a.key", "value": "$WORK/a.value", "error": "json", "form": "cut"}]
EOF
check "refused: the record arrives" wait_topic_count dfa.events.dlq 1 30
sleep 1
check_dlq "refused once: sent again as a cut copy" "$WORK/want-dlq.json"
kill_and_wait TERM "$CONSUMER_PID"
produce 0 b "$WORK/b.value"                                                  # offset 1
echo "push 0 2 87" >"$CONTROL" # INVALID_RECORD, for the full copy and for the cut one
start_consumer refused-again
cat >"$WORK/want-dlq.json" <<EOF
[{"partition": 0, "offset": 0, "key": "$WORK/a.key", "value": "$WORK/a.value", "error": "json", "form": "cut"},
 {"partition": 0, "offset": 1, "key": "$WORK/b.key", "value": "$WORK/b.value", "error": "json", "form": "headers_only"}]
EOF
check "refused twice: the record arrives" wait_topic_count dfa.events.dlq 2 30
sleep 1
check_dlq "refused twice: sent again with its headers only" "$WORK/want-dlq.json"
check "refused: never an outage" bash -c "! grep -q 'event=outage' '$WORK/refused.log' '$WORK/refused-again.log'"
kill_and_wait TERM "$CONSUMER_PID"

# 3. a dead-letter outage: the leader of one dead-letter partition goes down
# while a batch's dead letters go to it and to another partition. The consumer
# pauses, sends again only the records not acknowledged, applies nothing twice.
scenario "dead-letter outage"
new_pipeline outage
kcat -L -J -b "$BOOTSTRAP" 2>/dev/null >"$WORK/metadata.json"
# the down broker X leads dead-letter partition A; B is led by another; the
# group's coordinator and the events partition P stay up
python3 - "$WORK/metadata.json" >"$WORK/plan" <<'PY'
import json, sys, zlib
md = json.load(open(sys.argv[1]))
leaders = {t["topic"]: {p["partition"]: p["leader"] for p in t["partitions"]} for t in md["topics"]}
dlq, events = leaders["dfa.events.dlq"], leaders["dfa.events"]
n_brokers, n_parts = len(md["brokers"]), len(dlq)
for x in sorted(set(dlq.values())):
    a = [p for p, l in dlq.items() if l == x]
    b = [p for p, l in dlq.items() if l != x]
    ev = [p for p, l in events.items() if l != x]
    groups = [g for g in (f"dfa-outage-{i}" for i in range(50)) if zlib.crc32(g.encode()) % n_brokers + 1 != x]
    if a and b and ev and groups:
        break
else:
    sys.exit("no broker to take down")
def key_for(part):  # librdkafka's default partitioner: CRC-32 of the key modulo the partitions
    return next(k for k in (f"k{i}" for i in range(10000)) if zlib.crc32(k.encode()) % n_parts == part)
print(x, key_for(a[0]), key_for(b[0]), ev[0], groups[0])
PY
read -r DOWN KEY_A KEY_B PART GROUP <"$WORK/plan"
log "taking broker $DOWN down; dead letters keyed $KEY_A (its partition) and $KEY_B; events on partition $PART; group $GROUP"
write_event "$WORK/original.json" ORIGINAL
write_event "$WORK/sentinel.json" SENTINEL
write_event "$WORK/mismatch.json" MISMATCH
printf 'not json A' >"$WORK/bad-a.value"; printf '%s' "$KEY_A" >"$WORK/bad-a.key"
printf 'not json B' >"$WORK/bad-b.value"; printf '%s' "$KEY_B" >"$WORK/bad-b.key"
cp "$WORK/bad-b.key" "$WORK/mismatch.key"
produce "$PART" "$KEY_B" "$WORK/original.json"                               # offset 0
# records time out after 1.5 s while their leader is down: the flush fails
start_consumer outage --set consumer.group="$GROUP" --set kafka.message.timeout.ms=1500
want_of "$WORK/original.json" >"$WORK/want.tsv"
check "outage: the first event counts" wait_converged "$WORK/want.tsv" 30
echo "down $DOWN" >"$CONTROL"
produce "$PART" "$KEY_A" "$WORK/bad-a.value"                                 # offset 1
produce "$PART" "$KEY_B" "$WORK/bad-b.value"                                 # offset 2
produce "$PART" "$KEY_B" "$WORK/mismatch.json"                               # offset 3: retraction_mismatch
produce "$PART" "$KEY_B" "$WORK/sentinel.json"                               # offset 4
check "outage: the consumer sees the dead-letter topic down" wait_for_log "$WORK/outage.log" 'event=outage ' 20
# the records for the partition still up were acknowledged: only the other is owed
check "outage: one record owed, the others acknowledged" grep -q 'event=outage error="dead-letter: 1 records owed' "$WORK/outage.log"
sleep 3
echo "up $DOWN" >"$CONTROL"
want_of "$WORK/original.json" "$WORK/sentinel.json" >"$WORK/want.tsv"
check "outage: the counters are exact" wait_converged "$WORK/want.tsv" 30
check "outage: the consumer came through" wait_for_log "$WORK/outage.log" 'event=outage_over' 30
check "outage: three dead letters arrive" wait_topic_count dfa.events.dlq 3 30
sleep 3 # repeats, if any, have had time to come
cat >"$WORK/want-dlq.json" <<EOF
[{"partition": $PART, "offset": 1, "key": "$WORK/bad-a.key", "value": "$WORK/bad-a.value", "error": "json", "form": "full"},
 {"partition": $PART, "offset": 2, "key": "$WORK/bad-b.key", "value": "$WORK/bad-b.value", "error": "json", "form": "full"},
 {"partition": $PART, "offset": 3, "key": "$WORK/mismatch.key", "value": "$WORK/mismatch.json", "error": "retraction_mismatch", "form": "full"}]
EOF
check_dlq "outage: no dead letter lost, none twice" "$WORK/want-dlq.json"
check "outage: each message counted once in the stats" \
  wait_for_log "$WORK/outage.log" 'event=stats .* messages=5 counted=2 .* dead_lettered=3 ' 10
finish
