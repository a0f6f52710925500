// The ministry's dashboard: figures from /v1/totals, live changes from /v1/stream (Server-Sent Events read
// over fetch, so the token travels in the Authorization header, never in a URL), charts drawn as inline SVG.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("dfa-token") || "", me: null, catalog: null, totals: null,
                fresh: null, sort: { key: "value", dir: -1 }, stream: null, months: null };

const nf = new Intl.NumberFormat("vi-VN");
const pf = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const DIGITS = { VND: 0, JPY: 0, KRW: 0 };

function money(minor, cur) {
  const d = DIGITS[cur] ?? 2;
  return new Intl.NumberFormat("vi-VN", { minimumFractionDigits: d, maximumFractionDigits: d }).format(minor / 10 ** d) + " " + cur;
}
function show(m) { return m.currency ? money(m.value, m.currency) : nf.format(m.value) + (m.unit_vi ? " " + m.unit_vi : ""); }
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === "class") e.className = v; else e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

async function api(path, accept) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + state.token, ...(accept ? { Accept: accept } : {}) } });
  if (!r.ok) {
    let msg = r.status + "";
    try { msg = (await r.json()).error.message; } catch (e) { /* not JSON */ }
    const err = new Error(msg); err.status = r.status; throw err;
  }
  return accept && accept !== "application/json" ? r.blob() : r.json();
}

// ---- the period picker ----

function periodQuery() {
  const kind = $("kind").value, y = $("year").value, sub = $("sub").value;
  switch (kind) {
    case "H1": return { id: `H${y}-1` };
    case "N": return { id: `N${y}` };
    case "Y": return { id: `Y${y}` };
    case "Q": return { id: `Q${y}-${sub}` };
    case "M": return { id: `M${y}-${sub.padStart(2, "0")}` };
    case "A": return { id: `A${y}-${sub.padStart(2, "0")}` };
    case "AY": return { id: `AY${y}` };
    default: return { from: $("from").value, to: $("to").value };
  }
}
function periodParams(p) { return p.id ? "period=" + encodeURIComponent(p.id) : `from=${p.from}&to=${p.to}`; }
function scopeParams() {
  return state.me.national ? "&by=province" : "&province=" + state.me.provinces[0].code;
}

function setupPicker() {
  const now = new Date().getFullYear();
  for (let y = now; y >= now - 6; y--) $("year").append(el("option", { value: y }, "" + y));
  $("year").value = now - 1;
  const fill = () => {
    const kind = $("kind").value, sub = $("sub");
    const months = kind === "M" || kind === "A";
    $("sub-box").hidden = !(kind === "Q" || months);
    $("range-box").hidden = kind !== "R";
    $("year-box").hidden = kind === "R";
    $("sub-label").textContent = kind === "Q" ? "Quý" : "Tháng";
    const keep = sub.value;
    sub.replaceChildren(...Array.from({ length: kind === "Q" ? 4 : 12 }, (_, i) =>
      el("option", { value: i + 1 }, kind === "Q" ? ["I", "II", "III", "IV"][i] : "" + (i + 1))));
    if (keep && +keep <= sub.options.length) sub.value = keep;
  };
  $("kind").addEventListener("change", () => { fill(); load(); });
  for (const id of ["year", "sub", "from", "to"]) $(id).addEventListener("change", load);
  $("metric").addEventListener("change", () => { state.metricChosen = true; render(); loadMonths(); });
  $("from").value = `${now - 1}-01-01`; $("to").value = `${now - 1}-03-31`;
  fill();
}

// ---- rendering ----

function cmpLine(m) {
  if (m.previous === null || m.previous === undefined) return el("span", {}, "cùng kỳ chưa có số liệu");
  if (m.previous === 0) return el("span", {}, "cùng kỳ không phát sinh");
  const cls = m.diff > 0 ? "up" : m.diff < 0 ? "down" : "";
  const sign = m.diff > 0 ? "tăng " : m.diff < 0 ? "giảm " : "bằng cùng kỳ";
  const pct = m.pct === null ? "" : ` (${pf.format(Math.abs(m.pct))}%)`;
  return el("span", { class: cls }, m.diff === 0 ? sign : `so với cùng kỳ: ${sign}${m.currency ? money(Math.abs(m.diff), m.currency) : nf.format(Math.abs(m.diff))}${pct}`);
}

