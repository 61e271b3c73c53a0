// page_cobuild.js - the desk's co-building pages (issue 14): 共建单位 (resident units of this
// community and of others, their co-building agreements), 微心愿 (wishes by status, claimed by a
// member, a unit or a branch, fulfilled or cancelled; the year's report with a bar chart) and
// 民情回音壁 (opinions assigned, replied and closed; the overdue list). The same domain operations
// as tongxin unit / agreement / wish / feedback, through web_api_cobuild.c.
// Each entry of pages: route name -> async (seq, parts). Check current(seq) after every await.
import { get, post } from './api.js';
import { fill, h } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

// The nav entries these pages add (app.js places them): [route, text].
export const nav = [['units', '共建单位'], ['wishes', '微心愿'], ['feedback', '回音壁']];

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

function orgName(o) {
  if (!o || !o.id) return '—';
  return o.visible ? o.name : '其他社区（本副本不可见）';
}

function field(id, text, input) {
  return h('div.field', {}, h('label', { for: id }, text), input);
}

const text = (id, max, placeholder) => h('input', { type: 'text', id, maxLength: max, placeholder: placeholder || '', autocomplete: 'off' });
const date = (id, value) => h('input', { type: 'date', id, value: value || '' });
const area = (id, max) => h('textarea', { id, maxLength: max, rows: 3 });
const choose = (id, options, empty) => h('select', { id },
  empty === undefined ? null : h('option', { value: '' }, empty),
  options.map((o) => h('option', { value: o.code }, o.label)));

// A small form posting to path; fields: [[name, label, input]]; extra() adds fixed values;
// done(answer, status) after success; button: the submit button's text. A refusal shows the
// API's Chinese message in the form.
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

// The organisations a wish or an opinion may belong to (community, general branch, branch).
function homeOrgs() {
  return (meta.orgs || []).filter((o) => !o.dissolved && ['community', 'general_branch', 'branch'].includes(o.kind.code));
}

function orgChoice(id) {
  return h('select', { id }, h('option', { value: '' }, '本机所属组织'),
    homeOrgs().map((o) => h('option', { value: o.id }, `${o.name}（${o.code}）`)));
}

// --- 共建单位 --------------------------------------------------------------------

function unitRow(u) {
  return h('tr.link', { dataset: { id: u.id }, onclick: () => { location.hash = `#/units/${u.id}`; } },
    h('td', {}, u.name), h('td', {}, u.kind ? u.kind.label : '—'), h('td', {}, dash(u.credit_code)),
    h('td', {}, h(u.own ? 'span.tag.own' : 'span.tag.other', { dataset: { own: u.own ? '1' : '0' } }, u.own ? '本社区' : '其他社区')),
    h('td', {}, orgName(u.community)), h('td', {}, dash(u.party_org)),
    h('td.num', {}, u.agreements), h('td.num', {}, u.part_timers), h('td', {}, dash(u.left_on)));
}

function agreementRow(g) {
  return h('tr', { dataset: { id: g.id } },
    h('td', {}, g.unit_name ? g.unit_name : `${g.unit_code || g.unit_id || ''}（同步后显示）`),
    h('td', {}, orgName(g.community)), h('td', {}, g.signed_on), h('td', {}, dash(g.ends_on)),
    h('td', {}, dash(g.ended_on)), h('td', {}, g.in_force ? h('span.tag.own', {}, '履行中') : h('span.tag', {}, '已终止')),
    h('td', {}, dash(g.unit_commits)), h('td', {}, dash(g.community_commits)));
}

const AGREEMENT_HEADS = ['驻区单位', '签约社区', '签订日期', '到期日期', '终止日期', '状态', '单位承诺', '社区承诺'];

// The unit form's items: [schema name, label, input]; u pre-fills (edit).
function unitFields(prefix, kinds, u) {
  const v = (k) => (u && u[k] !== null && u[k] !== undefined ? String(u[k]) : '');
  const kind = choose(`${prefix}-kind`, kinds, '请选择');
  if (u && u.kind) kind.value = u.kind.code;
  const set = (el, k) => { el.value = v(k); return el; };
  return [
    ['name', '单位名称', set(text(`${prefix}-name`, 200), 'name')],
    ['kind', '单位类别', kind],
    ['credit_code', '统一社会信用代码', set(text(`${prefix}-credit_code`, 18, '18 位'), 'credit_code')],
    ['party_org', '单位党组织', set(text(`${prefix}-party_org`, 200), 'party_org')],
    ['party_members', '党员人数', set(text(`${prefix}-party_members`, 8), 'party_members')],
    ['contact_name', '联系人', set(text(`${prefix}-contact_name`, 100), 'contact_name')],
    ['contact_phone', '联系电话', set(text(`${prefix}-contact_phone`, 32), 'contact_phone')],
    ['address', '单位地址', set(text(`${prefix}-address`, 200), 'address')],
    ['joined_on', '加入日期', set(date(`${prefix}-joined_on`), 'joined_on')],
  ];
}

