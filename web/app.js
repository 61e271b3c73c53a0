// app.js - the clerk's desk: 首页, 党员 (roster, member page, add form),
// 组织, 同步, and the router over every page module (page_*.js). Hash
// routes; every page asks the JSON API (api.js) and builds its content with
// h() (dom.js): data is only ever text, never markup.
import { ApiError, get, post, session } from './api.js';
import { fill, h, label, when } from './dom.js';
import { current, loadMeta, main, meta, newRoute, problem, show } from './desk.js';
import { pages as workPages } from './page_work.js';
import { pages as transferPages } from './page_transfer.js';
import { pages as reportPages } from './page_report.js';

function col(name) {
  return meta.form.find((c) => c.name === name);
}

// --- 首页 -------------------------------------------------------------------

function card(n, text, kind) {
  return h(`div.card${kind ? '.' + kind : ''}`, {}, h('div.n', {}, n), h('div.l', {}, text));
}

async function pageHome(seq) {
  const d = await get('/api/dashboard');
  if (!current(seq)) return;
  fill(main,
    h('h1', {}, `首页 · ${d.org_name || d.org_code}`),
    h('p.muted', {}, `设备 ${d.device}（${d.role.label}） · 街道 ${d.street || '尚未联系'} · ` +
      `最近同步 ${when(d.last_contact_ms)}`),
    h('div.cards', {},
      card(d.pending_txns, `待发送的修改（${d.pending_changes} 项变更）`, d.pending_txns ? 'warn' : 'ok'),
      card(when(d.last_contact_ms), '最近一次与街道同步'),
      card(d.conflicts_open, '待街道处理的冲突', d.conflicts_open ? 'warn' : 'ok'),
      card(d.conflicts_settled, '街道已处理的冲突'),
      card(d.rejected, '被退回的修改', d.rejected ? 'warn' : 'ok'),
      card(d.members, '党员（党籍正常）'),
      card(d.branches, '党支部'),
      card(d.overdue_items, '逾期未销号的问题清单', d.overdue_items ? 'warn' : 'ok'),
      card(d.terms_expiring, '已到期或半年内到期的换届', d.terms_expiring ? 'warn' : 'ok'),
      card(d.branches_behind, '今年三会一课未达标的支部', d.branches_behind ? 'warn' : 'ok')),
    h('h2', {}, '本机修改的处理结果（冲突、退回与街道的决定）'),
    d.problems.length === 0 ? h('p.muted', {}, '没有冲突或退回。') :
      h('table', {}, h('thead', {}, h('tr', {}, ['序号', '时间', '结果', '原因', '街道的决定'].map((t) => h('th', {}, t)))),
        h('tbody', {}, d.problems.map((o) => h('tr', {},
          h('td', {}, o.seq), h('td', {}, when(o.at_ms)),
          h(`td.st-${o.status.code}`, {}, o.status.label),
          h('td', {}, o.reason || ''), h('td', {}, o.resolution || ''))))));
}

// --- 党员: roster -------------------------------------------------------------

const roster = { q: '', org: '', offset: 0, limit: 20 };

function flags(m) {
  return ['lost_contact', 'mobile', 'retired', 'in_service', 'relocated']
    .filter((f) => m[f]).map((f) => h('span.tag', {}, col(f).label));
}

async function pageMembers(seq) {
  await loadMeta();
  if (!current(seq)) return;
  const search = h('input', { type: 'search', id: 'search', placeholder: '输入姓名、公民身份号码或支部查找', value: roster.q });
  const branch = h('select', { id: 'branch' }, h('option', { value: '' }, '全部组织'),
    meta.orgs.filter((o) => !o.dissolved).map((o) => h('option', { value: o.id, selected: o.id === roster.org }, `${o.name}（${o.code}）`)));
  const body = h('tbody', { id: 'roster' });
  const info = h('span.muted', { id: 'roster-info' });
  const prev = h('button', { id: 'prev' }, '上一页');
  const next = h('button', { id: 'next' }, '下一页');
  let asked = 0;

  async function load() {
    const mine = ++asked;
    const r = await get('/api/members', { q: roster.q, org: roster.org, offset: roster.offset, limit: roster.limit });
    if (mine !== asked || !current(seq)) return;   // a newer keystroke has asked again
    fill(body, r.rows.map((m) => h('tr.link', { onclick: () => { location.hash = `#/member/${m.id}`; } },
      h('td', {}, m.name), h('td', {}, label(m.gender)), h('td', {}, m.id_number),
      h('td', {}, label(m.category)), h('td', {}, m.org_name || ''), h('td', {}, m.join_date || ''),
      h('td', {}, m.phone || ''), h('td', {}, flags(m)))));
    const last = Math.min(r.offset + r.rows.length, r.total);
    fill(info, r.total === 0 ? '没有符合条件的党员' : `共 ${r.total} 人，第 ${r.offset + 1}–${last} 人`);
    prev.disabled = r.offset === 0;
    next.disabled = last >= r.total;
  }
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { roster.q = search.value.trim(); roster.offset = 0; load().catch(show); }, 150);
  });
  branch.addEventListener('change', () => { roster.org = branch.value; roster.offset = 0; load().catch(show); });
  prev.addEventListener('click', () => { roster.offset = Math.max(0, roster.offset - roster.limit); load().catch(show); });
  next.addEventListener('click', () => { roster.offset += roster.limit; load().catch(show); });
  const heads = ['name', 'gender', 'id_number', 'category', 'org_id', 'join_date', 'phone'].map((n) => col(n).label);
  fill(main,
    h('h1', {}, '党员'),
    h('div.bar', {}, search, branch, h('button.primary', { id: 'add', onclick: () => { location.hash = '#/members/new'; } }, '添加党员')),
    h('table', {}, h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)), h('th', {}, '标记'))), body),
    h('div.pager', {}, prev, next, info));
  search.focus();
  await load();
}

