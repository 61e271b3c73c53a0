// admin_story.mjs - 转接 between two communities' desks and the street
// administrator's 冲突 / 设备 / 审计 pages, in Debian's chromium against the
// real tongxind and the three desks it_web_admin.sh started (the street's
// administrator, SQ01's office, SQ02's office). SQ01's office has an edit
// of 张建国's education (学历) waiting in its outbox while the street has
// already changed the same field.
//
//   1. SQ01: no administrator pages (nav hidden, the API answers 403);
//      转接: find 李娜 by name, request her transfer to SQ02-01; 同步: the
//      transfer is applied and the education edit comes back a conflict.
//   2. SQ02: 同步; 转接 shows the incoming request with the member's name
//      (and the sending branch as not visible: SQ02 holds only the request);
//      退回 without a note is refused; accept it with a note; 同步.
//   3. Street: 设备; 冲突 lists the conflict; side by side shows base, server
//      and office values (the differing cells marked) and both authors;
//      采用社区的值 with a note; 王芳's name by 手工合并 with a typed value (one
//      that is no person's name is refused first, saying why);
//      审计 finds the resolution; 同步; the members' pages have the values.
//   4. SQ01: requests 张建国's transfer, syncs (no 撤回 until the server has
//      it), withdraws it, syncs (applied); 首页 shows the street's decision.
//
// Checked throughout (harness.mjs): no console error, no page error, no
// request to any host but 127.0.0.1. Screenshots (1366x768) go to OUTDIR.
//
// usage: node admin_story.mjs STREET_URL SQ01_URL SQ02_URL MEMBER_ID MERGED_ID OUTDIR
import { desk } from './harness.mjs';

const [streetUrl, sq01Url, sq02Url, memberId, mergedId, outdir] = process.argv.slice(2);
if (!outdir) {
  console.error('usage: node admin_story.mjs STREET_URL SQ01_URL SQ02_URL MEMBER_ID MERGED_ID OUTDIR');
  process.exit(2);
}
const origin = (u) => new URL(u).origin;
const d = await desk(outdir, 'admin');
const { page, step, check, shot, problems } = d;