async function pageUnits(seq, parts) {
  if (parts[1]) return pageUnit(seq, parts[1]);
  await loadMeta();
  if (!current(seq)) return;
  const all = h('input', { type: 'checkbox', id: 'un-all' });
  const list = h('div', { id: 'un-list' });
  const agreements = h('div', { id: 'ag-list' });
  const notice = h('div', { id: 'un-notice' });
  const forms = h('div.steps.cob', { id: 'un-forms' });
  const say = (n) => fill(notice, n);

  async function reload() {
    const [u, g] = await Promise.all([get('/api/units', all.checked ? { all: 1 } : {}),
      get('/api/agreements', all.checked ? { all: 1 } : {})]);
    if (!current(seq)) return;
    fill(list, table('un-table', ['单位名称', '单位类别', '统一社会信用代码', '归属', '所在社区', '单位党组织', '协议', '兼职委员', '退出日期'],
      u.rows.map(unitRow), '副本中还没有驻区单位。'));
    fill(agreements, table('ag-table', AGREEMENT_HEADS, g.rows.map(agreementRow),
      all.checked ? '没有共建协议。' : '没有履行中的共建协议。'));
    // The agreement form: a unit held here, or a unit of another community by its credit code.
    const pick = h('select', { id: 'ag-add-pick' }, h('option', { value: '' }, '其他社区的单位（填信用代码）'),
      u.rows.filter((x) => !x.left_on).map((x) => h('option', { value: x.id }, `${x.name}${x.own ? '' : '（其他社区）'}`)));
    const code = text('ag-add-code', 18, '统一社会信用代码');
    const add = unitFields('un-add', u.kinds, null);
    fill(forms,
      postForm('un-add-form', '登记驻区单位', '/api/units/add', add, () => ({}), async () => {
        await reload();
        say(h('div.notice.good', {}, '已登记驻区单位。'));
      }),
      postForm('ag-add-form', '签订共建协议', '/api/agreements/add', [
        ['signed_on', '签订日期', date('ag-add-signed_on', today())],
        ['ends_on', '到期日期', date('ag-add-ends_on')],
        ['unit_commits', '单位承诺', area('ag-add-unit_commits', 2000)],
        ['community_commits', '社区承诺', area('ag-add-community_commits', 2000)],
      ], () => ({ unit: pick.value || code.value.trim() }), async () => {
        await reload();
        say(h('div.notice.good', {}, '已签订共建协议；其他社区的单位在同步后显示。'));
      }));
    const f = document.getElementById('ag-add-form');
    f.insertBefore(field('ag-add-code', '或统一社会信用代码', code), f.children[1]);
    f.insertBefore(field('ag-add-pick', '驻区单位', pick), f.children[1]);
  }

  all.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '共建单位'),
    h('p.muted', {}, '驻区单位由所在社区登记和修改；与其他社区的单位签订共建协议时填写其统一社会信用代码，同步后该单位出现在本社区（只读）。'),
    notice,
    h('div.bar', {}, h('label', {}, all, ' 显示已退出的单位和已终止的协议')),
    list,
    h('h2', {}, '共建协议'),
    agreements,
    h('h2', {}, '登记'),
    forms);
  await reload();
}

