// page_volassess.js - the desk's pages for 志愿服务 (volunteer teams, activities and who served how
// long; the year's hours per person and per team with a bar chart; in-service members' hours for
// their units) and 考核 (the year's indicators, read only on a community's desk and set on the
// street's; scores and stars; the report with grades; member points with the rules). The same
// domain operations as tongxin volunteer / assess, through web_api_volassess.c (issue 14).
// Each entry of pages: route name -> async (seq, parts). Check current(seq) after every await.
import { get, post } from './api.js';
import { fill, h } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

// The nav entries these pages add (app.js places them): [route, text].
export const nav = [['volunteer', '志愿服务'], ['assess', '考核']];

const dash = (v) => (v === null || v === undefined || v === '' ? '—' : v);

function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function table(id, heads, rows, empty) {
  if (rows.length === 0) return h('p.muted', { id: `${id}-empty` }, empty);
  return h('table', { id }, h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))), h('tbody', {}, rows));
}

function field(id, text, input) {
  return h('div.field', {}, h('label', { for: id }, text), input);
}

const text = (id, max, placeholder) => h('input', { type: 'text', id, maxLength: max, placeholder: placeholder || '', autocomplete: 'off' });
const date = (id, value) => h('input', { type: 'date', id, value: value || '' });
const choose = (id, options, empty) => h('select', { id },
  empty === undefined ? null : h('option', { value: '' }, empty),
  options.map((o) => h('option', { value: o.code }, o.label)));
const yearInput = (id, value) => h('input', { type: 'number', id, min: 2000, max: 2100, value });

// A small form posting to path; fields: [[name, label, input]]; extra() adds fixed values;
// done(answer) after success. A refusal shows the API's Chinese message in the form.
function postForm(id, title, path, fields, extra, done, button = '保存') {
  const status = h('div', { id: `${id}-status` });
  const save = h('button.primary', { type: 'submit', id: `${id}-save` }, button);
  const f = h('form.step', { id },
    h('h3', {}, title),
    fields.map(([, label, input]) => field(input.id, label, input)),
    h('div.actions', {}, save), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = { ...extra() };
    for (const [name, , input] of fields) {
      const v = input.value.trim();
      if (v !== '' || form[name] === undefined) form[name] = v;
    }
    save.disabled = true;
    fill(status);
    try {
      const r = await post(path, form);
      await done(r, status);
    } catch (e) {
      fill(status, problem(e));
    } finally {
      save.disabled = false;
    }
  });
  return f;
}

