// report_story.mjs - 报表 on the desk, in Debian's chromium (headless, driven by
// puppeteer-core), on the replicas it_web_report.sh made (every figure fixed as
// of 2024-06-30):
//   - 党员结构: the shares computed by hand below, shown as text and as SVG bars
//     whose lengths are those shares;
//   - 三会一课: 第一党支部's missing 主题党日 of 2024-05 marked 缺, the rest held, no
//     支委会 owed by a branch of fewer than 7 full members; on 2024-04-15 the
//     quarter is 本季度尚未到期 (cells 未到期), neither 达标 nor 未达标;
//   - 支部规模: members and full members per branch, 第二党支部 warned (1 full);
//   - 不活跃党员, 逾期清单, 换届提醒: the members, items and committees expected;
//   - 党员花名册: the roster's CSV fetched from the page's own 导出 CSV link:
//     UTF-8 BOM, the citizen ID column kept as text, a formula cell neutralised,
//     a Chinese file name;
//   - the print views under print media: nav, tabs and buttons hidden, an A4
//     @page, table headers repeated (thead as a header group);
//   - 核对 on the street administrator's desk (no such tab on the office's;
//     it_web_report.sh checks that its API answers 403 there).
// Checked throughout: no console error, no failed request, no request to any
// host but 127.0.0.1. A 1366x768 screenshot of each tab and print view.
//
// usage: node report_story.mjs OFFICE_TOKEN_URL ADMIN_TOKEN_URL OUTDIR ID_OF_王三
import { desk } from './harness.mjs';

const [officeUrl, adminUrl, outdir, idWang] = process.argv.slice(2);
if (!officeUrl || !adminUrl || !outdir || !idWang) {
  console.error('usage: node report_story.mjs OFFICE_URL ADMIN_URL OUTDIR ID_OF_王三');
  process.exit(2);
}
const d = await desk(outdir, 'report');
const { page, step, check, shot, set } = d;

// A share as the reports round it: tenths of a percent, half up.
const share = (n, total) => `${(Math.floor((n * 2000 + total) / (2 * total)) / 10).toFixed(1)}%`;
// The office's figures, by hand from it_web_report.sh's members (6 in normal standing).
const TOTAL = 6;
const EXPECT = {
  women: 0,                 // all men
  minority: 0,              // all 汉族
  aged_35_or_under: 1,      // 钱五 1990-05-20
  college_or_above: 3,      // 李二, 赵四 (bachelor), 钱五 (master)
  aged_60_plus: 3,          // 张一 1950, 李二 1960, 孙六 1955; 王三 turns 60 on 2024-07-01
  retired: 2,               // 张一, 孙六
  junior_high_or_below: 2,  // 张一 (primary), 王三 (junior high)
  relocated: 1,             // 李二
  mobile: 1,                // 王三
  lost_contact: 1,          // 钱五
  probationary: 1,          // 赵四
};

async function openTab(id) {
  await page.click(`#report-tabs a[data-tab="${id}"]`);
  await page.waitForSelector(`#report-body[data-tab="${id}"]:not([data-ready=""])`);
}

// Styles of the print view under print media.
async function printChecks(what) {
  await page.emulateMediaType('print');
  const st = await page.evaluate(() => {
    const disp = (sel) => { const e = document.querySelector(sel); return e ? getComputedStyle(e).display : 'absent'; };
    // Whether sel lays out as nothing (itself or an ancestor display: none).
    const gone = (sel) => { const e = document.querySelector(sel); return e ? e.getClientRects().length === 0 : 'absent'; };
    let a4 = false;
    const walk = (rules) => {
      for (const r of rules) {
        if (r instanceof CSSPageRule && /A4/i.test(r.style.getPropertyValue('size'))) a4 = true;
        if (r.cssRules) walk(r.cssRules);
      }
    };
    for (const s of document.styleSheets) walk(s.cssRules);
    return { nav: gone('#nav'), top: gone('.top'), print: gone('#print'), back: gone('#back'),
      thead: disp('#report-table thead'), title: disp('#report-title'), table: disp('#report-table'), a4 };
  });
  check(st.nav === true && st.top === true && st.print === true && st.back === true,
    `${what}: nav or buttons show in print: ${JSON.stringify(st)}`);
  check(st.thead === 'table-header-group' && st.title !== 'none' && st.table === 'table' && st.a4,
    `${what}: print layout: ${JSON.stringify(st)}`);
}