// The catalog's order (the reports' order), then the currencies.
function inCatalogOrder(metrics) {
  const rank = new Map((state.catalog?.metrics || []).map((m, i) => [m.name, i]));
  return metrics.slice().sort((a, b) => (rank.get(a.metric) ?? 1e9) - (rank.get(b.metric) ?? 1e9) || a.row.localeCompare(b.row));
}

function renderFigures(t) {
  const box = $("figures");
  box.replaceChildren();
  for (const m of inCatalogOrder(t.metrics)) {
    const card = el("div", { class: "fig", "data-row": m.row },
      el("div", { class: "label" }, m.label_vi + (m.currency ? ` (${m.currency})` : "")),
      el("div", { class: "value", id: "value-" + m.row.replace(/[|=]/g, "_"), "data-value": m.value }, show(m)),
      el("div", { class: "cmp" }, cmpLine(m)));
    if (m.plan !== undefined)
      card.append(el("div", { class: "plan" }, `kế hoạch ${nf.format(m.plan)}: đạt ${m.plan_pct === null ? "–" : pf.format(m.plan_pct) + "%"}`));
    if (m.declared_none) card.append(el("div", { class: "muted" }, "có địa phương báo cáo “không có”"));
    box.append(card);
  }
  if (!t.metrics.length) box.append(el("p", { class: "muted" }, "Chưa có số liệu cho kỳ này."));
}

function provinceName(code) {
  return state.provinces?.get(code) || code;
}

function renderCoverage(t) {
  const c = t.coverage;
  $("coverage").textContent = state.me.national
    ? `${c.reported}/${c.of} tỉnh, thành phố đã báo cáo`
    : (c.reported ? "Đã báo cáo trong kỳ" : "Chưa báo cáo trong kỳ");
  $("missing").textContent = state.me.national && c.missing.length
    ? "Chưa báo cáo: " + c.missing.map(provinceName).join(", ") : "";
}

function metricRows() {
  return state.totals.provinces.map((p) => {
    const m = p.metrics.find((x) => x.row === $("metric").value) || { value: 0, previous: 0, pct: null, share_pct: null };
    return { unit: p.unit, name: p.name, reported: p.reported, value: m.value, previous: m.previous, pct: m.pct,
             share_pct: m.share_pct, currency: m.currency, fresh: state.fresh?.last_applied_at?.[p.unit] || "" };
  });
}

