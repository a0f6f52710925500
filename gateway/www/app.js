// The department's page: sign in with a token, send one event from a form
// built from the catalog, or a whole NDJSON/CSV file, and read what the
// gateway said of each record (docs/gateway.md "The department's page").
import { ERROR_CODE_LABELS, fieldLabel, reporterLabel, valueLabel } from './labels.js';

const TOKEN_KEY = 'dfa-gateway.token'; // sessionStorage only: gone with the tab, never in a URL
const VN_OFFSET_MS = 7 * 3600 * 1000;  // Asia/Ho_Chi_Minh: UTC+7, no daylight saving
const COMMON_CURRENCIES = ['VND', 'USD', 'EUR', 'JPY', 'KRW', 'CNY', 'LAK', 'KHR', 'THB', 'SGD', 'AUD', 'GBP'];
const MONEY_MAX = 10n ** 15n;           // docs/events.md: at most 10^15 minor units
const FILE_TYPES = { csv: 'text/csv', ndjson: 'application/x-ndjson', jsonl: 'application/x-ndjson', json: 'application/json' };

const $ = (id) => document.getElementById(id);
const regionNames = makeDisplayNames('region');
const currencyNames = makeDisplayNames('currency');

let session = null; // {token, who, catalog}
let fieldReaders = []; // one per data field of the chosen type: () => {value} | {skip} | {error}
let eventId = '';

function makeDisplayNames(type) {
  try { return new Intl.DisplayNames(['vi'], { type }); } catch { return null; }
}
function countryName(code) {
  try { return (regionNames && regionNames.of(code)) || code; } catch { return code; }
}
function currencyName(code) {
  try { return (currencyNames && currencyNames.of(code)) || code; } catch { return code; }
}
const nf = new Intl.NumberFormat('vi-VN');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'className') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// --- talking to the gateway ---

async function api(path, { method = 'GET', body, type } = {}) {
  const headers = { Authorization: `Bearer ${session ? session.token : ''}` };
  if (type) headers['Content-Type'] = type;
  let res;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
  } catch {
    return { status: 0, body: null, retryAfter: null };
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON: said by the status alone */ }
  return { status: res.status, body: json, retryAfter: res.headers.get('Retry-After') };
}

function megabytes(n) { return `${nf.format(Math.round(n / 1048576 * 10) / 10)} MB`; }

// What went wrong, in Vietnamese; the gateway's own message follows as the detail.
function explain(res) {
  const err = (res.body && res.body.error) || {};
  const limits = session && session.who ? session.who.limits : null;
  const wait = res.retryAfter ? `${res.retryAfter} giây` : 'ít phút';
  let text;
  switch (res.status) {
    case 0: text = 'Không kết nối được tới cổng tiếp nhận. Kiểm tra mạng rồi thử lại (gửi lại là an toàn).'; break;
    case 401: text = 'Mã truy cập không đúng, đã bị thu hồi hoặc hết hiệu lực. Vui lòng đăng nhập lại.'; break;
    case 403: text = 'Mã truy cập này không có quyền gửi sự kiện. Đề nghị quản trị viên cấp quyền “publish”.'; break;
    case 413: text = 'Nội dung gửi vượt giới hạn' + (limits ? ` (tối đa ${megabytes(limits.max_body_bytes)} và ${nf.format(limits.max_events)} sự kiện mỗi lần)` : '') + '. Hãy chia tệp thành nhiều phần.'; break;
    case 415: text = 'Định dạng không được hỗ trợ. Chỉ nhận tệp NDJSON (.ndjson, .jsonl), JSON (.json) hoặc CSV (.csv).'; break;
    case 422: text = 'Không đọc được nội dung gửi: tệp không đúng định dạng đã khai báo.'; break;
    case 429: text = `Gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng thử lại sau ${wait}.`; break;
    case 503: text = err.code === 'busy'
      ? `Cổng tiếp nhận đang bận. Vui lòng thử lại sau ${wait}.`
      : `Hệ thống chưa ghi nhận được sự kiện nào (hàng đợi Kafka không phản hồi). Vui lòng gửi lại sau ${wait}; gửi lại là an toàn.`; break;
    default: text = `Cổng tiếp nhận trả lời lỗi HTTP ${res.status}.`;
  }
  return { text, detail: err.message || '' };
}