// --- 党员: one member ------------------------------------------------------------

async function pageMember(seq, id) {
  const m = await get('/api/member', { id });
  if (!current(seq)) return;
  const name = m.items.find((i) => i.name === 'name').value;
  const dl = h('dl.items', { id: 'member-items' });
  for (const it of m.items) {
    const shown = it.display === null || it.display === '' ? '—' : it.display;
    dl.append(h('dt', {}, it.label), h('dd', { dataset: { item: it.name } }, shown));
  }
  fill(main, h('h1', {}, `党员 · ${name}`),
    h('p', {}, h('a', { href: '#/members' }, '← 返回党员名册')), dl);
}

// --- 党员: add ----------------------------------------------------------------

// The items the add form asks for, in the national form's order; the rest
// (report_org_id) are set by the member's later steps.
const ADD_ITEMS = ['name', 'gender', 'ethnicity', 'id_number', 'birth_date', 'education',
  'category', 'org_id', 'join_date', 'full_date', 'job', 'phone', 'address', 'standing',
  'retired', 'in_service', 'relocated', 'mobile', 'flow_to', 'lost_contact', 'lost_since', 'lost_note'];

function input(c) {
  const attrs = { id: `f-${c.name}`, name: c.name };
  if (c.name === 'org_id') {
    return h('select', attrs, h('option', { value: '' }, '请选择'),
      meta.orgs.filter((o) => !o.dissolved && (o.kind.code === 'branch' || o.kind.code === 'group'))
        .map((o) => h('option', { value: o.id }, `${o.name}（${o.code}）`)));
  }
  if (c.options) {
    const first = c.type === 'bool' ? null : h('option', { value: '' }, '请选择');
    const sel = h('select', attrs, first, c.options.map((o) => h('option', { value: o.code }, o.label)));
    if (c.type === 'bool') sel.value = '0';
    if (c.name === 'standing') sel.value = 'normal';
    return sel;
  }
  if (c.type === 'date') return h('input', { ...attrs, type: 'date' });
  return h('input', { ...attrs, type: 'text', maxLength: c.max_len || 200, autocomplete: 'off' });
}

async function pageAdd(seq) {
  await loadMeta();
  if (!current(seq)) return;
  const errs = {};
  const touched = new Set();
  const fields = ADD_ITEMS.map(col).filter(Boolean).map((c) => {
    const box = input(c);
    const err = h('div.err', { id: `e-${c.name}` });
    errs[c.name] = err;
    const wrap = h('div.field', {}, h('label', { for: box.id }, c.label, c.required && c.name !== 'birth_date' && c.name !== 'standing' ? h('span.req', {}, '*') : null), box, err);
    box.addEventListener('change', () => { touched.add(c.name); check(false).catch(() => {}); });
    return wrap;
  });
  const f = h('form.form', { id: 'add-form', novalidate: true }, fields);
  const status = h('div', { id: 'add-status' });
  const save = h('button.primary', { type: 'submit', form: 'add-form', id: 'save' }, '保存');

  function values() {
    const v = {};
    for (const el of f.elements) if (el.name) v[el.name] = el.value.trim();
    return v;
  }
  function showError(e, all) {
    for (const [n, el] of Object.entries(errs)) { fill(el); el.parentElement.classList.remove('bad'); }
    fill(status);
    if (!e) return;
    const field = e.body && e.body.field;
    if (field && errs[field]) {
      if (all || touched.has(field)) {
        fill(errs[field], e.message);
        errs[field].parentElement.classList.add('bad');
      }
    } else if (all) {
      fill(status, problem(e));
    }
  }
  // The same validation as saving, without saving: the rules run in the
  // replica's transaction and are rolled back.
  async function check(all) {
    const r = await post('/api/members/check', values());
    if (r.ok) {
      showError(null);
      return true;
    }
    showError(new ApiError(422, r), all);
    return false;
  }
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      if (!(await check(true))) return;
      const r = await post('/api/members', values());
      location.hash = `#/member/${r.id}`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) showError(e, true);
      else fill(status, problem(e));
    } finally {
      save.disabled = false;
    }
  });
  fill(main, h('h1', {}, '添加党员'), f,
    h('div.actions', {}, save, h('a', { href: '#/members' }, '取消')), status);
}

// --- 组织 --------------------------------------------------------------------