function renderTable() {
  const rows = metricRows(), { key, dir } = state.sort;
  rows.sort((a, b) => {
    const x = a[key] ?? -Infinity, y = b[key] ?? -Infinity;
    return (typeof x === "string" ? x.localeCompare(y, "vi") : x - y) * dir;
  });
  const fmt = (r, v) => v === null || v === undefined ? "–" : r.currency ? money(v, r.currency) : nf.format(v);
  $("provinces").tBodies[0].replaceChildren(...rows.map((r) => el("tr", { "data-unit": r.unit },
    el("td", {}, r.name), el("td", { class: "num" }, fmt(r, r.value)), el("td", { class: "num" }, fmt(r, r.previous)),
    el("td", { class: "num" }, r.pct === null || r.pct === undefined ? "–" : pf.format(r.pct) + "%"),
    el("td", { class: "num" }, r.share_pct === null || r.share_pct === undefined ? "–" : pf.format(r.share_pct) + "%"),
    el("td", {}, r.reported ? "đã báo cáo" : "chưa"), el("td", {}, r.fresh ? new Date(r.fresh).toLocaleString("vi-VN") : "–"))));
  for (const th of $("provinces").tHead.rows[0].cells)
    th.className = (th.classList.contains("num") ? "num " : "") + (th.dataset.key === key ? (dir > 0 ? "sorted-asc" : "sorted-desc") : "");
  drawBars($("chart-provinces"), rows.slice().sort((a, b) => b.value - a.value).map((r) => [r.name, r.value]));
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// One bar per province, largest first.
function drawBars(box, data) {
  const w = 1100, h = 260, left = 40, bottom = 90, max = Math.max(1, ...data.map((d) => d[1]));
  const s = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": "Biểu đồ theo tỉnh, thành phố" });
  const bw = (w - left) / Math.max(1, data.length);
  data.forEach(([name, v], i) => {
    const bh = (h - bottom - 10) * Math.max(0, v) / max, x = left + i * bw;
    s.append(svg("rect", { class: "bar", x: x + 2, y: h - bottom - bh, width: Math.max(1, bw - 4), height: bh }, undefined));
    s.lastChild.append(svg("title", {}, `${name}: ${nf.format(v)}`));
    s.append(svg("text", { x: x + bw / 2, y: h - bottom + 4, transform: `rotate(60 ${x + bw / 2} ${h - bottom + 4})` }, name));
  });
  s.append(svg("text", { x: 0, y: 12 }, nf.format(max)));
  box.replaceChildren(s);
}

// Each month of the year against the same month of the year before.
function drawMonths(box, months) {
  const w = 1100, h = 240, left = 40, bottom = 30, max = Math.max(1, ...months.flatMap((m) => [m.value, m.previous]));
  const s = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": "Biểu đồ theo tháng" });
  const bw = (w - left) / 12;
  months.forEach((m, i) => {
    const x = left + i * bw;
    for (const [k, cls, dx] of [["previous", "bar-prev", 4], ["value", "bar", bw / 2]]) {
      const bh = (h - bottom - 20) * Math.max(0, m[k]) / max;
      const r = svg("rect", { class: cls, x: x + dx, y: h - bottom - bh, width: bw / 2 - 6, height: bh });
      r.append(svg("title", {}, `Tháng ${i + 1} ${k === "value" ? "năm nay" : "năm trước"}: ${nf.format(m[k])}`));
      s.append(r);
    }
    s.append(svg("text", { x: x + bw / 2 - 10, y: h - bottom + 14 }, `T${i + 1}`));
  });
  s.append(svg("text", { x: 0, y: 12 }, nf.format(max)));
  s.append(svg("rect", { class: "bar", x: w - 200, y: 4, width: 10, height: 10 }));
  s.append(svg("text", { x: w - 186, y: 13 }, "năm nay"));
  s.append(svg("rect", { class: "bar-prev", x: w - 120, y: 4, width: 10, height: 10 }));
  s.append(svg("text", { x: w - 106, y: 13 }, "năm trước"));
  box.replaceChildren(s);
}

function render() {
  const t = state.totals;
  if (!t) return;
  $("partial").hidden = t.complete;
  $("scope-title").textContent = t.scope === "national" ? "Toàn quốc" : t.name;
  $("period-line").textContent = `Từ ${t.first} đến ${t.last}, so với cùng kỳ ${t.compared_with.first} – ${t.compared_with.last}` +
    `. Đọc lúc ${new Date(t.read_at).toLocaleString("vi-VN")}.`;
  renderFigures(t);
  renderCoverage(t);
  const sel = $("metric"), keep = sel.value;
  const rows = t.metrics.map((m) => m.row);
  if (sel.options.length !== rows.length || [...sel.options].some((o, i) => o.value !== rows[i]))
    sel.replaceChildren(...t.metrics.map((m) => el("option", { value: m.row }, m.label_vi + (m.currency ? ` (${m.currency})` : ""))));
  sel.value = state.metricChosen && rows.includes(keep) ? keep : (rows.includes("delegations_out") ? "delegations_out" : rows[0] || "");
  const label = sel.selectedOptions[0]?.textContent || "";
  $("table-metric").textContent = label; $("month-metric").textContent = label;
  $("by-province-card").hidden = !t.provinces;
  if (t.provinces) renderTable();
}

// ---- loading and live updates ----

async function load() {
  $("error").textContent = "";
  const p = periodQuery();
  try {
    state.totals = await api(`/v1/totals?${periodParams(p)}${scopeParams()}`);
    render();
    follow(p);
    loadMonths();
  } catch (e) {
    state.totals = null;
    $("error").textContent = "Không đọc được số liệu: " + e.message;
  }
}

async function loadMonths() {
  const t = state.totals, row = $("metric").value;
  if (!t || !row) return;
  const year = +t.last.slice(0, 4), scope = state.me.national ? "" : "&province=" + state.me.provinces[0].code;
  const metric = "&metric=" + encodeURIComponent(row.split("|")[0]) + (row.includes("|") ? "&breakdowns=1" : "");
  try {
    const docs = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      api(`/v1/totals?period=M${year}-${String(i + 1).padStart(2, "0")}${scope}${metric}`)));
    drawMonths($("chart-months"), docs.map((d) => d.metrics.find((m) => m.row === row) || { value: 0, previous: 0 }));
  } catch (e) { $("chart-months").textContent = "Không vẽ được biểu đồ: " + e.message; }
}