try {
  step('sign in to the office desk; 报表 opens on 党员结构');
  const res = await page.goto(officeUrl, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('#nav a[data-page="reports"]');
  await page.click('#nav a[data-page="reports"]');
  await page.waitForSelector('#profile-chart');
  const tabs = await page.$$eval('#report-tabs a', (a) => a.map((e) => e.textContent));
  check(JSON.stringify(tabs) === JSON.stringify(['党员结构', '三会一课', '不活跃党员', '逾期清单', '换届提醒', '党员花名册', '支部规模', '共建共治']),
    `office tabs (no 核对): ${tabs}`);

  step('as of 2024-06-30: the profile shares, as text and as SVG bars');
  await set('#opt-as-of', '2024-06-30');
  await page.waitForFunction(() => document.querySelector('#report-scope')?.textContent.includes('2024-06-30') &&
    document.querySelector('#profile-chart'));
  const prof = await page.evaluate(() => ({
    total: document.querySelector('#profile-total').textContent,
    bars: [...document.querySelectorAll('#profile-chart g.bar-row')].map((g) => ({
      id: g.dataset.item,
      svg: g.namespaceURI === 'http://www.w3.org/2000/svg' && g.ownerSVGElement.tagName === 'svg',
      width: Number(g.querySelector('rect.bar').getAttribute('width')),
      track: Number(g.querySelector('rect.track').getAttribute('width')),
      figure: g.querySelector('text.bar-figure').textContent,
      label: g.querySelector('text.bar-label').textContent,
    })),
    rows: Object.fromEntries([...document.querySelectorAll('#report-table tbody tr')].map((r) =>
      [r.dataset.item, [...r.cells].map((c) => c.textContent)])),
  }));
  check(prof.total.includes(`${TOTAL} 人`), `total: ${prof.total}`);
  check(prof.bars.length === Object.keys(EXPECT).length, `bars: ${JSON.stringify(prof.bars)}`);
  for (const b of prof.bars) {
    const n = EXPECT[b.id];
    const s = share(n, TOTAL);
    check(b.svg, `${b.id} is not an SVG element`);
    check(b.figure === `${n} 人 · ${s}`, `${b.id}: the bar says ${b.figure}, expected ${n} 人 · ${s}`);
    check(Math.abs(b.width - (b.track * n) / TOTAL) < 0.6, `${b.id}: bar ${b.width} of ${b.track} for ${s}`);
    check(prof.rows[b.id] && prof.rows[b.id][1] === String(n) && prof.rows[b.id][2] === s, `${b.id} row: ${prof.rows[b.id]}`);
  }
  check(share(3, 6) === '50.0%' && share(1, 6) === '16.7%' && share(2, 6) === '33.3%', 'the hand-made shares');
  await shot('1-profile');

  step('三会一课: the missing 主题党日 of 2024-05 is marked; no 支委会 owed under 7 full members');
  await openTab('compliance');
  await page.waitForSelector('#report-table tr[data-code="SQ01-01"]');
  const comp = await page.evaluate(() => {
    const row = (code) => document.querySelector(`#report-table tr[data-code="${code}"]`);
    const cell = (code, kind) => row(code).querySelector(`td[data-kind="${kind}"]`);
    const cycles = (code, kind) => [...cell(code, kind).querySelectorAll('.cyc')].map((c) => [c.dataset.cycle, c.className, c.textContent]);
    return {
      summary: document.querySelector('#compliance-summary').textContent,
      theme1: cycles('SQ01-01', 'theme_day'),
      ratio1: cell('SQ01-01', 'theme_day').querySelector('.ratio').textContent,
      result1: row('SQ01-01').querySelector('td.result').textContent,
      committee1: cell('SQ01-01', 'committee_meeting').textContent,
      group1: cell('SQ01-01', 'group_meeting').textContent,
      theme2: cycles('SQ01-02', 'theme_day'),
      committee2: cell('SQ01-02', 'committee_meeting').textContent,
      result2: row('SQ01-02').querySelector('td.result').textContent,
      misses: [...document.querySelectorAll('#report-table .cyc.miss')].length,
    };
  });
  check(comp.summary.includes('2024-Q2') && comp.summary.includes('未达标 1 个'), `summary: ${comp.summary}`);
  check(JSON.stringify(comp.theme1) === JSON.stringify([['2024-04', 'cyc ok', '2024-04 ✓'],
    ['2024-05', 'cyc miss', '2024-05 缺'], ['2024-06', 'cyc ok', '2024-06 ✓']]), `主题党日 of 第一党支部: ${JSON.stringify(comp.theme1)}`);
  check(comp.ratio1 === '2/3' && comp.result1 === '未达标', `第一党支部: ${comp.ratio1} ${comp.result1}`);
  check(comp.committee1 === '—', `a branch of 4 full members owes no 支委会: ${comp.committee1}`);
  check(comp.group1 === '—', `a branch without groups owes no 党小组会: ${comp.group1}`);
  // 第二党支部 was founded on 2024-06-01: June only.
  check(JSON.stringify(comp.theme2) === JSON.stringify([['2024-06', 'cyc ok', '2024-06 ✓']]) && comp.committee2 === '—' &&
    comp.result2 === '达标',
    `第二党支部: ${JSON.stringify(comp)}`);
  check(comp.misses === 1, `only one cycle is missing: ${comp.misses}`);
  await shot('2-compliance');

  step('三会一课 print view: the print dialog is asked for; nav and buttons hidden under print media');
  await page.evaluate(() => { window.printed = 0; window.print = () => { window.printed += 1; }; });
  await page.click('#print');
  await page.waitForSelector('#print-view #report-body:not([data-ready=""]) #report-table');
  await page.waitForFunction(() => window.printed === 1);
  await printChecks('三会一课');
  await shot('3-compliance-print');
  await page.emulateMediaType(null);
  await page.click('#back');
  await page.waitForSelector('#report-tabs');

  step('三会一课 for May 2024 alone: only the monthly meetings are due');
  await set('#opt-period', 'm5');
  await page.waitForFunction(() => document.querySelector('#compliance-summary')?.textContent.startsWith('2024-05（'));
  const may = await page.evaluate(() => {
    const r = document.querySelector('#report-table tr[data-code="SQ01-01"]');
    return ['committee_meeting', 'general_meeting', 'party_lecture', 'theme_day'].map((k) => {
      const td = r.querySelector(`td[data-kind="${k}"]`);
      return [td.querySelector('.ratio')?.textContent ?? td.textContent, [...td.querySelectorAll('.cyc')].map((c) => c.textContent)];
    });
  });
  check(JSON.stringify(may) === JSON.stringify([['—', []], ['—', []], ['—', []], ['0/1', ['2024-05 缺']]]),
    `May 2024: ${JSON.stringify(may)}`);
  const mayCsv = await page.$eval('#csv', (a) => a.getAttribute('href'));
  check(mayCsv.includes('month=5') && mayCsv.includes('as_of=2024-06-30'), `the CSV link follows the options: ${mayCsv}`);

  step('三会一课 in the first month of a quarter: 本季度尚未到期, neither 达标 nor 未达标');
  await set('#opt-period', '');
  await set('#opt-as-of', '2024-04-15');
  await page.waitForFunction(() => document.querySelector('#report-scope')?.textContent.includes('2024-04-15') &&
    document.querySelector('#compliance-summary')?.textContent.startsWith('2024-Q2（'));
  const first = await page.evaluate(() => ({
    summary: document.querySelector('#compliance-summary').textContent,
    general: document.querySelector('#report-table tr[data-code="SQ01-01"] td[data-kind="general_meeting"]').textContent,
    state: document.querySelector('#report-table tr[data-code="SQ01-02"]').dataset.state,
  }));
  check(first.summary.includes('本季度尚未到期') && !first.summary.includes('全部达标') && !first.summary.includes('未达标'),
    `the first month's summary: ${first.summary}`);
  check(first.general === '未到期' && first.state === 'not_due', `not yet due: ${JSON.stringify(first)}`);
  await shot('3b-compliance-not-due');
  await set('#opt-as-of', '2024-06-30');
  await page.waitForFunction(() => document.querySelector('#report-scope')?.textContent.includes('2024-06-30'));

  step('不活跃党员: never present in the 6 months to 2024-06-30');
  await openTab('inactive');
  await page.waitForSelector('#report-table tbody tr');
  const inact = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  check(JSON.stringify(inact.map((r) => [r[2], r[3]])) === JSON.stringify([['王三', '从未'], ['钱五', '从未']]),
    `inactive: ${JSON.stringify(inact)}`);
  check(inact[0][5].includes('流动') && inact[1][5].includes('失联'), `notes: ${JSON.stringify(inact)}`);
  const isum = await d.text('#inactive-summary');
  check(isum.includes(`共 2 人，占 ${TOTAL} 名党员的 ${share(2, TOTAL)}`), `inactive summary: ${isum}`);
  await shot('4-inactive');

  step('逾期清单: the item 30 days overdue, not the one due later');
  await openTab('overdue');
  await page.waitForSelector('#report-table tbody tr');
  const over = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  check(over.length === 1 && over[0][2] === '楼道堆物整治' && over[0][3] === '2024-05-31' && over[0][4] === '待办' &&
    over[0][5] === '30', `overdue: ${JSON.stringify(over)}`);
  await shot('5-overdue');

  step('换届提醒: 第一党支部 ends 2024-09-15 (computed), 和平社区 2024-08-01');
  await openTab('terms');
  await page.waitForSelector('#report-table tbody tr');
  const terms = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  check(JSON.stringify(terms.map((t) => [t[0], t[4], t[5], t[6]])) === JSON.stringify([
    ['SQ01', '2024-08-01（推算）', '即将到期', '剩 32'], ['SQ01-01', '2024-09-15（推算）', '即将到期', '剩 77']]),
  `terms: ${JSON.stringify(terms)}`);
  await shot('6-terms');

  step('党员花名册 of 第一党支部, in the national form\'s columns');
  await openTab('roster');
  await set('#opt-org', 'SQ01-01');
  await page.waitForFunction(() => document.querySelector('#roster-summary')?.textContent.includes('共 5 人'));
  const heads = await page.$$eval('#report-table thead th', (t) => t.map((e) => e.textContent));
  for (const l of ['序号', '姓名', '性别', '民族', '公民身份号码', '出生日期', '学历', '人员类别', '所在党支部', '入党日期',
    '转正日期', '工作岗位', '联系电话', '家庭住址', '党籍状态', '失联党员', '流动党员', '外出流向', '备注']) {
    check(heads.includes(l), `the roster lacks the column ${l}: ${heads}`);
  }
  const wang = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => r.textContent).find((t) => t.includes('王三')));
  check(wang.includes(idWang) && wang.includes('=1+2') && wang.includes('广东省深圳市'), `王三's row: ${wang}`);
  await shot('7-roster');

  step('the roster\'s CSV from the page\'s own link: BOM, citizen ID as text, formula neutralised');
  const link = await page.$eval('#csv', (a) => ({ href: a.getAttribute('href'), download: a.hasAttribute('download'), text: a.textContent }));
  check(link.text === '导出 CSV' && link.download && link.href.startsWith('/api/report/roster.csv?') && link.href.includes('org=SQ01-01'),
    `CSV link: ${JSON.stringify(link)}`);
  const csv = await page.evaluate(async (u) => {
    const r = await fetch(u);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), disp: r.headers.get('content-disposition'),
      head: [...bytes.slice(0, 3)], text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.slice(3)) };
  }, link.href);
  check(csv.status === 200 && csv.type.startsWith('text/csv'), `CSV answer: ${csv.status} ${csv.type}`);
  check(JSON.stringify(csv.head) === JSON.stringify([0xef, 0xbb, 0xbf]), `no UTF-8 BOM: ${csv.head}`);
  const m = /filename\*=UTF-8''([^;]+)/.exec(csv.disp || '');
  check(m && decodeURIComponent(m[1]).startsWith('党员花名册_第一党支部_') && /attachment/.test(csv.disp), `Content-Disposition: ${csv.disp}`);
  const lines = csv.text.split('\r\n').filter(Boolean).map((l) => l.split(','));
  const idCol = lines[0].indexOf('公民身份号码');
  const jobCol = lines[0].indexOf('工作岗位');
  const row = lines.find((l) => l[1] === '王三');
  check(idCol > 0 && jobCol > 0 && row, `CSV header: ${lines[0]}`);
  check(row[idCol] === `\t${idWang}`, `the citizen ID is not kept as text: ${JSON.stringify(row[idCol])}`);
  check(row[jobCol] === "'=1+2", `the formula cell is not neutralised: ${JSON.stringify(row[jobCol])}`);
  check(lines.length === 6 && !csv.text.includes('周七'), `CSV rows (周七 is deceased): ${lines.length}`);

  step('the roster\'s print view: A4, nav hidden, headers repeated');
  await page.evaluate(() => { window.printed = 0; });
  await page.click('#print');
  await page.waitForSelector('#print-view #report-body:not([data-ready=""]) #report-table');
  await page.waitForFunction(() => window.printed === 1);
  await printChecks('花名册');
  const landscape = await page.$eval('#print-view', (e) => getComputedStyle(e).page);
  check(landscape === 'roster', `the roster prints on its landscape page: ${landscape}`);
  await shot('8-roster-print');
  await page.emulateMediaType(null);

  step('支部规模: members, full members, the warning for a branch under 3 full members');
  await page.click('#back');
  await page.waitForSelector('#report-tabs');
  await openTab('branches');
  await set('#opt-org', '');
  await page.waitForSelector('#report-table tr[data-code="SQ01-02"]');
  const sizes = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  check(JSON.stringify(sizes.map((r) => r.slice(0, 7))) === JSON.stringify([
    ['SQ01-01', '第一党支部', '5', '4', '1', '0', '否'], ['SQ01-02', '第二党支部', '1', '1', '0', '0', '否']]),
  `branch sizes (周七 is deceased): ${JSON.stringify(sizes)}`);
  check(sizes[0][7] === '正常' && sizes[1][7].startsWith('正式党员不足3人（1人）'), `warnings: ${JSON.stringify(sizes)}`);
  const bsum = await d.text('#branches-summary');
  check(bsum.includes('共 2 个支部，1 个需调整'), `branches summary: ${bsum}`);
  await shot('8b-branches');

  step('共建共治: the figures of the year per community, with the wishes and hours as bars');
  await openTab('cobuild');
  await page.waitForSelector('#cobuild-summary');
  const csum = await d.text('#cobuild-summary');
  check(csum.includes('1 个社区') && csum.includes('驻区单位 0 个'), `cobuild summary: ${csum}`);
  const crow = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => r.dataset.code));
  check(JSON.stringify(crow) === JSON.stringify(['SQ01']), `cobuild rows: ${JSON.stringify(crow)}`);
  const bars = await page.$$eval('#cobuild-wishes .bar-row, #cobuild-hours .bar-row', (g) => g.length);
  check(bars === 2, `cobuild charts: ${bars} bars`);
  await shot('8c-cobuild');

  step('核对 on the street administrator\'s desk');
  const ares = await page.goto(adminUrl, { waitUntil: 'networkidle0' });
  check(ares.ok(), `the admin token link answered ${ares.status()}`);
  await page.waitForSelector('#nav a[data-page="reports"]');
  await page.click('#nav a[data-page="reports"]');
  await page.waitForSelector('#report-tabs a[data-tab="reconcile"]');
  await openTab('reconcile');
  await page.waitForSelector('#report-table tbody tr');
  const finds = await page.$$eval('#report-table tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  const has = (chk, rec) => finds.some((f) => f[0] === chk && f[2] === rec);
  check(has('预备期已满未转正', '赵四'), `赵四 past probation: ${JSON.stringify(finds)}`);
  check(has('失联超过6个月', '钱五'), `钱五 lost contact: ${JSON.stringify(finds)}`);
  check(has('组织未配书记', 'SQ01-01') && !has('组织未配书记', 'SQ01-02'), `secretaries: ${JSON.stringify(finds)}`);
  check(has('支部规模需调整', 'SQ01-02') && !has('支部规模需调整', 'SQ01-01'), `branch sizes: ${JSON.stringify(finds)}`);
  const rsum = await d.text('#reconcile-summary');
  check(rsum.includes(`核对发现 ${finds.length} 项`), `reconcile summary: ${rsum}`);
  await shot('9-reconcile');
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
