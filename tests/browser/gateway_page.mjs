// Drives dfa-gateway's department page in Debian's chromium (playwright-core, no browser download):
// sign in, submit a delegation through the form, upload a file and read its results per line.
// Run by tests/cli/test_gateway_page.sh:
//   node gateway_page.mjs URL TOKEN FILE EXPECT.json SCREENSHOT.png
// EXPECT.json: {"lines": [{"line", "event_id", "status", "reason"}]}, the reasons as dfa-check gives them.
// Prints "ok: ..." per check; exits 1 at the first that fails.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const [url, token, file, expectPath, screenshot] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectPath, 'utf8'));

function check(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`${name}: got ${g}, want ${w}`);
  console.log(`ok: ${name}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
});
let status = 0, page = null;
try {
  page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'vi-VN', timezoneId: 'Europe/Paris' });
  page.setDefaultTimeout(15000);
  const problems = [];
  const refused = []; // answers of 400 and more: only the wrong token's, below
  page.on('response', (r) => { if (r.status() >= 400) refused.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  // nothing but the gateway: every request the page makes goes to its own origin
  const origin = new URL(url).origin;
  page.on('request', (r) => { if (!r.url().startsWith(origin)) problems.push('external request ' + r.url()); });

  await page.goto(url);
  check('the page is in Vietnamese', await page.getAttribute('html', 'lang'), 'vi');

  // a wrong token first: refused, and the page says so
  await page.getByLabel('Mã truy cập (token) do Bộ cấp').fill('nobody.wrong');
  await page.keyboard.press('Enter');
  await page.locator('#message').waitFor({ state: 'visible' });
  check('a wrong token is refused', await page.locator('#message').textContent(), 'Mã truy cập không đúng hoặc đã bị thu hồi.');

  await page.getByLabel('Mã truy cập (token) do Bộ cấp').fill(token);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.locator('#app').waitFor({ state: 'visible' });
  check('signed in, naming the token and its province', await page.locator('#who-text').textContent(),
    'Đăng nhập: hanoi-page · Hà Nội (01)');
  check('the token is in sessionStorage, not in the URL',
    [await page.evaluate(() => sessionStorage.getItem('dfa.token')) === token, page.url().includes(token)], [true, false]);

  // one delegation through the form, by the labels an officer reads
  await page.getByLabel('Loại sự kiện').selectOption('delegation.out.approved');
  const eventId = await page.getByLabel('Mã sự kiện (tạo tự động)').inputValue();
  check('event_id is a UUID', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(eventId), true);
  await page.getByLabel('Thời điểm diễn ra').fill('2026-03-02T08:00');
  await page.getByLabel('Tỉnh, thành phố').selectOption('01');
  await page.getByLabel('Đơn vị báo cáo').selectOption('dept_foreign_affairs');
  await page.getByLabel(/^Cấp( \*)?$/).selectOption('provincial_leaders');
  await page.getByLabel('Mục đích').selectOption('cooperation');
  await page.getByLabel('Số thành viên').fill('4');
  await page.getByLabel('Các quốc gia').fill('jp, kr');
  await page.getByLabel('Trong kế hoạch').selectOption('true');
  check('required fields are marked', await page.locator('label[for="f-members"] .req').count(), 1);
  check('the enum is a choice', await page.locator('#f-level option').count(), 5);
  await page.getByRole('button', { name: 'Gửi sự kiện' }).click();
  await page.locator('#event-outcome').waitFor();
  check('the delegation is accepted',
    [await page.locator('#event-outcome').getAttribute('data-status'), await page.locator('#event-outcome').textContent()],
    ['accepted', `Chấp nhận: sự kiện ${eventId} đã được ghi nhận.`]);
  check('a new event_id for the next event', (await page.getByLabel('Mã sự kiện (tạo tự động)').inputValue()) !== eventId, true);

  // a file: each line's status and reason, and the totals
  await page.getByLabel(/^Tệp NDJSON/).setInputFiles(file);
  await page.getByRole('button', { name: 'Gửi tệp' }).click();
  await page.locator('#upload-table').waitFor();
  const rows = await page.locator('#upload-table tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const td = tr.querySelectorAll('td');
    return { line: Number(td[0].textContent), event_id: td[1].textContent, status: td[2].dataset.status,
             reason: td[3].textContent };
  }));
  check('every line with its status and reason', rows, expected.lines);
  check('the invalid line in Vietnamese', await page.locator('#upload-table tbody tr[data-line="2"] td').nth(2).textContent(),
    'Bị từ chối');
  const n = expected.lines.length, ok = expected.lines.filter((l) => l.status === 'accepted').length;
  check('the totals', await page.locator('#upload-totals').textContent(),
    `Tổng: ${n} dòng — chấp nhận ${ok}, bị từ chối ${n - ok}, không được phép 0, chưa gửi được 0.`);

  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
  check('no script error and no external request', problems, []);
  check('nothing refused but the wrong token', refused, ['401 /v1/whoami']);
  console.log(`event_id: ${eventId}`);
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  status = 1;
  if (page) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {}); // to see what went wrong
} finally {
  await browser.close();
}
process.exit(status);
