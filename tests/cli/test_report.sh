#!/usr/bin/env bash
# The reports an officer sends: one province's half-year (tests/data/report-events.ndjson, checked by
# hand against the events, see the comments below), a historic unit and the coverage of its time,
# a nil declaration, an estimate and its confirmation, a figure with no data last year, money with
# its change, breakdowns, a negative stock flagged; the printable HTML turned into a PDF by headless
# Chromium; dfa-loadgen's lifecycles (no stock below zero).
source "$(dirname "$0")/lib.sh"
start_pipeline
SNAP="$BIN/bin/dfa-snapshot"
GOLD="$ROOT/tests/data/golden/report"
"$BIN/bin/dfa-produce" "$ROOT/tests/data/report-events.ndjson" >/dev/null 2>&1
start_consumer report
check "all 15 events consumed" wait_for_log "$WORK/report.log" 'event=stats .* messages=15 ' 30

"$SNAP" --period H2025-1 --province "An Giang" >"$WORK/ag.json"
"$SNAP" --period H2025-1 --province "An Giang" --format md >"$WORK/ag.md"
"$SNAP" --period H2025-1 --province "An Giang" --format csv >"$WORK/ag.csv"
"$SNAP" --period H2025-1 --unit 91x --format md >"$WORK/kg.md"
check "An Giang's half-year: Markdown equals the golden report" diff "$GOLD/H2025-1-91.md" "$WORK/ag.md"
check "and JSON" diff "$GOLD/H2025-1-91.json" "$WORK/ag.json"
check "and CSV" diff "$GOLD/H2025-1-91.csv" "$WORK/ag.csv"
check "Kiên Giang (91x) as it was: Markdown equals the golden report" diff "$GOLD/H2025-1-91x.md" "$WORK/kg.md"

# The figures, computed by hand from the events (independent of the golden files):
check "figures of An Giang, H2025-1, as computed by hand" python3 - "$WORK/ag.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["scope"] == "91" and len(d["provinces"]) == 1, d["scope"]
p = d["provinces"][0]; r = p["rows"]
assert (p["unit"], p["name"]) == ("91", "An Giang")
# r-c1 (89x, 5), r-c2 (91x, 8, estimate), r-c3 (91x, 3) against r-p1 (91x, 4) in 2024
assert (r["delegations_out"]["value"], r["delegations_out"]["previous"], r["delegations_out"]["estimated"]) == (3, 1, True)
assert (r["delegation_out_members"]["value"], r["delegation_out_members"]["diff"]) == (16, 12)
assert r["delegations_out|countries=JP"]["value"] == 2 and r["delegations_out|countries=LA"].get("estimated") is None
# partner countries: {KR, JP, LA} (KR also from r-c9) against {JP}
assert (r["partner_countries"]["value"], r["partner_countries"]["previous"]) == (3, 1)
# conferences: nothing at all in 2024: unknown, not 0; r-c5 leaves foreign delegates out
assert r["conferences"]["previous"] is None and r["conferences"]["value"] == 2
assert r["conferences"]["pct_note"] == "no data for the same period of the year before"
assert r["conference_foreign_delegates"]["value"] == 20
# nil declarations (r-c8): cp_cases_opened also declared for H2024-1 (r-p4), border_incidents not
assert r["cp_cases_opened"] == {"value": 0, "previous": 0, "diff": 0, "pct": None, "declared_none": True,
    "previous_declared_none": True, "pct_note": "no base: nothing in the same period of the year before",
    "share_pct": None}, r["cp_cases_opened"]
assert r["border_incidents"]["declared_none"] is True and r["border_incidents"]["previous"] is None
# delegations_in declared nil but r-c9 happened: a data problem, not a flag
assert "declared_none" not in r["delegations_in"] and r["delegations_in"]["value"] == 1
# money: 120,000.50 USD (r-c6) against 50,000.00 (r-p2); VND only this year
usd = r["ngo_aid_pledged|cur=USD"]
assert (usd["value"], usd["previous"], usd["diff"], usd["pct"]) == (12000050, 5000000, 7000050, 140.0), usd
assert r["ngo_aid_pledged|cur=VND"]["previous"] is None
# NGO stock: ngo-x registered 2024 (+1), ngo-x and ngo-y ended 2025 (-2): -1, flagged
assert r["ngos_registered"]["value"] == -1 and r["ngos_registered"]["problem"] == "negative_stock"
assert sorted((x["kind"], x["row"], x["value"]) for x in p["problems"]) == [
    ("negative_stock", "ngos_registered", -1), ("nil_contradicted", "delegations_in", 1)], p["problems"]
PY
check "the Markdown words: estimate, companion change, unknown, nil, money, sub-lines" python3 - "$WORK/ag.md" <<'PY'
import sys
md = open(sys.argv[1]).read()
for line in ["- Đoàn ra: ước 3 đoàn (ước 16 thành viên), tăng 2 đoàn (12 thành viên) so với cùng kỳ.",
             "  - Trong đó: Nhật Bản ước 2 đoàn; Hàn Quốc 1 đoàn; Lào 1 đoàn.",
             "- Hội nghị, hội thảo quốc tế được tổ chức: 2 hội nghị (20 đại biểu), chưa có số liệu cùng kỳ.",
             "  - Trong đó: trực tiếp 1 hội nghị; trực tuyến 1 hội nghị.",
             "- Vụ việc bảo hộ công dân phát sinh: không có, cùng kỳ không phát sinh.",
             "- Vụ việc trên biên giới: không có, chưa có số liệu cùng kỳ.",
             "- Giá trị viện trợ PCPNN cam kết: 120.000,50 USD, tăng 70.000,50 USD (140,0%) so với cùng kỳ; 1.500.000.000 VND, chưa có số liệu cùng kỳ.",
             "| Giá trị viện trợ PCPNN cam kết (USD) | 120.000,50 USD | 50.000 USD | tăng 70.000,50 USD (140,0%) | – |"]:
    assert line in md.split("\n"), line
