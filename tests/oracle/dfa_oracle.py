#!/usr/bin/env python3
"""dfa_oracle: the counters an NDJSON event log must leave in Redis, printed as dfa-dump prints them.

An independent second implementation for the tests: written from docs/events.md, docs/redis-layout.md,
config/catalog.json and config/provinces.csv, not from the C code, so a counting bug in the C code
(which dfa-loadgen --truth shares) shows up as a difference instead of passing unseen.

Validation is not redone here: the lines dfa-check judged invalid are given (--check-json, the output
of `dfa-check --json LOG`) and are skipped, as the pipeline dead-letters them. Everything after
validation is the oracle's own: province lineage, local dates, rows and keys, and the state machine of
duplicates and retractions, the horizon and counter overflow.

Usage: dfa_oracle.py [--check-json CHECK.json] [--now YEAR] [--stats] LOG.ndjson > want.tsv
"""
import argparse
import csv
import datetime
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
VIETNAM = datetime.timedelta(hours=7)  # Asia/Ho_Chi_Minh: UTC+7, no daylight saving
HORIZON_YEARS = 10


class Bad(Exception):
    """A line dfa-check called valid that the oracle cannot read: the two disagree, say so loudly."""


# --- provinces and lineage (docs/events.md "Provinces and lineage") ---

def fold(name):
    """A name as compared: any case, with or without diacritics (precomposed or combining), optional
    Tỉnh / Thành phố / TP. prefix, spacing and punctuation ignored."""
    s = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D")).lower()
    s = "".join(c for c in s if not unicodedata.combining(c)).strip()
    s = re.sub(r"^(tinh|thanh pho|tp\.?)\s*", "", s)
    return re.sub(r"[^a-z0-9]", "", s)


def day_of(text):
    return datetime.date.fromisoformat(text) if text else None


class Provinces:
    def __init__(self, path):
        self.units = []
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                ended = bool(row["valid_to"])
                self.units.append({
                    "id": row["code"] + ("x" if ended else ""),  # units that ended carry an x
                    "code": row["code"], "names": {fold(row["name"]), fold(row["name_ascii"])},
                    "from": day_of(row["valid_from"]), "to": day_of(row["valid_to"]),
                    "successor": row["successor"],
                })

    @staticmethod
    def in_force(u, d):
        return (u["from"] is None or u["from"] <= d) and (u["to"] is None or d <= u["to"])

    def with_code_at(self, code, d):
        for u in self.units:
            if u["code"] == code and self.in_force(u, d):
                return u
        return None

    def successor(self, u):
        return self.with_code_at(u["successor"], u["to"] + datetime.timedelta(days=1))

    def resolve(self, text, d):
        """(unit in force on local date d, today's unit) for a province as written in an event."""
        text = text.strip()
        if text.isdigit():
            cands = [u for u in self.units if u["code"] == text.zfill(2)]
        else:
            key = fold(text)
            cands = [u for u in self.units if key in u["names"]]
        original = next((u for u in cands if self.in_force(u, d)), None)
        for u in cands:
            if original:
                break
            if u["to"] and d > u["to"]:  # an old code or name used after its unit ended: its successor
                s = u
                while s and not self.in_force(s, d):
                    s = self.successor(s) if s["to"] and d > s["to"] else None
                original = s
            elif u["from"] and d < u["from"]:  # today's name before the unit existed: same code then
                original = self.with_code_at(u["code"], d)
        if original is None:
            raise Bad(f"province {text!r} on {d}: no unit")
        current = original
        while current["to"] is not None:
            current = self.successor(current)
        return original, current


# --- time (docs/events.md: RFC 3339, leap second as :59, local = UTC+7 by arithmetic) ---

RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


def instant(text):
    """occurred_at -> UTC datetime, whole seconds (fractions dropped, :60 read as :59)."""
    m = RFC3339.match(text)
    if not m:
        raise Bad(f"occurred_at {text!r}")
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    t = datetime.datetime(y, mo, d, h, mi, min(s, 59))
    off = m.group(8)
    if off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        t -= sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    return t


# --- what one event counts (docs/redis-layout.md) ---

def dim_values(v):
    """The breakdown values of one field: a country list gives one row per code, booleans yes/no."""
    if isinstance(v, bool):
        return ["yes" if v else "no"]
    return list(v) if isinstance(v, list) else [v]


