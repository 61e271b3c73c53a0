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
import { memberSections as developSections, pages as developPages } from './page_develop.js';
import { memberSections as lifeSections, pages as lifePages } from './page_life.js';
import { memberSections as serviceSections, pages as servicePages } from './page_service.js';
import { memberSections as duesSections, pages as duesPages } from './page_dues.js';
import { memberSections as committeeSections, pages as committeePages } from './page_committee.js';
import { nav as cobuildNav, pages as cobuildPages } from './page_cobuild.js';
import { nav as volassessNav, pages as volassessPages } from './page_volassess.js';
import { nav as claimfundNav, pages as claimfundPages } from './page_claimfund.js';

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
    const last = r.offset + r.rows.length;
    // A search's count stops at a cap: then it reads "at least".
    const total = r.total_at_least ? `${r.total}+` : `${r.total}`;
    fill(info, r.total === 0 && r.rows.length === 0 ? '没有符合条件的党员' : `共 ${total} 人，第 ${r.offset + 1}–${last} 人`);
    prev.disabled = r.offset === 0;
    next.disabled = r.total_at_least ? r.rows.length < roster.limit : last >= r.total;
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

// The member's life steps: the API path's last part, the button, the form's
// items ([name, label, type]) and when the button is offered.
const STEPS = [
  { step: 'lost', title: '失联', items: [['since', '失联日期（默认今天）', 'date'], ['note', '失联情形', 'text']], when: (v) => !v.lost_contact },
  { step: 'found', title: '恢复联系', items: [], when: (v) => v.lost_contact },
  { step: 'mobile', title: '外出流动', items: [['flow_to', '外出流向', 'text']], when: (v) => !v.mobile },
  { step: 'return', title: '返回', items: [], when: (v) => v.mobile },
  { step: 'report', title: '到社区报到', items: [['community', '报到社区', 'community']], when: () => true },
];

// One step's small form: its items, 确定 and 取消; errors beside the item.
function stepForm(id, s, done) {
  const errs = {};
  const status = h('div.err', { id: `step-status-${s.step}` });
  const boxes = s.items.map(([name, text, type]) => {
    let box;
    if (type === 'community') {
      box = h('select', { id: `s-${name}`, name }, h('option', { value: '' }, '请选择'),
        meta.orgs.filter((o) => !o.dissolved && o.kind.code === 'community')
          .map((o) => h('option', { value: o.id }, `${o.name}（${o.code}）`)));
    } else {
      box = h('input', { id: `s-${name}`, name, type, maxLength: 200, autocomplete: 'off' });
    }
    errs[name] = h('div.err', { id: `se-${name}` });
    return h('div.field', {}, h('label', { for: box.id }, text), box, errs[name]);
  });
  // The API names the member's item; the form names its own box.
  const boxOf = { lost_since: 'since', lost_note: 'note', flow_to: 'flow_to', report_org_id: 'community' };
  const f = h('form.step', { id: `step-${s.step}`, novalidate: true }, h('h3', {}, s.title), boxes,
    h('div.actions', {}, h('button.primary', { type: 'submit', id: `step-save-${s.step}` }, '确定'),
      h('button', { type: 'button', onclick: () => f.remove() }, '取消')), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of Object.values(errs)) fill(el);
    fill(status);
    const v = { id };
    for (const el of f.elements) if (el.name) v[el.name] = el.value.trim();
    try {
      // The same rules first, without saving: a "no" is an answer, not a failed request.
      const r = await post(`/api/member/${s.step}/check`, v);
      if (!r.ok) throw new ApiError(422, r);
      await post(`/api/member/${s.step}`, v);
      done();
    } catch (e) {
      const box = e instanceof ApiError && e.body.field ? boxOf[e.body.field] : null;
      if (box && errs[box]) fill(errs[box], e.message);
      else fill(status, e.message);
    }
  });
  return f;
}

