// committee_story.mjs - 委员会 and 党员中心户 on the desk of 和平社区 (SQ01), in
// Debian's chromium: a branch of 2 full members is offered only 书记 and 副书记
// (the page says why); the first secretary of a branch of 7; a second seat of
// the same person refused beside the role; a new secretary, whose notice says
// the predecessor's seat ended the day before (and org.secretary follows); a
// 兼职委员 by name and his 离任; a 党员中心户 and its first household (a head's
// name with a digit refused beside the name); the member pages say who holds
// a seat and who is a center. No console error, no request to another host.
//
// usage: node committee_story.mjs TOKEN_URL OUTDIR
import { desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node committee_story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'committee');
const { page, step, check, shot } = d;

const orgId = async (code) => (await d.api('/api/orgs')).orgs.find((o) => o.code === code).id;
const memberId = async (name) => (await d.api(`/api/members?q=${encodeURIComponent(name)}&limit=5`)).rows.find((m) => m.name === name).id;
const optionValues = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
const seats = async () => (await d.api('/api/committee')).rows;

async function pickOrg(code) {
  await d.set('#cm-form-org', await orgId(code));
  await page.waitForSelector('#cm-add-form #cm-org-info');
}

async function story() {
  step('sign in and open 委员会与党员中心户');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('.cards .card');
  await page.evaluate(() => { location.hash = '#/committee'; });
  await page.waitForSelector('#cm-table-empty');
  await page.waitForSelector('#hh-table-empty');

  step('a branch of 2 full members: only 书记 and 副书记, and the page says why');
  await pickOrg('SQ01-02');
  const info = await d.text('#cm-org-info');
  check(info.includes('不足 7 名') && info.includes('只设书记'), `the small branch's line: ${info}`);
  const small = await optionValues('#cm-role');
  check(small.join(',') === 'secretary,deputy', `roles offered to the small branch: ${small}`);
  check(!(await optionValues('#cm-member')).includes('-'), 'the small branch offers a 兼职委员');
  await shot('1-small-branch');

  step('the first secretary of the branch of 7');
  await pickOrg('SQ01-01');
  check((await optionValues('#cm-role')).includes('organisation'), 'the branch of 7 is offered no 组织委员');
  await d.set('#cm-member', await memberId('王建国'));
  await d.set('#cm-role', 'secretary');
  await d.set('#cm-from', '2023-01-10');
  await page.click('#cm-add-form-save');
  // The notice comes last, once the form is drawn afresh for the next seat.
  await page.waitForFunction(() => {
    const t = document.querySelector('#cm-table');
    return t && t.textContent.includes('王建国') && document.querySelector('#cm-notice').textContent.includes('已任职');
  });

  step('a second seat of the same person is refused beside the role');
  await d.expectStatus(422, async () => {
    await d.set('#cm-member', await memberId('王建国'));
    await d.set('#cm-role', 'organisation');
    await page.click('#cm-add-form-save');
    await page.waitForFunction(() => document.querySelector('#cm-add-form-e-role').textContent.includes('已在'));
  });
  check((await seats()).length === 1, 'the refused seat was saved');

  step('a new secretary: the predecessor\'s seat ends the day before');
  await d.set('#cm-member', await memberId('张伟'));
  await d.set('#cm-role', 'secretary');
  await d.set('#cm-from', '2025-06-01');
  await page.click('#cm-add-form-save');
  await page.waitForFunction(() => document.querySelector('#cm-notice').textContent.includes('2025-05-31'));
  const notice = await d.text('#cm-notice');
  check(notice.includes('王建国'), `the notice: ${notice}`);
  const table = await d.text('#cm-table');
  check(table.includes('张伟') && !table.includes('王建国'), `the current seats: ${table}`);
  const org = (await d.api('/api/orgs')).orgs.find((o) => o.code === 'SQ01-01');
  check(org.secretary === '张伟', `org.secretary: ${org.secretary}`);
  await shot('2-new-secretary');

  step('a 兼职委员 by name, then his 离任');
  await d.set('#cm-member', '-');
  await page.type('#cm-name', '马晓东');
  await d.set('#cm-from', '2024-01-01');
  await page.click('#cm-add-form-save');
  await page.waitForFunction(() => document.querySelector('#cm-table').textContent.includes('马晓东') &&
    !document.querySelector('#cm-notice').textContent.includes('前任'));
  const part = (await seats()).find((s) => s.name === '马晓东');
  check(part && part.role.code === 'part_time' && part.member_id === null, `the part-time seat: ${JSON.stringify(part)}`);
  await page.click(`button[data-end="${part.id}"]`);
  await page.waitForSelector('#cm-end-form');
  await d.set('#cm-end-date', '2025-12-31');
  await page.click('#cm-end-form-save');
  await page.waitForFunction(() => !document.querySelector('#cm-table').textContent.includes('马晓东'));

  step('a 党员中心户 and its first household');
  await d.set('#hh-branch', await orgId('SQ01-01'));
  await page.waitForFunction(() => document.querySelectorAll('#hh-member option').length > 2);
  await d.set('#hh-member', await memberId('李明'));
  await page.type('#hh-grid', '第三网格');
  await d.set('#hh-from', '2024-01-01');
  await page.click('#hh-add-form-save');
  await page.waitForSelector('#hh-table');
  await shot('3-committee-page');
  await page.click('#hh-table tbody tr');
  await page.waitForSelector('#hh-households-empty');
  await d.expectStatus(422, async () => {
    await page.type('#hh-cover-name', '张三3');
    await page.type('#hh-cover-address', '和平路1号1单元101');
    await page.click('#hh-cover-form-save');
    await page.waitForFunction(() => document.querySelector('#hh-cover-form-e-name').textContent.includes('户主姓名'));
  });
  await page.$eval('#hh-cover-name', (el) => { el.value = ''; });
  await page.type('#hh-cover-name', '张大山');
  await page.click('#hh-cover-form-save');
  await page.waitForSelector('#hh-households');
  check((await d.text('#hh-count')) === '1 / 30', `the count: ${await d.text('#hh-count')}`);
  await shot('4-center');

  step('the member pages: his seats, and whether he is a center');
  await page.evaluate((id) => { location.hash = `#/member/${id}`; }, await memberId('张伟'));
  await page.waitForSelector('#member-seats');
  check((await d.text('#member-seats')).includes('书记'), '张伟\'s seats');
  check((await d.text('#member-center')).includes('否'), '张伟 is no center');
  await page.evaluate((id) => { location.hash = `#/member/${id}`; }, await memberId('王建国'));
  await page.waitForFunction(() => {
    const t = document.querySelector('#member-seats');
    return t && t.textContent.includes('2025-05-31');
  });
  await page.evaluate((id) => { location.hash = `#/member/${id}`; }, await memberId('李明'));
  await page.waitForFunction(() => {
    const t = document.querySelector('#member-center');
    return t && t.textContent.includes('是') && t.textContent.includes('第三网格');
  });
  await shot('5-member');
}

try {
  await story();
} catch (e) {
  d.fail(e);
}
await d.finish();
