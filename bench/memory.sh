#!/usr/bin/env bash
# Redis memory per remembered event (the consumer's dfa:{p:CC}:e:D<day> hashes)
# and HMGET cost per field, for several hash-max-listpack-entries settings.
#
#   bench/memory.sh [-s "128 default 1024"] [-l LIVE_N] [-y 2023-2026] [-k "270 1000"] [-r 100000] [-t 3] [N ...]
#
# N ...    events spread as dfa-loadgen spreads them (default: 1000000 10000000)
# -l       events within the last 7 days ("live"); default the first N, 0 = skip
# -s       hash-max-listpack-entries settings; "default" = the server's own
#          (512 in Redis 7.0's code, Debian's redis.conf and the redis:7.0 image)
# -y       years of the spread cases (dfa-loadgen's default 2023-2026)
# -k       field counts of the keys HMGET is timed on ("" = skip), -r its requests,
#          -t runs of each (the best is kept)
# PROVINCES=file overrides config/provinces.csv; TMPDIR where the server runs
#
# Starts a private redis-server (one at a time, on a free loopback port, no
# persistence) per case, streams bench/memory_layout.py into redis-cli --pipe,
# and prints one line per case:
#   case=spread n=... listpack=... encoding=... bytes_per_event=... (delta of used_memory / n)
#   case=hmget fields=... listpack=... encoding=... probe=hit|miss rps=... us_per_field=...
# Lines starting with # are details. Quick run: bench/memory.sh 100000
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gen="$here/memory_layout.py"
provinces=${PROVINCES:-"$here/../config/provinces.csv"}
settings="128 default 1024"
live_n=""
years="2023-2026"
key_sizes="270 1000"
requests=100000
repeats=3
while getopts "s:l:y:k:r:t:h" opt; do
    case $opt in
    s) settings=$OPTARG ;;
    l) live_n=$OPTARG ;;
    y) years=$OPTARG ;;
    k) key_sizes=$OPTARG ;;
    r) requests=$OPTARG ;;
    t) repeats=$OPTARG ;;
    *) sed -n '2,21p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
[ -n "$live_n" ] || live_n=${sizes[0]}
for t in redis-server redis-cli redis-benchmark python3; do
    command -v "$t" >/dev/null || { echo "memory.sh: $t not found" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dfa-memory.XXXXXX")
pid=""
port=""
stop_redis() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    fi
}
cleanup() { stop_redis; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

cli() { redis-cli -p "$port" "$@"; }

# start_redis SETTING: a fresh server; SETTING "default" leaves the server's own
start_redis() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local extra=()
    [ "$1" = default ] || extra=(--hash-max-listpack-entries "$1")
    rm -rf "$tmp/data" && mkdir "$tmp/data"
    nice redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp/data" \
        --logfile "$tmp/redis.log" --enable-debug-command local "${extra[@]}" &
    pid=$!
    for _ in $(seq 100); do
        cli ping >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/redis.log" >&2; exit 1; }
        sleep 0.1
    done
    listpack=$(cli config get hash-max-listpack-entries | tail -1)
}

used_memory() { cli info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }

# settles the main dict's rehashing before reading used_memory
settled_memory() {
    local a b
    a=$(used_memory)
    for _ in $(seq 20); do
        sleep 0.5
        b=$(used_memory)
        [ "$a" = "$b" ] && break
        a=$b
    done
    echo "$b"
}

# keys, fields, fields per key (min/max), encodings and MEMORY USAGE of all memory keys
# shellcheck disable=SC2016
stats_lua='
local keys = redis.call("KEYS", "dfa:*")
local enc, fields, mn, mx, usage = {}, 0, nil, 0, 0
for _, k in ipairs(keys) do
  local e = redis.call("OBJECT", "ENCODING", k)
  enc[e] = (enc[e] or 0) + 1
  local n = redis.call("HLEN", k)
  fields = fields + n
  if mn == nil or n < mn then mn = n end
  if n > mx then mx = n end
  usage = usage + redis.call("MEMORY", "USAGE", k, "SAMPLES", "0")