async function pageUnit(seq, id) {
  const r = await get('/api/units/show', { id });
  if (!current(seq)) return;
  const u = r.unit;
  const notice = h('div', { id: 'un-notice' });
  const again = () => pageUnit(seq, id).catch((e) => fill(notice, problem(e)));
  const step = async (path, g) => {
    try {
      await post(path, { id: g.id, date: today() });
      await again();
    } catch (e) {
      fill(notice, problem(e));
    }
  };
  const rows = r.agreements.map((g) => {
    const row = agreementRow(g);
    row.append(h('td', {},
      g.in_force ? h('button.small', { dataset: { end: g.id }, onclick: () => step('/api/agreements/end', g) }, '终止') : null,
      h('button.small', {
        dataset: { del: g.id },
        // Deleting is for an agreement entered by mistake: a second click confirms it.
        onclick: (ev) => {
          if (ev.target.dataset.armed) step('/api/agreements/delete', g);
          else { ev.target.dataset.armed = '1'; fill(ev.target, '确认删除（误录的协议）'); }
        },
      }, '删除')));
    return row;
  });
  const edit = u.own ? postForm('un-edit-form', '修改单位信息', '/api/units/edit',
    unitFields('un-edit', r.kinds, u).concat([['left_on', '退出日期', date('un-edit-left_on', u.left_on)]]),
    () => ({ id: u.id }), async () => { await again(); }) : null;
  fill(main, h('h1', {}, `共建单位 · ${u.name}`),
    h('p', {}, h('a', { href: '#/units' }, '← 返回共建单位')),
    notice,
    h('dl.items', { id: 'un-unit' },
      h('dt', {}, '单位名称'), h('dd', {}, u.name),
      h('dt', {}, '单位类别'), h('dd', {}, u.kind ? u.kind.label : '—'),
      h('dt', {}, '统一社会信用代码'), h('dd', {}, dash(u.credit_code)),
      h('dt', {}, '归属'), h('dd', { id: 'un-own' }, u.own ? '本社区' : '其他社区（只读）'),
      h('dt', {}, '所在社区'), h('dd', {}, orgName(u.community)),
      h('dt', {}, '单位党组织'), h('dd', {}, dash(u.party_org)),
      h('dt', {}, '党员人数'), h('dd', {}, dash(u.party_members)),
      h('dt', {}, '联系人'), h('dd', {}, dash(u.contact_name)),
      h('dt', {}, '联系电话'), h('dd', {}, dash(u.contact_phone)),
      h('dt', {}, '单位地址'), h('dd', {}, dash(u.address)),
      h('dt', {}, '加入日期'), h('dd', {}, dash(u.joined_on)),
      h('dt', {}, '退出日期'), h('dd', {}, dash(u.left_on)),
      h('dt', {}, '兼职委员'), h('dd', {}, u.part_timers)),
    h('h2', {}, '共建协议'),
    table('un-agreements', AGREEMENT_HEADS.concat(['']), rows, '没有共建协议。'),
    edit ? h('div.steps.cob', {}, edit) : h('p.muted', {}, '该单位由其所在社区维护，本社区只读。'));
}

// --- 微心愿 -------------------------------------------------------------------------

function wishRow(w) {
  return h('tr.link', { dataset: { id: w.id, status: w.status.code }, onclick: () => { location.hash = `#/wishes/${w.id}`; } },
    h('td', {}, w.handle), h('td', {}, orgName(w.org)), h('td', {}, w.resident), h('td', {}, dash(w.grid)),
    h('td', {}, w.wish), h('td.num', {}, dash(w.value_yuan)),
    h(`td.ws-${w.status.code}`, {}, w.status.label), h('td', {}, w.posted_on),
    h('td', {}, w.claimant ? `${w.claimant.name || ''}（${w.claimant.label}）` : '—'),
    h('td', {}, dash(w.fulfilled_on)));
}