async function pageMember(seq, id) {
  await loadMeta();
  const m = await get('/api/member', { id });
  if (!current(seq)) return;
  const v = Object.fromEntries(m.items.map((i) => [i.name, i.value]));
  const dl = h('dl.items', { id: 'member-items' });
  for (const it of m.items) {
    const shown = it.display === null || it.display === '' ? '—' : it.display;
    dl.append(h('dt', {}, it.label), h('dd', { dataset: { item: it.name } }, shown));
  }
  const forms = h('div.steps', { id: 'step-forms' });
  const again = () => pageMember(seq, id).catch(show);
  // A member who left (党员减少) takes no further steps; the record stays as history.
  const buttons = STEPS.filter((s) => !v.left_reason && s.when(v)).map((s) => h('button', {
    id: `act-${s.step}`,
    onclick: () => {
      const old = document.getElementById(`step-${s.step}`);
      if (old) { old.remove(); return; }
      const f = stepForm(id, s, again);
      forms.append(f);
      const first = f.querySelector('input, select');
      if (first) first.focus();
    },
  }, s.title));
  const more = [];
  for (const sections of [developSections, lifeSections, serviceSections, duesSections, committeeSections]) {
    more.push(...await sections(id, v, again));
  }
  if (!current(seq)) return;
  fill(main, h('h1', {}, `党员 · ${v.name}`),
    h('p', {}, h('a', { href: '#/members' }, '← 返回党员名册')),
    h('div.bar', { id: 'member-actions' },
      h('button.primary', { id: 'edit', onclick: () => { location.hash = `#/member/${id}/edit`; } }, '修改'),
      buttons),
    forms, dl, ...more);
}

// --- 党员: add and edit -----------------------------------------------------------

// The items the add form asks for, in the national form's order; the rest
// (report_org_id) are set by the member's later steps.
const ADD_ITEMS = ['name', 'gender', 'ethnicity', 'id_number', 'birth_date', 'education',
  'category', 'org_id', 'join_date', 'full_date', 'job', 'phone', 'address', 'standing',
  'retired', 'in_service', 'relocated', 'mobile', 'flow_to', 'lost_contact', 'lost_since', 'lost_note',
  'id_region_verified'];

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

// A stored value as a form box's value (booleans as 1/0, null as '').
function boxValue(v) {
  if (v === true) return '1';
  if (v === false) return '0';
  return v === null || v === undefined ? '' : String(v);
}

// The member form, for adding (id null) or changing member id (pre-filled
// from its stored values). Every change is checked by the same rules as
// saving (the /check paths: the rules run in the replica's transaction and
// are rolled back); the errors show beside their item, a wrong check digit
// named before anything is saved.
async function pageMemberForm(seq, id) {
  await loadMeta();
  const m = id ? await get('/api/member', { id }) : null;
  if (!current(seq)) return;
  const stored = m ? Object.fromEntries(m.items.map((i) => [i.name, i.value])) : {};
  const errs = {};
  const touched = new Set();
  const fields = ADD_ITEMS.map(col).filter(Boolean).map((c) => {
    const box = input(c);
    if (m) {
      // A branch no longer offered (dissolved) still shows as the member's.
      if (c.name === 'org_id' && stored.org_id && ![...box.options].some((o) => o.value === stored.org_id)) {
        box.append(h('option', { value: stored.org_id }, m.items.find((i) => i.name === 'org_id').display || stored.org_id));
      }
      box.value = boxValue(stored[c.name]);
    }
    const err = h('div.err', { id: `e-${c.name}` });
    errs[c.name] = err;
    const wrap = h('div.field', {}, h('label', { for: box.id }, c.label, c.required && c.name !== 'birth_date' && c.name !== 'standing' ? h('span.req', {}, '*') : null), box, err);
    box.addEventListener('change', () => { touched.add(c.name); check(false).catch(() => {}); });
    return wrap;
  });
  const f = h('form.form', { id: m ? 'edit-form' : 'add-form', novalidate: true }, fields);
  const status = h('div', { id: m ? 'edit-status' : 'add-status' });
  const save = h('button.primary', { type: 'submit', form: f.id, id: 'save' }, '保存');
  const paths = m ? ['/api/member/edit/check', '/api/member/edit'] : ['/api/members/check', '/api/members'];

  function values() {
    const v = m ? { id } : {};
    for (const el of f.elements) if (el.name) v[el.name] = el.value.trim();
    return v;
  }
  function showError(e, all) {
    for (const el of Object.values(errs)) { fill(el); el.parentElement.classList.remove('bad'); }
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
  async function check(all) {
    const r = await post(paths[0], values());
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
      const r = await post(paths[1], values());
      location.hash = `#/member/${m ? id : r.id}`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) showError(e, true);
      else fill(status, problem(e));
    } finally {
      save.disabled = false;
    }
  });
  fill(main, h('h1', {}, m ? `修改党员 · ${stored.name}` : '添加党员'), f,
    h('div.actions', {}, save, h('a', { href: m ? `#/member/${id}` : '#/members' }, '取消')), status);
}