end
local e = {}
for name, n in pairs(enc) do e[#e + 1] = name .. ":" .. n end
table.sort(e)
return {#keys, fields, mn or 0, mx, usage, table.concat(e, ",")}'

memory_case() { # NAME N GENERATOR-ARGS...
    local name=$1 n=$2 before after
    shift 2
    before=$(settled_memory)
    nice python3 "$gen" events -n "$n" --provinces "$provinces" "$@" 2>"$tmp/gen.log" |
        nice redis-cli -p "$port" --pipe >"$tmp/pipe.log"
    grep -q 'errors: 0' "$tmp/pipe.log" || { cat "$tmp/pipe.log" >&2; exit 1; }
    after=$(settled_memory)
    local s keys fields mn mx usage enc
    s=$(cli eval "$stats_lua" 0 | tr '\n' ' ')
    read -r keys fields mn mx usage enc <<<"$s"
    python3 - "$name" "$n" "$listpack" "$enc" "$before" "$after" "$keys" "$fields" "$mn" "$mx" "$usage" <<'EOF'
import sys
name, n, lp, enc, before, after, keys, fields, mn, mx, usage = sys.argv[1:]
n, before, after, keys, fields, usage = map(int, (n, before, after, keys, fields, usage))
d = after - before
print("case=%s n=%d listpack=%s encoding=%s bytes_per_event=%.1f bytes_per_field=%.1f keys=%d "
      "fields=%d fields_per_key=%s..%s/avg %.0f memory_usage_per_event=%.1f used_memory_delta=%d"
      % (name, n, lp, enc, d / n, d / fields, keys, fields, mn, mx, fields / keys, usage / n, d))
EOF
    local sample
    sample=$(cli randomkey)
    echo "# $name n=$n listpack=$listpack $sample: $(cli debug object "$sample" | tr -d '\r') | $(tr '\r' '\n' <"$tmp/gen.log" | tail -1)"
}

hmget_case() { # FIELDS
    local fields=$1 key="dfa:{p:01}:e:Dbench-$1" probe ids enc rps usec best_rps best_usec
    nice python3 "$gen" key --fields "$fields" --name "$key" | nice redis-cli -p "$port" --pipe >/dev/null
    enc=$(cli object encoding "$key")
    for probe in hit miss; do
        if [ $probe = miss ]; then ids=$(python3 "$gen" probe --fields "$fields" --miss); else ids=$(python3 "$gen" probe --fields "$fields"); fi
        best_rps=0 best_usec=""
        for _ in $(seq "$repeats"); do # the machine is shared: the best of a few runs
            cli config resetstat >/dev/null
            # shellcheck disable=SC2086
            rps=$(nice redis-benchmark -p "$port" -n "$requests" --csv HMGET "$key" $ids | tail -1 | cut -d, -f2 | tr -d '"')
            usec=$(cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_hmget:.*usec_per_call=\([0-9.]*\).*/\1/p')
            read -r best_rps best_usec < <(python3 -c 'import sys; a,b,c,d=sys.argv[1:]; print(max(float(a),float(c)), min(float(b or d),float(d)))' "$best_rps" "$best_usec" "$rps" "$usec")
        done
        python3 -c 'import sys; f,lp,enc,pr,rps,us,n=sys.argv[1:]; rps=float(rps); us=float(us); n=int(n)
print("case=hmget fields=%s listpack=%s encoding=%s probe=%s lookup=%d rps=%.0f us_per_field=%.3f server_us_per_call=%.2f server_us_per_field=%.3f"
      % (f, lp, enc, pr, n, rps, 1e6 / rps / n, us, us / n))' "$fields" "$listpack" "$enc" $probe "$best_rps" "$best_usec" "$(wc -w <<<"$ids")"
    done
}

for setting in $settings; do
    for n in "${sizes[@]}"; do
        start_redis "$setting"
        memory_case spread "$n" --years "$years"
        stop_redis
    done
    if [ "$live_n" != 0 ]; then
        start_redis "$setting"
        memory_case live "$live_n" --live 7
        stop_redis
    fi
    if [ -n "$key_sizes" ]; then
        start_redis "$setting"
        for f in $key_sizes; do hmget_case "$f"; done
        stop_redis
    fi
done