// An SVG element (the chart's pieces: attributes, not styles, so the CSP holds).
function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// The year's wishes by month: posted and fulfilled side by side, all organisations together.
function wishChart(year, rows) {
  const months = Array.from({ length: 12 }, (_, i) => ({ posted: 0, fulfilled: 0, m: i + 1 }));
  for (const r of rows) {
    const m = months[Number(r.month.slice(5, 7)) - 1];
    if (m) { m.posted += r.posted; m.fulfilled += r.fulfilled; }
  }
  const top = Math.max(1, ...months.map((m) => Math.max(m.posted, m.fulfilled)));
  const W = 720, H = 200, base = 170, bw = 18, step = 58, left = 30;
  const g = svg('svg', { id: 'wr-chart', class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${year} 年微心愿按月`});
  g.append(svg('line', { x1: left - 4, y1: base, x2: W - 10, y2: base, class: 'axis' }));
  for (const m of months) {
    const x = left + (m.m - 1) * step;
    for (const [k, dx, cls] of [['posted', 0, 'bar-posted'], ['fulfilled', bw + 2, 'bar-fulfilled']]) {
      const hgt = Math.round((m[k] / top) * 140);
      const bar = svg('rect', { x: x + dx, y: base - hgt, width: bw, height: hgt, class: cls, 'data-month': m.m, 'data-kind': k, 'data-n': m[k] });
      bar.append(svg('title', {}, `${m.m} 月 ${k === 'posted' ? '征集' : '实现'} ${m[k]}`));
      g.append(bar);
      if (m[k] > 0) g.append(svg('text', { x: x + dx + bw / 2, y: base - hgt - 3, class: 'n' }, m[k]));
    }
    g.append(svg('text', { x: x + bw, y: base + 16, class: 'm' }, `${m.m}月`));
  }
  return h('div.chart-box', {}, g,
    h('div.legend', {}, h('span.key.posted', {}), ' 征集 ', h('span.key.fulfilled', {}), ' 实现'));
}

async function pageWishes(seq, parts) {
  if (parts[1]) return pageWish(seq, parts[1]);
  await loadMeta();
  if (!current(seq)) return;
  const status = h('select', { id: 'ws-status' }, h('option', { value: '' }, '全部状态'));
  const month = h('input', { type: 'month', id: 'ws-month' });
  const list = h('div', { id: 'ws-list' });
  const notice = h('div', { id: 'ws-notice' });
  const year = h('input', { type: 'number', id: 'wr-year', min: 2000, max: 2100, value: today().slice(0, 4) });
  const csv = h('a', { id: 'wr-csv', download: '' }, '导出 CSV');
  const report = h('div', { id: 'wr-report' });
  const say = (n) => fill(notice, n);
  let statuses = null;

  async function reload() {
    const q = {};
    if (status.value) q.status = status.value;
    if (month.value) q.month = month.value;
    const r = await get('/api/wishes', q);
    if (!current(seq)) return;
    if (!statuses) {
      statuses = r.statuses;
      status.append(...statuses.map((s) => h('option', { value: s.code }, s.label)));
    }
    fill(list, table('ws-table', ['简号', '社区或支部', '居民姓名', '网格', '心愿内容', '估值（元）', '状态', '征集日期', '认领人', '实现日期'],
      r.rows.map(wishRow), '没有符合条件的微心愿。'));
  }
  async function reloadReport() {
    csv.href = `/api/wishes/report.csv?${new URLSearchParams({ year: year.value })}`;
    const r = await get('/api/wishes/report', { year: year.value });
    if (!current(seq)) return;
    const t = r.total;
    fill(report,
      table('wr-table', ['社区或支部', '月份', '征集', '认领', '实现', '实现心愿估值（元）'],
        r.rows.map((m) => h('tr', {}, h('td', {}, orgName(m.org)), h('td', {}, m.month), h('td.num', {}, m.posted),
          h('td.num', {}, m.claimed), h('td.num', {}, m.fulfilled), h('td.num', {}, m.value_fulfilled_yuan)))
          .concat(r.rows.length ? [h('tr.total', {}, h('td', {}, '合计'), h('td', {}, r.year), h('td.num', {}, t.posted),
            h('td.num', {}, t.claimed), h('td.num', {}, t.fulfilled), h('td.num', { id: 'wr-total-value' }, t.value_fulfilled_yuan))] : []),
        `${r.year} 年没有微心愿。`),
      r.rows.length ? wishChart(r.year, r.rows) : null);
  }
  const add = postForm('ws-add-form', '登记微心愿', '/api/wishes/add', [
    ['resident_name', '居民姓名', text('ws-add-resident', 100)],
    ['household', '家庭住址', text('ws-add-household', 200)],
    ['grid', '网格', text('ws-add-grid', 100)],
    ['wish', '心愿内容', area('ws-add-wish', 500)],
    ['value', '估值（元）', text('ws-add-value', 16, '如 50 或 49.90')],
    ['posted_on', '征集日期', date('ws-add-date', today())],
    ['org_id', '所属组织', orgChoice('ws-add-org')],
  ], () => ({}), async () => {
    await reload();
    await reloadReport();
    say(h('div.notice.good', {}, '已登记微心愿。'));
    for (const i of ['ws-add-resident', 'ws-add-household', 'ws-add-grid', 'ws-add-wish', 'ws-add-value']) document.getElementById(i).value = '';
  });
  status.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  month.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  year.addEventListener('change', () => { reloadReport().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '微心愿'),
    h('p.muted', {}, '困难居民的微心愿：登记后由党员、驻区单位或支部认领，实现后登记日期和照片；可撤销未实现的心愿。'),
    notice,
    h('div.bar', {}, h('label', { for: 'ws-status' }, '状态'), status, h('label', { for: 'ws-month' }, '征集月份'), month),
    list,
    h('div.steps.cob', {}, add),
    h('h2', {}, '年度微心愿情况'),
    h('div.bar', {}, h('label', { for: 'wr-year' }, '年度'), year, csv),
    report);
  await reload();
  await reloadReport();
}

async function pageWish(seq, id) {
  await loadMeta();
  const [r, units] = await Promise.all([get('/api/wishes/show', { id }), get('/api/units')]);
  if (!current(seq)) return;
  const w = r.wish;
  const notice = h('div', { id: 'ws-notice' });
  const again = () => pageWish(seq, id).catch((e) => fill(notice, problem(e)));
  const forms = [];
  if (w.status.code === 'open') {
    // Who claims: a member (name or citizen ID), a resident unit, or a branch.
    const kind = h('select', { id: 'ws-claim-kind' }, h('option', { value: 'member' }, '党员'),
      h('option', { value: 'unit' }, '驻区单位'), h('option', { value: 'branch' }, '支部'));
    const member = text('ws-claim-member', 100, '姓名或公民身份号码');
    const unit = h('select', { id: 'ws-claim-unit' }, units.rows.filter((u) => !u.left_on).map((u) => h('option', { value: u.id }, u.name)));
    const branch = h('select', { id: 'ws-claim-branch' }, (meta.orgs || []).filter((o) => !o.dissolved && o.kind.code === 'branch')
      .map((o) => h('option', { value: o.code }, `${o.name}（${o.code}）`)));
    const f = postForm('ws-claim-form', '认领', '/api/wishes/claim', [
      ['date', '认领日期', date('ws-claim-date', today())],
    ], () => ({ id: w.id, [kind.value]: { member, unit, branch }[kind.value].value.trim() }), async () => { await again(); });
    const boxes = { member: field('ws-claim-member', '认领党员', member), unit: field('ws-claim-unit', '认领单位', unit),
      branch: field('ws-claim-branch', '认领支部', branch) };
    const showBox = () => { for (const [k, b] of Object.entries(boxes)) b.hidden = k !== kind.value; };
    kind.addEventListener('change', showBox);
    f.insertBefore(field('ws-claim-kind', '认领方', kind), f.children[1]);
    for (const b of Object.values(boxes)) f.insertBefore(b, f.children[2]);
    showBox();
    forms.push(f);
  }
  if (w.status.code === 'claimed') {
    forms.push(postForm('ws-fulfil-form', '登记实现', '/api/wishes/fulfil', [
      ['date', '实现日期', date('ws-fulfil-date', today())],
      ['photo', '照片（存放位置）', text('ws-fulfil-photo', 500)],
      ['note', '备注', text('ws-fulfil-note', 500)],
    ], () => ({ id: w.id }), async () => { await again(); }));
  }
  if (w.status.code === 'open' || w.status.code === 'claimed') {
    forms.push(postForm('ws-cancel-form', '撤销', '/api/wishes/cancel', [
      ['note', '撤销原因', text('ws-cancel-note', 500)],
    ], () => ({ id: w.id }), async () => { await again(); }, '撤销'));
  }
  fill(main, h('h1', {}, `微心愿 · ${w.resident}`),
    h('p', {}, h('a', { href: '#/wishes' }, '← 返回微心愿')),
    notice,
    h('dl.items', { id: 'ws-wish' },
      h('dt', {}, '居民姓名'), h('dd', {}, w.resident),
      h('dt', {}, '社区或支部'), h('dd', {}, orgName(w.org)),
      h('dt', {}, '家庭住址'), h('dd', {}, dash(w.household)),
      h('dt', {}, '网格'), h('dd', {}, dash(w.grid)),
      h('dt', {}, '心愿内容'), h('dd', {}, w.wish),
      h('dt', {}, '估值（元）'), h('dd', {}, dash(w.value_yuan)),
      h('dt', {}, '状态'), h('dd', { id: 'ws-status-now', dataset: { status: w.status.code } }, w.status.label),
      h('dt', {}, '征集日期'), h('dd', {}, w.posted_on),
      h('dt', {}, '认领人'), h('dd', { id: 'ws-claimant' }, w.claimant ? `${w.claimant.name || ''}（${w.claimant.label}）` : '—'),
      h('dt', {}, '认领日期'), h('dd', {}, dash(w.claimed_on)),
      h('dt', {}, '实现日期'), h('dd', {}, dash(w.fulfilled_on)),
      h('dt', {}, '照片'), h('dd', {}, dash(w.photo)),
      h('dt', {}, '备注'), h('dd', {}, dash(w.note))),
    forms.length ? h('div.steps.cob', {}, forms) : null);
}

// --- 民情回音壁 -------------------------------------------------------------------------

// One opinion; late: the days it is overdue (null: not overdue).
function opinionRow(f, late) {
  const overdue = late !== null;
  return h(overdue ? 'tr.link.late' : 'tr.link', {
    dataset: { id: f.id, status: f.status.code, overdue: overdue ? '1' : '0' },
    onclick: () => { location.hash = `#/feedback/${f.id}`; },
  },
  h('td', {}, f.handle), h('td', {}, orgName(f.org)), h('td', {}, f.received_on),
  h('td', {}, f.source ? f.source.label : '—'), h('td', {}, f.category ? f.category.label : '—'),
  h('td', {}, dash(f.grid)), h('td.wrap', {}, f.content), h('td', {}, dash(f.handler)),
  h(`td.fb-${f.status.code}`, {}, f.status.label), h('td', {}, f.due_on),
  h('td', {}, overdue ? h('span.tag.late', {}, `逾期 ${late} 天`) : dash(f.replied_on)));
}

