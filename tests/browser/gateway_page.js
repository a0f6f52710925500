// The department's page in a real browser: Debian's chromium driven by
// playwright-core, headless, with background networking off and every request
// that leaves the gateway's origin refused and counted. Run by
// tests/cli/test_gateway_page.sh, which starts the pipeline and the gateway.
//
// Environment: GW (the gateway's URL), TOKEN (never in argv),
// FILE (the NDJSON to upload), CSV (a CSV one), GARBAGE (a file that is no NDJSON), SCREENSHOT
// (the PNG to write). Prints one JSON line: what the page showed. Each check
// prints "ok: ..." or "FAIL: ..."; the exit status is 1 if any failed.
'use strict';
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const GW = env('GW'), TOKEN = env('TOKEN');
const origin = new URL(GW).origin;
let fails = 0;

function check(name, cond, detail) {
  if (cond) console.error(`ok: ${name}`);
  else { fails++; console.error(`FAIL: ${name}${detail !== undefined ? `: ${detail}` : ''}`); }
}
function expectEq(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  check(name, g === w, `got ${g} want ${w}`);
}

// The rows of the results table as the officer reads them.
async function resultRows(page) {
  return page.$$eval('#results-table tbody tr', (trs) => trs.map((tr) => ({
    line: Number(tr.dataset.line),
    status: tr.dataset.status,
    shown: tr.querySelector('.badge').textContent,
    event_id: tr.cells[1].textContent,
    message: (tr.querySelector('.reason .message') || { textContent: '' }).textContent,
  })));
}