assert "Tổ chức PCPNN có đăng ký còn hiệu lực: số dư âm (-1 tổ chức)" in md
assert "Tổ chức PCPNN có đăng ký còn hiệu lực (tổ chức)" not in md  # not in the table
assert "\u2212" not in md and "Số liệu toàn quốc" not in md and "**Tỉnh An Giang**" in md
PY

"$SNAP" --period H2025-1 --historic >"$WORK/hist.json"
check "historic coverage: the 63 units of H1 2025, missing ones by their names of the time" python3 - "$WORK/hist.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["national"]["coverage"]
assert (c["reported"], c["of"]) == (2, 63), c
assert "89x" not in c["missing"] and "91x" not in c["missing"] and "02x" in c["missing"]
assert "Hà Giang" in c["missing_names"] and "Kiên Giang" not in c["missing_names"] and len(c["missing_names"]) == 61
PY

"$BIN/bin/dfa-query" --period H2025-1 --province "An Giang" >"$WORK/q.txt"
check "dfa-query: Vietnamese amounts, estimates, nil declarations" python3 - "$WORK/q.txt" <<'PY'
import sys, re
q = open(sys.argv[1]).read()
assert re.search(r"ngo_aid_pledged\|cur=USD +120\.000,50 USD$", q, re.M), q
assert re.search(r"delegations_out +ước 3 đoàn$", q, re.M)
assert re.search(r"border_incidents +không có$", q, re.M)
assert re.search(r"delegations_in +đã báo cáo không có, nhưng có số liệu", q, re.M)
PY

# the printable report: self-contained HTML, A4, through headless Chromium into a PDF
"$SNAP" --period H2025-1 --province "An Giang" --format html >"$WORK/ag.html"
check "the HTML needs nothing from outside" python3 - "$WORK/ag.html" <<'PY'
import sys, re
h = open(sys.argv[1]).read()
assert h.startswith("<!DOCTYPE html>") and "@page { size: A4" in h and "@media print" in h
assert not re.search(r"(src=|href=|url\(|@import|https?://)", h), "an external resource"
PY
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-pdf-header-footer \
  --user-data-dir="$WORK/chromium" --print-to-pdf="$WORK/ag.pdf" "file://$WORK/ag.html" >/dev/null 2>&1
check "Chromium printed a PDF" test -s "$WORK/ag.pdf"
pdftotext -f 1 -l 1 -layout "$WORK/ag.pdf" "$WORK/page1.txt"
check "page 1 reads as the report" python3 - "$WORK/page1.txt" <<'PY'
import sys, re
t = re.sub(r"\s+", " ", open(sys.argv[1]).read())
for words in ["TỈNH AN GIANG", "BÁO CÁO CÔNG TÁC ĐỐI NGOẠI 6 THÁNG ĐẦU NĂM 2025", "1. Đoàn ra",
              "Đoàn ra: ước 3 đoàn (ước 16 thành viên), tăng 2 đoàn (12 thành viên) so với cùng kỳ.",
              "Số liệu của tỉnh An Giang từ ngày 1/1/2025 đến ngày 30/6/2025"]:
    assert words in t, (words, t[:600])
PY
mkdir -p "$BIN/tests/output"
pdftoppm -f 1 -l 1 -png -r 60 "$WORK/ag.pdf" "$BIN/tests/output/report-page"
check "page 1 saved as an image with the test output" test -s "$BIN/tests/output/report-page-1.png"

# an estimate confirmed: retracted (its copy says estimate) and sent again without it
python3 - "$ROOT/tests/data/report-events.ndjson" >"$WORK/confirm.ndjson" <<'PY'
import json, sys
e = next(json.loads(l) for l in open(sys.argv[1]) if '"r-c2"' in l)
r = dict(e, event_id="r-c2-retract", op="retract", ref="r-c2")
c = dict(e, event_id="r-c2-final"); c.pop("estimate")
print(json.dumps(r, ensure_ascii=False)); print(json.dumps(c, ensure_ascii=False))
PY
"$BIN/bin/dfa-produce" "$WORK/confirm.ndjson" >/dev/null 2>&1
wait_for_log "$WORK/report.log" 'event=stats .* messages=17 ' 30
"$SNAP" --period H2025-1 --province "An Giang" >"$WORK/confirmed.json"
expect_eq "confirmed: the same figure, no longer an estimate" \
  "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["provinces"][0]["rows"]["delegations_out"]; print(r["value"], r.get("estimated"))' "$WORK/confirmed.json")" "3 None"

# dfa-loadgen follows lifecycles: no stock below zero at any month end, per province
"$BIN/bin/dfa-loadgen" --count 20000 --seed 5 --years 2023-2026 >"$WORK/lg.ndjson" 2>/dev/null
oracle_tsv "$WORK/lg.ndjson" >"$WORK/lg.tsv"
check "loadgen: every stock balance stays at or above zero" python3 "$ROOT/tests/cli/stock_balances.py" "$WORK/lg.tsv" "$ROOT/config/catalog.json"
finish
