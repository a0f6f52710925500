#!/usr/bin/env python3
"""Helper of bench/rebalance.sh (python3 stdlib only).

  rebalance.py poll PORT OUT        every 100 ms, the last applied offset of each partition
                                    (max over provinces of the dfa:{p:CC}:off markers) -> OUT,
                                    one "epoch_s partition offset" line per change, until SIGTERM
  rebalance.py owners LOG...        partitions each consumer owns now, from its
                                    partitions_assigned / partitions_revoked lines
  rebalance.py analyze DIR          one JSON object of the run's figures (see bench/rebalance.sh)
  rebalance.py summary LABEL FILE   median and range of each figure over the runs in FILE (JSON lines)
"""
import calendar
import json
import os
import re
import signal
import socket
import statistics
import sys
import time

TS = re.compile(r"^ts=(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z .*?event=(\S+)(.*)$")


# --- a minimal RESP client: enough for SCAN and pipelined HGETALL ---

class Redis:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def send(self, cmds):
        out = []
        for args in cmds:
            out.append(b"*%d\r\n" % len(args))
            for a in args:
                a = a.encode() if isinstance(a, str) else a
                out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return [self.read() for _ in cmds]

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("redis closed")
        t, rest = line[:1], line[1:-2]
        if t in (b"+", b"-"):
            return rest.decode()
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError(line)


def poll(port, out_path):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    r = Redis(int(port))
    last, keys, keys_at = {}, [], 0.0
    with open(out_path, "w") as out:
        while not stop:
            now = time.time()
            if now - keys_at >= 1.0:
                keys, cursor = [], "0"
                while True:
                    cursor, batch = r.send([["SCAN", cursor, "MATCH", "dfa:*:off", "COUNT", "1000"]])[0]
                    keys += batch
                    if cursor == "0":
                        break
                keys_at = now
            best = {}
            for h in r.send([["HGETALL", k] for k in keys]) if keys else []:
                for i in range(0, len(h or []), 2):
                    p = int(h[i].rsplit(":", 1)[1])
                    best[p] = max(best.get(p, -1), int(h[i + 1]))
            t = time.time()
            for p, off in sorted(best.items()):
                if last.get(p) != off:
                    last[p] = off
                    out.write(f"{t:.3f} {p} {off}\n")
            out.flush()
            time.sleep(max(0.0, 0.1 - (time.time() - now)))


# --- consumer logs ---