// An SVG element (attributes, not styles, so the CSP holds).
function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Horizontal bars: rows [{label, value, text}], one per line, longest = full width.
function barChart(id, title, rows) {
  const W = 720, left = 170, right = 60, line = 26, H = 20 + rows.length * line;
  const top = Math.max(1, ...rows.map((r) => r.value));
  const g = svg('svg', { id, class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  rows.forEach((r, i) => {
    const y = 10 + i * line;
    const w = Math.round((r.value / top) * (W - left - right));
    g.append(svg('text', { x: left - 8, y: y + 14, class: 'lbl' }, r.label));
    const bar = svg('rect', { x: left, y, width: w, height: 18, class: 'bar-hours', 'data-label': r.label, 'data-value': r.value });
    bar.append(svg('title', {}, `${r.label}：${r.text} 小时`));
    g.append(bar);
    g.append(svg('text', { x: left + w + 6, y: y + 14, class: 'val' }, r.text));
  });
  return h('div.chart-box', {}, g);
}

// The organisations that run teams (this replica's, not dissolved).
function teamOrgs() {
  return (meta.orgs || []).filter((o) => !o.dissolved && ['community', 'general_branch', 'branch', 'street'].includes(o.kind.code));
}

// --- 志愿服务 ------------------------------------------------------------------------

function teamRow(t) {
  return h('tr', { dataset: { id: t.id } }, h('td', {}, t.name), h('td', {}, dash(t.org_name || t.org_code)),
    h('td', {}, dash(t.leader)), h('td', {}, dash(t.founded_on)), h('td', {}, dash(t.ended_on)),
    h('td.num', {}, t.activities), h('td.num', {}, t.people), h('td.num', {}, t.hours));
}
const TEAM_HEADS = ['服务队', '所属组织', '队长', '成立日期', '撤销日期', '活动次数', '参加人次', '服务时长（小时）'];

function activityRow(a) {
  return h('tr.link', { dataset: { id: a.id }, onclick: () => { location.hash = `#/volunteer/${a.id}`; } },
    h('td', {}, a.held_on), h('td', {}, a.team_name), h('td', {}, dash(a.org_name)), h('td', {}, a.topic),
    h('td', {}, dash(a.place)), h('td.num', {}, a.people), h('td.num', {}, a.hours));
}

async function pageVolunteer(seq, parts) {
  if (parts[1]) return pageActivity(seq, parts[1]);
  await loadMeta();
  if (!current(seq)) return;
  const year = yearInput('vy-year', today().slice(0, 4));
  const teams = h('div', { id: 'vt-list' });
  const acts = h('div', { id: 'va-list' });
  const report = h('div', { id: 'vr-report' });
  const back = h('div', { id: 'vb-list' });
  const notice = h('div', { id: 'vy-notice' });
  const csv = h('a', { id: 'vr-csv', download: '' }, '导出 CSV');
  const backCsv = h('a', { id: 'vb-csv', download: '' }, '导出 CSV');
  const teamChoice = h('select', { id: 'va-add-team' });
  const say = (n) => fill(notice, n);

  async function reload() {
    const y = year.value;
    csv.href = `/api/volunteer/report.csv?${new URLSearchParams({ year: y })}`;
    backCsv.href = `/api/volunteer/back.csv?${new URLSearchParams({ year: y })}`;
    const [t, a, r, b] = await Promise.all([get('/api/volunteer/teams', { year: y }), get('/api/volunteer/activities', { year: y }),
      get('/api/volunteer/report', { year: y }), get('/api/volunteer/back', { year: y })]);
    if (!current(seq)) return;
    fill(teams, table('vt-table', TEAM_HEADS, t.rows.map(teamRow), '还没有志愿服务队。'));
    fill(teamChoice, t.rows.filter((x) => !x.ended_on).map((x) => h('option', { value: x.id }, x.name)));
    fill(acts, table('va-table', ['日期', '服务队', '所属组织', '活动内容', '地点', '参加人数', '服务时长（小时）'],
      a.rows.map(activityRow), `${y} 年没有志愿活动。`));
    fill(report,
      h('p', { id: 'vr-summary' }, `${r.year} 年共 ${r.people_total} 人参加志愿服务，合计 ${r.hours_total} 小时。`),
      h('h3', {}, '每人服务时长'),
      table('vr-people', ['姓名', '身份', '所在组织', '参加活动', '服务时长（小时）'],
        r.people.map((p) => h('tr', {}, h('td', {}, p.name), h('td', {}, p.kind.label), h('td', {}, dash(p.org_name)),
          h('td.num', {}, p.activities), h('td.num', {}, p.hours))), '（无）'),
      r.people.length ? barChart('vr-chart-people', `${r.year} 年每人服务时长`,
        r.people.map((p) => ({ label: p.name, value: p.minutes, text: p.hours }))) : null,
      h('h3', {}, '各服务队'),
      table('vr-teams', TEAM_HEADS, r.teams.map(teamRow), '（无）'),
      r.teams.some((x) => x.minutes > 0) ? barChart('vr-chart-teams', `${r.year} 年各服务队服务时长`,
        r.teams.map((x) => ({ label: x.name, value: x.minutes, text: x.hours }))) : null);
    fill(back, table('vb-table', ['姓名', '工作单位', '所在党组织', '报到社区', '活动日期', '活动内容', '服务时长（小时）'],
      b.rows.map((x) => h('tr', {}, h('td', {}, x.name), h('td', {}, dash(x.unit)), h('td', {}, dash(x.home_name)),
        h('td', {}, dash(x.community)), h('td', {}, x.held_on || '（见报到社区）'), h('td', {}, dash(x.topic)),
        h('td.num', {}, x.hours))), '没有在职党员的志愿服务时长。'));
  }
  const orgChoice = h('select', { id: 'vt-add-org' }, h('option', { value: '' }, '本机所属组织'),
    teamOrgs().map((o) => h('option', { value: o.code }, `${o.name}（${o.code}）`)));
  const addTeam = postForm('vt-add-form', '成立志愿服务队', '/api/volunteer/teams/add', [
    ['name', '服务队名称', text('vt-add-name', 100)],
    ['leader', '队长', text('vt-add-leader', 100)],
    ['founded_on', '成立日期', date('vt-add-founded', today())],
    ['org', '所属组织', orgChoice],
  ], () => ({}), async () => {
    await reload();
    say(h('div.notice.good', {}, '已成立志愿服务队。'));
    document.getElementById('vt-add-name').value = '';
  });
  const addActivity = postForm('va-add-form', '登记志愿活动', '/api/volunteer/activities/add', [
    ['team', '服务队', teamChoice],
    ['date', '活动日期', date('va-add-date', today())],
    ['topic', '活动内容', text('va-add-topic', 200)],
    ['place', '地点', text('va-add-place', 200)],
  ], () => ({}), async (r) => { location.hash = `#/volunteer/${r.id}`; });
  year.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '志愿服务'),
    h('p.muted', {}, '志愿服务队、活动和服务时长：参加者可以是本机的党员、到社区报到的在职党员或居民。点击活动登记服务时长。'),
    notice,
    h('div.bar', {}, h('label', { for: 'vy-year' }, '年度'), year),
    h('h2', {}, '志愿服务队'), teams,
    h('h2', {}, '志愿活动'), acts,
    h('div.steps.cob', {}, addTeam, addActivity),
    h('h2', {}, '年度服务时长', ' ', csv), report,
    h('h2', {}, '在职党员服务时长（反馈原单位）', ' ', backCsv), back);
  await reload();
}