function showAlert(problem) {
  const box = $('alert');
  box.replaceChildren(el('p', { text: problem.text }));
  if (problem.detail) box.append(el('p', { className: 'detail' }, 'Chi tiết: ', el('code', { text: problem.detail })));
  box.hidden = false;
}
function clearAlert() { $('alert').hidden = true; $('alert').replaceChildren(); }
function setProgress(text) { $('progress').textContent = text; }

// --- signing in ---

async function signIn(token) {
  session = { token };
  const who = await api('/v1/whoami');
  if (who.status !== 200) { session = null; return explain(who); }
  if (!who.body.rights.includes('publish')) {
    session = null;
    return { text: `Mã “${who.body.name}” không có quyền gửi sự kiện (chỉ có quyền: ${who.body.rights.join(', ') || 'không'}).`, detail: '' };
  }
  const cat = await api('/v1/catalog');
  if (cat.status !== 200) { session = null; return explain(cat); }
  session = { token, who: who.body, catalog: cat.body };
  sessionStorage.setItem(TOKEN_KEY, token);
  return null;
}

function signOut(problem) {
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('work').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  $('token').value = '';
  $('results').hidden = true;
  setProgress('');
  if (problem) showAlert(problem); else clearAlert();
  $('token').focus();
}

function showWork() {
  const who = session.who;
  $('sign-in').hidden = true;
  $('who-name').textContent = who.name;
  const provinces = who.provinces.map((p) => `${p.name} (${p.code})`).join(', ');
  const allReporters = who.reporters.length === session.catalog.reporters.length;
  $('who-scope').textContent = `Tỉnh, thành phố: ${provinces} · Đơn vị: ${allReporters ? 'tất cả' : who.reporters.map(reporterLabel).join(', ')}`;
  $('who').hidden = false;
  $('file-hint').textContent = `NDJSON, JSON hoặc CSV; tối đa ${megabytes(who.limits.max_body_bytes)} và ${nf.format(who.limits.max_events)} sự kiện mỗi tệp.`;
  buildEnvelope();
  $('work').hidden = false;
}

// --- the form of one event ---

function newEventId() {
  // crypto.randomUUID needs a secure context; getRandomValues works on any page
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  eventId = `web-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  $('ev-id').textContent = eventId;
}

function vietnamNow() {
  const iso = new Date(Date.now() + VN_OFFSET_MS).toISOString(); // the local wall clock, written as if UTC
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}

function fillSelect(select, options, placeholder) {
  select.replaceChildren();
  if (placeholder !== undefined) select.append(el('option', { value: '', text: placeholder }));
  for (const [value, label] of options) select.append(el('option', { value, text: label }));
}

function buildEnvelope() {
  const { catalog, who } = session;
  const types = Object.entries(catalog.types).map(([name, t]) => [name, t.label_vi]);
  fillSelect($('ev-type'), types, '— Chọn loại sự kiện —');
  const provinces = who.provinces.map((p) => [p.code, `${p.name} (${p.code})`]);
  fillSelect($('ev-province'), provinces, provinces.length > 1 ? '— Chọn —' : undefined);
  const reporters = who.reporters.map((r) => [r, reporterLabel(r)]);
  fillSelect($('ev-reporter'), reporters, reporters.length > 1 ? '— Chọn —' : undefined);
  if (who.reporters.includes('dept_foreign_affairs')) $('ev-reporter').value = 'dept_foreign_affairs';
  const now = vietnamNow();
  $('ev-date').value = now.date;
  $('ev-time').value = now.time;
  $('ev-estimate').checked = false;
  buildFields();
  newEventId();
}

function fieldBox(id, labelText, required, control, hintText) {
  const hintId = `${id}-hint`, errId = `${id}-error`;
  const input = control.id === id ? control : control.querySelector(`#${id}`); // what the label names
  input.setAttribute('aria-describedby', `${hintText ? hintId + ' ' : ''}${errId}`);
  if (required) input.setAttribute('aria-required', 'true');
  const label = el('label', { for: id }, labelText, required ? el('span', { className: 'req', 'aria-hidden': 'true', text: ' *' }) : null);
  const box = el('div', { className: 'field' }, label, control);
  if (hintText) box.append(el('p', { className: 'hint', id: hintId, text: hintText }));
  box.append(el('p', { className: 'field-error', id: errId, hidden: true }));
  return box;
}

