// volassess_story.mjs - 志愿服务 and 考核 on the desk, in Debian's chromium (it_web_volassess.sh
// sets the replicas up through the API first and checks the rows with sqlite3 afterwards).
//
//   volunteer (幸福社区 SQ02's desk): the clerk records this year's activity of 幸福志愿服务队
//     through the form and lands on its page; hours that are no number are refused (nothing
//     saved), then 王芳 2 hours and the resident 张大妈 1.5; the year's report shows both with
//     their bars; 考核 says the indicators are read only, offers no indicator form, and lists
//     last year's three indicators.
//   assess (the street's desk): this year's indicator over 100 points is refused, then C1 set at
//     100 (the total shown as full); 幸福社区 scored 95 and 幸福第一支部 rated 5 stars through
//     the forms; the report shows 幸福社区 优秀 and the stars; member points show the rules.
// No console error, no dialog, no request to another host.
//
// usage: node volassess_story.mjs TOKEN_URL OUTDIR volunteer|assess LAST_YEAR
import { desk } from './harness.mjs';

const [url, outdir, mode, lastYear] = process.argv.slice(2);
if (!url || !outdir || !['volunteer', 'assess'].includes(mode) || !lastYear) {
  console.error('usage: node volassess_story.mjs TOKEN_URL OUTDIR volunteer|assess LAST_YEAR');
  process.exit(2);
}
const d = await desk(outdir, `volassess-${mode}`);
const { page, step, check, shot } = d;

async function nav(pageName, sel) {
  await page.click(`#nav a[data-page="${pageName}"]`);
  await page.waitForSelector(sel);
}

async function signIn() {
  const res = await page.goto(url, { waitUntil: 'networkidle0' });
  check(res.ok(), `the token link answered ${res.status()}`);
  await page.waitForSelector('.cards .card');
}

async function volunteer() {
  step('志愿服务: an activity of 幸福志愿服务队 recorded through the form');
  await signIn();
  await nav('volunteer', '#vt-table');
  check((await d.text('#vt-table')).includes('幸福志愿服务队'), `the teams: ${await d.text('#vt-table')}`);
  await shot('1-volunteer');
  await page.select('#va-add-team', await page.$eval('#va-add-team option', (o) => o.value));
  await page.type('#va-add-topic', '垃圾分类宣传');
  await page.type('#va-add-place', '幸福小区广场');
  await page.click('#va-add-form-save');
  await page.waitForSelector('#vh-form');
  check((await d.text('#vh-activity')).includes('垃圾分类宣传'), `the activity page: ${await d.text('main')}`);

  step('hours that are no number refused, nothing saved; then 王芳 2 hours and 张大妈 1.5');
  await page.type('#vh-who', '王芳');
  await page.type('#vh-hours', '很多');
  await d.expectStatus(422, async () => {
    await page.click('#vh-form-save');
    await page.waitForFunction(() => document.querySelector('#vh-form-status').textContent.trim() !== '');
  });
  check((await d.text('#vh-people')) === '0', 'refused hours were counted');
  await shot('2-refused');
  await page.$eval('#vh-hours', (e) => { e.value = ''; });
  await page.type('#vh-hours', '2');
  await page.click('#vh-form-save');
  await page.waitForFunction(() => document.querySelector('#vh-people')?.textContent === '1');
  await d.set('#vh-kind', 'name');
  await page.type('#vh-who', '张大妈');
  await page.type('#vh-hours', '1.5');
  await page.click('#vh-form-save');
  await page.waitForFunction(() => document.querySelector('#vh-people')?.textContent === '2');
  check((await d.text('#vh-total')) === '3.5', `the activity's hours: ${await d.text('#vh-total')}`);
  const who = await page.$$eval('#vh-table tbody tr', (rs) => rs.map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent).join('|')));
  check(JSON.stringify(who.sort()) === JSON.stringify(['张大妈|居民|1.5', '王芳|党员|2']), `the participants: ${JSON.stringify(who)}`);
  await shot('3-activity');

  step('the year\'s report: both people, 3.5 hours, a bar each');
  await nav('volunteer', '#vr-people');
  const people = await d.text('#vr-people');
  check(people.includes('王芳') && people.includes('张大妈') && people.includes('居民'), `the report: ${people}`);
  check((await d.text('#vr-summary')).includes('合计 3.5 小时'), `the summary: ${await d.text('#vr-summary')}`);
  const bars = await page.$$eval('#vr-chart-people rect', (rs) => rs.map((r) => [r.dataset.label, Number(r.getAttribute('width'))]));
  check(bars.length === 2 && bars.every(([, w]) => w > 0), `the bars: ${JSON.stringify(bars)}`);
  const wide = Object.fromEntries(bars);
  check(wide['王芳'] > wide['张大妈'], `王芳's bar is not the longer: ${JSON.stringify(bars)}`);
  await shot('4-report');

  step('考核 on a community\'s desk: indicators read only');
  await nav('assess', '#ai-list');
  // #ai-list is drawn empty before the current year's list answers; that answer
  // could land after last year's and replace it: wait for it before changing the year.
  await page.waitForSelector('#ai-list > *');
  check(await page.$('#ai-add-form') === null, 'a community desk offers the indicator form');
  check((await d.text('#as-who')).includes('只读'), `the page does not say read only: ${await d.text('#as-who')}`);
  await d.set('#as-year', lastYear);
  // The current year's table stays until the other year's list arrives: wait for its rows.
  await page.waitForFunction(() => document.querySelectorAll('#ai-table tbody tr').length === 3, { timeout: 5000 }).catch(() => {});
  check((await page.$$('#ai-table tbody tr')).length === 3, `last year's indicators: ${await d.text('#ai-table')}`);
  await shot('5-assess-readonly');
}