def deltas(cat, ev):
    """{(key, field): amount} of one event as if it counts (a retraction is this, negated)."""
    t = cat["types"][ev["type"]]
    data, at = ev["data"], "@" + ev["unit"]
    pre = "dfa:{p:%s}:" % ev["current"]
    local = ev["local"]
    buckets = ("D" + local.strftime("%Y-%m-%d"), "M" + local.strftime("%Y-%m"))
    out = Counter()

    def add(key, field, n):
        out[(pre + key, field)] += n

    def estimated(row):
        """docs/events.md "Estimates": an estimated event counts 1 in "est|<row>" of the counters
        hash, in both buckets, for every row it feeds (distinct and gauge rows too)."""
        if ev["estimate"]:
            for b in buckets:
                add(f"c:{b}", "est|" + row, 1)

    for b in buckets:
        add(f"c:{b}", "_events" + at, 1)  # every valid event, whatever it feeds
    if t.get("handler") == "plan":
        metric = data["metric"]
        if cat["metrics"][metric]["unit"] == "money":
            add(f"t:{data['period']}", f"plan|{metric}|cur={data['amount']['currency']}{at}", data["amount"]["amount"])
        else:
            add(f"t:{data['period']}", f"plan|{metric}{at}", data["value"])
    elif t.get("handler") == "nil":
        for metric in data["metrics"]:
            add(f"t:{data['period']}", f"nil|{metric}{at}", 1)
    for feed in t.get("feeds", []):
        metric, kind = feed["metric"], feed["kind"]
        amount, cur = 1, ""
        if "value" in feed:
            if feed["value"] not in data:
                continue  # an optional value left out adds nothing to this feed
            v = data[feed["value"]]
            amount, cur = (v["amount"], "|cur=" + v["currency"]) if isinstance(v, dict) else (v, "")
        rows = [metric] + [f"{metric}|{f}={x}" for f in feed.get("by", []) if f in data for x in dim_values(data[f])]
        rows = [r + cur + at for r in rows]
        if kind in ("flow", "stock"):
            for r in rows:
                for b in buckets:
                    add(f"c:{b}", r, feed.get("sign", 1) * amount)
                estimated(r)
        elif kind == "distinct":
            if feed["id"] in data:
                for r in rows:
                    for b in buckets:
                        for i in dim_values(data[feed["id"]]):
                            add(f"d:{b}:{r}", i, 1)
                    # one estimate per row and event, however many ids it names
                    estimated(r)
        elif kind == "gauge":
            point = f"{local.strftime('%Y-%m-%dT%H:%M:%S')}|{ev['id']}|{amount}"
            for r in rows:
                add(f"g:{r}", point, 1)
                estimated(r)
        else:
            raise Bad(f"feed kind {kind!r}")
    return out