// Waits until the page shows the answer to the request it just sent.
async function afterSend(page, click) {
  const answered = page.waitForResponse((r) => r.url().endsWith('/v1/events'));
  await click();
  await answered;
  await page.waitForFunction(() => !document.querySelector('#progress').textContent.startsWith('Đang gửi'));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--no-first-run', '--disable-features=Translate,OptimizationHints,MediaRouter',
      ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [])],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'vi-VN', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const elsewhere = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/')) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // --- sign in ---
  await page.goto(GW + '/');
  expectEq('the page is in Vietnamese', await page.getAttribute('html', 'lang'), 'vi');
  await page.getByLabel('Mã truy cập').fill(TOKEN.split('.')[0] + '.wrongsecret');
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForSelector('#alert:not([hidden])');
  expectEq('a wrong token: the 401 said in Vietnamese', await page.textContent('#alert p'),
    'Mã truy cập không đúng, đã bị thu hồi hoặc hết hiệu lực. Vui lòng đăng nhập lại.');
  check('and the work is not shown', await page.isHidden('#work'));

  await page.getByLabel('Mã truy cập').fill(TOKEN);
  await page.keyboard.press('Enter'); // the keyboard alone signs in
  await page.waitForSelector('#work:not([hidden])');
  expectEq('signed in as the token', await page.textContent('#who-name'), TOKEN.split('.')[0]);
  expectEq('its province offered', await page.$$eval('#ev-province option', (o) => o.map((x) => x.textContent)), ['Hà Nội (01)']);
  expectEq('the token kept in sessionStorage', await page.evaluate(() => sessionStorage.getItem('dfa-gateway.token')), TOKEN);
  check('and never in a URL', urls.every((u) => !u.includes(TOKEN.split('.')[1])), urls.join(' '));
  expectEq('nothing in localStorage', await page.evaluate(() => localStorage.length), 0);

  // --- one delegation through the form, as an officer would enter it ---
  await page.getByLabel('Loại sự kiện').selectOption({ label: 'Đoàn ra được phê duyệt' });
  await page.getByLabel('Đơn vị báo cáo').selectOption({ label: 'Sở Ngoại vụ' });
  await page.getByLabel('Ngày diễn ra').fill('2025-03-02');
  await page.getByLabel('Giờ (giờ Việt Nam)').fill('08:00');
  await page.getByLabel('Cấp đoàn').selectOption({ label: 'Lãnh đạo tỉnh' });
  await page.getByLabel('Số thành viên').fill('6');
  const countries = page.getByLabel('Các quốc gia');
  await countries.selectOption('JP');
  await page.click('#f-countries-add');
  await countries.selectOption('KR');
  await countries.press('Enter');
  expectEq('two countries chosen, named in Vietnamese',
    await page.$$eval('#f-countries-chosen li span', (s) => s.map((x) => x.textContent)), ['Nhật Bản (JP)', 'Hàn Quốc (KR)']);
  await page.getByLabel('Mục đích').selectOption({ label: 'Hợp tác' });
  await page.getByLabel('Trong kế hoạch').selectOption({ label: 'Có' });

  // a required field left empty is said before anything is sent
  await page.getByLabel('Số thành viên').fill('');
  await page.getByRole('button', { name: 'Gửi sự kiện' }).click();
  expectEq('an empty required field is marked', await page.textContent('#f-members-error'), 'Bắt buộc nhập.');
  expectEq('and focused', await page.evaluate(() => document.activeElement.id), 'f-members');
  await page.getByLabel('Số thành viên').fill('6');

  const formId = await page.textContent('#ev-id');
  check('the event id is made on the page, as the contract wants', /^web-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(formId), formId);
  await afterSend(page, () => page.getByRole('button', { name: 'Gửi sự kiện' }).click());
  const formRows = await resultRows(page);
  expectEq('the form event: accepted', formRows.map((r) => [r.line, r.status, r.shown, r.event_id]),
    [[1, 'accepted', 'Đã tiếp nhận', formId]]);
  check('a new id for the next event', (await page.textContent('#ev-id')) !== formId);
  check('and its details start empty', (await page.inputValue('#f-members')) === '');

  // --- a file with one invalid line and one of another province ---
  await page.getByLabel('Tệp cần gửi').setInputFiles(env('FILE'));
  await afterSend(page, () => page.getByRole('button', { name: 'Gửi tệp' }).click());
  const fileRows = await resultRows(page);
  expectEq('per line: accepted, rejected, accepted, forbidden', fileRows.map((r) => [r.line, r.status, r.shown]),
    [[1, 'accepted', 'Đã tiếp nhận'], [2, 'rejected', 'Bị từ chối'], [4, 'accepted', 'Đã tiếp nhận'], [5, 'forbidden', 'Không được phép']]);
  expectEq('the invalid line with the reason dfa-check gives', fileRows[1].message, 'data.members: expected integer 1..10000, got "ba"');
  expectEq('the other province with why', fileRows[3].message,
    `province 79 (Hồ Chí Minh) is outside the provinces of token ${TOKEN.split('.')[0]} (01)`);
  expectEq('the totals', await page.textContent('#totals'), '4 bản ghi: 2 đã tiếp nhận, 1 bị từ chối, 1 không được phép');
  await page.screenshot({ path: env('SCREENSHOT'), fullPage: true });

  await page.getByLabel('Chỉ hiện các dòng chưa được tiếp nhận').check();
  expectEq('the filter leaves the lines to look at',
    await page.$$eval('#results-table tbody tr:not([hidden])', (t) => t.map((x) => Number(x.dataset.line))), [2, 5]);

  // --- a CSV of a spreadsheet: one event type, a header, a cell that is no number ---
  await page.getByLabel('Tệp cần gửi').setInputFiles(env('CSV'));
  await afterSend(page, () => page.getByRole('button', { name: 'Gửi tệp' }).click());
  const csvRows = await resultRows(page);
  expectEq('CSV rows by their line: accepted, rejected', csvRows.map((r) => [r.line, r.status, r.event_id]),
    [[2, 'accepted', 'hn-csv-1'], [3, 'rejected', 'hn-csv-2']]);
  expectEq('the bad cell with the reason dfa-check gives', csvRows[1].message, 'data.members: expected integer 1..10000, got "năm"');

  // --- a file that is no NDJSON at all: the 422, said clearly ---
  await page.getByLabel('Tệp cần gửi').setInputFiles(env('GARBAGE'));
  await afterSend(page, () => page.getByRole('button', { name: 'Gửi tệp' }).click());
  expectEq('422 said in Vietnamese', await page.textContent('#alert p'),
    'Không đọc được nội dung gửi: tệp không đúng định dạng đã khai báo.');
  check('with the gateway\'s detail', (await page.textContent('#alert .detail code')).length > 0);

  // --- a token that no longer works (revoked, mistyped): back to sign-in, saying why ---
  await page.evaluate((t) => sessionStorage.setItem('dfa-gateway.token', t), TOKEN + 'x');
  await page.reload();
  await page.waitForSelector('#sign-in:not([hidden])');
  expectEq('a stored token no longer valid leads back to sign-in', await page.textContent('#alert p'),
    'Mã truy cập không đúng, đã bị thu hồi hoặc hết hiệu lực. Vui lòng đăng nhập lại.');
  expectEq('and is forgotten', await page.evaluate(() => sessionStorage.getItem('dfa-gateway.token')), null);

  expectEq('no request left the gateway', elsewhere, []);
  expectEq('no script error', consoleErrors, []);
  await browser.close();
  process.stdout.write(JSON.stringify({ form_event_id: formId, file: fileRows }) + '\n');
  console.error(`${fails ? 'FAIL' : 'ok'}: the page (${fails} failed)`);
  process.exit(fails ? 1 : 0);
}

main().catch((e) => { console.error(`FAIL: ${e.stack || e}`); process.exit(1); });
