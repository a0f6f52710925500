#!/usr/bin/env python3
"""Redis protocol for the consumer's event memory, to measure its size.

The consumer remembers every event in one hash field per event:
key dfa:{p:CC}:e:DYYYY-MM-DD (CC: one of today's provinces, the date: the
event's local day), field the event id, value "c" + 16 hex digits (counted,
with its fingerprint), "r" + 16 hex (retracted), or "x" (the id of a
retraction, in its event's key). This script writes, on stdout, the RESP for
HSET commands that build that layout for N remembered events, shaped like
dfa-loadgen's stream (ids lg<seed>-<line>, provinces uniform over today's 34,
days spread evenly over --years with 5% late by 1-6 months; per 100 lines 1
invalid, 3 duplicates, 2 retractions of one of the last 8192 lines, so about
2.1% of events end as "r", each with one more "x" field). Nothing is held beyond
--flush-every lines, so 10 M events can be streamed into `redis-cli --pipe`:

  python3 bench/memory_layout.py events -n 1000000 | redis-cli -p PORT --pipe
  python3 bench/memory_layout.py events -n 1000000 --live 7 | redis-cli ... --pipe
  python3 bench/memory_layout.py key --fields 270 --name k270 | redis-cli ... --pipe
  python3 bench/memory_layout.py probe --fields 270 --miss   # 50 ids for HMGET

bench/memory.sh runs the cases (used_memory before and after, encodings,
HMGET timings) against a private redis-server.
"""
import argparse
import csv
import datetime
import os
import random
import sys

RING = 8192  # dfa-loadgen: recent valid lines that duplicates and retractions draw on


def current_provinces(path):
    with open(path, newline="", encoding="utf-8") as f:
        codes = sorted({row["code"] for row in csv.DictReader(f) if not row["valid_to"]})
    if not codes:
        sys.exit("memory_layout: no current province in " + path)
    return codes