const OPINION_HEADS = ['简号', '社区或支部', '收集日期', '来源', '类别', '网格', '反映内容', '承办人', '状态', '应回音日期', '回音日期'];

async function pageFeedback(seq, parts) {
  if (parts[1]) return pageOpinion(seq, parts[1]);
  await loadMeta();
  if (!current(seq)) return;
  const status = h('select', { id: 'fb-status' }, h('option', { value: '' }, '全部状态'));
  const asOf = date('fb-asof', today());
  const list = h('div', { id: 'fb-list' });
  const late = h('div', { id: 'fb-overdue' });
  const csv = h('a', { id: 'fb-overdue-csv', download: '' }, '导出 CSV');
  const notice = h('div', { id: 'fb-notice' });
  const formBox = h('div.steps.cob', { id: 'fb-forms' });
  const say = (n) => fill(notice, n);
  let options = null;

  async function reloadOverdue() {
    const q = asOf.value ? { as_of: asOf.value } : {};
    csv.href = `/api/feedback/overdue.csv?${new URLSearchParams(q)}`;
    const r = await get('/api/feedback/overdue', q);
    if (!current(seq)) return;
    fill(late, table('fb-overdue-table', OPINION_HEADS, r.rows.map((f) => opinionRow(f, f.days_over)),
      `截至 ${r.as_of} 没有逾期未回音的意见（须在收集后 ${r.reply_days} 天内回音）。`));
  }
  async function reload() {
    const r = await get('/api/feedback', status.value ? { status: status.value } : {});
    if (!current(seq)) return;
    const now = today();
    if (!options) {
      options = r;
      status.append(...r.statuses.map((s) => h('option', { value: s.code }, s.label)));
      fill(formBox, postForm('fb-add-form', '登记民情意见', '/api/feedback/add', [
        ['content', '反映内容', area('fb-add-content', 2000)],
        ['source', '来源', choose('fb-add-source', r.sources, '请选择')],
        ['category', '类别', choose('fb-add-category', r.categories, '请选择')],
        ['grid', '网格', text('fb-add-grid', 100)],
        ['resident_name', '反映人', text('fb-add-resident', 100)],
        ['resident_phone', '联系电话', text('fb-add-phone', 32)],
        ['received_on', '收集日期', date('fb-add-date', now)],
        ['org_id', '所属组织', orgChoice('fb-add-org')],
      ], () => ({}), async () => {
        await reload();
        await reloadOverdue();
        say(h('div.notice.good', {}, '已登记民情意见。'));
        for (const i of ['fb-add-content', 'fb-add-grid', 'fb-add-resident', 'fb-add-phone']) document.getElementById(i).value = '';
      }));
    }
    // Not replied and past its due date today: shown as overdue in the list too.
    const lateDays = (f) => ((f.status.code === 'open' || f.status.code === 'handling') && f.due_on < now ?
      Math.round((Date.parse(now) - Date.parse(f.due_on)) / 86400000) : null);
    fill(list, table('fb-table', OPINION_HEADS, r.rows.map((f) => opinionRow(f, lateDays(f))), '没有符合条件的民情意见。'));
  }
  status.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  asOf.addEventListener('change', () => { reloadOverdue().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '民情回音壁'),
    h('p.muted', {}, '居民意见登记后交办给党员或承办人，回音（答复居民）后办结；收集后 7 天内未回音的意见为逾期。'),
    notice,
    h('h2', {}, '逾期未回音'),
    h('div.bar', {}, h('label', { for: 'fb-asof' }, '截至'), asOf, csv),
    late,
    h('h2', {}, '全部意见'),
    h('div.bar', {}, h('label', { for: 'fb-status' }, '状态'), status),
    list,
    h('h2', {}, '登记'),
    formBox);
  await reload();
  await reloadOverdue();
}

