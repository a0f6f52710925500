#!/usr/bin/env python3
"""Every stock row of a dfa-dump style TSV, balanced month by month per province (all its units):
exit 1 if one goes below zero at some month end (or there is no stock at all)."""
import sys, json, re
from collections import defaultdict
cat = json.load(open(sys.argv[2]))
stocks = {f["metric"] for t in cat["types"].values() for f in t.get("feeds", []) if f["kind"] == "stock"}
bal = defaultdict(lambda: defaultdict(int))
for line in open(sys.argv[1]):
    key, field, v = line.rstrip("\n").split("\t")
    m = re.match(r"dfa:\{p:(\d\d)\}:c:M(\d{4}-\d\d)$", key)
    if not m or field.split("|")[0].split("@")[0] not in stocks:
        continue
    row = re.sub(r"@.*$", "", field)
    bal[(m.group(1), row)][m.group(2)] += int(v)
neg = []
for k, months in bal.items():
    s = 0
    for mo in sorted(months):
        s += months[mo]
        if s < 0:
            neg.append((k, mo, s)); break
print(len(bal), "stock rows;", len(neg), "negative, e.g.", neg[:3])
sys.exit(1 if neg or not bal else 0)