function setFieldError(id, message) {
  const err = $(`${id}-error`), control = $(id);
  if (message) {
    err.textContent = message; err.hidden = false;
    if (control) control.setAttribute('aria-invalid', 'true');
  } else {
    err.textContent = ''; err.hidden = true;
    if (control) control.removeAttribute('aria-invalid');
  }
}

function boundsText(spec) {
  const hasMin = spec.min !== undefined, hasMax = spec.max !== undefined;
  if (hasMin && hasMax) return `từ ${nf.format(spec.min)} đến ${nf.format(spec.max)}`;
  if (hasMin) return `từ ${nf.format(spec.min)}`;
  if (hasMax) return `tối đa ${nf.format(spec.max)}`;
  return '';
}

function sortedCountries() {
  return session.catalog.countries
    .map((c) => [c, `${countryName(c)} (${c})`])
    .sort((a, b) => a[1].localeCompare(b[1], 'vi'));
}

// Each builder returns [element, reader]; a reader gives {value}, {skip} (optional and left empty) or {error}.
const builders = {
  integer(id, spec) {
    const input = el('input', { id, type: 'number', step: '1', inputmode: 'numeric', min: spec.min, max: spec.max });
    const read = () => {
      const v = input.value.trim();
      if (v === '') return spec.required ? { error: 'Bắt buộc nhập.' } : { skip: true };
      if (!/^-?\d+$/.test(v)) return { error: `Nhập một số nguyên ${boundsText(spec)}.` };
      const n = Number(v);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return { error: `Giá trị phải ${boundsText(spec)}.` };
      return { value: n };
    };
    return [input, read, boundsText(spec) ? `Số nguyên ${boundsText(spec)}.` : ''];
  },
  text(id, spec) {
    const input = el('textarea', { id, rows: 2 });
    const read = () => {
      const v = input.value;
      if (v.trim() === '') return spec.required ? { error: 'Bắt buộc nhập.' } : { skip: true };
      if (spec.max_len && new TextEncoder().encode(v).length > spec.max_len)
        return { error: `Tối đa ${nf.format(spec.max_len)} byte (chữ có dấu chiếm 2–3 byte).` };
      return { value: v };
    };
    return [input, read, spec.max_len ? `Tối đa ${nf.format(spec.max_len)} byte.` : ''];
  },
  id(id, spec) {
    const input = el('input', { id, type: 'text', maxlength: 64, spellcheck: 'false', autocomplete: 'off' });
    const read = () => {
      const v = input.value.trim();
      if (v === '') return spec.required ? { error: 'Bắt buộc nhập.' } : { skip: true };
      if (!/^[A-Za-z0-9._:-]{1,64}$/.test(v)) return { error: 'Chỉ gồm chữ không dấu, số và các ký tự . _ : - (tối đa 64).' };
      return { value: v };
    };
    return [input, read, 'Chữ không dấu, số, . _ : - (tối đa 64 ký tự).'];
  },
  enum(id, spec, type, name) {
    const select = el('select', { id });
    fillSelect(select, spec.values.map((v) => [v, valueLabel(name, v)]), spec.required ? '— Chọn —' : '— Không khai báo —');
    const read = () => (select.value === '' ? (spec.required ? { error: 'Bắt buộc chọn.' } : { skip: true }) : { value: select.value });
    return [select, read, ''];
  },
  boolean(id, spec) {
    const select = el('select', { id });
    fillSelect(select, [['true', 'Có'], ['false', 'Không']], spec.required ? undefined : '— Không khai báo —');
    const read = () => (select.value === '' ? { skip: true } : { value: select.value === 'true' });
    return [select, read, ''];
  },
  country(id, spec) {
    const select = el('select', { id });
    fillSelect(select, sortedCountries(), spec.required ? '— Chọn quốc gia —' : '— Không khai báo —');
    const read = () => (select.value === '' ? (spec.required ? { error: 'Bắt buộc chọn.' } : { skip: true }) : { value: select.value });
    return [select, read, ''];
  },
  country_list(id, spec) {
    // a select to pick from, an "add" button, and the chosen countries as removable chips
    const chosen = [];
    const select = el('select', { id });
    fillSelect(select, sortedCountries(), '— Chọn quốc gia —');
    const add = el('button', { type: 'button', className: 'secondary small', id: `${id}-add`, text: 'Thêm' });
    const list = el('ul', { className: 'chips', id: `${id}-chosen`, 'aria-label': 'Quốc gia đã chọn' });
    const redraw = () => {
      list.replaceChildren(...chosen.map((c) => {
        const remove = el('button', { type: 'button', className: 'chip-remove', 'aria-label': `Bỏ ${countryName(c)}`, text: '×' });
        remove.addEventListener('click', () => { chosen.splice(chosen.indexOf(c), 1); redraw(); select.focus(); });
        return el('li', { 'data-code': c }, el('span', { text: `${countryName(c)} (${c})` }), remove);
      }));
    };
    const take = () => {
      const c = select.value;
      if (c && !chosen.includes(c)) { chosen.push(c); redraw(); setFieldError(id, ''); }
      select.value = '';
    };
    add.addEventListener('click', take);
    select.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); take(); } });
    const read = () => {
      if (select.value && !chosen.includes(select.value)) take(); // picked but not yet added: take it
      if (chosen.length === 0) return spec.required ? { error: 'Chọn ít nhất một quốc gia rồi bấm “Thêm”.' } : { skip: true };
      if (spec.max_len && chosen.length > spec.max_len) return { error: `Tối đa ${spec.max_len} quốc gia.` };
      return { value: [...chosen] };
    };
    return [el('div', {}, el('div', { className: 'pick' }, select, add), list), read, 'Chọn một quốc gia rồi bấm “Thêm” (hoặc Enter); có thể chọn nhiều.'];
  },
  money(id, spec) {
    const amount = el('input', { id, type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false' });
    const currency = el('select', { id: `${id}-currency`, 'aria-label': 'Loại tiền' });
    const all = session.catalog.currencies;
    const exponent = Object.fromEntries(all.map((c) => [c.code, c.exponent]));
    currency.append(el('optgroup', { label: 'Thường dùng' }, ...COMMON_CURRENCIES.filter((c) => c in exponent)
      .map((c) => el('option', { value: c, text: `${c} – ${currencyName(c)}` }))));
    currency.append(el('optgroup', { label: 'Khác' }, ...all.filter((c) => !COMMON_CURRENCIES.includes(c.code))
      .map((c) => el('option', { value: c.code, text: `${c.code} – ${currencyName(c.code)}` }))));
    currency.value = 'VND';
    const preview = el('p', { className: 'hint preview', id: `${id}-preview`, 'aria-live': 'polite' });
    const max = spec.max !== undefined ? BigInt(spec.max) : MONEY_MAX;
    const read = () => {
      const text = amount.value;
      if (text.trim() === '') return spec.required ? { error: 'Bắt buộc nhập số tiền.' } : { skip: true };
      const parsed = parseAmount(text, exponent[currency.value]);
      if (parsed.error) return parsed;
      if (parsed.minor > max) return { error: `Số tiền vượt giới hạn (${nf.format(max)} đơn vị nhỏ nhất của ${currency.value}).` };
      return { value: { amount: Number(parsed.minor), currency: currency.value } };
    };
    const update = () => {
      const r = amount.value.trim() === '' ? null : parseAmount(amount.value, exponent[currency.value]);
      preview.textContent = r && !r.error ? `Sẽ ghi nhận: ${formatMinor(r.minor, exponent[currency.value])} ${currency.value}` : '';
    };
    amount.addEventListener('input', update);
    currency.addEventListener('change', update);
    return [el('div', {}, el('div', { className: 'money' }, amount, currency), preview), read,
      'Số tiền theo đơn vị tiền đã chọn: dấu chấm hoặc khoảng trắng ngăn cách hàng nghìn, dấu phẩy trước phần lẻ (1.500.000 hoặc 1.250,50).'];
  },
  date(id, spec) {
    const input = el('input', { id, type: 'date', min: '1990-01-01', max: '2099-12-31' });
    const read = () => (input.value === '' ? (spec.required ? { error: 'Bắt buộc chọn ngày.' } : { skip: true }) : { value: input.value });
    return [input, read, ''];
  },
  period(id, spec) {
    const input = el('input', { id, type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: 'Y2026' });
    const forms = /^(D\d{4}-\d{2}-\d{2}|M\d{4}-\d{2}|Q\d{4}-[1-4]|H\d{4}-[12]|N\d{4}|Y\d{4}|R\d{4}-\d{4}|A\d{4}-\d{2}|AY\d{4})$/;
    const read = () => {
      const v = input.value.trim();
      if (v === '') return spec.required ? { error: 'Bắt buộc nhập kỳ.' } : { skip: true };
      if (!forms.test(v)) return { error: 'Kỳ không đúng dạng (ví dụ Y2026, H2026-1, N2026, Q2026-3, M2026-07).' };
      return { value: v };
    };
    return [input, read, 'Năm Y2026, 6 tháng H2026-1, 9 tháng N2026, quý Q2026-3, tháng M2026-07, năm hành chính AY2026.'];
  },
  metric(id, spec) {
    const select = el('select', { id });
    fillSelect(select, metricOptions(), spec.required ? '— Chọn chỉ tiêu —' : '— Không khai báo —');
    const read = () => (select.value === '' ? (spec.required ? { error: 'Bắt buộc chọn.' } : { skip: true }) : { value: select.value });
    return [select, read, ''];
  },
  metric_list(id, spec) {
    const select = el('select', { id, multiple: true, size: 8 });
    fillSelect(select, metricOptions());
    const read = () => {
      const v = [...select.selectedOptions].map((o) => o.value);
      if (v.length === 0) return spec.required ? { error: 'Chọn ít nhất một chỉ tiêu.' } : { skip: true };
      return { value: v };
    };
    return [select, read, 'Giữ Ctrl (hoặc Shift) để chọn nhiều chỉ tiêu.'];
  },
};

function metricOptions() {
  return Object.entries(session.catalog.metrics).map(([name, m]) => [name, m.label_vi]);
}

// "1.500.000", "1 500 000", "1.250,50" (Vietnamese), or "12.5" where a dot cannot be a thousands separator.
function parseAmount(text, exponent) {
  const t = text.replace(/[\s\u00a0]/g, '');
  let whole, frac = '';
  let m;
  if ((m = /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$/.exec(t))) {
    whole = m[1].replace(/\./g, ''); frac = m[2] || '';
  } else if ((m = /^(\d+)\.(\d+)$/.exec(t))) {
    whole = m[1]; frac = m[2];
  } else {
    return { error: 'Số tiền không hợp lệ: chỉ gồm chữ số, dấu chấm ngăn cách hàng nghìn và dấu phẩy trước phần lẻ.' };
  }
  if (frac.length > exponent)
    return { error: exponent === 0 ? 'Loại tiền này không có phần lẻ.' : `Tối đa ${exponent} chữ số sau dấu phẩy.` };
  return { minor: BigInt(whole + frac.padEnd(exponent, '0')) };
}

function formatMinor(minor, exponent) {
  const s = minor.toString().padStart(exponent + 1, '0');
  const whole = s.slice(0, s.length - exponent).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return exponent ? `${whole},${s.slice(s.length - exponent)}` : whole;
}

function buildFields() {
  const type = $('ev-type').value;
  const box = $('ev-fields');
  box.replaceChildren();
  fieldReaders = [];
  const spec = type && session.catalog.types[type];
  $('ev-data').hidden = !spec;
  if (!spec) return;
  const entries = Object.entries(spec.fields);
  entries.sort((a, b) => Number(!!b[1].required) - Number(!!a[1].required)); // required first, else catalog order
  for (const [name, f] of entries) {
    const builder = builders[f.type];
    if (!builder) continue;
    const id = `f-${name}`;
    const [control, read, hint] = builder(id, f, type, name);
    const box1 = fieldBox(id, fieldLabel(type, name), !!f.required, control, hint);
    if (f.type === 'text' || f.type === 'country_list' || f.type === 'metric_list') box1.classList.add('wide');
    box.append(box1);
    fieldReaders.push({ name, id, read });
  }
  if (entries.length === 0) box.append(el('p', { className: 'hint', text: 'Loại sự kiện này không có thông tin chi tiết.' }));
}

// The event as the contract wants it (docs/events.md), or null after marking what is wrong.
function readEvent() {
  let firstBad = null;
  const bad = (id, message) => { setFieldError(id, message); if (!firstBad) firstBad = id; };
  for (const id of ['ev-date', 'ev-time']) setFieldError(id, '');
  const type = $('ev-type').value, province = $('ev-province').value, reporter = $('ev-reporter').value;
  if (!type) { $('ev-type').focus(); return { problem: 'Chọn loại sự kiện.' }; }
  if (!province) { $('ev-province').focus(); return { problem: 'Chọn tỉnh, thành phố.' }; }
  if (!reporter) { $('ev-reporter').focus(); return { problem: 'Chọn đơn vị báo cáo.' }; }
  const date = $('ev-date').value, time = $('ev-time').value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) bad('ev-date', 'Chọn ngày diễn ra.');
  if (!/^\d{2}:\d{2}(:\d{2})?$/.test(time)) bad('ev-time', 'Nhập giờ diễn ra.');
  const data = {};
  for (const f of fieldReaders) {
    const r = f.read();
    if (r.error) bad(f.id, r.error);
    else { setFieldError(f.id, ''); if (!r.skip) data[f.name] = r.value; }
  }
  if (firstBad) { $(firstBad).focus(); return { problem: 'Biểu mẫu còn trường chưa đúng; xem các thông báo màu đỏ.' }; }
  const event = {
    event_id: eventId, type,
    occurred_at: `${date}T${time.length === 5 ? time + ':00' : time}+07:00`,
    province, reporter, schema_version: 1, data,
  };
  if ($('ev-estimate').checked) event.estimate = true;
  return { event };
}