async function pageActivity(seq, id) {
  const r = await get('/api/volunteer/activities/show', { id });
  if (!current(seq)) return;
  const a = r.activity;
  const notice = h('div', { id: 'vh-notice' });
  const kind = h('select', { id: 'vh-kind' }, h('option', { value: 'member' }, '本机党员'),
    h('option', { value: 'report' }, '报到的在职党员'), h('option', { value: 'name' }, '居民'));
  const who = text('vh-who', 100, '姓名或公民身份号码');
  const f = postForm('vh-form', '登记服务时长', '/api/volunteer/hours/add', [
    ['hours', '服务时长（小时）', text('vh-hours', 16, '如 2 或 1.5')],
    ['note', '备注', text('vh-note', 200)],
  ], () => ({ activity: a.id, [kind.value]: who.value.trim() }), async () => {
    await pageActivity(seq, id);
    fill(document.getElementById('vh-notice'), h('div.notice.good', {}, '已登记服务时长。'));
  });
  f.insertBefore(field('vh-who', '参加者', who), f.children[1]);
  f.insertBefore(field('vh-kind', '身份', kind), f.children[1]);
  fill(main, h('h1', {}, `志愿活动 · ${a.topic}`),
    h('p', {}, h('a', { href: '#/volunteer' }, '← 返回志愿服务')),
    notice,
    h('dl.items', { id: 'vh-activity' },
      h('dt', {}, '服务队'), h('dd', {}, a.team_name),
      h('dt', {}, '所属组织'), h('dd', {}, dash(a.org_name)),
      h('dt', {}, '活动日期'), h('dd', {}, a.held_on),
      h('dt', {}, '活动内容'), h('dd', {}, a.topic),
      h('dt', {}, '地点'), h('dd', {}, dash(a.place)),
      h('dt', {}, '参加人数'), h('dd', { id: 'vh-people' }, a.people),
      h('dt', {}, '服务时长（小时）'), h('dd', { id: 'vh-total' }, a.hours)),
    h('h2', {}, '参加者'),
    table('vh-table', ['姓名', '身份', '服务时长（小时）', '备注'],
      r.participants.map((p) => h('tr', { dataset: { kind: p.kind.code } }, h('td', {}, p.name), h('td', {}, p.kind.label),
        h('td.num', {}, p.hours), h('td', {}, dash(p.note)))), '还没有登记服务时长。'),
    h('div.steps.cob', {}, f));
}

