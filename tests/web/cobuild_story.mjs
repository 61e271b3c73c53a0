// cobuild_story.mjs - co-building on the community's desk (和平社区 SQ01), in Debian's
// chromium (it_web_cobuild.sh sets the replica up through the API first): 共建单位 lists the
// hospital as 本社区 and its page its ended agreement and edit form; on 微心愿 a wish with a value that is no amount is refused (nothing
// saved), then 刘奶奶's wish is added through the form, claimed by 李明 and fulfilled on its
// page, and the year's report shows it with its bar chart; on 民情回音壁 the overdue opinion is
// highlighted, an opinion whose grid is markup shows it as text, and the clerk replies to the
// overdue one on its page. No console error, no dialog, no request to another host.
//
// usage: node cobuild_story.mjs TOKEN_URL OUTDIR
import { desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node cobuild_story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'cobuild');
const { page, step, check, shot } = d;
const REPLY = '已协调物业清理楼道，居民表示满意';

async function nav(pageName, sel) {
  await page.click(`#nav a[data-page="${pageName}"]`);
  await page.waitForSelector(sel);
}

async function story() {
  step('sign in; 共建单位 lists the hospital as 本社区');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('.cards .card');
  await nav('units', '#un-table');
  const units = await d.text('#un-table');
  check(units.includes('市第一医院') && units.includes('本社区'), `the units: ${units}`);
  await shot('1-units');
  await page.click('#un-table tr[data-id] td');
  await page.waitForSelector('#un-unit');
  check((await d.text('#un-own')) === '本社区' && (await page.$('#un-edit-form')) !== null &&
    (await d.text('#un-agreements')).includes('已终止'), `the unit's page: ${await d.text('main')}`);
  await shot('1-unit');

  step('微心愿: a value that is no amount is refused, nothing saved');
  await nav('wishes', '#ws-table');
  const before = (await d.api('/api/wishes')).rows.length;
  await page.type('#ws-add-resident', '刘奶奶');
  await page.type('#ws-add-wish', '一台收音机');
  await page.type('#ws-add-value', '八十');
  await d.expectStatus(422, async () => {
    await page.click('#ws-add-form-save');
    await page.waitForFunction(() => document.querySelector('#ws-add-form-status').textContent.includes('估值'));
  });
  check((await d.api('/api/wishes')).rows.length === before, 'a refused wish was saved');

  step('the wish added through the form');
  await page.$eval('#ws-add-value', (e) => { e.value = ''; });
  await page.type('#ws-add-value', '80');
  await page.click('#ws-add-form-save');
  await page.waitForFunction(() => document.querySelector('#ws-notice').textContent.includes('已登记微心愿'));
  await page.waitForFunction(() => document.querySelector('#ws-table').textContent.includes('刘奶奶'));
  const added = (await d.api('/api/wishes')).rows.find((w) => w.resident === '刘奶奶');
  check(added && added.value === 8000 && added.status.code === 'open', `the new wish: ${JSON.stringify(added)}`);
  await shot('2-wishes');

  step('claimed by 李明 and fulfilled on its page');
  await page.click(`#ws-table tr[data-id="${added.id}"] td`);
  await page.waitForSelector('#ws-claim-form');
  await page.type('#ws-claim-member', '李明');
  await page.click('#ws-claim-form-save');
  await page.waitForSelector('#ws-status-now[data-status="claimed"]');
  check((await d.text('#ws-claimant')).includes('李明'), 'the claimant is not shown');
  await page.type('#ws-fulfil-photo', '相册/收音机.jpg');
  await page.click('#ws-fulfil-form-save');
  await page.waitForSelector('#ws-status-now[data-status="fulfilled"]');
  await shot('3-wish-fulfilled');

  step('the year\'s report with its chart');
  await nav('wishes', '#wr-table');
  const year = String(new Date().getFullYear());
  const t = await d.text('#wr-table');
  check(t.includes(year) && (await d.text('#wr-total-value')) === '80.00', `the report: ${t}`);
  const bars = await page.$$eval('#wr-chart rect.bar-fulfilled', (rs) => rs.reduce((s, r) => s + Number(r.dataset.n), 0));
  check(bars === 1, `the chart's fulfilled bars add up to ${bars}`);
  await page.$eval('#wr-chart', (e) => e.scrollIntoView());
  await shot('4-wish-report');

  step('民情回音壁: the overdue opinion highlighted; a grid that is markup shown as text');
  await nav('feedback', '#fb-table');
  await page.waitForSelector('#fb-overdue-table tr.late');
  const late = await page.$$eval('#fb-overdue-table tr.late', (rs) => rs.map((r) => r.textContent));
  check(late.some((x) => x.includes('=HYPERLINK') && x.includes('逾期')), `the overdue rows: ${late}`);
  const all = await d.text('#fb-table');
  const listLate = await page.$$eval('#fb-table tr.late', (rs) => rs.map((r) => r.textContent));
  check(listLate.length === 1 && /逾期 [1-9][0-9]* 天/.test(listLate[0]), `the list's overdue rows: ${listLate}`);
  check(all.includes('<img src=x onerror=alert(1)>'), 'the markup grid is not shown as text');
  check((await page.$$('main img')).length === 0, 'a grid became an element');
  await shot('5-feedback');

  step('reply to the overdue opinion on its page');
  await page.click('#fb-overdue-table tr.late td');
  await page.waitForSelector('#fb-reply-form');
  check(await page.$('#fb-late') !== null, 'the opinion page does not say it is overdue');
  await page.type('#fb-reply-text', REPLY);
  await page.click('#fb-reply-form-save');
  await page.waitForSelector('#fb-status-now[data-status="replied"]');
  check((await d.text('#fb-reply')) === REPLY, 'the reply is not shown');
  check(await page.$('#fb-close-form') !== null, 'a replied opinion offers no close');
  await shot('6-replied');
}

try {
  await story();
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
