// develop_story.mjs - 发展党员 on the desk, in Debian's chromium (headless,
// puppeteer-core): the 发展 page lists the applicant 周建国 and, in its
// reminder, the probationary member 钱七 overdue for 转正; an applicant with
// a wrong check digit is refused beside 公民身份号码 and nothing is saved, then
// saved; 周建国 is named an activist by a 支委会 chosen from the offered
// meetings; becoming a 发展对象 half a year later is refused beside 日期 (a
// year of training), then taken; he is admitted by a 支部党员大会 (the member
// record made); on his member page, 预备期 offers 转正: refused before the
// probation year has ended, then taken. The API refuses an extension of
// more than a year (422 naming until), a step without a meeting and an
// unknown member (404). Screenshots of each page.
//
// usage: node develop_story.mjs TOKEN_URL OUTDIR
import { checkChar, desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node develop_story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'develop');
const { page, step, check, shot, set } = d;
const has = (sel, text) => page.waitForFunction((s, t) => {
  const e = document.querySelector(s);
  return e && e.textContent.includes(t);
}, {}, sel, text);
// Choose the meeting held on date in the select sel.
const meeting = (sel, date) => page.waitForFunction((s, dt) => {
  const el = document.querySelector(s);
  const o = el && [...el.options].find((x) => x.text.startsWith(dt));
  if (!o) return false;
  el.value = o.value;
  el.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
}, {}, sel, date);
// The row of the list for name.
const row = (name) => page.evaluateHandle((n) => [...document.querySelectorAll('#dev-list tbody tr')]
  .find((tr) => tr.firstChild.textContent === n), name);
const stageOf = async (name) => page.evaluate((n) => {
  const tr = [...document.querySelectorAll('#dev-list tbody tr')].find((x) => x.firstChild.textContent === n);
  return tr ? tr.querySelector('td.stage').textContent : null;
}, name);
const click = async (name, stepName) => {
  const tr = await row(name);
  const b = await tr.$(`button[data-step="${stepName}"]`);
  check(b, `${name} has no ${stepName} button`);
  await b.click();
};