// --- 考核 ----------------------------------------------------------------------------

// Whether this desk's own organisation is a street or district (sets the indicators).
function setsIndicators() {
  const code = meta.session && meta.session.org_code;
  const o = (meta.orgs || []).find((x) => x.code === code);
  return !!o && ['street', 'district'].includes(o.kind.code);
}

function gradeCell(r) {
  if (r.indicators === 0) return h('td', {}, '—');
  if (!r.grade) return h('td', {}, h('span.tag', { dataset: { grade: '' } }, '未评完'));
  return h('td', {}, h(`span.tag.grade-${r.grade.code}`, { dataset: { grade: r.grade.code } }, r.grade.label));
}

async function pageAssess(seq) {
  await loadMeta();
  if (!current(seq)) return;
  const street = setsIndicators();
  const year = yearInput('as-year', today().slice(0, 4));
  const inds = h('div', { id: 'ai-list' });
  const report = h('div', { id: 'ar-report' });
  const points = h('div', { id: 'ap-points' });
  const notice = h('div', { id: 'as-notice' });
  const rcsv = h('a', { id: 'ar-csv', download: '' }, '导出 CSV');
  const pcsv = h('a', { id: 'ap-csv', download: '' }, '导出 CSV');
  const indChoice = h('select', { id: 'sc-indicator' });
  const say = (n) => fill(notice, n);

  async function reload() {
    const y = year.value;
    rcsv.href = `/api/assess/report.csv?${new URLSearchParams({ year: y })}`;
    pcsv.href = `/api/assess/points.csv?${new URLSearchParams({ year: y })}`;
    const [i, r, p] = await Promise.all([get('/api/assess/indicators', { year: y }), get('/api/assess/report', { year: y }),
      get('/api/assess/points', { year: y })]);
    if (!current(seq)) return;
    fill(inds,
      table('ai-table', ['考核对象', '指标编码', '指标名称', '分值', '考核依据', '设定组织'],
        i.rows.map((x) => h('tr', { dataset: { code: x.code, target: x.target.code } }, h('td', {}, x.target.label), h('td', {}, x.code),
          h('td', {}, x.name), h('td.num', {}, x.points), h('td', {}, dash(x.evidence)), h('td', {}, dash(x.org_name)))),
        `${y} 年还没有考核指标。`),
      h('ul', { id: 'ai-totals' }, i.totals.map((t) => h('li', { dataset: { target: t.target.code, full: t.full ? '1' : '0' } },
        `${t.target.label}：${t.indicators} 项，合计 ${t.points} 分`, t.full ? '' : `（应为 ${i.full} 分）`))));
    fill(indChoice, i.rows.map((x) => h('option', { value: x.code }, `${x.code} ${x.name}（${x.target.label}，${x.points} 分）`)));
    fill(report,
      h('p.muted', { id: 'ar-rule' }, r.rule, '；等次在全部指标评分后给出。'),
      table('ar-table', ['组织编码', '组织', '考核对象', '已评指标', '总分', '等次', '星级'],
        r.rows.map((x) => h('tr', { dataset: { code: x.code } }, h('td', {}, x.code), h('td', {}, x.name), h('td', {}, x.target.label),
          h('td.num', {}, `${x.scored}/${x.indicators}`), h('td.num', {}, x.total), gradeCell(x),
          h('td', {}, x.stars ? '★'.repeat(x.stars) : '—'))), '没有社区党委或党支部。'));
    fill(points,
      h('ul', { id: 'ap-rules' }, p.rules.map((x) => h('li', { dataset: { code: x.code } }, `${x.label}：每${x.unit} ${x.points} 分`))),
      table('ap-table', ['姓名', '所在支部', '参加组织生活（次）', '志愿服务（小时）', '按时交纳党费（月）', '积分'],
        p.rows.map((x) => h('tr', {}, h('td', {}, x.name), h('td', {}, dash(x.org_name || x.org_code)), h('td.num', {}, x.present),
          h('td.num', {}, x.hours), h('td.num', {}, x.dues_months), h('td.num', {}, x.points))), '没有党员。'));
  }
  const forms = [];
  const tchoice = (id) => choose(id, [{ code: 'community', label: '社区党组织' }, { code: 'branch', label: '党支部' }]);
  if (street) {
    forms.push(postForm('ai-add-form', '设定考核指标', '/api/assess/indicators/add', [
      ['target', '考核对象', tchoice('ai-add-target')],
      ['code', '指标编码', text('ai-add-code', 16, '如 C1')],
      ['name', '指标名称', text('ai-add-name', 200)],
      ['points', '分值', text('ai-add-points', 8)],
      ['evidence', '考核依据', text('ai-add-evidence', 500)],
    ], () => ({ year: year.value }), async () => {
      await reload();
      say(h('div.notice.good', {}, '已设定考核指标。'));
      for (const i of ['ai-add-code', 'ai-add-name', 'ai-add-points', 'ai-add-evidence']) document.getElementById(i).value = '';
    }));
    forms.push(postForm('ai-edit-form', '修改考核指标', '/api/assess/indicators/edit', [
      ['target', '考核对象', tchoice('ai-edit-target')],
      ['code', '指标编码', text('ai-edit-code', 16)],
      ['name', '新名称（不改留空）', text('ai-edit-name', 200)],
      ['points', '新分值（不改留空）', text('ai-edit-points', 8)],
    ], () => ({ year: year.value }), async () => { await reload(); say(h('div.notice.good', {}, '已修改考核指标。')); }));
  }
  const scored = (meta.orgs || []).filter((o) => !o.dissolved && ['community', 'branch'].includes(o.kind.code));
  forms.push(postForm('sc-form', '评分', '/api/assess/scores/add', [
    ['org', '被考核组织', h('select', { id: 'sc-org' }, scored.map((o) => h('option', { value: o.code }, `${o.name}（${o.code}）`)))],
    ['indicator', '考核指标', indChoice],
    ['points', '得分', text('sc-points', 8, '最多一位小数')],
    ['scorer', '评分人', text('sc-scorer', 100)],
    ['date', '评分日期', date('sc-date', today())],
    ['evidence', '评分说明', text('sc-evidence', 500)],
  ], () => ({ year: year.value }), async (r) => {
    await reload();
    say(h('div.notice.good', {}, r.edited ? '已修改评分。' : '已评分。'));
  }));
  const branches = scored.filter((o) => o.kind.code === 'branch');
  forms.push(postForm('st-form', '评星定级', '/api/assess/stars/add', [
    ['org', '党支部', h('select', { id: 'st-org' }, branches.map((o) => h('option', { value: o.code }, `${o.name}（${o.code}）`)))],
    ['stars', '星级', choose('st-stars', [1, 2, 3, 4, 5].map((n) => ({ code: String(n), label: `${n} 星` })))],
    ['by', '评定单位', text('st-by', 100)],
    ['date', '评定日期', date('st-date', today())],
  ], () => ({ year: year.value }), async (r) => {
    await reload();
    say(h('div.notice.good', {}, r.edited ? '已修改星级。' : '已评定星级。'));
  }));
  year.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '考核'),
    h('p.muted', { id: 'as-who' }, street ? '本机为街道（区）：可设定年度考核指标（每类对象合计 100 分）、评分和评星定级。'
      : '考核指标由街道设定，本机只读；可为本机的组织评分（不能给自己评分）。'),
    notice,
    h('div.bar', {}, h('label', { for: 'as-year' }, '年度'), year),
    h('h2', {}, '考核指标'), inds,
    h('div.steps.cob', { id: 'as-forms' }, forms),
    h('h2', {}, '年度考核结果', ' ', rcsv), report,
    h('h2', {}, '党员积分', ' ', pcsv), points);
  await reload();
}

export const pages = { volunteer: pageVolunteer, assess: pageAssess };