const pageAdd = (seq) => pageMemberForm(seq, null);

// --- 组织 --------------------------------------------------------------------

let orgForm = null;   // the organisation form's items (/api/form's org), loaded once

// An organisation form: items [name, box] in a form.form with an error
// beside each; the API's check path on every change, its save path on
// 保存, then done(). fixed: values sent as they are (the id).
function orgFormOf(formId, items, paths, fixed, done) {
  const errs = {};
  const status = h('div.err', { id: `${formId}-status` });
  const fields = items.map(([name, box, text]) => {
    const c = orgForm.find((x) => x.name === name);
    errs[name] = h('div.err', { id: `${formId}-e-${name}` });
    box.addEventListener('change', () => check(false).catch(() => {}));
    return h('div.field', { dataset: { item: name } }, h('label', { for: box.id }, text || c.label,
      c.required && name !== 'parent_id' ? h('span.req', {}, '*') : null), box, errs[name]);
  });
  const f = h('form.form.org-form', { id: formId, novalidate: true }, fields,
    h('div.actions.wide', {}, h('button.primary', { type: 'submit', id: `${formId}-save` }, '保存'),
      h('button', { type: 'button', onclick: () => f.remove() }, '取消')), status);
  function values() {
    const v = { ...fixed };
    for (const el of f.elements) if (el.name && !el.closest('[hidden]')) v[el.name] = el.value.trim();
    return v;
  }
  function showError(r, all) {
    for (const el of Object.values(errs)) fill(el);
    fill(status);
    if (!r) return;
    if (r.field && errs[r.field]) fill(errs[r.field], r.message);
    else if (all) fill(status, r.message);
  }
  async function check(all) {
    const r = await post(paths[0], values());
    showError(r.ok ? null : r, all);
    return r.ok;
  }
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      if (!(await check(true))) return;
      await post(paths[1], values());
      done();
    } catch (e) {
      showError(e instanceof ApiError ? { field: e.body.field, message: e.message } : { message: e.message }, true);
    }
  });
  return f;
}

// A drop-down of an organisation item's vocabulary (first: an empty choice, or none).
function orgSelect(id, name, empty, value) {
  const c = orgForm.find((x) => x.name === name);
  const sel = h('select', { id, name }, empty === null ? null : h('option', { value: '' }, empty),
    c.options.map((o) => h('option', { value: o.code }, o.label)));
  if (value !== undefined && value !== null) sel.value = String(value);
  return sel;
}

// 添加组织: the parent first; the kinds offered are those the parent allows
// (the server's rule, sent with each organisation as child_kinds).
function addOrgForm(done, parentId) {
  const parents = meta.orgs.filter((o) => !o.dissolved && o.child_kinds.length > 0);
  const parent = h('select', { id: 'o-parent_id', name: 'parent_id' },
    parents.map((o) => h('option', { value: o.id }, `${o.name}（${o.code}） ${label(o.kind)}`)));
  if (parentId) parent.value = parentId;
  const kind = h('select', { id: 'o-kind', name: 'kind' });
  const type = orgSelect('o-branch_type', 'branch_type', '请选择');
  const text = (n) => h('input', { id: `o-${n}`, name: n, type: 'text', autocomplete: 'off',
    maxLength: orgForm.find((x) => x.name === n).max_len || 200 });
  const date = (n) => h('input', { id: `o-${n}`, name: n, type: 'date' });
  const f = orgFormOf('org-add-form', [['parent_id', parent], ['kind', kind], ['code', text('code')],
    ['name', text('name')], ['branch_type', type], ['secretary', text('secretary')],
    ['founded_on', date('founded_on')], ['term_start', date('term_start')], ['term_end', date('term_end')]],
  ['/api/orgs/check', '/api/orgs'], {}, done);
  const typeField = type.closest('.field');
  function kinds() {
    const p = parents.find((o) => o.id === parent.value);
    fill(kind, (p ? p.child_kinds : []).map((k) => h('option', { value: k.code }, k.label)));
    typeField.hidden = kind.value !== 'branch';
  }
  parent.addEventListener('change', kinds);
  kind.addEventListener('change', () => { typeField.hidden = kind.value !== 'branch'; });
  kinds();
  return f;
}