async function assess() {
  step('考核 on the street\'s desk: an indicator over 100 refused, then C1 at 100');
  await signIn();
  await nav('assess', '#ai-add-form');
  // The form is drawn before the year's first list answers, which could land after the new indicator's.
  await page.waitForSelector('#ai-list > *');
  await page.select('#ai-add-target', 'community');
  await page.type('#ai-add-code', 'C1');
  await page.type('#ai-add-name', '为民服务');
  await page.type('#ai-add-points', '101');
  await d.expectStatus(422, async () => {
    await page.click('#ai-add-form-save');
    await page.waitForFunction(() => document.querySelector('#ai-add-form-status').textContent.includes('100'));
  });
  check(await page.$('#ai-table') === null, 'a refused indicator is listed');
  await page.$eval('#ai-add-points', (e) => { e.value = ''; });
  await page.type('#ai-add-points', '100');
  await page.type('#ai-add-evidence', '台账');
  await page.click('#ai-add-form-save');
  await page.waitForSelector('#ai-table');
  check(await page.$('#ai-totals li[data-target="community"][data-full="1"]') !== null,
    `the community total is not shown full: ${await d.text('#ai-totals')}`);
  await shot('1-indicators');

  step('幸福社区 scored 95, 幸福第一支部 rated 5 stars');
  await page.select('#sc-org', 'SQ02');
  await page.select('#sc-indicator', 'C1');
  await page.type('#sc-points', '95');
  await page.type('#sc-scorer', '李评');
  await page.click('#sc-form-save');
  await page.waitForSelector('#ar-table tr[data-code="SQ02"] [data-grade="excellent"]');
  await page.select('#st-org', 'SQ02-01');
  await page.select('#st-stars', '5');
  await page.type('#st-by', '和平街道党工委');
  await page.click('#st-form-save');
  await page.waitForFunction(() => document.querySelector('#ar-table tr[data-code="SQ02-01"]')?.textContent.includes('★★★★★'));
  const sq02 = await d.text('#ar-table tr[data-code="SQ02"]');
  check(sq02.includes('95') && sq02.includes('优秀'), `幸福社区's row: ${sq02}`);
  check((await d.text('#ar-table tr[data-code="SQ01"]')).includes('未评完'), 'SQ01 is not 未评完');
  check((await d.text('#ar-rule')).includes('90'), `the rule: ${await d.text('#ar-rule')}`);
  const rules = await d.text('#ap-rules');
  check(rules.includes('参加组织生活') && rules.includes('志愿服务') && rules.includes('按时交纳党费'), `the points rules: ${rules}`);
  await shot('2-report');
}

try {
  await (mode === 'volunteer' ? volunteer() : assess());
} catch (e) {
  d.fail(e);
} finally {
  await d.finish();
}
