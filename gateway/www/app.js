// The department's page: sign in with a token, enter one event through a form
// built from the catalog (GET /v1/catalog), or upload an NDJSON or CSV file,
// and read the gateway's answer per line (docs/gateway.md). No external resource.
'use strict';

const TOKEN_KEY = 'dfa.token'; // sessionStorage only: never in the URL, gone with the tab
const LOCAL_OFFSET = '+07:00'; // Asia/Ho_Chi_Minh, no daylight saving

const FIELD_LABELS = {
  agreement_id: 'Mã thỏa thuận', amount: 'Số tiền', booths: 'Số gian hàng', border: 'Tuyến biên giới',
  capital: 'Vốn đăng ký', capital_added: 'Vốn tăng thêm', case_id: 'Mã vụ việc', case_type: 'Loại vụ việc',
  change: 'Hủy hay điều chỉnh', channel: 'Kênh', countries: 'Các quốc gia (mã ISO, ví dụ JP, KR)',
  country: 'Quốc gia (mã ISO)', donation: 'Số tiền ủng hộ', donor_country: 'Quốc gia nhà tài trợ (mã ISO)',
  donor_id: 'Mã nhà tài trợ', foreign_delegates: 'Số đại biểu nước ngoài', form: 'Hình thức',
  format: 'Hình thức tổ chức', in_plan: 'Trong kế hoạch', items: 'Số sản phẩm', journalists: 'Số phóng viên',
  kind: 'Loại đoàn', level: 'Cấp', location: 'Địa điểm', markers: 'Số mốc', members: 'Số thành viên',
  metric: 'Chỉ tiêu', metrics: 'Các chỉ tiêu', nationality: 'Quốc tịch (mã ISO)', ngo_id: 'Mã tổ chức PCPNN',
  origin_country: 'Quốc gia của đoàn (mã ISO)', participants: 'Số người tham dự',
  partner_country: 'Quốc gia đối tác (mã ISO)', partner_type: 'Loại đối tác', period: 'Kỳ (ví dụ Y2026, H2026-1)',
  permitted_by: 'Cấp cho phép', persons: 'Số người', project_id: 'Mã dự án', purpose: 'Mục đích',
  reason: 'Lý do', renewal: 'Gia hạn', sales: 'Doanh số', sector: 'Lĩnh vực', sets: 'Số bộ',
  topic: 'Chủ đề', value: 'Giá trị', visitors: 'Số lượt khách'
};
const VALUE_LABELS = {
  dept_foreign_affairs: 'Sở Ngoại vụ', dept_tourism: 'Sở Du lịch', peoples_committee_office: 'Văn phòng UBND',
  fatherland_front: 'Mặt trận Tổ quốc', friendship_union: 'Liên hiệp các tổ chức hữu nghị',
  border_guard: 'Bộ đội Biên phòng', police: 'Công an', dept_industry_trade: 'Sở Công Thương',
  dept_finance: 'Sở Tài chính', dept_culture: 'Sở Văn hóa, Thể thao', dept_home_affairs: 'Sở Nội vụ',
  other: 'Khác', provincial_leaders: 'Lãnh đạo tỉnh', departments: 'Sở, ngành', communes: 'Xã, phường',
  mass_organisations: 'Đoàn thể', enterprises: 'Doanh nghiệp', cooperation: 'Hợp tác',
  trade_investment: 'Thương mại, đầu tư', study_training: 'Học tập, đào tạo', conference: 'Hội nghị',
  culture_sport: 'Văn hóa, thể thao', cancelled: 'Hủy', adjusted: 'Điều chỉnh', in_person: 'Trực tiếp',
  online: 'Trực tuyến', hybrid: 'Kết hợp', government: 'Chính phủ', embassy: 'Đại sứ quán',
  consulate: 'Lãnh sự quán', international_org: 'Tổ chức quốc tế', ngo: 'Tổ chức phi chính phủ',
  enterprise: 'Doanh nghiệp', partner_locality: 'Địa phương đối tác', overseas_vietnamese: 'Kiều bào',
  domestic: 'Trong nước', abroad: 'Nước ngoài', prime_minister: 'Thủ tướng', ministry: 'Bộ',
  provincial_committee: 'UBND tỉnh'
};
const STATUS_LABELS = { accepted: 'Chấp nhận', rejected: 'Bị từ chối', forbidden: 'Không được phép', failed: 'Chưa gửi được' };
const CURRENCIES = ['VND', 'USD', 'EUR', 'JPY', 'KRW', 'CNY', 'AUD', 'GBP', 'THB', 'LAK', 'KHR', 'SGD'];

const $ = (id) => document.getElementById(id);
let catalog = null;
let whoami = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === undefined) continue;
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) e.append(c);
  return e;
}

