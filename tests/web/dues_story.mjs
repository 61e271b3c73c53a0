// dues_story.mjs - 党费 on the desk, in Debian's chromium (headless,
// puppeteer-core): the 党费 page (#/dues) lists this month's members with
// the amounts the 党费收缴 rules give (李四 在岗职工 4500 -> 45.00, 王五 离退休
// 5200 -> 52.00) and the totals; 交纳 for 李四 records 45.00 (and the API's
// check refuses the same month again, naming the month); 全部交纳
// records 王五's 52.00 and leaves out the two members without a class; the
// arrears show 李四 3 months (提醒) and 王五 6 months (党章), the two
// without a class apart. On 张三's member page: a farmer's 1.50 元 is
// refused beside the amount and saves nothing, 0.50 is saved and said back,
// and 交纳 of this month in the last-12-months table records 0.50.
//
// usage: node dues_story.mjs TOKEN_URL OUTDIR
import { desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node dues_story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'dues');
const { page, step, check, shot, set } = d;
const has = (sel, text) => page.waitForFunction((s, t) => {
  const e = document.querySelector(s);
  return e && e.textContent.includes(t);
}, {}, sel, text);

try {
  step('sign in and open 党费');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  const who = async (name) => (await d.api(`/api/members?q=${encodeURIComponent(name)}`)).rows[0].id;
  const [zs, ls, ww, qq] = [await who('张三'), await who('李四'), await who('王五'), await who('钱七')];
  await page.evaluate(() => { location.hash = '#/dues'; });
  await page.waitForSelector('#dues-list');
  await has('#dues-totals', '应交纳 4 人，已交 0 人，未交 4 人（其中未设定党费类别 2 人）；应收 97.00 元，实收 0.00 元');
  const row = (id) => `#dues-list tr[data-member="${id}"]`;
  await has(row(ls), '在岗职工');
  await has(row(ls), '4500.00');
  await has(row(ls), '45.00');
  await has(row(ww), '离退休');
  await has(row(ww), '52.00');
  await has(row(zs), '先设定党费类别');
  check(await page.$(`${row(zs)} button.pay`) === null, 'a 交纳 button for a member without a class');
  await shot('1-dues-month');

  step('the arrears: 李四 3 months (提醒), 王五 6 (党章), the two without a class apart');
  await has(`#dues-arrears tr[data-member="${ls}"][data-flag="warning"]`, '提醒');
  check((await d.text(`#dues-arrears tr[data-member="${ls}"] td:nth-child(5)`)) === '3', '李四: 3 months');
  await has(`#dues-arrears tr[data-member="${ww}"][data-flag="charter"]`, '党章规定连续六个月不交纳党费');
  check((await d.text(`#dues-arrears tr[data-member="${ww}"] td:nth-child(5)`)) === '6', '王五: 6 months');
  await has('#dues-arrears-apart', '张三');
  await has('#dues-arrears-apart', '钱七');
  await page.$eval('#dues-arrears', (e) => e.scrollIntoView());
  await shot('2-dues-arrears');
  await page.evaluate(() => window.scrollTo(0, 0));

  step('交纳 for 李四: 45.00 recorded');
  await page.click(`${row(ls)} button.pay`);
  await has('#dues-status', '已登记 李四');
  await has('#dues-status', '45.00 元');
  await has(row(ls), '已交纳');
  await has('#dues-totals', '已交 1 人');
  // The same month again, as the API's check answers it: a "no" naming the month.
  const again = await page.evaluate(async (m) => {
    const s = await (await fetch('/api/session')).json();
    const mo = (await (await fetch('/api/dues')).json()).month;
    const r = await fetch('/api/dues/pay/check', { method: 'POST', headers: { 'X-Tongxin-CSRF': s.csrf,
      'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ member: m, month: mo }) });
    return r.json();
  }, ls);
  check(again.ok === false && again.field === 'month' && again.message.includes('同一月份不能重复交纳'),
    `a second payment of the month: ${JSON.stringify(again)}`);

  step('全部交纳: 王五 52.00, the two without a class left out');
  await page.click('#dues-pay-all');
  await has('#dues-status', '已为 1 名党员登记');
  await has('#dues-status', '共 52.00 元；2 名未设定党费类别');
  await has(row(ww), '已交纳');
  await has('#dues-totals', '已交 2 人，未交 2 人（其中未设定党费类别 2 人）；应收 97.00 元，实收 97.00 元');
  check(await page.$eval('#dues-pay-all', (b) => b.disabled), '全部交纳 still offered with only members without a class left');
  await shot('3-dues-paid');

  step('张三\'s member page: a farmer\'s 1.50 refused beside the amount, nothing saved');
  await page.evaluate((m) => { location.hash = `#/member/${m}`; }, zs);
  await page.waitForSelector('#member-dues #dues-set-form');
  await has('#dues-sentence', '未设定党费类别');
  const pending = (await d.api('/api/dashboard')).pending_txns;
  await set('#dues-class', 'farmer');
  await has('label[for="dues-base"]', '0.20 至 1.00');
  await page.type('#dues-base', '1.5');
  await page.click('#dues-set-save');
  await has('#dues-e-base', '农民党员每月交纳 0.20 至 1.00 元党费');
  check((await d.api(`/api/dues/member?id=${zs}`)).class === null, 'the refused class was saved');
  check((await d.api('/api/dashboard')).pending_txns === pending, 'the refusal left something in the outbox');
  await shot('4-member-dues-refused');

  step('0.50: saved and said back; 交纳 of this month');
  await page.$eval('#dues-base', (e) => { e.value = ''; });
  await page.type('#dues-base', '0.5');
  await page.click('#dues-set-save');
  await has('#dues-sentence', '农民，每月应交 0.50 元');
  const month = (await d.api('/api/dues')).month;
  await page.click(`#dues-months tr[data-month="${month}"] button`);
  await page.waitForFunction((m) => {
    const r = document.querySelector(`#dues-months tr[data-month="${m}"]`);
    return r && r.textContent.includes('已交纳') && r.textContent.includes('0.50');
  }, {}, month);
  await shot('5-member-dues');
  const m = await d.api('/api/dues');
  check(m.totals.paid === 3 && m.totals.received === '97.50', `totals after: ${JSON.stringify(m.totals)}`);
  check(m.rows.find((r) => r.member_id === qq).paid === false, '钱七 paid without a class');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