async function pageOrgs(seq) {
  await loadMeta();
  if (!current(seq)) return;
  const kids = new Map();
  const ids = new Set(meta.orgs.map((o) => o.id));
  for (const o of meta.orgs) {
    const p = o.parent_id && ids.has(o.parent_id) ? o.parent_id : '';
    if (!kids.has(p)) kids.set(p, []);
    kids.get(p).push(o);
  }
  const total = (o) => o.members + (kids.get(o.id) || []).reduce((s, k) => s + total(k), 0);
  const node = (o) => h('li', {},
    h('strong', {}, o.name), ` （${o.code}） ${label(o.kind)}`,
    o.branch_type ? ` · ${label(o.branch_type)}` : '',
    ` · 党员 ${total(o)}`, o.secretary ? ` · 书记 ${o.secretary}` : '',
    o.dissolved ? h('span.tag', {}, '已撤销') : null,
    kids.has(o.id) ? h('ul', {}, kids.get(o.id).map(node)) : null);
  fill(main, h('h1', {}, '组织'),
    meta.orgs.length === 0 ? h('p.muted', {}, '副本中还没有组织，请先同步。') :
      h('ul.tree', { id: 'org-tree' }, (kids.get('') || []).map(node)));
}

// --- 同步 --------------------------------------------------------------------

async function pageSync(seq) {
  const bar = h('div');
  const progress = h('div.progress', {}, bar);
  const state = h('p', { id: 'sync-state' });
  const result = h('div', { id: 'sync-result' });
  const btn = h('button.primary', { id: 'sync' }, '同步');

  function draw(s) {
    bar.style.width = `${s.percent}%`;
    fill(state, `${s.state.label}` + (s.state.code === 'running' ? `：待发送 ${s.pending_now} / ${s.pending_at_start}` : ''));
    if (s.state.code === 'failed') fill(result, h('div.notice.bad', {}, `同步失败：${s.error}`));
    if (s.state.code !== 'done' && s.state.code !== 'failed') return;
    const r = s.report;
    const rows = s.outcomes.map((o) => h('tr', {}, h('td', {}, o.seq),
      h(`td.st-${o.status.code}`, { dataset: { status: o.status.code } }, o.status.label),
      h('td', {}, o.reason || ''), h('td', {}, o.conflict_id || '')));
    fill(result,
      s.state.code === 'done' ? h('div.notice.good', {}, `已与 ${r.street} 同步：发送 ${r.pushed} 个修改，` +
        `已应用 ${r.applied}，合并 ${r.merged}，冲突 ${r.conflict}，退回 ${r.rejected}；收到 ${r.pulled} 行。`) : null,
      r.rejected ? h('div.notice.bad', {}, `有 ${r.rejected} 个修改被退回，见下表原因。`) : null,
      rows.length ? h('table', { id: 'outcomes' }, h('thead', {}, h('tr', {}, ['序号', '结果', '原因', '冲突编号'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows)) : h('p.muted', {}, '没有待发送的修改。'));
  }
  async function poll() {
    const s = await get('/api/sync');
    if (!current(seq)) return;
    draw(s);
    btn.disabled = s.state.code === 'running';
    if (s.state.code === 'running') setTimeout(() => poll().catch(show), 300);
  }
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    fill(result);
    try { draw(await post('/api/sync')); } catch (e) { fill(result, problem(e)); }
    poll().catch(show);
  });
  fill(main, h('h1', {}, '同步'),
    h('p.muted', {}, '把本机的修改发送给街道，并取回本组织范围内的最新数据。没有网络时可以照常工作，联网后再同步。'),
    h('div.bar', {}, btn, progress), state, result);
  await poll();
}

// --- routing -----------------------------------------------------------------

// Route name (the hash's first part) -> async (seq, parts) drawing the page.
const pages = {
  home: (seq) => pageHome(seq),
  members: (seq, parts) => (parts[1] === 'new' ? pageAdd(seq) : pageMembers(seq)),
  member: (seq, parts) => pageMember(seq, parts[1]),
  orgs: (seq) => pageOrgs(seq),
  sync: (seq) => pageSync(seq),
  ...workPages,
  ...transferPages,
  ...reportPages,
};
// The nav entry a route belongs to, when it is not its own.
const navOf = { member: 'members' };

async function route() {
  const seq = newRoute();
  const hash = location.hash.replace(/^#/, '') || '/';
  const parts = hash.split('/').filter(Boolean).map(decodeURIComponent);
  const page = parts[0] || 'home';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === (navOf[page] || page));
  }
  try {
    if (pages[page]) await pages[page](seq, parts);
    else fill(main, h('p', {}, '没有这个页面。'));
  } catch (e) {
    if (current(seq)) show(e);
  }
}

async function start() {
  try {
    const s = await session();
    meta.session = s;
    fill(document.getElementById('who'), `${s.org_code} · ${s.device}`);
    // Pages for the street's administrators only.
    for (const a of document.querySelectorAll('#nav a.admin')) a.hidden = s.role !== 'admin';
  } catch (e) {
    show(e);
    return;
  }
  window.addEventListener('hashchange', route);
  await route();
}

start();