def canon(v):
    """A JSON value as a comparable value: key order irrelevant, true is not 1."""
    if isinstance(v, dict):
        return ("o", frozenset((k, canon(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("a", tuple(canon(x) for x in v))
    if isinstance(v, bool) or v is None:
        return ("b", v)
    if isinstance(v, (int, Decimal)):
        return ("n", Decimal(v))
    return ("s", v)


# --- the log ---

class Oracle:
    def __init__(self, cat, provinces, now_year):
        self.cat, self.provinces = cat, provinces
        self.horizon = datetime.date(now_year - HORIZON_YEARS, 1, 1)
        self.counters = Counter()  # (key, field) -> value
        # (today's province, local date, id) -> ("counted", fp, deltas) | ("retracted", fp)
        #                                      | ("tombstone", {fp}) | ("retraction",)
        self.memory = {}
        self.stats = Counter()

    def apply(self, d, sign):
        """Adds d * sign to the counters, unless a counter would leave int64: then nothing, False."""
        if any(not INT64_MIN <= self.counters[k] + sign * n <= INT64_MAX for k, n in d.items()):
            return False
        for k, n in d.items():
            self.counters[k] += sign * n
        return True

    def count(self, d, sign, outcome):
        if self.apply(d, sign):
            self.stats[outcome] += 1
            return True
        self.stats["dead:counter_overflow"] += 1
        return False

    def event(self, e):
        op = e.get("op", "add")
        utc = instant(e["occurred_at"])
        local = utc + VIETNAM
        unit, current = self.provinces.resolve(e["province"], local.date())
        if local.date() < self.horizon:
            self.stats["dead:outside_horizon"] += 1
            return
        subject = e["ref"] if op == "retract" else e["event_id"]  # whose counts these are
        estimate = e.get("estimate", False) is True
        view = {"type": e["type"], "unit": unit["id"], "current": current["code"], "local": local,
                "data": e["data"], "id": subject, "estimate": estimate}
        # an estimate's retraction must say estimate too: it takes back the est| counts
        fp = (e["type"], unit["id"], utc, estimate, canon(e["data"]))
        slot = (current["code"], local.date(), subject)
        if op == "retract":
            self.retract(slot, (current["code"], local.date(), e["event_id"]), fp)
        else:
            self.add(slot, fp, view)

    def add(self, slot, fp, view):
        state = self.memory.get(slot)
        if state is None or (state[0] == "tombstone" and fp not in state[1]):
            d = deltas(self.cat, view)
            if self.count(d, +1, "counted"):
                if state:  # the retraction that came first was of another event: dead-lettered
                    self.stats["dead:retraction_mismatch"] += 1
                self.memory[slot] = ("counted", fp, d)
        elif state[0] == "tombstone":  # its retraction came first
            self.memory[slot] = ("retracted", fp)
            self.stats["cancelled"] += 1
            if len(state[1]) > 1:  # other copies waited too: they cancel nothing, and are reported
                self.stats["dead:retraction_mismatch"] += 1
        else:  # counted, retracted, or a retraction's own id
            self.stats["duplicate"] += 1

    def retract(self, slot, own, fp):
        """slot: the retracted event's, own: the retraction's (its id is remembered too)."""
        if own in self.memory:  # this retraction was seen before (or its id is taken): once only
            self.stats["duplicate"] += 1
            return
        state = self.memory.get(slot)
        if state is None:
            self.memory[slot] = ("tombstone", {fp})
            self.stats["tombstone"] += 1
        elif state[0] == "tombstone":
            state[1].add(fp)
            self.stats["tombstone"] += 1
        elif state[0] in ("counted", "retracted") and fp == state[1]:
            if state[0] == "retracted":
                self.stats["already_retracted"] += 1
            elif self.count(state[2], -1, "retracted"):
                self.memory[slot] = ("retracted", fp)
            else:
                return  # the removal would overflow: dead-lettered, not remembered
        else:  # a copy of something else (or the ref is a retraction's id): dead-lettered, nothing changes
            self.stats["dead:retraction_mismatch"] += 1
        self.memory[own] = ("retraction",)  # remembered either way: a resent retraction is a duplicate

    def dump(self):
        """dfa-dump's lines: key TAB field TAB value, zero fields left out, sorted as C's strcmp."""
        lines = [f"{k}\t{f}\t{v}".encode() for (k, f), v in self.counters.items() if v != 0]
        return b"".join(x + b"\n" for x in sorted(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", help="NDJSON, one event a line (bytes that are not UTF-8 allowed on invalid lines)")
    ap.add_argument("--check-json", help="dfa-check --json output of LOG: its invalid lines are skipped")
    ap.add_argument("--catalog", default=os.path.join(ROOT, "config", "catalog.json"))
    ap.add_argument("--provinces", default=os.path.join(ROOT, "config", "provinces.csv"))
    ap.add_argument("--now", type=int, help="current year for the horizon (default: this year in Vietnam)")
    ap.add_argument("--stats", action="store_true", help="outcome counts on stderr")
    a = ap.parse_args()
    now = a.now or (datetime.datetime.now(datetime.timezone.utc) + VIETNAM).year
    invalid = set()
    if a.check_json:
        with open(a.check_json, encoding="utf-8") as f:
            invalid = {r["line"] for r in map(json.loads, f) if not r["valid"]}
    with open(a.catalog, encoding="utf-8") as f:
        oracle = Oracle(json.load(f), Provinces(a.provinces), now)
    with open(a.log, "rb") as f:
        for n, raw in enumerate(f.read().split(b"\n"), 1):
            if not raw.strip():
                continue  # blank lines are not events
            if n in invalid:
                oracle.stats["dead:invalid"] += 1
                continue
            try:
                oracle.event(json.loads(raw.decode("utf-8"), parse_float=Decimal))
            except (Bad, ValueError, KeyError, TypeError, AttributeError) as e:
                print(f"dfa_oracle: {a.log}:{n}: valid for dfa-check, not for the oracle: {e!r}", file=sys.stderr)
                sys.exit(2)
    sys.stdout.buffer.write(oracle.dump())
    if a.stats:
        print(" ".join(f"{k}={v}" for k, v in sorted(oracle.stats.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
