// claimfund_story.mjs - claims, the 公示 board and the service fund on the community's desk
// (和平社区 SQ01), in Debian's chromium (it_web_claimfund.sh sets the replica up through the API
// first): on 路灯损坏's item page a claim by a unit that does not exist is refused (nothing
// saved), then 市第一医院 claims it, it is taken in hand and done with its result; the month's
// board lists it, and its print view shows the same table; on 专项经费 the book of last year
// shows the overdrawn balance, the second quarter's disclosure its figures and the chart a bar
// per quarter; a spending entry refused (no amount) and then written for the item, beyond the
// (absent) budget of this year. No console error, no dialog, no request to another host.
//
// usage: node claimfund_story.mjs TOKEN_URL OUTDIR LAST_YEAR
import { desk } from './harness.mjs';

const [url, outdir, ly] = process.argv.slice(2);
if (!url || !outdir || !ly) {
  console.error('usage: node claimfund_story.mjs TOKEN_URL OUTDIR LAST_YEAR');
  process.exit(2);
}
const d = await desk(outdir, 'claimfund');
const { page, step, check, shot } = d;

async function nav(pageName, sel) {
  await page.click(`#nav a[data-page="${pageName}"]`);
  await page.waitForSelector(sel);
}

async function story() {
  step('sign in; 路灯损坏\'s item page shows no claim yet');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('.cards .card');
  await nav('items', '#items tr');
  const item = (await d.api('/api/items')).rows.find((i) => i.title === '路灯损坏');
  check(item, 'no item 路灯损坏');
  await page.click(`#items tr[data-id="${item.id}"] td`);
  await page.waitForSelector('#claims-table-empty');
  await page.waitForSelector('#cl-add');

  step('a claim by a unit that does not exist is refused, nothing saved');
  await d.set('#cl-add-kind', 'unit');
  await page.type('#cl-add-who', '不存在的单位');
  await d.expectStatus(422, async () => {
    await page.click('#cl-add-save');
    await page.waitForFunction(() => document.querySelector('#cl-add-status').textContent.includes('不存在的单位'));
  });
  check((await d.api(`/api/claims?item=${item.id}`)).rows.length === 0, 'a refused claim was saved');

  step('市第一医院 claims it; in hand; done with its result');
  await page.$eval('#cl-add-who', (e) => { e.value = ''; });
  await page.type('#cl-add-who', '市第一医院');
  await page.click('#cl-add-save');
  await page.waitForSelector('#claims-table tr[data-state="claimed"]');
  check((await d.text('#item-status')).includes('已认领'), `the item's status: ${await d.text('#item-status')}`);
  const c = (await d.api(`/api/claims?item=${item.id}`)).rows[0];
  check(c && c.claimant.name === '市第一医院', `the claim: ${JSON.stringify(c)}`);
  await page.click(`#cl-progress-${c.handle}-save`);
  await page.waitForSelector('#claims-table tr[data-state="in_progress"]');
  await d.expectStatus(422, async () => {
    await page.click(`#cl-done-${c.handle}-save`);
    await page.waitForFunction((h) => document.querySelector(`#cl-done-${h}-status`).textContent.includes('完成情况'), {}, c.handle);
  });
  await page.type(`#cl-done-result-${c.handle}`, '已更换灯泡');
  await page.click(`#cl-done-${c.handle}-save`);
  await page.waitForSelector('#claims-table tr[data-state="done"]');
  check((await d.text('#claims-table')).includes('已更换灯泡'), 'the result is not shown');
  await shot('1-claims');

  step('the month\'s board lists it; its print view');
  await nav('board', '#bd-body[data-ready]:not([data-ready=""])');
  const board = await d.text('#bd-body');
  check(board.includes('路灯损坏') && board.includes('市第一医院') && board.includes('已更换灯泡'), `the board: ${board}`);
  check((await page.$eval('#bd-csv', (a) => a.getAttribute('href'))).startsWith('/api/board.csv?month='), 'the CSV link');
  await shot('2-board');
  await page.click('#bd-print');
  await page.waitForSelector('#print-view #bd-body[data-ready]:not([data-ready=""])');
  check((await d.text('#print-view #bd-table')).includes('路灯损坏'), 'the print view lacks the item');
  await shot('3-board-print');

  step('专项经费: last year\'s book, the second quarter and the chart');
  await nav('fund', '#fd-disclose[data-ready]:not([data-ready=""])');
  await d.set('#fd-year', ly);
  // The year's redraw writes the book first, then the disclosure: a disclosure of the
  // year means its book is in. Changing the quarter before that, the quarter's own
  // disclosure could be ready while the book still shows this year.
  await page.waitForSelector(`#fd-disclose[data-ready^="${ly}-Q"]`);
  await d.set('#fd-quarter', '2');
  await page.waitForSelector(`#fd-disclose[data-ready="${ly}-Q2"]`);
  const book = await d.text('#fd-book-table');
  check(book.includes('50000.00') && book.includes('47699.50') && book.includes('-12300.50'), `the book: ${book}`);
  check((await page.$$('#fd-book-table td.num.late')).length === 1, 'the overdrawn balance is not marked');
  const sum = await d.text('#fd-summary');
  check(sum.includes('2000.50') && sum.includes('47999.50'), `the disclosure: ${sum}`);
  const bars = await page.$$eval('#fd-chart rect[data-quarter]', (rs) => rs.map((r) => r.dataset.yuan));
  check(JSON.stringify(bars) === JSON.stringify(['0.00', '2000.50', '300.00', '60000.00']), `the bars: ${bars}`);
  await page.$eval('#fd-chart', (e) => e.scrollIntoView());
  await shot('4-fund');

  step('a spending entry: refused without an amount, then written for the item');
  const n = (await d.api('/api/fund')).rows.length;
  await page.type('#fd-spend-purpose', '路灯维修');
  await page.type('#fd-spend-approver', '王书记');
  await d.set('#fd-spend-item', item.id);
  await d.expectStatus(422, async () => {
    await page.click('#fd-spend-save');
    await page.waitForFunction(() => document.querySelector('#fd-spend-status').textContent.includes('金额'));
  });
  check((await d.api('/api/fund')).rows.length === n, 'a refused entry was saved');
  await page.type('#fd-spend-amount', '150');
  await page.click('#fd-spend-save');
  await page.waitForSelector('#fd-spent');
  check((await d.text('#fd-spent')).includes('超出预算'), `the notice: ${await d.text('#fd-spent')}`);
  await shot('5-spent');
}

try {
  await story();
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