class Emitter:
    """Per-key buffers of field/value pairs, written as HSET commands."""

    def __init__(self, out, batch):
        self.out, self.batch, self.pending = out, batch, {}
        self.commands = self.pairs = 0

    def add(self, key, field, value):
        buf = self.pending.get(key)
        if buf is None:
            buf = self.pending[key] = []
        buf.append("$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(field), field, len(value), value))
        if len(buf) >= self.batch:
            self._write(key, buf)
            del self.pending[key]

    def _write(self, key, buf):
        self.out.write(("*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n" % (2 + 2 * len(buf), len(key), key)
                        + "".join(buf)).encode())
        self.commands += 1
        self.pairs += len(buf)

    def flush(self):
        for key, buf in self.pending.items():
            self._write(key, buf)
        self.pending.clear()


def events(a, out):
    rnd = random.Random(a.seed)
    codes = current_provinces(a.provinces)
    if a.live:
        end = datetime.date.fromisoformat(a.end) if a.end else \
            (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).date()
        first, last = end.toordinal() - a.live + 1, end.toordinal()
    else:
        y0, y1 = (int(y) for y in a.years.split("-"))
        first, last = datetime.date(y0, 1, 1).toordinal(), datetime.date(y1, 12, 31).toordinal()
    day_ids = ["D" + datetime.date.fromordinal(d).isoformat() for d in range(first, last + 1)]
    prefix = ["dfa:{p:%s}:e:" % c for c in codes]
    em = Emitter(out, a.batch)
    ring = [None] * RING  # (key, id) of an add not retracted yet, or None
    ring_n = adds = line = 0
    span, n = last - first, a.events
    while adds < n:
        eid = "lg%d-%d" % (a.seed, line)
        line += 1
        roll = rnd.randrange(100)
        if roll < a.invalid:
            continue
        roll -= a.invalid
        window = min(ring_n, RING)
        if window and roll < a.duplicates:
            continue  # a resend: its id is remembered already
        roll -= a.duplicates
        if window and roll < a.retractions:
            v = rnd.randrange(window)
            for _ in range(window):
                if ring[v] is not None:
                    break
                v = (v + 1) % window
            if ring[v] is not None:
                key, victim = ring[v]
                ring[v] = None
                em.add(key, victim, "r%016x" % rnd.getrandbits(64))
                em.add(key, eid, "x")
                ring_n += 1
                ring[(ring_n - 1) % RING] = None
                continue
        if a.live:
            day = rnd.randrange(len(day_ids))
        else:
            day = span * adds // (n - 1 if n > 1 else 1) + rnd.randrange(3)
            if rnd.randrange(100) < a.late:
                day -= 30 + rnd.randrange(150)
            day = min(max(day, 0), span)
        key = prefix[rnd.randrange(len(codes))] + day_ids[day]
        em.add(key, eid, "c%016x" % rnd.getrandbits(64))
        ring[ring_n % RING] = (key, eid)
        ring_n += 1
        adds += 1
        if line % a.flush_every == 0:
            em.flush()
    em.flush()
    print("memory_layout: events=%d lines=%d hset=%d pairs=%d days=%d provinces=%d"
          % (adds, line, em.commands, em.pairs, len(day_ids), len(codes)), file=sys.stderr)


def key_ids(fields, seed):
    return ["lg%d-%d" % (seed, 1000000 + 37 * i) for i in range(fields)]


def one_key(a, out):
    rnd = random.Random(a.seed)
    em = Emitter(out, a.batch)
    for eid in key_ids(a.fields, a.seed):
        em.add(a.name, eid, "c%016x" % rnd.getrandbits(64))
    em.flush()


def probe(a, out):
    ids = key_ids(a.fields, a.seed)
    if a.miss:  # ids of new events: not in the key, HMGET answers nil
        picked = ["lg%d-%d" % (a.seed, 1000000 + 37 * i + 1) for i in range(a.count)]
    else:  # spread over the key's insertion order
        picked = [ids[(2 * i + 1) * len(ids) // (2 * a.count)] for i in range(a.count)]
    out.write((" ".join(picked) + "\n").encode())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("events", help="RESP for N remembered events")
    e.add_argument("-n", "--events", type=int, required=True, help="remembered events (adds)")
    e.add_argument("--years", default="2023-2026", help="years the events happen in (dfa-loadgen default)")
    e.add_argument("--live", type=int, default=0, metavar="DAYS", help="all events in the last DAYS days instead")
    e.add_argument("--end", help="last day of --live (default: today, UTC+7)")
    e.add_argument("--invalid", type=int, default=1, help="percent of lines (dfa-loadgen default 1)")
    e.add_argument("--duplicates", type=int, default=3, help="percent of lines (dfa-loadgen default 3)")
    e.add_argument("--retractions", type=int, default=2, help="percent of lines (dfa-loadgen default 2)")
    e.add_argument("--late", type=int, default=5, help="percent of adds 1-6 months early (dfa-loadgen default 5)")
    e.add_argument("--flush-every", type=int, default=200000, help="lines between flushes of the buffers")
    e.add_argument("--provinces", default=os.path.join(here, "..", "config", "provinces.csv"))
    k = sub.add_parser("key", help="RESP for one memory hash of --fields ids")
    k.add_argument("--fields", type=int, required=True)
    k.add_argument("--name", required=True)
    q = sub.add_parser("probe", help="ids to look up in a key made by 'key'")
    q.add_argument("--fields", type=int, required=True)
    q.add_argument("--count", type=int, default=50)
    q.add_argument("--miss", action="store_true", help="ids the key does not hold (new events)")
    for s in (e, k, q):
        s.add_argument("--seed", type=int, default=7)
        s.add_argument("--batch", type=int, default=500, help="fields per HSET at most")
    a = p.parse_args()
    out = sys.stdout.buffer
    {"events": events, "key": one_key, "probe": probe}[a.cmd](a, out)
    out.flush()


if __name__ == "__main__":
    main()