// --- results ---

const STATUS_LABELS = { accepted: 'Đã tiếp nhận', rejected: 'Bị từ chối', forbidden: 'Không được phép', failed: 'Chưa gửi được' };

function reasonCell(r) {
  const td = el('td', { className: 'reason' });
  if (r.status === 'rejected' || r.status === 'failed') {
    const code = r.error.code;
    td.append(el('span', { className: 'code', text: `${ERROR_CODE_LABELS[code] || code} (${code}): ` }),
      el('code', { className: 'message', text: r.error.message }));
    if (r.status === 'failed') td.append(el('span', { className: 'retry', text: ' — gửi lại là an toàn.' }));
  } else if (r.status === 'forbidden') {
    td.append(el('span', { className: 'code', text: 'Ngoài phạm vi của mã truy cập: ' }), el('span', { className: 'message', text: r.why }));
  }
  return td;
}

function showResults(answer, caption) {
  const tbody = $('results-table').querySelector('tbody');
  tbody.replaceChildren(...answer.results.map((r) => el('tr', { 'data-status': r.status, 'data-line': r.line },
    el('td', { className: 'num', text: String(r.line) }),
    el('td', {}, el('code', { text: r.event_id || '—' })),
    el('td', {}, el('span', { className: `badge ${r.status}`, text: STATUS_LABELS[r.status] || r.status })),
    reasonCell(r))));
  const t = answer.totals;
  const parts = ['accepted', 'rejected', 'forbidden', 'failed'].filter((k) => k === 'accepted' || t[k] > 0)
    .map((k) => el('span', { className: `total ${k}`, 'data-total': k }, el('strong', { text: nf.format(t[k]) }), ` ${STATUS_LABELS[k].toLowerCase()}`));
  $('totals').replaceChildren(el('span', { 'data-total': 'records' }, el('strong', { text: nf.format(t.records) }), ' bản ghi: '));
  parts.forEach((p, i) => { if (i) $('totals').append(', '); $('totals').append(p); });
  $('results-caption').textContent = caption;
  applyFilter();
  $('results').hidden = false;
  // the answer may be below the fold of a laptop screen: bring it up, and keyboard users with it
  $('results-title').focus({ preventScroll: true });
  $('results-section').scrollIntoView({ block: 'start' });
  const bad = t.records - t.accepted;
  setProgress(bad ? `Đã có kết quả: ${t.accepted}/${t.records} bản ghi được tiếp nhận, ${bad} bản ghi cần xem lại.`
    : `Đã có kết quả: tiếp nhận cả ${t.records} bản ghi.`);
}