def parse_log(path):
    """[(epoch_s, event, {key: value})] of one consumer's log."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, errors="replace") as f:
        for line in f:
            m = TS.match(line.rstrip("\n"))
            if not m:
                continue
            y, mo, d, h, mi, s, ms = (int(x) for x in m.groups()[:7])
            t = calendar.timegm((y, mo, d, h, mi, s)) + ms / 1000.0
            kv = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', m.group(9)))
            rows.append((t, m.group(8), kv, line))
    return rows


def parts_of(kv):
    v = kv.get("partitions", "none")
    return set() if v == "none" else {int(x) for x in v.split(",") if x}


def ownership(rows, until=None):
    own = set()
    for t, ev, kv, _ in rows:
        if until is not None and t > until:
            break
        if ev == "partitions_assigned":
            own |= parts_of(kv)
        elif ev == "partitions_revoked":
            own -= parts_of(kv)
    return own


def owners(paths):
    print(" ".join(str(len(ownership(parse_log(p)))) for p in paths))


def max_gap(times, lo, hi):
    """Longest interval inside [lo, hi] without one of the instants in times."""
    pts = [lo] + sorted(t for t in times if lo < t < hi) + [hi]
    best, at = 0.0, lo
    for a, b in zip(pts, pts[1:]):
        if b - a > best:
            best, at = b - a, a
    return best, at


def last_stat(rows, key):
    v = None
    for _, ev, kv, _ in rows:
        if ev == "stats" and key in kv:
            v = int(kv[key])
    return v or 0


def analyze(d):
    marks = json.load(open(os.path.join(d, "marks.json")))
    t0, tk, tr, te, tc = (marks[k] for k in ("load_start", "kill", "restart", "load_end", "converged"))
    lo = t0 + 3.0  # the stream has started and every partition is being applied
    a, b1, b2 = (parse_log(os.path.join(d, n + ".log")) for n in ("a", "b1", "b2"))

    # (a) the survivor: longest time without an applied batch while events kept coming
    a_batches = [t for t, ev, _, _ in a if ev == "batch"]
    survivor_gap, survivor_gap_at = max_gap(a_batches, lo, te)

    # per partition: when its applied offset moved (Redis markers, polled every 100 ms)
    moves = {}
    with open(os.path.join(d, "poll.tsv")) as f:
        for line in f:
            t, p, _ = line.split()
            moves.setdefault(int(p), []).append(float(t))
    a_at_kill, b_at_kill = ownership(a, tk), ownership(b1, tk)
    a_end, b2_end = ownership(a), ownership(b2)

    def gap_around(p, t):
        """The pause that opens at t: the longest between two moves, the first within 1 s of t
        (the poll may see a batch applied just before the kill only after it)."""
        ts = sorted(moves.get(p, []))
        pauses = [b - a for a, b in zip(ts, ts[1:]) if t - 1.0 <= a <= t + 1.0]
        after = [x for x in ts if x > t]
        return max(pauses, default=(after[0] if after else tc) - t)

    # the killed consumer's partitions: from their last move before the kill to the next
    killed_gap = max((gap_around(p, tk) for p in b_at_kill), default=0.0)
    # partitions handed to the restarted consumer: the longest pause after the restart
    handback = [max_gap([x for x in moves.get(p, []) if x > tr], tr, max(moves.get(p, [tr]))) [0]
                for p in b2_end]
    handback_gap = max(handback, default=0.0)
    # the survivor's own partitions (held before the kill and at the end), seen from Redis
    kept = a_at_kill & a_end
    kept_gap = max((max_gap(moves.get(p, []), lo, max(moves.get(p, [te])))[0] for p in kept), default=0.0)
    every = [t for ts in moves.values() for t in ts]
    group_gap, group_gap_at = max_gap(every, lo, min(te, max(every, default=te)))

    # (b) commits: failures, and how long a failing commit held the loop (from the batch line before it)
    commit_failures, commit_block, errors = {}, 0.0, {}
    for name, rows in (("a", a), ("b1", b1), ("b2", b2)):
        n, last_batch = 0, None
        for t, ev, kv, line in rows:
            if ev == "batch":
                last_batch = t
            elif ev == "commit_failed":
                n += 1
                err = line.split(" error=", 1)[1].strip() if " error=" in line else "?"
                errors[err] = errors.get(err, 0) + 1
                if last_batch is not None:
                    commit_block = max(commit_block, t - last_batch)
        commit_failures[name] = n
    rebalances_a = sum(1 for t, ev, _, _ in a if ev in ("partitions_assigned", "partitions_revoked") and t > t0)
    b2_assigned = [t for t, ev, kv, _ in b2 if ev == "partitions_assigned" and parts_of(kv)]
    warn = {}
    for rows in (a, b1, b2):
        for _, ev, kv, line in rows:
            if ev in ("kafka", "revoke_without_flush", "rebalance_error", "kafka_error") and \
                    (" level=warn " in line or " level=error " in line):
                key = ev + ":" + re.sub(r"\d+", "N", kv.get("msg", kv.get("error", "")))[:110]
                warn[key] = warn.get(key, 0) + 1
    return {
        "survivor_gap_s": round(survivor_gap, 2),
        "survivor_gap_at_s": round(survivor_gap_at - tk, 2),
        "survivor_partitions_gap_s": round(kept_gap, 2),
        "killed_partitions_gap_s": round(killed_gap, 2),
        "handback_gap_s": round(handback_gap, 2),
        "group_gap_s": round(group_gap, 2),
        "commit_failures": sum(commit_failures.values()),
        "commit_failures_by": commit_failures,
        "commit_errors": errors,
        "commit_block_max_s": round(commit_block, 2),
        "replayed_restart": last_stat(b2, "replayed"),
        "replayed_survivor": last_stat(a, "replayed"),
        "restart_to_assigned_s": round(b2_assigned[0] - tr, 2) if b2_assigned else None,
        "owned_at_kill": [sorted(a_at_kill), sorted(b_at_kill)],
        "owned_at_end": [sorted(a_end), sorted(b2_end)],
        "rebalance_events_survivor": rebalances_a,
        "converged_after_load_s": round(tc - te, 2),
        "exact": marks["exact"],
        "warnings": warn,
    }


def summary(label, path):
    runs = [json.loads(l) for l in open(path) if l.strip()]
    runs = [r for r in runs if r.get("label") == label]
    keys = ["survivor_gap_s", "killed_partitions_gap_s", "handback_gap_s", "group_gap_s", "commit_failures",
            "commit_block_max_s", "replayed_restart", "replayed_survivor", "restart_to_assigned_s"]
    out = {"label": label, "runs": len(runs), "exact": "/".join(r["exact"] for r in runs)}
    for k in keys:
        v = [r[k] for r in runs if r.get(k) is not None]
        if v:
            out[k] = f"{statistics.median(v):g} [{min(v):g}-{max(v):g}]"
    print(json.dumps(out))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "poll":
        poll(sys.argv[2], sys.argv[3])
    elif cmd == "owners":
        owners(sys.argv[2:])
    elif cmd == "analyze":
        print(json.dumps(analyze(sys.argv[2])))
    elif cmd == "summary":
        summary(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
