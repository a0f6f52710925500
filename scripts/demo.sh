#!/usr/bin/env bash
# The main job on the embedded default: an embedded Kafka (dfa-broker), a
# private redis-server, two consumers in one group, a realistic sample
# published by dfa-loadgen; waits until everything is consumed, checks Redis
# against an independent oracle of the log, prints national totals, and stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# read, then removed from the environment: every DFA_* variable is a config key to the programs, which
# refuse one they do not know (dfa-broker would not start)
events=${DFA_DEMO_EVENTS:-20000}
unset DFA_DEMO_EVENTS
"$root/scripts/install-deps.sh"
bin=$("$root/scripts/build.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/dfa-demo.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync always --save '' \
  --logfile "$work/redis.log" &
pids+=($!)
"$bin/bin/dfa-broker" --address-file "$work/broker.addr" >/dev/null 2>"$work/broker.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker.addr" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export DFA_KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/broker.addr") DFA_REDIS_PORT=$port DFA_CONSUMER_STATS_INTERVAL_S=2
say "embedded Kafka at $DFA_KAFKA_BOOTSTRAP_SERVERS, Redis on 127.0.0.1:$port (AOF, fsync always)"

for name in a b; do
  "$bin/bin/dfa-consumer" >/dev/null 2>"$work/consumer-$name.log" &
  pids+=($!)
done
say "two consumers started in group dfa-consumers"

say "publishing $events events for 2024-2026 (3% duplicates, 2% retractions, 5% late, 30% old province names, 1% invalid)"
"$bin/bin/dfa-loadgen" --count "$events" --seed 2026 --years 2024-2026 --kafka --truth "$work/truth.json" 2>/dev/null

# A department's door: dfa-gateway with Hà Nội's token; its events go through HTTP, each checked against
# the token's scope (docs/gateway.md). The events of other provinces in the same file are forbidden.
touch "$work/tokens" && chmod 600 "$work/tokens"
token=$("$bin/bin/dfa-token" --file "$work/tokens" create hanoi-dept --provinces 01 --rights publish,read)
"$bin/bin/dfa-gateway" --set gateway.tokens="$work/tokens" --set gateway.listen=127.0.0.1:0 \
  --address-file "$work/gateway.addr" 2>"$work/gateway.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/gateway.addr" ] && break; sleep 0.1; done
gateway=$(cat "$work/gateway.addr")
"$bin/bin/dfa-loadgen" --count 2000 --seed 2027 --years 2024-2026 --invalid 0 --output "$work/dept.all.ndjson" 2>/dev/null
"$bin/bin/dfa-check" --explain --json "$work/dept.all.ndjson" 2>/dev/null | python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
hanoi = [r["line"] for r in map(json.loads, sys.stdin) if r["valid"] and r["province"]["current"]["code"] == "01"]
other = [n for n in range(1, 6) if n not in hanoi][:2]
print("\n".join(lines[n - 1] for n in sorted(hanoi + other)))' "$work/dept.all.ndjson" >"$work/dept.ndjson"
say "the Hà Nội department sends $(wc -l <"$work/dept.ndjson") events through dfa-gateway at $gateway (curl, its token)"
curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$work/dept.ndjson" "$gateway/v1/events" >"$work/dept.answer.json"
python3 - "$work/dept.answer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(f"  gateway: {t['accepted']} accepted, {t['forbidden']} forbidden (other provinces), "
      f"{t['rejected']} rejected, {t['failed']} failed")
PY
sent_by_gateway=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["accepted"])' "$work/dept.answer.json")
# What Redis must hold, computed from the log the consumers read (the topic read back, invalid messages
# included) by tests/oracle/dfa_oracle.py, which shares no code with the consumer: loadgen's truth comes
# from the consumer's own C code, so it only gives the summary's counts below.
kcat -b "$DFA_KAFKA_BOOTSTRAP_SERVERS" -C -t dfa.events -e -q -f '%s\n' >"$work/events.ndjson" 2>/dev/null
if [ "$(wc -l <"$work/events.ndjson")" -ne $((events + sent_by_gateway)) ]; then
  echo "  the topic holds $(wc -l <"$work/events.ndjson") messages, not $((events + sent_by_gateway))" >&2; exit 1
fi
"$bin/bin/dfa-check" --json "$work/events.ndjson" >"$work/check.json" 2>/dev/null || [ $? -eq 1 ]
python3 "$root/tests/oracle/dfa_oracle.py" --check-json "$work/check.json" "$work/events.ndjson" >"$work/want.tsv"

say "waiting for the consumers"
for i in $(seq 240); do
  "$bin/bin/dfa-dump" >"$work/dump.tsv" 2>/dev/null || true
  cmp -s "$work/dump.tsv" "$work/want.tsv" && break
  [ -t 1 ] && printf '\r  %d of %d counter rows in place' "$(comm -12 "$work/dump.tsv" "$work/want.tsv" | wc -l)" \
    "$(wc -l <"$work/want.tsv")"
  sleep 0.5
done
[ -t 1 ] && printf '\n'
if cmp -s "$work/dump.tsv" "$work/want.tsv"; then
  python3 - "$work/truth.json" "$(wc -l <"$work/dump.tsv")" "$sent_by_gateway" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
print(f"  every counter equals the oracle's ({sys.argv[2]} counter rows): of dfa-loadgen's stream, {t['counted_events']} "
      f"events counted after {t['duplicates']} duplicates skipped and {t['retractions']} retractions, "
      f"{t['invalid']} invalid lines dead-lettered; and the {sys.argv[3]} events the gateway accepted")
PY
else
  echo "  Redis does not equal the oracle: $(diff "$work/want.tsv" "$work/dump.tsv" | grep -c '^[<>]') rows differ" >&2
  exit 1
fi
"$bin/bin/dfa-consumer" --stats | sed 's/^/  /' | cut -c1-200

figures=(--metric delegations_out --metric delegation_out_members --metric delegations_in --metric ngo_aid_pledged
         --metric fdi_projects_in_force --metric partner_countries --metric ov_population)
for period in H2025-1 N2025 Y2025; do
  say "national totals, $period"
  "$bin/bin/dfa-query" --period "$period" "${figures[@]}"
done
say "the report's summary: dfa-snapshot --period N2025 --format md"
"$bin/bin/dfa-snapshot" --period N2025 --format md
say "the department's page: $gateway/ (sign in with the token $token)"
# --- the ministry's live view: the dashboard and its read API (docs/view.md) ---
ministry=$("$bin/bin/dfa-token" --file "$work/view.tokens" create ministry --provinces '*' --rights read 2>/dev/null)
"$bin/bin/dfa-view" --set view.tokens="$work/view.tokens" --set view.listen=127.0.0.1:0 \
  --address-file "$work/view.addr" 2>"$work/view.log" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/view.addr" ] && break; sleep 0.1; done
say "the ministry's dashboard: $(cat "$work/view.addr")/ (sign in with the ministry token $ministry)"
if [ -t 0 ] && [ -t 1 ]; then
  say "the pipeline and the dashboard stay up; Ctrl-C stops them"
  trap 'exit 0' INT
  while :; do sleep 3600; done
fi
say "done; stopping the gateway, the consumers, Kafka and Redis"