// Open a desk: the token link once, then its origin (the session cookie is per port).
const opened = new Set();
async function open(url, hash) {
  if (!opened.has(url)) {
    const res = await page.goto(url, { waitUntil: 'networkidle0' });
    check(res.ok(), `the token link answered ${res.status()}`);
    opened.add(url);
  }
  await page.goto(`${origin(url)}/${hash}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => !document.querySelector('#main p.muted')?.textContent.includes('正在加载'));
}

// Sync on the open desk's 同步 page; the outcomes' status codes.
async function sync() {
  await page.click('#nav a[data-page="sync"]');
  // The button is drawn enabled before the page's first status poll answers; that
  // answer (the last sync's end and outcomes) would overwrite this sync's state if
  // it arrived after the click: wait until it has drawn #sync-state.
  await page.waitForFunction(() => {
    const b = document.querySelector('#sync');
    return b && !b.disabled && document.querySelector('#sync-state')?.textContent !== '';
  });
  // The page may still show the last sync's end: wait for this one's.
  await page.$eval('#sync-state', (e) => { e.textContent = ''; });
  await page.click('#sync');
  await page.waitForFunction(() => /同步完成|同步失败/.test(document.querySelector('#sync-state')?.textContent || ''), { timeout: 30000 });
  const state = await d.text('#sync-state');
  check(state.includes('同步完成'), `sync: ${state} ${await d.text('#sync-result')}`);
  return page.$$eval('#outcomes td[data-status]', (t) => t.map((e) => e.dataset.status));
}

// Run fn, which makes the page receive an HTTP error on purpose: the
// browser logs it as a console error, which is expected here and only here.
async function expectStatus(code, fn) {
  const before = problems.length;
  await fn();
  await new Promise((r) => setTimeout(r, 200));
  for (let i = problems.length - 1; i >= before; i--) if (problems[i].includes(`status of ${code}`)) problems.splice(i, 1);
}

try {
  step('SQ01: no administrator pages on an office desk');
  await open(sq01Url, '#/');
  await page.waitForSelector('.cards .card');
  const hidden = await page.$$eval('#nav a.admin', (as) => as.every((a) => a.offsetParent === null));
  check(hidden, 'the administrator pages are shown on an office desk');
  await expectStatus(403, async () => {
    const denied = await page.evaluate(async () => {
      const r = await fetch('/api/admin/conflicts');
      return { status: r.status, body: await r.json() };
    });
    check(denied.status === 403 && denied.body.message.includes('不是街道管理员'),
      `an office desk's /api/admin/conflicts answered ${JSON.stringify(denied)}`);
  });

  step('SQ01: request the transfer of 李娜 to SQ02-01');
  await page.click('#nav a[data-page="transfers"]');
  // The form is drawn before the page's first list answers: wait for the list too.
  await page.waitForSelector('#tr-form');
  await page.waitForSelector('#tr-out > *');
  await page.type('#tr-search', '李娜');
  // Each typed character searches: wait for the answer to the whole name, not to 李 alone.
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('#tr-picks button.pick')];
    return b.length > 0 && b.every((e) => e.textContent.includes('李娜'));
  }).catch(() => {});
  await page.click('#tr-picks button.pick');
  check((await d.text('#tr-chosen')).includes('李娜'), 'the member was not picked');
  await page.type('#tr-to', 'SQ02-01');
  await page.type('#tr-reason', '搬迁至幸福社区居住');
  await page.click('#tr-save');
  await page.waitForFunction(() => [...document.querySelectorAll('#tr-out-table tr[data-id]')].some((r) => r.textContent.includes('李娜'))).catch(() => {});
  const outRow = await d.text('#tr-out-table tbody tr');
  check(outRow.includes('李娜') && outRow.includes('和平第一支部') && outRow.includes('SQ02-01') && outRow.includes('待接收'),
    `the outgoing request: ${outRow}`);
  const outcomes1 = await sync();
  check(outcomes1.length === 3 && outcomes1.filter((o) => o === 'conflict').length === 2 && outcomes1.includes('applied'),
    `SQ01's sync outcomes: ${outcomes1}`);

  step('SQ02: the incoming request shows the member, before any record of her');
  await open(sq02Url, '#/sync');
  await sync();
  await page.click('#nav a[data-page="transfers"]');
  await page.waitForSelector('#tr-in-table tr[data-id]');
  const inRow = await d.text('#tr-in-table tbody tr');
  check(inRow.includes('李娜') && inRow.includes('幸福第一支部') && inRow.includes('搬迁至幸福社区居住') &&
    inRow.includes('本副本不可见'), `the incoming request: ${inRow}`);
  const none = await d.api('/api/members?q=%E6%9D%8E%E5%A8%9C&limit=5');
  check(none.total === 0, 'SQ02 holds the member before accepting');
  await shot('1-transfers-incoming');
  await expectStatus(422, async () => {
    await page.click('#tr-in-table button[data-reject]');
    await page.waitForFunction(() => document.querySelector('#tr-notice')?.textContent.includes('退回须说明理由'));
  });
  check((await d.text('#tr-in-table')).includes('待接收'), 'a rejection without a note changed the request');
  await page.type('#tr-in-table input[data-note]', '已报到');
  await page.click('#tr-in-table button[data-accept]');
  await page.waitForFunction(() => document.querySelector('#tr-notice')?.textContent.includes('已接收'));
  check((await d.text('#tr-notice')).includes('李娜'), 'the acceptance does not name the member');
  const outcomes2 = await sync();
  check(outcomes2.length === 1 && outcomes2[0] === 'applied', `SQ02's sync outcomes: ${outcomes2}`);
  await page.click('#nav a[data-page="members"]');
  await page.waitForSelector('#search');
  await page.type('#search', '李娜');
  await page.waitForFunction(() => document.querySelector('#roster')?.textContent.includes('幸福第一支部'));

  step('street: 设备');
  await open(streetUrl, '#/devices');
  const shown = await page.$$eval('#nav a.admin', (as) => as.every((a) => a.offsetParent !== null));
  check(shown, 'the administrator pages are hidden on the street desk');
  await page.waitForSelector('#dev-table');
  const devs = await page.$$eval('#dev-table tr[data-device]', (rs) => rs.map((r) => r.dataset.device));
  check(['street', 'sq01', 'sq02'].every((n) => devs.includes(n)), `devices: ${devs}`);
  check((await d.text('#dev-table')).includes('社区'), 'the devices table has no role labels');
  await shot('2-devices');

  step('street: 冲突 list and one conflict side by side');
  await page.click('#nav a[data-page="conflicts"]');
  await page.waitForSelector('#cf-table tr[data-id]');
  const list = await page.$$eval('#cf-table tbody tr', (rs) => rs.map((r) => r.textContent));
  check(list.length === 2 && list.every((t) => t.includes('sq01') && t.includes('SQ01') && t.includes('待处理')), `conflicts: ${list}`);
  // The server's reasons reach the administrator in Chinese (codes rendered by the client).
  check(list.some((t) => t.includes('学历已在服务器上改为“博士研究生”')) && !list.some((t) => t.includes('doctorate')),
    `the conflicts' reasons are not in Chinese: ${list}`);
  await shot('3-conflicts');
  // The row of the education conflict (the reason names the field).
  const openRow = (re) => page.evaluate((src) => [...document.querySelectorAll('#cf-table tr[data-id]')]
    .find((r) => new RegExp(src).test(r.querySelector('td.cf-reason').textContent)).click(), re);
  await openRow('学历');
  await page.waitForSelector('#cf-side-0');
  const row = await page.$eval('#cf-side-0 tr[data-col="education"]', (r) => ({
    text: r.textContent,
    base: r.querySelector('td.base').textContent,
    server: r.querySelector('td.server').textContent,
    office: r.querySelector('td.office').textContent,
    marked: r.querySelector('td.server').classList.contains('differs') && r.querySelector('td.office').classList.contains('differs'),
  }));
  check(row.text.includes('学历') && row.base === '大学本科' && row.server === '博士研究生' && row.office === '硕士研究生' && row.marked,
    `side by side: ${JSON.stringify(row)}`);
  const officeAuthor = await d.text('#cf-office-author');
  const serverAuthor = await d.text('#cf-server-author');
  check(officeAuthor.includes('sq01') && officeAuthor.includes('SQ01') && officeAuthor.includes('sq01经办人'), `office author: ${officeAuthor}`);
  check(serverAuthor.includes('street') && /\d{4}-\d\d-\d\d/.test(serverAuthor), `server author: ${serverAuthor}`);
  await shot('4-conflict-side-by-side');

  step('street: take the office value with a note');
  await page.type('#cf-note', '经核实为硕士');
  await page.click('#cf-take');
  await page.waitForFunction(() => document.querySelector('#cf-state')?.textContent.includes('已处理'), { timeout: 20000 });
  const state = await d.text('#cf-state');
  check(state.includes('采用') && state.includes('street'), `after resolving: ${state}`);
  check(await page.$('#cf-take') === null, 'the resolve buttons are still offered');

  step('street: settle the name by a merged value typed in the side-by-side view');
  await page.click('#cf-detail a[href="#/conflicts"]');
  await page.waitForSelector('#cf-table tr[data-id]');
  await openRow('name|姓名');
  await page.waitForSelector('#cf-side-0 input[data-col="name"]');
  const names = await page.$eval('#cf-side-0 tr[data-col="name"]', (r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
  check(names[0] === '王芳' && names[1] === '王方' && names[2] === '王芳芳', `names side by side: ${names}`);
  // A merged name that is no person's name (brackets) is refused, saying why; the conflict stays open.
  await page.$eval('#cf-side-0 input[data-col="name"]', (e) => { e.value = ''; });
  await page.type('#cf-side-0 input[data-col="name"]', '王芳（合并）');
  await d.expectStatus(422, async () => {
    await page.click('#cf-set');
    await page.waitForFunction(() => document.querySelector('#cf-result')?.textContent.includes('姓名'));
  });
  const why = await d.text('#cf-result');
  check(why.includes('只能由汉字'), `the refused merged name: ${why}`);
  check((await d.text('#cf-state')).includes('待处理'), `the conflict after a refused merge: ${await d.text('#cf-state')}`);
  await page.$eval('#cf-side-0 input[data-col="name"]', (e) => { e.value = ''; });
  await page.type('#cf-side-0 input[data-col="name"]', '王芳方');
  await page.type('#cf-note', '以户籍为准');
  await page.click('#cf-set');
  await page.waitForFunction(() => document.querySelector('#cf-state')?.textContent.includes('已处理'), { timeout: 20000 });
  check((await d.text('#cf-state')).includes('录入合并值'), `after merging: ${await d.text('#cf-state')}`);

  step('street: 审计 finds the resolution');
  await page.click('#nav a[data-page="audit"]');
  await page.waitForSelector('#au-form');
  // The page first lists every record (which has the resolutions too): wait for that
  // list before asking for the member's, then for a list of the member's row only.
  await page.waitForFunction(() => document.querySelector('#au-list > *') && !document.querySelector('#au-list').textContent.includes('正在向街道服务器查询'));
  await page.type('#au-row', memberId);
  await page.click('#au-go');
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('#au-table td.au-row')];
    return rows.length > 0 && rows.every((r) => r.textContent === id) && document.querySelector('#au-table').textContent.includes('resolve');
  }, {}, memberId);
  const audit = await d.text('#au-table');
  check(audit.includes('经核实为硕士') && audit.includes('sq01'), `audit: ${audit}`);
  await shot('5-audit');

  step("street: after syncing, the member's page has the office's value");
  await sync();
  await page.goto(`${origin(streetUrl)}/#/member/${memberId}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#member-items dd[data-item="education"]');
  const edu = await d.text('#member-items dd[data-item="education"]');
  check(edu === '硕士研究生', `the street's member page: ${edu}`);
  await page.goto(`${origin(streetUrl)}/#/member/${mergedId}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#member-items dd[data-item="name"]')?.textContent === '王芳方');

  step('SQ01: a request withdrawn before anyone decided');
  await open(sq01Url, '#/transfers');
  await page.waitForSelector('#tr-form');
  await page.waitForSelector('#tr-out > *');
  await page.type('#tr-search', '张建国');
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('#tr-picks button.pick')];
    return b.length > 0 && b.every((e) => e.textContent.includes('张建国'));
  });
  await page.click('#tr-picks button.pick');
  await page.type('#tr-to', 'SQ02-01');
  await page.click('#tr-save');
  await page.waitForFunction(() => document.querySelector('#tr-out-table')?.textContent.includes('张建国'));
  // (SQ01 has not synced since SQ02 accepted 李娜: her request still looks open here.)
  const early = await page.evaluate(() => [...document.querySelectorAll('#tr-out-table tr[data-id]')]
    .find((r) => r.textContent.includes('张建国')).querySelector('button[data-withdraw]') !== null);
  check(!early, 'a request not yet back from the server offers 撤回');
  // Once the server has it (and has filled in the receiving branch), it can be withdrawn.
  const outcomes3 = await sync();
  check(outcomes3.length === 1 && outcomes3[0] === 'applied', `SQ01's second request: ${outcomes3}`);
  await page.click('#nav a[data-page="transfers"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#tr-out-table tr[data-id]')].some((r) => r.textContent.includes('张建国')));
  await page.evaluate(() => [...document.querySelectorAll('#tr-out-table tr[data-id]')]
    .find((r) => r.textContent.includes('张建国')).querySelector('button[data-withdraw]').click());
  await page.waitForFunction(() => document.querySelector('#tr-notice')?.textContent.includes('已撤回'));
  check(!(await d.text('#tr-out')).includes('张建国'), 'the withdrawn request is still listed');
  const outcomes4 = await sync();
  check(outcomes4.length === 1 && outcomes4[0] === 'applied', `SQ01's withdrawal: ${outcomes4}`);

  step("SQ01: after syncing, 首页 shows the street's decision");
  await page.click('#nav a[data-page="home"]');
  await page.waitForSelector('.cards .card');
  const home = await d.text('main');
  check(home.includes('采用社区值') && !home.includes('take_office') && home.includes('经核实为硕士') && home.includes('以户籍为准'), `SQ01's home: ${home}`);
  check((await d.api('/api/dashboard')).conflicts_settled === 2, 'the settled conflicts are not counted');
  await page.click('#nav a[data-page="transfers"]');
  await page.waitForSelector('#tr-all');
  // The page's first (pending only) list must be in before asking for all, or it may land last.
  await page.waitForSelector('#tr-out > *');
  await page.click('#tr-all');
  await page.waitForFunction(() => document.querySelector('#tr-out-table')?.textContent.includes('已接收'));
  const done = await d.text('#tr-out-table');
  check(!done.includes('李娜') && done.includes('已报到'), `SQ01's accepted transfer: ${done}`);
  await shot('6-transfers-sent');
  check(problems.length === 0, problems.join('\n'));
  step('ok');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
