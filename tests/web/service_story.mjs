// service_story.mjs - 双报到 on the community's desk (幸福社区 SQ02), in
// Debian's chromium: the street has reported 孙磊 (a member of a branch
// under another community) to SQ02; the 双报到 page lists him with his unit
// and phone and no citizen ID; the clerk records a service of 1.5 hours
// through the form (a refused one first: hours that are no number), adds a
// person from outside the street, reads the year's report back, opens the
// report and ends it. No console error, no request to another host.
//
// With "member" first: on the desk of the member's own office (here the
// street's), his member page shows his report with its hours, and its form
// reports him to another community (和平社区 SQ01).
//
// usage: node service_story.mjs TOKEN_URL OUTDIR ID_NUMBER
//        node service_story.mjs member TOKEN_URL OUTDIR
import { desk } from './harness.mjs';

const memberPart = process.argv[2] === 'member';
const [url, outdir, idNumber] = process.argv.slice(memberPart ? 3 : 2);
if (!url || !outdir || (!memberPart && !idNumber)) {
  console.error('usage: node service_story.mjs [member] TOKEN_URL OUTDIR [ID_NUMBER]');
  process.exit(2);
}
const d = await desk(outdir, memberPart ? 'service-member' : 'service');
const { page, step, check, shot } = d;

// The member page of 孙磊 at his own office: his report and hours; report him to SQ01.
async function memberStory() {
  step('sign in at the member\'s office and open his page');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('.cards .card');
  const m = (await d.api('/api/members?q=%E5%AD%99%E7%A3%8A&limit=5')).rows[0];
  check(m && m.name === '孙磊', 'no member 孙磊');
  await page.evaluate((id) => { location.hash = `#/member/${id}`; }, m.id);
  await page.waitForSelector('#member-service-table');
  const t = await d.text('#member-service-table');
  check(t.includes('幸福社区') && t.includes('1.5') && t.includes('市第一医院'), `his reports: ${t}`);
  await shot('4-member');
  step('report him to 和平社区 from his page');
  await page.type('#sv-report-community', 'SQ01');
  await page.click('#sv-report-form-save');
  await page.waitForFunction(() => {
    const x = document.querySelector('#member-service-table');
    return x && x.textContent.includes('和平社区');
  });
  const rows = (await d.api(`/api/service/member?id=${m.id}`)).rows;
  check(rows.length === 2 && rows.some((r) => r.community.code === 'SQ01' && !r.ended_on), `after the report: ${JSON.stringify(rows)}`);
  await shot('5-member-reported');
}

// The community's desk: the list, a service, an outsider, the report back, the end.
async function officeStory() {
  const year = String(new Date().getFullYear());

  step('sign in and open 双报到');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('.cards .card');
  await page.evaluate(() => { location.hash = '#/service'; });
  await page.waitForSelector('#sv-table');
  // The report back is drawn after the list: the first one must be in before a
  // service is recorded, or it could land after the service's and hide it.
  await page.waitForSelector('#sv-back > *');
  const list = await d.text('#sv-table');
  check(list.includes('孙磊') && list.includes('市第一医院') && list.includes('13800000001') && list.includes('报到本社区'),
    `the list: ${list}`);
  check(!(await d.text('main')).includes(idNumber), 'the page shows the citizen ID');
  await shot('1-service');

  step('a service with hours that are no number is refused, nothing saved');
  await page.waitForSelector('#sv-rec-form');
  await page.type('#sv-rec-activity', '社区义诊');
  await page.type('#sv-rec-hours', '两小时');
  await d.expectStatus(422, async () => {
    await page.click('#sv-rec-form-save');
    await page.waitForFunction(() => document.querySelector('#sv-rec-form-status').textContent.includes('服务时长'));
  });
  check((await d.api('/api/service')).rows[0].services === 0, 'a refused service was saved');

  step('record 1.5 hours');
  await page.$eval('#sv-rec-hours', (e) => { e.value = ''; });
  await page.type('#sv-rec-hours', '1.5');
  await page.click('#sv-rec-form-save');
  await page.waitForFunction(() => document.querySelector('#sv-notice').textContent.includes('已为 孙磊 登记服务'));
  await page.waitForFunction(() => [...document.querySelectorAll('#sv-table td')].some((t) => t.dataset.minutes === '90'));
  const back = await d.text('#sv-back-table');
  check(back.includes('孙磊') && back.includes('1.5') && back.includes('社区义诊'), `the report back: ${back}`);
  const href = await page.$eval('#sv-back-csv', (a) => a.getAttribute('href'));
  const csv = await page.evaluate(async (u) => {
    const r = await fetch(u);
    return { type: r.headers.get('content-type'), disp: r.headers.get('content-disposition'), body: await r.text() };
  }, href);
  check(csv.type.startsWith('text/csv') && csv.disp.includes(`tongxin-service-back-${year}.csv`) &&
    csv.body.includes('姓名,工作单位') && csv.body.includes('孙磊,市第一医院') && csv.body.includes(',1,1.5,'),
  `the report back's CSV: ${JSON.stringify(csv)}`);
  await shot('2-recorded');

  step('a person from outside the street');
  await page.type('#sv-add-name', '赵敏');
  await page.type('#sv-add-unit', '外区某公司');
  await page.click('#sv-add-form-save');
  await page.waitForFunction(() => document.querySelector('#sv-table').textContent.includes('赵敏'));
  check((await d.text('#sv-table')).includes('街道外'), 'the outsider is not marked 街道外');

  step('the report: its services, then its end');
  await page.click('#sv-table tr[data-id] td');
  await page.waitForSelector('#sv-report');
  const rep = await d.text('main');
  check(rep.includes('孙磊') && rep.includes('社区义诊') && (await d.text('#sv-hours')) === '1.5', `the report page: ${rep}`);
  await shot('3-report');
  await page.click('#sv-end-form-save');
  await page.waitForFunction(() => !document.querySelector('#sv-end-form') &&
    document.querySelector('#sv-report').textContent.includes(String(new Date().getFullYear())));
  const ended = (await d.api('/api/service?all=1')).rows.find((r) => r.name === '孙磊');
  check(ended && ended.ended_on && ended.ended_on.startsWith(year), `not ended: ${JSON.stringify(ended)}`);
}

try {
  if (memberPart) await memberStory();
  else await officeStory();
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