function showMessage(text) {
  const m = $('message');
  m.textContent = text || '';
  m.hidden = !text;
}

// --- talking to the gateway ---

async function call(method, path, body, contentType) {
  const headers = { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) };
  if (contentType) headers['Content-Type'] = contentType;
  const resp = await fetch(path, { method, headers, body, cache: 'no-store' });
  let doc = null;
  try { doc = await resp.json(); } catch (e) { doc = null; }
  return { status: resp.status, doc, retryAfter: resp.headers.get('Retry-After') };
}

// A clear message for a refusal of the whole request, or null when the body has results.
function refusal(r) {
  const detail = r.doc && r.doc.error && r.doc.error.message ? ' (' + r.doc.error.message + ')' : '';
  const wait = r.retryAfter ? r.retryAfter + ' giây' : 'ít phút';
  switch (r.status) {
    case 200: return null;
    case 401: return 'Mã truy cập không hợp lệ, đã bị thu hồi hoặc đã hết hiệu lực. Vui lòng đăng nhập lại.';
    case 403: return 'Mã truy cập này không có quyền gửi sự kiện. Đề nghị liên hệ Bộ để được cấp quyền.' + detail;
    case 413: return 'Tệp quá lớn hoặc có quá nhiều dòng cho một lần gửi. Hãy chia thành nhiều tệp nhỏ hơn.' + detail;
    case 415: return 'Định dạng không được hỗ trợ: chỉ nhận tệp .ndjson, .jsonl hoặc .csv.' + detail;
    case 422: return 'Không đọc được nội dung gửi lên: tệp trống hoặc không đúng định dạng.' + detail;
    case 429: return 'Gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng thử lại sau ' + wait + '.';
    case 503: return 'Hệ thống tạm thời chưa nhận được sự kiện nên chưa có sự kiện nào được ghi nhận. ' +
      'Vui lòng gửi lại sau ' + wait + ' (gửi lại là an toàn).';
    default: return 'Lỗi máy chủ (mã ' + r.status + ')' + detail + '. Vui lòng thử lại sau.';
  }
}

// --- signing in ---

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  let me;
  try { me = await call('GET', '/v1/whoami'); } catch (e) { me = { status: 0 }; }
  if (me.status !== 200) {
    sessionStorage.removeItem(TOKEN_KEY);
    showMessage(me.status === 401 ? 'Mã truy cập không đúng hoặc đã bị thu hồi.' :
      'Không kết nối được với máy chủ. Vui lòng thử lại.');
    return;
  }
  const cat = await call('GET', '/v1/catalog');
  if (cat.status !== 200) { showMessage(refusal(cat)); return; }
  whoami = me.doc;
  catalog = cat.doc;
  showMessage('');
  $('who-text').textContent = 'Đăng nhập: ' + whoami.name + ' · ' +
    whoami.provinces.map((p) => p.name + ' (' + p.code + ')').join(', ');
  $('who').hidden = false;
  $('signin-section').hidden = true;
  $('app').hidden = false;
  if (!whoami.rights.includes('publish'))
    showMessage('Mã truy cập này chỉ có quyền xem, không có quyền gửi sự kiện.');
  buildForm();
  $('ev-type').focus();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  whoami = catalog = null;
  $('app').hidden = true;
  $('who').hidden = true;
  $('signin-section').hidden = false;
  $('token').value = '';
  $('token').focus();
}

// --- the form, from the catalog ---

function label(name) { return VALUE_LABELS[name] || name; }

function options(select, items, optional) {
  select.replaceChildren();
  if (optional) select.append(el('option', { value: '', text: '— không ghi —' }));
  for (const [value, text] of items) select.append(el('option', { value, text }));
}

function localNow() {
  return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 16);
}

function newEventId() {
  $('ev-id').value = crypto.randomUUID(); // 36 of [0-9a-f-]: a valid event_id (docs/events.md)
}

function buildForm() {
  const types = Object.entries(catalog.types);
  options($('ev-type'), types.map(([name, t]) => [name, t.label_vi + ' (' + name + ')']));
  options($('ev-province'), whoami.provinces.map((p) => [p.code, p.name + ' (' + p.code + ')']));
  options($('ev-reporter'), whoami.reporters.map((r) => [r, label(r)]));
  $('ev-occurred').value = localNow();
  newEventId();
  buildDataFields();
}

