// life_story.mjs - the end of membership (党员减少) and discipline (党纪处分)
// on the member page of the desk, in Debian's chromium (headless,
// puppeteer-core): the page shows 党员减少, 党纪处分 and 党员历程; a
// 留党察看 without its end is refused beside 察看期满 and saves nothing, then
// one with its end is saved and listed; a death dated tomorrow is refused
// beside 减少日期, then a death is recorded: the page shows it, offers no
// more sanctions, and the history ends with it. Screenshots of the member
// page before and after.
//
// usage: node life_story.mjs TOKEN_URL OUTDIR
import { desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node life_story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'life');
const { page, step, check, shot, set } = d;
const has = (sel, text) => page.waitForFunction((s, t) => {
  const e = document.querySelector(s);
  return e && e.textContent.includes(t);
}, {}, sel, text);

try {
  step('sign in and open the member page of 张三');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  const roster = await d.api('/api/members?q=%E5%BC%A0%E4%B8%89');
  check(roster.rows.length === 1, 'one 张三 in the roster');
  const id = roster.rows[0].id;
  await page.evaluate((m) => { location.hash = `#/member/${m}`; }, id);
  await page.waitForSelector('#life-history');
  await has('#life-discipline', '没有党纪处分记录');
  await has('#history', '入党（接收为预备党员）');
  check(await page.$('#act-leave') && await page.$('#act-discipline'), 'the two buttons of a member who has not left');
  await shot('1-member-life');

  step('留党察看 without its end: refused beside 察看期满, nothing saved');
  await page.click('#act-discipline');
  await page.waitForSelector('#discipline-form #d-kind');
  const untilHidden = () => page.$eval('#d-until', (e) => e.closest('.field').hidden);
  check(await untilHidden(), '察看期满 is offered before 留党察看 is chosen');
  await set('#d-kind', 'probation');
  check(!(await untilHidden()), '察看期满 is not offered for 留党察看');
  await set('#d-decided_on', '2025-03-01');
  await page.type('#d-grounds', '违反组织纪律');
  await page.type('#d-decided_by', '和平社区党委');
  await page.click('#discipline-save');
  await has('#discipline-e-until', '察看期满');
  let life = await d.api(`/api/member/life?id=${id}`);
  check(life.sanctions.length === 0, 'the refused sanction was saved');
  check((await d.api('/api/dashboard')).pending_txns === 0, 'the refusal left something in the outbox');
  await shot('2-discipline-refused');

  step('with its end: saved and listed');
  await set('#d-until', '2026-03-01');
  await page.click('#discipline-save');
  await page.waitForSelector('#sanctions');
  await has('#sanctions', '留党察看');
  await has('#sanctions', '违反组织纪律');
  await has('#history', '党纪处分：留党察看');
  life = await d.api(`/api/member/life?id=${id}`);
  check(life.sanctions.length === 1 && life.sanctions[0].kind.code === 'probation' &&
    life.sanctions[0].until === '2026-03-01', 'the sanction as saved');

  step('a death dated tomorrow: refused beside 减少日期; then recorded');
  await page.click('#act-leave');
  await page.waitForSelector('#leave-form #l-reason');
  await set('#l-reason', 'death');
  const tomorrow = new Date(Date.now() + 86400000 + 8 * 3600000).toISOString().slice(0, 10);
  await set('#l-date', tomorrow);
  await page.click('#leave-save');
  await has('#leave-e-date', '晚于今天');
  life = await d.api(`/api/member/life?id=${id}`);
  check(life.left === null, 'the refused reduction was saved');
  await set('#l-date', '2025-06-01');
  await page.type('#l-note', '病故');
  await page.click('#leave-save');
  await page.waitForSelector('#life-left');
  await has('#life-left', '死亡');
  await has('#life-left', '2025-06-01');
  await has('#history', '党员减少：死亡');
  check(!(await page.$('#act-leave')) && !(await page.$('#act-discipline')), 'a member who left is offered a second reduction or a sanction');
  const items = Object.fromEntries((await d.api(`/api/member?id=${id}`)).items.map((i) => [i.name, i]));
  check(items.left_reason.value === 'death' && items.standing.value === 'deceased', 'the member row after the death');
  await shot('3-member-left');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
