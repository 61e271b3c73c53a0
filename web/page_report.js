// page_report.js - the desk's pages for 报表 (reports, CSV exports, print views)
// and, on a street administrator's replica, 核对 (reconcile's findings).
// Each entry of pages: route name (the hash's first part) -> async (seq, parts).
// Check current(seq) after every await: a newer route may have begun.
//
// Routes: #/reports/TAB shows a tab (TAB: profile, compliance, inactive,
// overdue, terms, roster, branches, cobuild, reconcile); #/reports/TAB/print its print view
// (A4, nav and buttons hidden by print.css's @media print, table headers
// repeated on every page). Every figure is the API's (/api/report/*, the same
// rows as `tongxin report`); 导出 CSV is a plain link to the .csv route, so
// the file is the one CSV writer's (BOM, citizen IDs as text, formulas
// neutralised). Data is only ever text: h() and SVG text nodes.
import { get } from './api.js';
import { fill, h, label } from './dom.js';
import { current, loadMeta, main, meta } from './desk.js';

// The report pages' own styles, screen and print (index.html links style.css only).
if (!document.querySelector('link[href="/print.css"]')) {
  document.head.append(h('link', { rel: 'stylesheet', href: '/print.css' }));
}

function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// What the clerk chose; kept while moving between tabs and print views.
const state = {
  org: '', as_of: today(), year: '', period: '', lecture: '3', months: '6', within: '6', all: false,
};
// Set by 打印: the print view opens the browser's print dialog once drawn.
let printPending = false;

const TABS = [
  { id: 'profile', title: '党员结构', long: '党员队伍结构' },
  { id: 'compliance', title: '三会一课', long: '三会一课落实情况' },
  { id: 'inactive', title: '不活跃党员', long: '未参加组织生活的党员' },
  { id: 'overdue', title: '逾期清单', long: '逾期未销号的问题清单' },
  { id: 'terms', title: '换届提醒', long: '换届提醒' },
  { id: 'roster', title: '党员花名册', long: '党员花名册' },
  { id: 'branches', title: '支部规模', long: '党支部规模' },
  { id: 'cobuild', title: '共建共治', long: '共建共治工作情况' },
  { id: 'reconcile', title: '核对', long: '街道核对', admin: true },
];

function isAdmin() {
  return meta.session && meta.session.role === 'admin';
}

// The query string of tab's API call: the CLI's options.
function params(tab) {
  const p = {};
  if (state.org) p.org = state.org;
  if (state.as_of) p.as_of = state.as_of;
  if (tab === 'compliance') {
    if (state.year) p.year = state.year;
    if (state.period === 'year') p.year = state.year || state.as_of.slice(0, 4);
    else if (state.period.startsWith('q')) p.quarter = state.period.slice(1);
    else if (state.period.startsWith('m')) p.month = state.period.slice(1);
    p.lecture_months = state.lecture;
  }
  if (tab === 'cobuild' && state.year) p.year = state.year;
  if (tab === 'inactive') p.months = state.months;
  if (tab === 'terms') p.within_months = state.within;
  return p;
}

// The roster as the file `member import` takes back (tongxin member export's).
function exportPath() {
  const p = {};
  if (state.org) p.org = state.org;
  if (state.all) p.all = '1';
  return `/api/report/roster-export.csv?${new URLSearchParams(p)}`;
}

function apiPath(tab, csv) {
  const base = tab === 'reconcile' ? '/api/reconcile' : `/api/report/${tab}`;
  const q = tab === 'reconcile' ? '' : `?${new URLSearchParams(params(tab))}`;
  return `${base}${csv ? '.csv' : ''}${q}`;
}

// --- small builders -------------------------------------------------------------

function table(id, heads, rows) {
  return h('table.report', { id },
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows));
}