// 修改 an organisation: secretary, term dates, branch type (a branch), dissolved.
function editOrgForm(o, done) {
  const items = [['secretary', h('input', { id: 'oe-secretary', name: 'secretary', type: 'text', value: o.secretary || '', maxLength: 100 })],
    ['term_start', h('input', { id: 'oe-term_start', name: 'term_start', type: 'date', value: o.term_start || '' })],
    ['term_end', h('input', { id: 'oe-term_end', name: 'term_end', type: 'date', value: o.term_end || '' })]];
  if (o.kind.code === 'branch') items.push(['branch_type', orgSelect('oe-branch_type', 'branch_type', '（未填）', o.branch_type ? o.branch_type.code : '')]);
  items.push(['dissolved', orgSelect('oe-dissolved', 'dissolved', null, o.dissolved ? '1' : '0')]);
  const f = orgFormOf('org-edit', items, ['/api/org/edit/check', '/api/org/edit'], { id: o.id }, done);
  f.prepend(h('h3.wide', {}, `修改 ${o.name}（${o.code}）`));
  return f;
}

async function pageOrgs(seq) {
  await loadMeta();
  if (!orgForm) orgForm = (await get('/api/form')).org;
  if (!current(seq)) return;
  const kids = new Map();
  const ids = new Set(meta.orgs.map((o) => o.id));
  for (const o of meta.orgs) {
    const p = o.parent_id && ids.has(o.parent_id) ? o.parent_id : '';
    if (!kids.has(p)) kids.set(p, []);
    kids.get(p).push(o);
  }
  const formBox = h('div', { id: 'org-form-box' });
  const again = () => pageOrgs(seq).catch(show);
  const open = (f) => {
    fill(formBox, f);
    const first = f.querySelector('input, select');
    if (first) first.focus();
  };
  const total = (o) => o.members + (kids.get(o.id) || []).reduce((s, k) => s + total(k), 0);
  const node = (o) => h('li', { dataset: { code: o.code } },
    h('strong', {}, o.name), ` （${o.code}） ${label(o.kind)}`,
    o.branch_type ? ` · ${label(o.branch_type)}` : '',
    ` · 党员 ${total(o)}`, o.secretary ? ` · 书记 ${o.secretary}` : '',
    o.term_end ? ` · 届期至 ${o.term_end}` : '',
    o.dissolved ? h('span.tag', {}, '已撤销') : null,
    h('button.small', { dataset: { edit: o.code }, onclick: () => open(editOrgForm(o, again)) }, '修改'),
    !o.dissolved && o.child_kinds.length ? h('button.small', { dataset: { add: o.code }, onclick: () => open(addOrgForm(again, o.id)) }, '添加下级') : null,
    kids.has(o.id) ? h('ul', {}, kids.get(o.id).map(node)) : null);
  fill(main, h('h1', {}, '组织'),
    meta.orgs.length === 0 ? h('p.muted', {}, '副本中还没有组织，请先同步。') : [
      h('div.bar', {}, h('button.primary', { id: 'org-add', onclick: () => open(addOrgForm(again)) }, '添加组织')),
      formBox,
      h('ul.tree', { id: 'org-tree' }, (kids.get('') || []).map(node))]);
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
  member: (seq, parts) => (parts[2] === 'edit' ? pageMemberForm(seq, parts[1]) : pageMember(seq, parts[1])),
  orgs: (seq) => pageOrgs(seq),
  sync: (seq) => pageSync(seq),
  ...workPages,
  ...transferPages,
  ...reportPages,
  ...developPages,
  ...lifePages,
  ...servicePages,
  ...duesPages,
  ...committeePages,
  ...cobuildPages,
  ...volassessPages,
  ...claimfundPages,
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

// The co-building pages' nav entries (page_cobuild.js, page_claimfund.js), before 报表.
function addNav() {
  const nav = document.getElementById('nav');
  const before = nav.querySelector('a[data-page="reports"]');
  for (const [page, text] of [...cobuildNav, ...claimfundNav]) {
    if (nav.querySelector(`a[data-page="${page}"]`)) continue;
    nav.insertBefore(h('a', { href: `#/${page}`, dataset: { page } }, text), before);
  }
  // 志愿服务 and 考核 (page_volassess.js), likewise before 报表.
  for (const [page, text] of volassessNav) {
    if (nav.querySelector(`a[data-page="${page}"]`)) continue;
    nav.insertBefore(h('a', { href: `#/${page}`, dataset: { page } }, text), before);
  }
}

async function start() {
  addNav();
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