async function pageOpinion(seq, id) {
  const r = await get('/api/feedback/show', { id });
  if (!current(seq)) return;
  const f = r.opinion;
  const notice = h('div', { id: 'fb-notice' });
  const again = () => pageOpinion(seq, id).catch((e) => fill(notice, problem(e)));
  const forms = [];
  const st = f.status.code;
  if (st === 'open' || st === 'handling') {
    forms.push(postForm('fb-assign-form', st === 'open' ? '交办' : '改交他人', '/api/feedback/assign', [
      ['member', '承办党员（姓名或公民身份号码）', text('fb-assign-member', 100)],
      ['handler', '或承办人姓名', text('fb-assign-handler', 100)],
    ], () => ({ id: f.id }), async () => { await again(); }));
  }
  if (st !== 'closed') {
    forms.push(postForm('fb-reply-form', st === 'replied' ? '更正回音' : '回音', '/api/feedback/reply', [
      ['reply', '回音内容', area('fb-reply-text', 2000)],
      ['date', '回音日期', date('fb-reply-date', today())],
    ], () => ({ id: f.id }), async () => { await again(); }));
  }
  if (st === 'replied') {
    forms.push(postForm('fb-close-form', '办结', '/api/feedback/close', [], () => ({ id: f.id }), async () => { await again(); }, '办结'));
  }
  const overdue = (st === 'open' || st === 'handling') && f.due_on < today();
  fill(main, h('h1', {}, `民情意见 · ${f.handle}`),
    h('p', {}, h('a', { href: '#/feedback' }, '← 返回民情回音壁')),
    notice,
    overdue ? h('div.notice.bad', { id: 'fb-late' }, `已超过回音期限（应于 ${f.due_on} 前回音）。`) : null,
    h('dl.items', { id: 'fb-opinion' },
      h('dt', {}, '社区或支部'), h('dd', {}, orgName(f.org)),
      h('dt', {}, '收集日期'), h('dd', {}, f.received_on),
      h('dt', {}, '来源'), h('dd', {}, f.source ? f.source.label : '—'),
      h('dt', {}, '类别'), h('dd', {}, f.category ? f.category.label : '—'),
      h('dt', {}, '网格'), h('dd', { id: 'fb-grid' }, dash(f.grid)),
      h('dt', {}, '反映人'), h('dd', {}, dash(f.resident)),
      h('dt', {}, '联系电话'), h('dd', {}, dash(f.phone)),
      h('dt', {}, '承办人'), h('dd', {}, dash(f.handler)),
      h('dt', {}, '状态'), h('dd', { id: 'fb-status-now', dataset: { status: st } }, f.status.label),
      h('dt', {}, '应回音日期'), h('dd', {}, f.due_on),
      h('dt', {}, '回音日期'), h('dd', {}, dash(f.replied_on)),
      h('dt', {}, '备注'), h('dd', {}, dash(f.note))),
    h('h2', {}, '反映内容'),
    h('div.minutes', { id: 'fb-content' }, f.content),
    h('h2', {}, '回音'),
    h('div.minutes', { id: 'fb-reply' }, dash(f.reply)),
    forms.length ? h('div.steps.cob', {}, forms) : null);
}

export const pages = { units: pageUnits, wishes: pageWishes, feedback: pageFeedback };
