#!/usr/bin/env bash
# dfa-query against national and provincial totals computed independently
# from the loadgen ground truth (Python sums of the stored buckets).
source "$(dirname "$0")/lib.sh"
start_pipeline
"$BIN/bin/dfa-loadgen" --count 6000 --seed 77 --years 2024-2026 --kafka --truth "$WORK/truth.json" 2>/dev/null
truth_tsv "$WORK/truth.json" >"$WORK/want.tsv"
start_consumer query
check "the pipeline converged" wait_converged "$WORK/want.tsv" 60

q() { "$BIN/bin/dfa-query" --json "$@"; }
q --period Y2025 >"$WORK/y2025.json"
q --period H2024-1 --province "Kien Giang" >"$WORK/h2024-kg.json"
q --period A2025-07 >"$WORK/a2025-07.json"
q --from 2025-01-10 --to 2025-03-05 >"$WORK/range.json"
q --period Y2024 --unit 89x >"$WORK/y2024-89x.json"

check "dfa-query equals sums of the ground truth" python3 - "$WORK" <<'PY'
import json, sys, datetime as dt, re
from collections import defaultdict
w = sys.argv[1]
truth = json.load(open(f"{w}/truth.json"))["counters"]

def days(a, b):
    d = a
    while d <= b:
        yield d
        d += dt.timedelta(days=1)

def expected(first, last, provinces=None, unit=None):
    """Flow total rows summed over day buckets: independent of the reader's month/admin cover."""
    out = defaultdict(int)
    ids = defaultdict(set)
    for d in days(first, last):
        for key, fields in truth.items():
            m = re.match(r"dfa:\{p:(\d\d)\}:(c|d):D(\d{4}-\d\d-\d\d)(?::(.*))?$", key)
            if not m or m.group(3) != d.isoformat() or (provinces and m.group(1) not in provinces):
                continue
            if m.group(2) == "c":
                for f, v in fields.items():
                    row, u = f.rsplit("@", 1)
                    if (unit is None or u == unit) and "|" not in row and not row.startswith("_"):
                        out[row] += v
            else:
                row, u = m.group(4).rsplit("@", 1)
                if unit is None or u == unit:
                    ids[row] |= {i for i, v in fields.items() if v > 0}
    for row, s in ids.items():
        out[row] = len(s)
    return out

flows = {"delegations_out", "delegations_in", "delegation_out_members", "conferences", "cp_cases_opened",
         "trainings", "partner_countries", "ngo_donors", "oda_donors", "border_incidents"}

def check(name, got_file, first, last, provinces=None, unit=None):
    got = {f["row"]: f["value"] for f in json.load(open(f"{w}/{got_file}"))["figures"]}
    want = expected(first, last, provinces, unit)
    bad = [(r, got.get(r, 0), want.get(r, 0)) for r in sorted(flows) if got.get(r, 0) != want.get(r, 0)]
    assert not bad, f"{name}: {bad[:5]}"
    assert sum(want.get(r, 0) for r in flows) > 0, f"{name}: nothing to compare"

D = dt.date
check("Y2025", "y2025.json", D(2025, 1, 1), D(2025, 12, 31))
check("H2024-1 Kien Giang -> An Giang 91", "h2024-kg.json", D(2024, 1, 1), D(2024, 6, 30), {"91"})
check("A2025-07", "a2025-07.json", D(2025, 6, 15), D(2025, 7, 14))
check("range", "range.json", D(2025, 1, 10), D(2025, 3, 5))
check("Y2024 unit 89x", "y2024-89x.json", D(2024, 1, 1), D(2024, 12, 31), {"91"}, "89x")
y = json.load(open(f"{w}/y2025.json"))
assert y["coverage"] == {"reported": 34, "of": 34}, y["coverage"]
assert set(y["offsets"]) == {f"dfa.events:{p}" for p in range(6)}, y["offsets"]
PY
finish