function fieldInput(name, spec) {
  const id = 'f-' + name;
  const req = !!spec.required;
  const labelEl = el('label', { for: id, text: (FIELD_LABELS[name] || name) + ' ' });
  if (req) labelEl.append(el('span', { class: 'req', 'aria-hidden': 'true', text: '*' }));
  const common = { id, 'data-field': name, required: req };
  let input;
  switch (spec.type) {
    case 'enum':
      input = el('select', common);
      options(input, spec.values.map((v) => [v, label(v)]), !req);
      break;
    case 'boolean':
      input = el('select', common);
      options(input, [['true', 'Có'], ['false', 'Không']], !req);
      break;
    case 'metric':
      input = el('select', common);
      options(input, Object.entries(catalog.metrics).map(([m, s]) => [m, s.label_vi]), !req);
      break;
    case 'metric_list':
      input = el('select', Object.assign({ multiple: true, size: 5 }, common));
      options(input, Object.entries(catalog.metrics).map(([m, s]) => [m, s.label_vi]));
      break;
    case 'integer':
      input = el('input', Object.assign({ type: 'number', step: 1, min: spec.min, max: spec.max, inputmode: 'numeric' }, common));
      break;
    case 'money': {
      const amount = el('input', Object.assign({ type: 'text', inputmode: 'decimal', placeholder: 'ví dụ 150000',
        'aria-describedby': id + '-hint' }, common));
      const currency = el('select', { id: id + '-currency', 'aria-label': (FIELD_LABELS[name] || name) + ': đơn vị tiền tệ' });
      options(currency, CURRENCIES.map((c) => [c, c]));
      const box = el('div', { class: 'field' }, labelEl, el('div', { class: 'pair' }, amount, currency),
        el('span', { class: 'hint', id: id + '-hint', text: 'Số tiền theo đơn vị tiền tệ đã chọn' }));
      return box;
    }
    case 'text':
      input = el('textarea', Object.assign({ rows: 2, maxlength: spec.max_len }, common));
      break;
    case 'date':
      input = el('input', Object.assign({ type: 'date' }, common));
      break;
    case 'country':
      input = el('input', Object.assign({ type: 'text', maxlength: 2, autocapitalize: 'characters', placeholder: 'JP' }, common));
      break;
    case 'country_list':
      input = el('input', Object.assign({ type: 'text', autocapitalize: 'characters', placeholder: 'JP, KR' }, common));
      break;
    default: // id, period
      input = el('input', Object.assign({ type: 'text', maxlength: 64 }, common));
  }
  return el('div', { class: 'field' }, labelEl, input);
}

function buildDataFields() {
  const type = catalog.types[$('ev-type').value];
  $('data-legend').textContent = 'Nội dung: ' + type.label_vi;
  $('data-fields').replaceChildren(...Object.entries(type.fields).map(([n, s]) => fieldInput(n, s)));
}

// "1500.5" in a currency of 2 minor digits is 150050 minor units; exact, without floats.
function minorUnits(text, currency) {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const m = /^(\d+)(?:[.,](\d+))?$/.exec(text.replace(/[\s_]/g, ''));
  if (!m || (m[2] || '').length > digits) return null;
  return Number(m[1] + (m[2] || '').padEnd(digits, '0'));
}

// The event object, or a Vietnamese message naming the first field that is wrong.
function eventFromForm() {
  const typeName = $('ev-type').value;
  const type = catalog.types[typeName];
  if (!$('ev-occurred').value) return 'Chưa nhập thời điểm diễn ra.';
  const ev = {
    event_id: $('ev-id').value, type: typeName,
    occurred_at: $('ev-occurred').value.slice(0, 16) + ':00' + LOCAL_OFFSET,
    province: $('ev-province').value, reporter: $('ev-reporter').value, schema_version: 1, data: {}
  };
  if ($('ev-estimate').checked) ev.estimate = true;
  for (const [name, spec] of Object.entries(type.fields)) {
    const input = $('f-' + name);
    const shown = FIELD_LABELS[name] || name;
    let value;
    if (spec.type === 'metric_list') {
      const picked = Array.from(input.selectedOptions).map((o) => o.value);
      value = picked.length ? picked : undefined;
    } else {
      const raw = input.value.trim();
      if (raw === '') value = undefined;
      else if (spec.type === 'integer') value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      else if (spec.type === 'boolean') value = raw === 'true';
      else if (spec.type === 'country') value = raw.toUpperCase();
      else if (spec.type === 'country_list') value = raw.toUpperCase().split(/[\s,;]+/).filter(Boolean);
      else if (spec.type === 'money') {
        const currency = $('f-' + name + '-currency').value;
        const amount = minorUnits(raw, currency);
        if (amount === null) return shown + ': số tiền không hợp lệ với ' + currency + '.';
        value = { amount, currency };
      } else value = raw;
    }
    if (value === undefined) {
      if (spec.required) { input.focus(); return 'Chưa nhập trường bắt buộc: ' + shown + '.'; }
      continue;
    }
    ev.data[name] = value;
  }
  return ev;
}