function applyFilter() {
  const only = $('only-problems').checked;
  for (const tr of $('results-table').querySelectorAll('tbody tr')) tr.hidden = only && tr.dataset.status === 'accepted';
}

function timeNow() { return vietnamNow().time; }

// A POST /v1/events and what the page does with each kind of answer.
async function send(body, type, caption, button) {
  clearAlert();
  button.disabled = true;
  setProgress('Đang gửi… chờ hệ thống xác nhận từng sự kiện.');
  const res = await api('/v1/events', { method: 'POST', body, type });
  button.disabled = false;
  if (res.status === 401) { signOut(explain(res)); return null; }
  if (res.body && Array.isArray(res.body.results)) showResults(res.body, caption);
  if (res.status !== 200) { showAlert(explain(res)); if (!res.body || !res.body.results) setProgress(''); return null; }
  return res.body;
}

// --- wiring ---

function wire() {
  $('sign-in-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    setFieldError('token', token ? '' : 'Nhập mã truy cập.');
    if (!token) { $('token').focus(); return; }
    $('sign-in-button').disabled = true;
    const problem = await signIn(token);
    $('sign-in-button').disabled = false;
    if (problem) { showAlert(problem); $('token').focus(); return; }
    clearAlert();
    $('token').value = '';
    showWork();
    $('ev-type').focus();
  });
  $('sign-out').addEventListener('click', () => signOut(null));
  $('ev-type').addEventListener('change', buildFields);
  $('ev-new-id').addEventListener('click', newEventId);
  $('event-form').addEventListener('reset', (e) => { e.preventDefault(); clearAlert(); buildEnvelope(); });
  $('event-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const { event, problem } = readEvent();
    if (!event) { showAlert({ text: problem, detail: '' }); return; }
    const answer = await send(JSON.stringify(event), 'application/json', `Sự kiện nhập lúc ${timeNow()}`, $('ev-submit'));
    if (answer && answer.results[0] && answer.results[0].status === 'accepted') {
      buildFields();  // the details of the next event start empty,
      newEventId();   // and it is a new event
    }
  });
  $('file-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('file').files[0];
    setFieldError('file', '');
    if (!file) { setFieldError('file', 'Chọn tệp cần gửi.'); $('file').focus(); return; }
    const ext = (file.name.split('.').pop() || '').toLowerCase();
    const type = FILE_TYPES[ext];
    if (!type) { setFieldError('file', 'Chỉ nhận tệp .ndjson, .jsonl, .json hoặc .csv.'); $('file').focus(); return; }
    if (file.size > session.who.limits.max_body_bytes) {
      setFieldError('file', `Tệp ${megabytes(file.size)} vượt giới hạn ${megabytes(session.who.limits.max_body_bytes)}; hãy chia thành nhiều tệp.`);
      $('file').focus();
      return;
    }
    await send(file, type, `Tệp ${file.name}, gửi lúc ${timeNow()}`, $('file-submit'));
  });
  $('only-problems').addEventListener('change', applyFilter);
}

async function start() {
  wire();
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    const problem = await signIn(saved);
    if (!problem) { showWork(); return; }
    signOut(problem);
    return;
  }
  $('token').focus();
}

start();