function select(id, options, value, onchange) {
  const s = h('select', { id }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  s.addEventListener('change', () => onchange(s.value));
  return s;
}

function labelled(text, box) {
  return h('label.opt', {}, h('span', {}, text), box);
}

// The organisations a report may be restricted to, by code.
function orgChoices(all) {
  const orgs = (meta.orgs || []).filter((o) => !o.dissolved && o.kind.code !== 'group')
    .sort((a, b) => a.code.localeCompare(b.code));
  return [['', all], ...orgs.map((o) => [o.code, `${o.name}（${o.code}）`])];
}

// --- SVG bar chart ------------------------------------------------------------------

const SVG_NS = 'http://www.w3.org/2000/svg';

// svg('rect', {x: 1}, child...): an SVG element; string children become text nodes.
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Horizontal bars: one per item {id, label, count, share_tenths, share}, the
// figures as text beside each bar. 100% is the full track.
function barChart(id, title, items) {
  const labelW = 150, track = 440, rowH = 34, top = 30;
  const width = labelW + track + 150, height = top + items.length * rowH + 6;
  const rows = items.map((it, i) => {
    const y = top + i * rowH;
    const w = it.share_tenths === null ? 0 : (track * it.share_tenths) / 1000;
    return svg('g', { class: 'bar-row', 'data-item': it.id },
      svg('text', { x: labelW - 10, y: y + 17, class: 'bar-label', 'text-anchor': 'end' }, it.label),
      svg('rect', { x: labelW, y: y + 4, width: track, height: 20, class: 'track' }),
      svg('rect', { x: labelW, y: y + 4, width: w.toFixed(2), height: 20, class: 'bar', 'data-share-tenths': it.share_tenths ?? '' },
        svg('title', {}, `${it.label}：${it.count} 人，${it.share}`)),
      svg('text', { x: labelW + w + 8, y: y + 18, class: 'bar-figure' }, `${it.count} 人 · ${it.share}`));
  });
  return svg('svg', { id, class: 'bar-chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title },
    svg('text', { x: 0, y: 18, class: 'chart-title' }, title), rows);
}

// Horizontal bars of plain quantities: one per item {id, label, value, text}, each
// bar as long as its value against the largest (an empty track when all are 0).
function amountChart(id, title, items) {
  const labelW = 150, track = 440, rowH = 34, top = 30;
  const width = labelW + track + 150, height = top + items.length * rowH + 6;
  const max = Math.max(0, ...items.map((it) => it.value));
  const rows = items.map((it, i) => {
    const y = top + i * rowH;
    const w = max > 0 ? (track * it.value) / max : 0;
    return svg('g', { class: 'bar-row', 'data-item': it.id },
      svg('text', { x: labelW - 10, y: y + 17, class: 'bar-label', 'text-anchor': 'end' }, it.label),
      svg('rect', { x: labelW, y: y + 4, width: track, height: 20, class: 'track' }),
      svg('rect', { x: labelW, y: y + 4, width: w.toFixed(2), height: 20, class: 'bar', 'data-value': it.value },
        svg('title', {}, `${it.label}：${it.text}`)),
      svg('text', { x: labelW + w + 8, y: y + 18, class: 'bar-figure' }, it.text));
  });
  return svg('svg', { id, class: 'bar-chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title },
    svg('text', { x: 0, y: 18, class: 'chart-title' }, title), rows);
}

// Fen as yuan with two decimals; minutes as hours (at most two decimals).
const yuan = (fen) => (fen / 100).toFixed(2);
const hours = (min) => String(Math.round((min / 60) * 100) / 100);

// --- the tabs --------------------------------------------------------------------------

async function drawProfile(live, box) {
  const r = await get(apiPath('profile'));
  if (!live()) return null;
  const total = r.items[0];
  const shares = r.items.slice(1);
  fill(box,
    h('p.summary', { id: 'profile-total' }, `党员总数（党籍正常）${total.count} 人`),
    barChart('profile-chart', '党员队伍结构（占党员总数的比例）', shares),
    table('report-table', ['项目', '人数', '占比'], r.items.map((it) => h('tr', { dataset: { item: it.id } },
      h('td', {}, it.label), h('td.num', {}, it.count), h('td.num', {}, it.share)))));
  return r.scope;
}

// One kind's cell: covered/required and each due cycle, the missing ones marked 缺;
// 未到期 when the branch owes cycles of the period that have not ended yet; — when
// it owes none (no groups, fewer than 7 full members, founded later, no members).
function cycleCell(k) {
  if (k.required === 0) {
    return k.pending > 0 ? h('td.pending', { dataset: { kind: k.kind.code } }, '未到期')
      : h('td.na', { dataset: { kind: k.kind.code } }, '—');
  }
  return h(`td${k.covered < k.required ? '.short' : ''}`, { dataset: { kind: k.kind.code } },
    h('div.ratio', {}, `${k.covered}/${k.required}`),
    h('div.cycles', {}, k.cycles.map((c) => (c.held > 0
      ? h('span.cyc.ok', { dataset: { cycle: c.label }, title: `${c.label} 已开 ${c.held} 次` }, `${c.label} ✓`)
      : h('span.cyc.miss', { dataset: { cycle: c.label }, title: `${c.label} 未开` }, `${c.label} 缺`)))));
}

// The result cell's class by state: short is bad, ok good, the rest neither.
const RESULT_CLASS = { ok: 'good', short: 'bad', not_due: 'pending', none: 'na', no_members: 'na' };

async function drawCompliance(live, box) {
  const r = await get(apiPath('compliance'));
  if (!live()) return null;
  const p = r.period;
  const span = p.month ? '本月' : p.quarter ? '本季度' : '本年';
  const rows = r.branches.map((b) => h(`tr${b.short ? '.short' : ''}`, { dataset: { code: b.code, state: b.state } },
    h('td', {}, b.code), h('td', {}, b.name), h('td.num', {}, b.members), h('td.num', {}, b.full),
    b.kinds.map(cycleCell),
    h(`td.result.${RESULT_CLASS[b.state] || 'na'}`, {}, b.state_label)));
  let verdict;
  if (!p.any_due) verdict = `${span}尚未到期：${p.label} 的月份、季度都还没有结束，暂无应办事项。`;
  else verdict = (r.nshort ? `未达标 ${r.nshort} 个。` : '已到期的事项全部达标。') +
    (p.pending ? ` ${span}尚未到期：${p.pending}。` : '');
  fill(box,
    h('p.summary', { id: 'compliance-summary' },
      `${p.label}（${p.start} 至 ${p.end}）：共 ${r.nbranches} 个支部，` + verdict +
      ` 要求：支委会（正式党员7人以上的支部）、党小组会（设党小组的支部）、主题党日每月，党员大会每季度，党课每 ${p.lecture_months} 个月；` +
      '只计已结束的月份或季度；没有党员的支部不作要求。'),
    r.branches.length === 0 ? h('p.muted', {}, '本范围内没有党支部。') :
      table('report-table', ['编码', '支部', '党员', '正式党员', ...r.kinds.map((k) => k.label), '结果'], rows));
  return r.scope;
}

async function drawInactive(live, box) {
  const r = await get(apiPath('inactive'));
  if (!live()) return null;
  fill(box,
    h('p.summary', { id: 'inactive-summary' }, r.count === 0 ? `${r.members} 名党员在 ${r.since} 之后都参加过组织生活。` :
      `${r.since} 之后未参加组织生活：共 ${r.count} 人，占 ${r.members} 名党员的 ${r.share}。`),
    r.count === 0 ? null : table('report-table', ['编码', '支部', '姓名', '最近参加', '间隔天数', '备注'],
      r.rows.map((m) => h('tr', {}, h('td', {}, m.branch_code || ''), h('td', {}, m.branch_name || ''),
        h('td', {}, m.name), h('td', {}, m.last_attended || '从未'),
        h('td.num', {}, m.days_since === null ? '—' : m.days_since), h('td', {}, m.note || '')))));
  return r.scope;
}

async function drawOverdue(live, box) {
  const r = await get(apiPath('overdue'));
  if (!live()) return null;
  fill(box,
    h('p.summary', { id: 'overdue-summary' }, r.count === 0 ? '没有逾期未销号的问题。' : `逾期未销号的问题共 ${r.count} 项。`),
    r.count === 0 ? null : table('report-table', ['编码', '组织', '问题事项', '期限', '状态', '逾期天数', '认领方'],
      r.rows.map((i) => h('tr', {}, h('td', {}, i.org_code || ''), h('td', {}, i.org_name || ''),
        h('td', {}, i.title), h('td', {}, i.due_on), h('td', {}, label(i.status)),
        h('td.num', {}, i.days_overdue), h('td', {}, i.claimed_by || '')))));
  return r.scope;
}

async function drawTerms(live, box) {
  const r = await get(apiPath('terms'));
  if (!live()) return null;
  const overdue = r.rows.filter((t) => t.overdue).length;
  fill(box,
    h('p.summary', { id: 'terms-summary' }, r.count === 0 ? `${r.until} 前没有到期的届期。` :
      `已到期 ${overdue} 个，${r.until} 前即将到期 ${r.count - overdue} 个。届期：社区党委、党总支 5 年，党支部 3 年。`),
    r.count === 0 ? null : table('report-table', ['编码', '名称', '类别', '届期开始', '届期结束', '状态', '逾期/剩余天数'],
      r.rows.map((t) => h(`tr${t.overdue ? '.short' : ''}`, {}, h('td', {}, t.code), h('td', {}, t.name),
        h('td', {}, label(t.kind)), h('td', {}, t.term_start || ''),
        h('td', {}, t.term_end + (t.computed ? '（推算）' : '')),
        h(`td.result.${t.overdue ? 'bad' : 'warn'}`, {}, t.overdue ? '已到期' : '即将到期'),
        h('td.num', {}, t.overdue ? `逾期 ${t.days}` : `剩 ${t.days}`)))),
    r.unknown ? h('p.muted', {}, `另有 ${r.unknown} 个组织未登记届期。`) : null);
  return r.scope;
}

// The roster's columns: the national form's items, labelled by the schema.
const ROSTER = ['name', 'gender', 'ethnicity', 'id_number', 'birth_date', 'education', 'category',
  'org_id', 'join_date', 'full_date', 'job', 'phone', 'address', 'standing', 'lost_contact',
  'lost_since', 'mobile', 'flow_to'];

function colLabel(name) {
  const c = meta.form.find((x) => x.name === name);
  return c ? c.label : name;
}

function boolLabel(name, v) {
  const c = meta.form.find((x) => x.name === name);
  const o = c && c.options ? c.options.find((x) => x.code === (v ? '1' : '0')) : null;
  return o ? o.label : (v ? '是' : '否');
}

async function drawRoster(live, box) {
  // Without a choice: every branch of the replica, each on its own pages.
  const r = await get(apiPath('roster'));
  if (!live()) return null;
  const cell = (m, n) => {
    if (n === 'org_id') return m.org_name || '';
    if (n === 'lost_contact' || n === 'mobile') return boolLabel(n, m[n]);
    const v = m[n];
    return v && typeof v === 'object' ? label(v) : (v || '');
  };
  const note = (m) => ['retired', 'in_service', 'relocated'].filter((f) => m[f]).map(colLabel).join(' ');
  // Branch by branch (the rows come ordered by the branch's code), each with its
  // heading, its own table and numbering; on paper each branch begins a new page.
  const groups = [];
  for (const m of r.rows) {
    const g = groups[groups.length - 1];
    if (g && g.code === (m.org_code || '')) g.rows.push(m);
    else groups.push({ code: m.org_code || '', name: m.org_name || '', rows: [m] });
  }
  fill(box,
    h('p.summary', { id: 'roster-summary' }, `共 ${r.count} 人${r.count >= r.max ? `（只列出前 ${r.max} 人，请选择一个支部）` : ''}` +
      `${groups.length > 1 ? `，${groups.length} 个支部` : ''}。`),
    groups.map((g, k) => {
      const sec = h('section.roster-branch', { dataset: { code: g.code } },
        h('h3.roster-branch-title', {}, `${g.name}（${g.code}）　共 ${g.rows.length} 人`),
        table(k === 0 ? 'report-table' : `report-table-${k + 1}`, ['序号', ...ROSTER.map(colLabel), '备注'],
          g.rows.map((m, i) => h('tr', {}, h('td.num', {}, i + 1), ROSTER.map((n) => h(`td.c-${n}`, {}, cell(m, n))),
            h('td', {}, note(m))))));
      if (k > 0) sec.style.breakBefore = 'page';   // CSSOM, not a style attribute: the CSP allows it
      return sec;
    }));
  return r.scope;
}

// The community an organisation belongs to (itself, or up its parents), or null.
function communityOf(code) {
  const orgs = meta.orgs || [];
  let o = orgs.find((x) => x.code === code);
  for (let n = 0; o && n < 8; n++) {
    if (o.kind && o.kind.code === 'community') return o;
    const pid = o.parent_id;
    o = pid ? orgs.find((x) => x.id === pid) : null;
  }
  return null;
}

// 支部规模: each branch's members (groups included), full and probationary ones,
// whether it elects a 支委会, and the size warnings reconcile gives street-wide.
async function drawBranches(live, box) {
  const r = await get(apiPath('branches'));
  if (!live()) return null;
  fill(box,
    h('p.summary', { id: 'branches-summary' }, (r.count === 0 ? '本范围内没有党支部。' :
      r.nwarn === 0 ? `共 ${r.count} 个支部，规模均正常。` : `共 ${r.count} 个支部，${r.nwarn} 个需调整。`) +
      ` 正式党员 ${r.committee_min_full} 人以上设支委会；党员超过 ${r.max_members} 人应分设，正式党员不足 ${r.min_full} 人应联合组建或撤并。`),
    r.count === 0 ? null : table('report-table', ['编码', '支部', '党员', '正式党员', '预备党员', '党小组', '设支委会', '提示'],
      r.rows.map((b) => h(`tr${b.warn ? '.short' : ''}`, { dataset: { code: b.code } }, h('td', {}, b.code), h('td', {}, b.name),
        h('td.num', {}, b.members), h('td.num', {}, b.full), h('td.num', {}, b.probationary), h('td.num', {}, b.groups),
        h('td', {}, b.committee ? '是' : '否'),
        h(`td.result.${b.warn ? 'bad' : 'good'}`, {}, b.warn ? b.warning : '正常')))));
  return r.scope;
}

// 共建共治: per community, the year's co-building and service work (report cobuild),
// with the wishes fulfilled and the volunteer hours as bars.
async function drawCobuild(live, box) {
  const r = await get(apiPath('cobuild'));
  if (!live()) return null;
  const sum = (k) => r.rows.reduce((n, c) => n + c[k], 0);
  const onTime = sum('replied_on_time'), opinions = sum('opinions');
  fill(box,
    h('p.summary', { id: 'cobuild-summary' }, r.count === 0 ? '本范围内没有社区。' :
      `${r.year} 年，${r.count} 个社区：驻区单位 ${sum('units')} 个，有效共建协议 ${sum('agreements')} 份；` +
      `认领 ${sum('claims')} 项、完成 ${sum('claims_done')} 项；微心愿征集 ${sum('wishes')} 个、实现 ${sum('wishes_fulfilled')} 个` +
      `（价值 ${yuan(sum('wish_value_fen'))} 元）；民情 ${opinions} 件，${r.reply_days} 天内回音 ${onTime} 件，逾期 ${sum('overdue')} 件；` +
      `志愿服务 ${hours(sum('volunteer_minutes'))} 小时。`),
    r.count === 0 ? null : table('report-table', ['编码', '社区', '驻区单位', '共建协议', '兼职委员', '认领', '认领完成', '清单销号',
      '微心愿', '已实现', '实现价值（元）', '民情', '按时回音', '逾期', '志愿服务（小时）', '经费预算（元）', '经费支出（元）',
      '考核得分', '考核等级'],
    r.rows.map((c) => h(`tr${c.overdue > 0 ? '.short' : ''}`, { dataset: { code: c.code } }, h('td', {}, c.code), h('td', {}, c.name),
      ...['units', 'agreements', 'part_time_members', 'claims', 'claims_done', 'items_closed', 'wishes', 'wishes_fulfilled']
        .map((k) => h('td.num', {}, c[k])),
      h('td.num', {}, yuan(c.wish_value_fen)), h('td.num', {}, c.opinions), h('td.num', {}, c.replied_on_time),
      h('td.num', {}, c.overdue), h('td.num', {}, hours(c.volunteer_minutes)),
      h('td.num', {}, c.fund_budget_fen === null ? '-' : yuan(c.fund_budget_fen)), h('td.num', {}, yuan(c.fund_spent_fen)),
      h('td.num', {}, c.assessment_scored > 0 ? (c.assessment_points10 / 10).toFixed(1) : '-'),
      h('td', {}, c.assessment_grade)))),
    r.count === 0 ? null : amountChart('cobuild-wishes', '微心愿实现（个）', r.rows.map((c) =>
      ({ id: c.code, label: c.name, value: c.wishes_fulfilled, text: `${c.wishes_fulfilled} 个 · ${yuan(c.wish_value_fen)} 元` }))),
    r.count === 0 ? null : amountChart('cobuild-hours', '志愿服务时长（小时）', r.rows.map((c) =>
      ({ id: c.code, label: c.name, value: c.volunteer_minutes, text: `${hours(c.volunteer_minutes)} 小时` }))));
  return r.scope;
}

async function drawReconcile(live, box) {
  const r = await get('/api/reconcile');
  if (!live()) return null;
  const counts = new Map();
  for (const f of r.findings) counts.set(f.check, (counts.get(f.check) || 0) + 1);
  fill(box,
    h('p.summary', { id: 'reconcile-summary' }, r.count === 0 ? '核对无异常。' :
      `核对发现 ${r.count} 项需要处理：` + [...counts].map(([c, n]) => `${c.split(' ')[0]} ${n} 项`).join('，') + '。'),
    r.count === 0 ? null : table('report-table', ['检查项', '组织', '记录', '说明'],
      r.findings.map((f) => h('tr', {}, h('td', {}, f.check.split(' ')[0]), h('td', {}, f.organisation || ''),
        h('td', {}, f.record || ''), h('td', {}, f.detail || '')))));
  return { text: '本副本全部组织', as_of: r.today };
}

const DRAW = {
  profile: drawProfile, compliance: drawCompliance, inactive: drawInactive, overdue: drawOverdue,
  terms: drawTerms, roster: drawRoster, branches: drawBranches, cobuild: drawCobuild, reconcile: drawReconcile,
};

// The options bar of a tab; a change redraws the tab.
function options(tab, redraw) {
  const set = (k) => (v) => { state[k] = v; redraw(); };
  const asOf = h('input', { type: 'date', id: 'opt-as-of', value: state.as_of });
  asOf.addEventListener('change', () => { if (asOf.value) { state.as_of = asOf.value; redraw(); } });
  if (tab === 'reconcile') return h('div.bar.noprint', {}, h('span.muted', {}, '街道各社区上报数据的交叉核对（按今天的日期）。'));
  const items = [labelled(tab === 'roster' ? '支部' : '组织', select('opt-org', orgChoices(tab === 'roster' ? '全部支部' : '全部组织'), state.org, set('org')))];
  // The roster and the branches' sizes are the record as it stands: no "as of" date.
  if (tab !== 'roster' && tab !== 'branches') items.push(labelled('截至', asOf));
  if (tab === 'compliance') {
    const year = h('input', { type: 'number', id: 'opt-year', min: 1900, max: 9999, placeholder: state.as_of.slice(0, 4), value: state.year });
    year.addEventListener('change', () => { state.year = year.value; redraw(); });
    const periods = [['', '截至日期所在季度'], ['year', '全年'], ...[1, 2, 3, 4].map((q) => [`q${q}`, `第${q}季度`]),
      ...Array.from({ length: 12 }, (_, i) => [`m${i + 1}`, `${i + 1}月`])];
    items.push(labelled('年份', year), labelled('期间', select('opt-period', periods, state.period, set('period'))),
      labelled('党课', select('opt-lecture', ['1', '2', '3', '4', '6', '12'].map((n) => [n, `每 ${n} 个月`]), state.lecture, set('lecture'))));
  }
  if (tab === 'cobuild') {
    const year = h('input', { type: 'number', id: 'opt-year', min: 2000, max: 2100, placeholder: state.as_of.slice(0, 4), value: state.year });
    year.addEventListener('change', () => { state.year = year.value; redraw(); });
    items.push(labelled('年份', year));
  }
  if (tab === 'roster') {   // only the importable export takes those who left (减少)
    const all = h('input', { type: 'checkbox', id: 'opt-all', checked: !!state.all });
    all.addEventListener('change', () => { state.all = all.checked; redraw(); });
    items.push(h('label', {}, all, ' 导出含已减少的党员'));
  }
  if (tab === 'inactive') {
    items.push(labelled('期限', select('opt-months', ['3', '6', '12'].map((n) => [n, `${n} 个月未参加`]), state.months, set('months'))));
  }
  if (tab === 'terms') {
    items.push(labelled('范围', select('opt-within', ['0', '3', '6', '12'].map((n) => [n, n === '0' ? '仅已到期' : `${n} 个月内到期`]), state.within, set('within'))));
  }
  return h('div.bar.noprint', {}, items);
}

function tabsBar(active) {
  return h('nav.report-tabs.noprint', { id: 'report-tabs' }, TABS.filter((t) => !t.admin || isAdmin()).map((t) =>
    h(`a${t.id === active ? '.active' : ''}`, { href: `#/reports/${t.id}`, dataset: { tab: t.id } }, t.title)));
}

// The heading a printed page carries: title, scope and date.
function heading(t, scope) {
  const where = scope.org_name ? `${scope.org_name}（${scope.org_code}）` : (scope.org_code === undefined ? scope.text : '本副本全部组织');
  if (t.id === 'roster') {   // the form's header: the community, the scope, the date it was made
    const c = communityOf(scope.org_code || (meta.session ? meta.session.org_code : ''));
    return [h('h2.report-title', { id: 'report-title' }, `${c ? c.name : ''}${t.long}`),
      h('p.report-scope', { id: 'report-scope' }, `${c ? `社区：${c.name}　` : ''}范围：${where}　制表日期：${today()}　` +
        `制表：${meta.session ? meta.session.org_code : ''}`)];
  }
  return [h('h2.report-title', { id: 'report-title' }, t.long),
    // The roster is the record as it stands: it has no "as of" date.
    h('p.report-scope', { id: 'report-scope' }, `范围：${where}　${t.id === 'roster' || t.id === 'branches' ? '' : `截至：${scope.as_of}　`}` +
      `制表：${meta.session ? meta.session.org_code : ''}`)];
}

// The foot of a printed form: who made it, who checked it, when.
function signature() {
  return h('p.signature', { id: 'signature' }, `制表人：　　　　　　审核人：　　　　　　制表日期：${today()}`);
}

async function pageReport(seq, parts) {
  await loadMeta();
  if (!current(seq)) return;
  const tab = parts[1] || 'profile';
  const t = TABS.find((x) => x.id === tab && (!x.admin || isAdmin()));
  if (!t) {
    fill(main, h('p', {}, '没有这个报表。'));
    return;
  }
  const print = parts[2] === 'print';
  const head = h('div.report-head');
  // data-ready: the number of the draw shown, "" while one is on its way.
  const box = h('div.report-body', { id: 'report-body', dataset: { tab, ready: '' } }, h('p.muted', {}, '正在计算…'));
  const csv = h('a.button', { id: 'csv', href: apiPath(tab, true), download: '' }, '导出 CSV');
  const printBtn = h('button', { id: 'print' }, '打印');
  // 花名册: also the whole record of each member as a CSV another office imports unchanged.
  const exp = tab === 'roster' ? h('a.button', { id: 'roster-export', href: exportPath(), download: '',
    title: '全部信息项，tongxin member import 可原样导入' }, '导出（可导入）') : null;
  let drawn = 0;   // a later change of the options supersedes an answer still on its way
  async function draw() {
    const mine = ++drawn;
    const live = () => current(seq) && mine === drawn;
    box.dataset.ready = '';
    csv.href = apiPath(tab, true);
    if (exp) exp.href = exportPath();
    const scope = await DRAW[tab](live, box);
    if (!live() || !scope) return;
    fill(head, heading(t, scope));
    box.dataset.ready = String(mine);
    if (print && printPending) {
      printPending = false;
      setTimeout(() => window.print(), 50);
    }
  }
  function fail(e) {
    if (current(seq)) fill(box, h('div.notice.bad', {}, e.message || String(e)));
  }
  // The roster is printed landscape (its own named @page in print.css).
  const page = `div.report-page${tab === 'roster' ? '.roster' : ''}`;
  if (print) {
    printBtn.addEventListener('click', () => window.print());
    fill(main, h(`${page}.print-view`, { id: 'print-view' },
      h('div.bar.noprint', {}, printBtn, h('a.button', { id: 'back', href: `#/reports/${tab}` }, '返回'),
        h('span.muted', {}, '打印预览：A4 纸，表头在每页重复。')),
      head, box, signature()));
  } else {
    printBtn.addEventListener('click', () => { printPending = true; location.hash = `#/reports/${tab}/print`; });
    fill(main, h(page, {}, h('h1.noprint', {}, '报表'), tabsBar(tab), options(tab, () => draw().catch(fail)),
      h('div.actions.noprint', {}, csv, exp, printBtn), head, box));
  }
  await draw();
}

export const pages = {
  reports: (seq, parts) => pageReport(seq, parts),
};