function outcomeText(r) {
  const base = STATUS_LABELS[r.status] || r.status;
  if (r.status === 'accepted') return base + ': sự kiện ' + r.event_id + ' đã được ghi nhận.';
  if (r.status === 'forbidden') return base + ': ' + r.why;
  return base + ': ' + (r.error ? r.error.message : '');
}

async function submitEvent(e) {
  e.preventDefault();
  const out = $('event-result');
  const ev = eventFromForm();
  if (typeof ev === 'string') {
    out.replaceChildren(el('p', { class: 'outcome rejected', id: 'event-outcome', 'data-status': 'invalid', text: ev }));
    return;
  }
  $('event-submit').disabled = true;
  try {
    const r = await call('POST', '/v1/events', JSON.stringify(ev), 'application/json');
    if (r.status === 401) signOut();
    const problem = refusal(r);
    const res = r.doc && r.doc.results && r.doc.results[0];
    if (res) {
      out.replaceChildren(el('p', { class: 'outcome ' + res.status, id: 'event-outcome', 'data-status': res.status,
        text: outcomeText(res) }));
      if (res.status === 'accepted') newEventId(); // the next event is another one; a resend would keep its id
    } else {
      out.replaceChildren(el('p', { class: 'outcome failed', id: 'event-outcome', 'data-status': 'error', text: problem }));
    }
    if (problem) showMessage(problem);
  } catch (err) {
    out.replaceChildren(el('p', { class: 'outcome failed', id: 'event-outcome', 'data-status': 'error',
      text: 'Không kết nối được với máy chủ. Sự kiện có thể gửi lại an toàn.' }));
  } finally {
    $('event-submit').disabled = false;
  }
}

// --- files ---

function contentType(name) {
  const ext = name.toLowerCase().split('.').pop();
  if (ext === 'csv') return 'text/csv';
  if (ext === 'ndjson' || ext === 'jsonl') return 'application/x-ndjson';
  return null;
}

function resultsTable(doc) {
  const head = el('tr', {}, ...['Dòng', 'Mã sự kiện', 'Kết quả', 'Chi tiết'].map((h) => el('th', { scope: 'col', text: h })));
  const rows = doc.results.map((r) => el('tr', { 'data-line': r.line },
    el('td', { text: String(r.line) }),
    el('td', { text: r.event_id || '' }),
    el('td', { class: 'status-' + r.status, 'data-status': r.status, text: STATUS_LABELS[r.status] || r.status }),
    el('td', { class: 'reason', text: r.why || (r.error ? r.error.message : '') })));
  const t = doc.totals;
  return [
    el('table', { id: 'upload-table' }, el('caption', { text: 'Kết quả từng dòng' }), el('thead', {}, head), el('tbody', {}, ...rows)),
    el('p', { class: 'totals', id: 'upload-totals', text: 'Tổng: ' + t.records + ' dòng — chấp nhận ' + t.accepted +
      ', bị từ chối ' + t.rejected + ', không được phép ' + t.forbidden + ', chưa gửi được ' + t.failed + '.' })
  ];
}

async function submitFile(e) {
  e.preventDefault();
  const out = $('upload-result');
  const file = $('upload-file').files[0];
  if (!file) { out.replaceChildren(el('p', { class: 'outcome rejected', text: 'Chưa chọn tệp.' })); return; }
  const type = contentType(file.name);
  if (!type) {
    out.replaceChildren(el('p', { class: 'outcome rejected', text: 'Chỉ nhận tệp .ndjson, .jsonl hoặc .csv.' }));
    return;
  }
  $('upload-submit').disabled = true;
  out.replaceChildren(el('p', { text: 'Đang gửi ' + file.name + '…' }));
  try {
    const r = await call('POST', '/v1/events', file, type);
    if (r.status === 401) signOut();
    const problem = refusal(r);
    const parts = [];
    if (problem) parts.push(el('p', { class: 'outcome failed', id: 'upload-error', text: problem }));
    if (r.doc && r.doc.results) parts.push(...resultsTable(r.doc));
    out.replaceChildren(...parts);
    if (problem) showMessage(problem);
  } catch (err) {
    out.replaceChildren(el('p', { class: 'outcome failed', text: 'Không kết nối được với máy chủ. Tệp có thể gửi lại an toàn.' }));
  } finally {
    $('upload-submit').disabled = false;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('token').value.trim()); });
  $('signout').addEventListener('click', signOut);
  $('ev-type').addEventListener('change', buildDataFields);
  $('event-form').addEventListener('submit', submitEvent);
  $('upload-form').addEventListener('submit', submitFile);
  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (kept) signIn(kept);
});
