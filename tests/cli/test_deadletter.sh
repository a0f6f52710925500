#!/usr/bin/env bash
# Bad inputs go to the dead-letter topic with their original bytes, source
# and exact reason; they block nothing and touch no counter.
source "$(dirname "$0")/lib.sh"
start_pipeline

# publish: the original, every bad input, then a sentinel, one message each
python3 - "$WORK" "$ROOT/tests/data" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[2])
from bad_inputs import CORPUS, ORIGINAL, SENTINEL
w = sys.argv[1]
os.makedirs(f"{w}/msgs")
payloads = [ORIGINAL] + [c[1] for c in CORPUS] + [SENTINEL]
for i, p in enumerate(payloads):
    open(f"{w}/msgs/{i:03d}", "wb").write(p)
open(f"{w}/valid.ndjson", "wb").write(ORIGINAL + b"\n" + SENTINEL + b"\n")
print(len(CORPUS), file=open(f"{w}/corpus_size", "w"))
PY
expect_eq "the corpus holds 30 or more bad inputs" "$(($(cat "$WORK/corpus_size") >= 30))" 1
# one partition's order is what the test relies on: key them all alike
# (kcat sends no empty message; the unit tests cover an empty payload)
for f in "$WORK"/msgs/*; do kcat -P -b "$BOOTSTRAP" -t dfa.events -k same "$f" 2>/dev/null; done

# what the two valid events add, and nothing more
deltas_tsv "$WORK/valid.ndjson" >"$WORK/want.tsv"

start_consumer dlq
check "counters hold exactly the two valid events" wait_converged "$WORK/want.tsv" 60
check "every bad input reached the dead-letter topic" wait_topic_count dfa.events.dlq "$(cat "$WORK/corpus_size")" 30
kcat -b "$BOOTSTRAP" -C -t dfa.events.dlq -e -q -J 2>/dev/null >"$WORK/dlq.json"
check "every dead letter as expected" python3 - "$WORK" "$ROOT/tests/data" <<'PY'
import json, sys, base64
sys.path.insert(0, sys.argv[2])
from bad_inputs import CORPUS
w = sys.argv[1]
# kcat passes payload bytes through as they are, invalid UTF-8 included
records = [json.loads(l.decode("utf-8", "surrogateescape")) for l in open(f"{w}/dlq.json", "rb")]
assert len(records) == len(CORPUS), f"{len(records)} dead letters for {len(CORPUS)} bad inputs"
by_offset = {}
for r in records:
    h = r["headers"]
    h = dict(zip(h[0::2], h[1::2]))
    by_offset[int(h["dfa.source.offset"])] = (r, h)
bad = 0
for i, (name, payload, code, reason) in enumerate(CORPUS):
    r, h = by_offset[i + 1]  # offset 0 is the original
    got_payload = (r["payload"] or "").encode("utf-8", "surrogateescape") if isinstance(r["payload"], str) else b""
    problems = []
    if h["dfa.error"] != code: problems.append(f"error {h['dfa.error']} != {code}")
    if reason is not None and h["dfa.reason"] != reason: problems.append(f"reason {h['dfa.reason']!r} != {reason!r}")
    if h["dfa.source.topic"] != "dfa.events": problems.append("source topic")
    if r["key"] != "same": problems.append("key")
    if len(payload) and b"\x00" not in payload and payload.isascii() and got_payload != payload: problems.append("payload differs")
    if problems:
        bad += 1
        print(f"{name}: {'; '.join(problems)}", file=sys.stderr)
assert bad == 0, f"{bad} dead letters differ"
PY
check "the consumer counted each dead letter" wait_for_log "$WORK/dlq.log" "event=stats .* dead_lettered=$(cat "$WORK/corpus_size") " 10
finish