// Server-Sent Events over fetch: each event is the whole totals document; its id (the offsets vector)
// goes back as Last-Event-ID when the stream is opened again, so nothing is missed.
async function follow(p) {
  if (state.stream) state.stream.abort();
  const ctl = new AbortController(), query = `/v1/stream?${periodParams(p)}${scopeParams()}`;
  state.stream = ctl;
  let last = state.totals?.change_id || "";
  while (!ctl.signal.aborted) {
    try {
      const r = await fetch(query, { signal: ctl.signal, headers: { Authorization: "Bearer " + state.token, "Last-Event-ID": last } });
      if (!r.ok) throw new Error("HTTP " + r.status);
      $("live").textContent = "Đang cập nhật trực tiếp.";
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
          const ev = {};
          for (const line of block.split("\n")) {
            const i = line.indexOf(": ");
            if (line.startsWith(":") || i < 0) continue;
            ev[line.slice(0, i)] = (ev[line.slice(0, i)] ? ev[line.slice(0, i)] + "\n" : "") + line.slice(i + 2);
          }
          if (ev.data && ev.event === "totals") {
            last = ev.id;
            state.totals = JSON.parse(ev.data);
            render();
            document.querySelector(".figures")?.classList.add("flash");
            setTimeout(() => document.querySelector(".figures")?.classList.remove("flash"), 1200);
          }
        }
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      $("live").textContent = "Mất kết nối cập nhật trực tiếp, đang kết nối lại…";
    }
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

async function loadFreshness() {
  try {
    state.fresh = await api("/v1/freshness");
    const f = state.fresh, times = Object.values(f.last_applied_at).filter(Boolean).sort();
    $("freshness").textContent = `Độ trễ của hệ thống tổng hợp: ${nf.format(f.lag_total)} sự kiện chờ xử lý (${f.consumers.length} tiến trình). ` +
      (times.length ? `Sự kiện gần nhất được ghi nhận lúc ${new Date(times[times.length - 1]).toLocaleString("vi-VN")}.` : "Chưa ghi nhận sự kiện mới từ khi mở trang.");
    if (state.totals?.provinces) renderTable();
  } catch (e) { /* shown by the next load */ }
}

async function download(kind) {
  const p = periodQuery();
  try {
    let blob, name;
    if (kind === "csv") {
      blob = await api(`/v1/totals?${periodParams(p)}${scopeParams()}&breakdowns=1`, "text/csv");
      name = `so-lieu-${p.id || p.from + "_" + p.to}.csv`;
    } else {
      if (!p.id) throw new Error("báo cáo chỉ có cho kỳ báo cáo, không cho khoảng ngày");
      blob = await api(`/v1/rollups/${p.id}?format=html`, "text/html");
      name = `bao-cao-${p.id}.html`;
    }
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
  } catch (e) { $("error").textContent = "Không tải được: " + e.message; }
}

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("/v1/me");
  } catch (e) {
    $("signin-error").textContent = e.status === 401 ? "Mã truy cập không đúng hoặc đã bị thu hồi." : "Không đăng nhập được: " + e.message;
    return;
  }
  sessionStorage.setItem("dfa-token", token);
  const [prov, catalog] = await Promise.all([api("/v1/provinces"), api("/v1/catalog")]);
  state.catalog = catalog;
  state.provinces = new Map(prov.units.filter((u) => u.in_force).map((u) => [u.code, u.name]));
  $("who").textContent = state.me.national ? `${state.me.token} – toàn quốc`
    : `${state.me.token} – ${state.me.provinces.map((p) => p.name).join(", ")}`;
  $("signin").hidden = true;
  $("app").hidden = false;
  await load();
  loadFreshness();
  setInterval(loadFreshness, 5000);
}

document.addEventListener("DOMContentLoaded", () => {
  setupPicker();
  $("signin-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("token").value.trim()); });
  for (const th of $("provinces").tHead.rows[0].cells)
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : (key === "name" ? 1 : -1) };
      renderTable();
    });
  $("dl-csv").addEventListener("click", () => download("csv"));
  $("dl-report").addEventListener("click", () => download("md"));
  if (state.token) signIn(state.token);
});
