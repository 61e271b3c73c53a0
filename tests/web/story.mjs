// story.mjs - the clerk's story on the desk, in Debian's chromium (headless,
// driven by puppeteer-core): sign in with the token link, the dashboard,
// add a member with a wrong check digit (the inline error names it and
// nothing is saved), fix it and save, find the member in the roster by
// typing part of the name, a branch name that is markup shown as text, open the
// member's page, the organisation tree, record a meeting of 第一党支部 with
// its attendance (the new member present, the other excused with a reason,
// which the form asks for), a problem item added, claimed, rectified and
// closed out (销号), and sync against the real tongxind the shell test
// started: every change comes back 'applied'.
//
// Checked throughout: no console error, no page error, no request to any
// host but 127.0.0.1. A 1366x768 screenshot of each page goes to OUTDIR.
//
// usage: node story.mjs TOKEN_URL OUTDIR
import { checkChar, desk } from './harness.mjs';

const [url, outdir] = process.argv.slice(2);
if (!url || !outdir) {
  console.error('usage: node story.mjs TOKEN_URL OUTDIR');
  process.exit(2);
}
const d = await desk(outdir, 'story');
const { page, step, check, shot, set, problems } = d;
try {
  const api = d.api;

  step('sign in with the token link');
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  check(new URL(page.url()).pathname === '/' && !page.url().includes('token='), `not redirected: ${page.url()}`);
  await page.waitForSelector('.cards .card');
  const dash = await page.$eval('main', (m) => m.textContent);
  check(dash.includes('待发送的修改') && dash.includes('和平社区'), `dashboard: ${dash}`);
  await shot('1-home');

  step('add a member with a wrong check digit');
  await page.click('#nav a[data-page="members"]');
  await page.waitForSelector('#add');
  await page.click('#add');
  await page.waitForSelector('#add-form #f-name');
  // A man: region 110105 (GB/T 2260) and an odd 17th digit (GB 11643).
  const s17 = '11010519850615001';
  const good = s17 + checkChar(s17);
  const bad = s17 + (checkChar(s17) === '0' ? '1' : '0');
  await page.type('#f-name', '王小明');
  await set('#f-gender', 'male');
  await set('#f-ethnicity', '汉族');
  await page.type('#f-id_number', bad);
  await set('#f-education', 'bachelor');
  await set('#f-category', 'full');
  const branch = await page.$eval('#f-org_id', (s) => [...s.options].find((o) => o.textContent.includes('第一党支部')).value);
  await set('#f-org_id', branch);
  await set('#f-join_date', '2010-07-01');
  await set('#f-full_date', '2011-07-01');
  await page.type('#f-phone', '13800000000');
  await page.click('#save');
  await page.waitForFunction(() => document.querySelector('#e-id_number').textContent.includes('校验位'));
  const errText = await page.$eval('#e-id_number', (e) => e.textContent);
  check(errText.includes('校验位错误'), `inline error: ${errText}`);
  check(await page.$eval('#f-id_number', (e) => e.closest('.field').classList.contains('bad')), 'field not marked');
  const none = await api('/api/members?q=%E7%8E%8B%E5%B0%8F%E6%98%8E&limit=5');
  check(none.total === 0, 'a member was saved despite the wrong check digit');
  check((await api('/api/dashboard')).pending_txns === 0, 'something waits in the outbox after a refused form');
  await shot('2-add-member-error');

  step('fix the check digit and save');
  await page.$eval('#f-id_number', (e) => { e.value = ''; });
  await page.type('#f-id_number', good);
  await page.click('#save');
  await page.waitForFunction(() => location.hash.startsWith('#/member/'));
  await page.waitForSelector('#member-items');

  step('find the member in the roster by typing part of the name');
  await page.click('#nav a[data-page="members"]');
  await page.waitForSelector('#search');
  await page.type('#search', '小明');
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll('#roster tr')];
    return rs.length > 0 && rs.every((r) => r.textContent.includes('王小明'));
  });
  const rows = await page.$$eval('#roster tr', (rs) => rs.map((r) => r.textContent));
  check(rows.length === 1 && rows[0].includes(good) && rows[0].includes('男'), `roster: ${rows}`);
  await shot('3-roster');

  step('a branch name that is markup is shown as text');
  await page.$eval('#search', (e) => { e.value = ''; });
  await page.type('#search', '赵六');
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll('#roster tr')];
    return rs.length > 0 && rs.every((r) => r.textContent.includes('onerror'));
  });
  const markup = await page.$eval('#roster', (t) => ({ text: t.textContent, imgs: t.querySelectorAll('img').length }));
  check(markup.imgs === 0 && markup.text.includes('<img src=x onerror=alert(1)>二支部'), `markup: ${JSON.stringify(markup)}`);
  await page.$eval('#search', (e) => { e.value = ''; });
  await page.type('#search', '小明');
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll('#roster tr')];
    return rs.length > 0 && rs.every((r) => r.textContent.includes('王小明'));
  });

  step("open the member's page");
  await page.click('#roster tr');
  await page.waitForSelector('#member-items');
  const items = await page.$$eval('#member-items dt', (d) => d.map((e) => e.textContent));
  for (const l of ['姓名', '性别', '民族', '公民身份号码', '出生日期', '学历', '人员类别', '所在党支部',
    '入党日期', '转正日期', '工作岗位', '联系电话', '家庭住址', '党籍状态', '失联党员', '流动党员']) {
    check(items.includes(l), `the member page lacks ${l}: ${items}`);
  }
  const shown = await page.$eval('#member-items', (d) => d.textContent);
  check(shown.includes('大学本科') && shown.includes('第一党支部') && shown.includes('1985-06-15'), `member page: ${shown}`);
  await shot('4-member');

  step('the organisation tree');
  await page.click('#nav a[data-page="orgs"]');
  await page.waitForSelector('#org-tree');
  const tree = await page.$eval('#org-tree', (t) => t.textContent);
  check(tree.includes('第一党支部') && tree.includes('党员 2'), `tree: ${tree}`);
  await shot('5-orgs');

  step('record a meeting of 第一党支部 with its attendance');
  await page.click('#nav a[data-page="meetings"]');
  await page.waitForSelector('#add-meeting');
  await page.click('#add-meeting');
  await page.waitForSelector('#meeting-form #f-kind');
  const zb = await page.$eval('#f-org_id', (s) => [...s.options].find((o) => o.textContent.includes('第一党支部')).value);
  await set('#f-org_id', zb);
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll('#roll tr')].map((r) => r.textContent);
    return rs.length === 2 && rs.some((t) => t.includes('王小明')) && rs.some((t) => t.includes('李明'));
  });
  const rollIds = await page.$$eval('#roll tr', (rs) => Object.fromEntries(rs.map((r) =>
    [r.textContent.includes('王小明') ? 'new' : 'other', r.dataset.member])));
  await set('#f-kind', 'committee_meeting');
  await page.type('#f-topic', '学习党章');
  await page.type('#f-host', '王小明');
  await page.type('#f-recorder', '李');
  await page.type('#f-minutes', '学习党章第一章。\n讨论本季度工作。');
  await page.click(`#att-${rollIds.other}-excused`);
  // No reason yet: the row says so and nothing is saved.
  await page.click('#save-meeting');
  await page.waitForFunction((id) => document.querySelector(`#roll tr[data-member="${id}"] .err`).textContent.includes('事由'), {}, rollIds.other);
  check((await api('/api/meetings')).total === 0, 'a meeting was saved without the reason of an excused member');
  await shot('5a-meeting-form');
  await page.type(`#r-${rollIds.other}`, '外出务工');
  await page.click('#save-meeting');
  await page.waitForFunction(() => location.hash.startsWith('#/meeting/'));
  await page.waitForSelector('#attendance');
  const att = await page.$$eval('#attendance tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  check(att.length === 2 && att[0][0] === '王小明' && att[0][1] === '出席' &&
    att[1][0] === '李明' && att[1][1] === '请假' && att[1][2] === '外出务工', `attendance: ${JSON.stringify(att)}`);
  const mshown = await page.$eval('#meeting-items', (d) => d.textContent);
  check(mshown.includes('支委会') && mshown.includes('第一党支部') && mshown.includes('出席 1，请假 1，缺席 0'), `meeting page: ${mshown}`);
  await shot('5a-meeting');
  await page.click('#nav a[data-page="meetings"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#meetings tr')].some((r) => r.textContent.includes('学习党章')));
  const mrow = await page.$eval('#meetings tr', (r) => [...r.cells].map((c) => c.textContent));
  check(mrow[1] === '支委会' && mrow[2] === '第一党支部' && mrow.slice(5).join(' ') === '1 1 0', `meeting list row: ${mrow}`);

  step('a problem item: add with a due date, claim, rectify, close out (销号)');
  await page.click('#nav a[data-page="items"]');
  await page.waitForSelector('#add-item');
  await page.click('#add-item');
  await page.waitForSelector('#item-form #f-title');
  await set('#f-org_id', zb);
  await set('#f-kind', 'problem');
  await page.type('#f-title', '楼道堆放杂物');
  const due = `${new Date().getFullYear() + 1}-06-30`;
  await set('#f-due_on', due);
  await page.click('#save-item');
  await page.waitForFunction(() => location.hash.startsWith('#/item/'));
  const itemStatus = (want) => page.waitForFunction((w) => document.querySelector('#item-status')?.textContent === w, {}, want);
  await itemStatus('待办');
  await page.waitForSelector('#step-claim');
  await page.type('#claim-by', '第一党支部');
  await page.click('#do-claim');
  await itemStatus('已认领');
  await page.waitForSelector('#step-rectify');
  await page.type('#rectify-note', '已清理楼道，张贴提示');
  await page.click('#do-rectify');
  await itemStatus('已整改');
  await page.waitForSelector('#step-close');
  await page.type('#close-note', '社区验收合格');
  await page.click('#do-close');
  await itemStatus('已销号');
  const hist = await page.$$eval('#item-history li', (l) => l.map((e) => e.textContent));
  check(hist.length === 3 && hist[0].includes('第一党支部') && hist[1].includes('已清理楼道') && hist[2].includes('社区验收合格'),
    `history: ${hist}`);
  check(await page.$('#item-steps') === null, 'a closed item still offers a step');
  await shot('5b-item');
  await page.click('#nav a[data-page="items"]');
  await page.waitForSelector('#i-kinds button[data-kind="problem"]');
  await page.click('#i-kinds button[data-kind="problem"]');
  await page.waitForFunction(() => {
    const rs = [...document.querySelectorAll('#items tr')];
    return rs.length === 1 && rs[0].textContent.includes('楼道堆放杂物') && rs[0].textContent.includes('已销号');
  });
  const irow = await page.$eval('#items tr', (r) => r.textContent);
  check(irow.includes(due) && irow.includes('问题'), `item row: ${irow}`);
  await shot('5b-items');

  step('sync with the street');
  await page.click('#nav a[data-page="sync"]');
  // The button is drawn enabled before the page's first status poll answers, and
  // that answer (an earlier sync's end) could land after the click: wait for it.
  await page.waitForFunction(() => {
    const b = document.querySelector('#sync');
    return b && !b.disabled && document.querySelector('#sync-state')?.textContent !== '';
  });
  await page.click('#sync');
  await page.waitForSelector('#outcomes td[data-status]', { timeout: 30000 });
  // The member, the meeting with its roll (one change set), the item and its three steps.
  const st = await page.$$eval('#outcomes td[data-status]', (t) => t.map((e) => e.dataset.status));
  check(st.length === 6 && st.every((x) => x === 'applied'), `outcomes: ${st}`);
  const labels = await page.$$eval('#outcomes td[data-status]', (t) => t.map((e) => e.textContent));
  check(labels.every((l) => l === '已应用'), `outcome labels: ${labels}`);
  await shot('6-sync');
  check((await api('/api/dashboard')).pending_txns === 0, 'the outbox is not empty after the sync');
  check(problems.length === 0, problems.join('\n'));
  step('ok');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