try {
  step('sign in and open 发展');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.click('#nav a[data-page="develop"]');
  await page.waitForSelector('#dev-list');
  await has('#dev-list', '周建国');
  check(await stageOf('周建国') === '入党申请人', '周建国 is an applicant');
  await has('#dev-due', '钱七');
  await has('#dev-due', '逾期');
  await shot('1-develop');
  await set('#dev-month', '2023-06');
  await page.waitForFunction(() => document.querySelector('#dev-due').textContent.includes('2023-06 没有到期'));
  await set('#dev-month', '2024-01');
  await page.waitForFunction(() => document.querySelector('#dev-due tbody')?.textContent.includes('本月到期'));
  await has('#dev-due', '钱七');

  step('an applicant with a wrong check digit: refused beside 公民身份号码, nothing saved');
  await page.click('#dev-add');
  await page.waitForSelector('#dev-add-form #d-name');
  const s17 = '11010519960708002';
  const wrong = checkChar(s17) === '1' ? '2' : '1';
  await page.type('#d-name', '吴丽');
  await set('#d-gender', 'female');
  await set('#d-ethnicity', '汉族');
  await page.type('#d-id_number', s17 + wrong);
  await page.$eval('#d-org_id', (el) => {
    el.value = [...el.options].find((o) => o.text.includes('SQ01-01')).value;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await set('#d-applied_on', '2020-05-04');
  await page.click('#dev-add-save');
  await has('#dev-add-e-id_number', '校验');
  check((await d.api('/api/develop')).rows.length === 1, 'the refused applicant was saved');
  await shot('2-add-refused');
  await page.$eval('#d-id_number', (el) => { el.value = ''; });
  await page.type('#d-id_number', s17 + checkChar(s17));
  await page.click('#dev-add-save');
  await has('#dev-list', '吴丽');

  step('周建国 becomes an activist by a 支委会 of his branch');
  await click('周建国', 'activist');
  await page.waitForSelector('#dev-step-form #dev-meeting');
  await meeting('#dev-meeting', '2016-03-01');
  await page.click('#dev-step-save');
  await page.waitForFunction(() => !document.querySelector('#dev-step-form'));
  check(await stageOf('周建国') === '入党积极分子', '周建国 is an activist');

  step('a 发展对象 half a year later: refused beside 日期; a year later: taken');
  await click('周建国', 'candidate');
  await page.waitForSelector('#dev-step-form #dev-meeting');
  await meeting('#dev-meeting', '2016-09-01');
  await page.click('#dev-step-save');
  await has('#dev-step-e-date', '一年以上培养考察');
  check((await d.api('/api/develop?stage=candidate')).rows.length === 0, 'the refused step was saved');
  await shot('3-candidate-refused');
  await meeting('#dev-meeting', '2017-03-15');
  await page.click('#dev-step-save');
  await page.waitForFunction(() => !document.querySelector('#dev-step-form'));
  check(await stageOf('周建国') === '发展对象', '周建国 is a candidate');

  step('admitted by a 支部党员大会: the member record is made');
  await click('周建国', 'admit');
  await page.waitForSelector('#dev-step-form #dev-meeting');
  const offered = await page.$$eval('#dev-meeting option', (os) => os.map((o) => o.text));
  check(offered.every((t) => !t.includes('支委会')), `a 支委会 is offered for admission: ${offered}`);
  await meeting('#dev-meeting', '2017-06-01');
  await set('#dev-education', 'bachelor');
  await page.click('#dev-step-save');
  await page.waitForFunction(() => !document.querySelector('#dev-step-form'));
  check(await stageOf('周建国') === '已接收预备党员', '周建国 is admitted');
  await shot('4-admitted');

  step('his member page: 转正 before the year is refused, then taken');
  await (await (await row('周建国')).$('td a')).click();
  await page.waitForSelector('#applicant-items');
  await has('#applicant-items', '2017-06-01 党员大会');
  await has('#applicant-items', '已接收预备党员');
  await shot('5-applicant');
  await page.click('#applicant-member');
  await page.waitForSelector('#probation #act-promote');
  await page.evaluate(() => { location.hash = '#/develop'; });
  await page.waitForSelector('#dev-list');
  const tr = await row('周建国');
  const link = await tr.$('a.member');
  check(link, 'the admitted row links to the member record');
  await link.click();
  await page.waitForSelector('#probation #act-promote');
  await has('#probation-ends', '2018-06-01');
  check(await page.$('#act-extend'), '延长预备期 is offered');
  await page.click('#act-promote');
  await page.waitForSelector('#promote-form #promote-meeting');
  await meeting('#promote-meeting', '2018-01-10');
  await page.click('#promote-save');
  await has('#promote-e-date', '早于入党满一年之日');
  await shot('6-promote-refused');
  await meeting('#promote-meeting', '2018-06-20');
  await page.click('#promote-save');
  await page.waitForFunction(() => !document.querySelector('#probation'));
  await has('#member-items', '正式党员');
  await has('#member-items', '2018-06-20');
  await shot('7-promoted');

  step('the API refuses what the forms would: 422 naming the item, 404, a check\'s "no"');
  const postApi = (p, body) => page.evaluate(async (q, b) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch(q, { method: 'POST', body: new URLSearchParams(b).toString(),
      headers: { 'X-Tongxin-CSRF': s.csrf, 'Content-Type': 'application/x-www-form-urlencoded' } });
    return { status: r.status, body: await r.json() };
  }, p, body);
  const qian = (await d.api('/api/develop/due')).rows.find((r) => r.name === '钱七');
  check(qian && qian.overdue, '钱七 is overdue');
  const gm = (await d.api(`/api/develop/meetings?org=${(await d.api(`/api/probation?id=${qian.id}`)).org_id}&step=extend`)).meetings;
  check(gm.length === 3 && gm.every((m) => m.kind.code === 'general_meeting'), 'extend offers the 3 general meetings');
  let r = await postApi('/api/member/extend/check', { id: qian.id, meeting: gm[0].id, until: '2026-01-02' });
  check(r.status === 200 && r.body.ok === false && r.body.field === 'until', `extend check: ${JSON.stringify(r)}`);
  await d.expectStatus(422, async () => {
    r = await postApi('/api/member/extend', { id: qian.id, meeting: gm[0].id, until: '2026-01-02' });
  });
  check(r.status === 422 && r.body.field === 'until', `extend beyond a year: ${JSON.stringify(r)}`);
  await d.expectStatus(422, async () => {
    r = await postApi('/api/member/promote', { id: qian.id, meeting: '' });
  });
  check(r.status === 422 && r.body.field === 'meeting', `promote without a meeting: ${JSON.stringify(r)}`);
  await d.expectStatus(404, async () => {
    r = await postApi('/api/member/promote', { id: '00000000-0000-7000-8000-00000000abcd', meeting: gm[0].id });
  });
  check(r.status === 404, `promote of no member: ${JSON.stringify(r)}`);

  step('钱七\'s probation extended on his member page; 延长预备期 is then no longer offered');
  await page.evaluate((m) => { location.hash = `#/member/${m}`; }, qian.id);
  await page.waitForSelector('#probation #act-extend');
  await has('#probation-ends', '2024-01-01');
  await page.click('#act-extend');
  await page.waitForSelector('#extend-form #extend-meeting');
  await meeting('#extend-meeting', '2018-06-20');
  await set('#extend-until', '2025-06-01');
  await page.click('#extend-save');
  await has('#extend-e-until', '延长不超过一年');
  await set('#extend-until', '2024-07-01');
  await page.click('#extend-save');
  await has('#probation-ends', '2024-07-01（已延长）');
  check(!(await page.$('#act-extend')), '延长预备期 is offered a second time');
  await shot('8-extended');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
