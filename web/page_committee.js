// page_committee.js - the desk's 班子 pages: 委员会 and 党员中心户: committee seats with
// terms, and member households that keep in touch with a grid's households.
// #/committee: the seats (an organisation and those under it), a seat's add form that says
// what the organisation may elect (a branch under 7 full members: only 书记 and one 副书记),
// each current seat's 离任; the 党员中心户 with their household counts and the add form.
// #/committee/center/ID: one center, its households, the cover and close forms.
// The rules are the domain's (dom_committee.h); a refusal shows beside its field.
import { ApiError, get, post } from './api.js';
import { fill, h, label } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

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

const text = (id, max, placeholder) => h('input', { type: 'text', id, maxLength: max, placeholder: placeholder || '', autocomplete: 'off' });
const date = (id, value) => h('input', { type: 'date', id, value: value || '' });

// The API's field names (schema columns) -> the form's.
const FIELD = { org_id: 'org', member_id: 'member', started_on: 'from', ended_on: 'date', head_name: 'name' };

// A form posting to path: fields [[name, label, input]] (each with an error line beside it);
// extra() adds hidden values; done(answer) after success. A refusal naming a field shows there.
function postForm(id, title, path, fields, extra, done) {
  const status = h('div.err', { id: `${id}-status` });
  const errs = {};
  const save = h('button.primary', { type: 'submit', id: `${id}-save` }, '保存');
  const boxes = fields.map(([name, text, input]) => {
    errs[name] = h('div.err', { id: `${id}-e-${name}` });
    return h('div.field', { dataset: { field: name } }, h('label', { for: input.id }, text), input, errs[name]);
  });
  const f = h('form.step', { id, novalidate: true }, h('h3', {}, title), boxes, h('div.actions', {}, save), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of Object.values(errs)) fill(el);
    fill(status);
    const form = {};
    for (const [name, , input] of fields) form[name] = input.value.trim();
    Object.assign(form, extra());   // what the form decides over its boxes (a 兼职委员's role)
    save.disabled = true;
    try {
      const r = await post(path, form);
      await done(r, status);
    } catch (e) {
      const field = e instanceof ApiError && e.body.field ? (FIELD[e.body.field] || e.body.field) : null;
      if (field && errs[field]) fill(errs[field], e.message);
      else fill(status, e.message);
    } finally {
      save.disabled = false;
    }
  });
  return f;
}

// The organisations a committee may sit on (not groups, not dissolved) and the branches.
const committeeOrgs = () => meta.orgs.filter((o) => !o.dissolved && o.kind.code !== 'group');
const orgText = (o) => `${o.name}（${o.code}）`;

// Organisation id and the ones under it (from the replica's tree).
function subtree(id) {
  const out = [id];
  for (let i = 0; i < out.length && out.length < 50; i++) {
    for (const o of meta.orgs) if (o.parent_id === out[i] && !o.dissolved) out.push(o.id);
  }
  return out;
}

// The members on the books of org id's subtree, as options (at most 200 an organisation).
async function memberOptions(id) {
  const out = [];
  for (const oid of subtree(id)) {
    const r = await get('/api/members', { org: oid, limit: 200, offset: 0 });
    for (const m of r.rows) out.push(m);
  }
  out.sort((a, b) => a.name.localeCompare(b.name, 'zh'));
  return out;
}

// --- #/committee -------------------------------------------------------------------

function seatRow(s, onEnd) {
  return h('tr', { dataset: { id: s.id, role: s.role.code } },
    h('td', {}, dash(s.org_name)), h('td', {}, label(s.role)), h('td', {}, s.name),
    h('td', {}, s.member_id ? '本组织党员' : '兼职委员', s.member_left && s.current ? h('span.tag.late', {}, '已减少，请办理离任') : null),
    h('td', {}, s.started_on), h('td', {}, dash(s.ended_on), s.secretary_clash ? h('span.tag.late', {}, '两名现任书记，请结束其一') : null),
    h('td', {}, s.current ? h('button.small', { dataset: { end: s.id }, onclick: () => onEnd(s) }, '离任') : null));
}

// The seat's add form for the organisation chosen in orgSel (redrawn when it changes).
async function seatForm(orgId, again) {
  const info = await get('/api/committee/org', { id: orgId });
  const members = await memberOptions(orgId);
  const who = h('select', { id: 'cm-member' }, h('option', { value: '' }, '请选择'),
    members.map((m) => h('option', { value: m.id }, `${m.name}（${label(m.category)}）`)),
    info.small ? null : h('option', { value: '-' }, '兼职委员（非本组织党员）'));
  const name = text('cm-name', 100, '兼职委员的姓名');
  // The roles this organisation may fill now, labelled by the vocabulary (the API's).
  const role = h('select', { id: 'cm-role' }, info.roles.filter((r) => r.code !== 'part_time')
    .map((r) => h('option', { value: r.code }, r.label)));
  const f = postForm('cm-add-form', '任职', '/api/committee/add', [
    ['member', '党员', who],
    ['name', '兼职委员姓名', name],
    ['role', '职务', role],
    ['from', '任职日期', date('cm-from', today())],
  ], () => ({ org: orgId, member: who.value === '-' ? '' : who.value, role: who.value === '-' ? 'part_time' : role.value }),
  async (r) => {
    await again(r.ended ? `已任职。前任书记 ${r.ended.name} 的任职于 ${r.ended.ended_on} 结束，组织的书记已改为新任书记。` : '已任职。');
  });
  const nameField = f.querySelector('[data-field="name"]');
  const roleField = f.querySelector('[data-field="role"]');
  const follow = () => {
    nameField.hidden = who.value !== '-';
    roleField.hidden = who.value === '-';
  };
  who.addEventListener('change', follow);
  follow();
  const say = info.group ? '党小组设组长，不设委员会。' : info.small
    ? `正式党员 ${info.full} 名，不足 ${info.full_min} 名：不设支部委员会，只设书记，必要时设一名副书记（《中国共产党支部工作条例（试行）》第十条）。`
    : info.kind.code === 'branch' ? `正式党员 ${info.full} 名，可设支部委员会。` : '';
  f.insertBefore(h('p.muted', { id: 'cm-org-info' }, say), f.children[1]);
  return f;
}

async function pageCommittee(seq, parts) {
  if (parts[1] === 'center' && parts[2]) return pageCenter(seq, parts[2]);
  await loadMeta();
  if (!current(seq)) return;
  const orgs = committeeOrgs();
  const notice = h('div', { id: 'cm-notice' });
  const say = (n) => fill(notice, n);
  const filter = h('select', { id: 'cm-org' }, h('option', { value: '' }, '全部组织'),
    orgs.map((o) => h('option', { value: o.id }, orgText(o))));
  const all = h('input', { type: 'checkbox', id: 'cm-all' });
  const list = h('div', { id: 'cm-list' });
  const formOrg = h('select', { id: 'cm-form-org' }, h('option', { value: '' }, '请选择组织'),
    orgs.map((o) => h('option', { value: o.id }, orgText(o))));
  const formSlot = h('div', { id: 'cm-form-slot' });
  const endSlot = h('div', { id: 'cm-end-slot' });
  const centers = h('div', { id: 'hh-list' });
  const centerSlot = h('div', { id: 'hh-form-slot' });

  async function reload() {
    const r = await get('/api/committee', { org: filter.value, ...(all.checked ? { all: 1 } : {}) });
    if (!current(seq)) return;
    fill(list, table('cm-table', ['组织', '职务', '姓名', '类别', '任职日期', '离任日期', ''],
      r.rows.map((s) => seatRow(s, openEnd)), all.checked ? '没有委员会职务。' : '没有现任委员会职务。'));
  }
  async function reloadCenters() {
    const r = await get('/api/committee/centers', { org: filter.value });
    if (!current(seq)) return;
    fill(centers, table('hh-table', ['所在党支部', '中心户党员', '网格', '住址', '设立日期', `联系户数（最多 ${r.max_households}）`],
      r.rows.map((c) => h('tr.link', { dataset: { id: c.id }, onclick: () => { location.hash = `#/committee/center/${c.id}`; } },
        h('td', {}, dash(c.org_name)), h('td', {}, dash(c.member_name), c.member_left ? h('span.tag.late', {}, '已减少，请撤销') : null),
        h('td', {}, dash(c.grid)),
        h('td', {}, dash(c.address)), h('td', {}, c.started_on), h('td.num', {}, c.households))),
      '还没有党员中心户。'));
  }
  const again = async (msg) => {
    fill(endSlot);
    await reload();
    await loadMeta();
    if (formOrg.value) fill(formSlot, await seatForm(formOrg.value, again));
    say(h('div.notice.good', {}, msg));
  };
  function openEnd(s) {
    fill(endSlot, postForm('cm-end-form', `${s.name} 离任（${label(s.role)}）`, '/api/committee/end', [
      ['date', '离任日期', date('cm-end-date', today())],
    ], () => ({ id: s.id }), async () => { await again(`${s.name} 已离任。`); }));
  }
  formOrg.addEventListener('change', async () => {
    fill(formSlot);
    if (!formOrg.value) return;
    try {
      fill(formSlot, await seatForm(formOrg.value, again));
    } catch (e) { say(problem(e)); }
  });
  filter.addEventListener('change', () => { reload().then(reloadCenters).catch((e) => say(problem(e))); });
  all.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });

  // The center's add form: a branch, then one of its members.
  const branches = meta.orgs.filter((o) => !o.dissolved && o.kind.code === 'branch');
  const hhBranch = h('select', { id: 'hh-branch' }, h('option', { value: '' }, '请选择党支部'),
    branches.map((o) => h('option', { value: o.id }, orgText(o))));
  const hhMember = h('select', { id: 'hh-member' }, h('option', { value: '' }, '请先选择党支部'));
  hhBranch.addEventListener('change', async () => {
    const ms = hhBranch.value ? await memberOptions(hhBranch.value) : [];
    fill(hhMember, h('option', { value: '' }, '请选择'), ms.map((m) => h('option', { value: m.id }, m.name)));
  });
  const hhForm = postForm('hh-add-form', '设立党员中心户', '/api/committee/center/add', [
    ['member', '中心户党员', hhMember],
    ['grid', '网格', text('hh-grid', 100, '如 第三网格')],
    ['address', '住址（默认党员住址）', text('hh-address', 200)],
    ['from', '设立日期', date('hh-from', today())],
  ], () => ({}), async () => {
    await reloadCenters();
    say(h('div.notice.good', {}, '已设立党员中心户。'));
  });
  hhForm.insertBefore(h('div.field', {}, h('label', { for: 'hh-branch' }, '党支部'), hhBranch), hhForm.children[1]);
  fill(centerSlot, hhForm);

  fill(main, h('h1', {}, '委员会与党员中心户'),
    h('p.muted', {}, '各组织委员会的任职与任期；新任书记任职时，前任书记的任职在前一天结束，组织的书记随之更新。'),
    notice,
    h('div.bar', {}, h('label', { for: 'cm-org' }, '组织'), filter, h('label', {}, all, ' 显示已离任的')),
    list, endSlot,
    h('h2', {}, '任职'),
    h('div.bar', {}, h('label', { for: 'cm-form-org' }, '组织'), formOrg),
    formSlot,
    h('h2', {}, '党员中心户'),
    h('p.muted', {}, '党员中心户联系网格内的群众户，每户最多联系 30 户（本系统的规则，通常 10～15 户）。'),
    centers,
    h('div.steps', {}, centerSlot));
  await reload();
  await reloadCenters();
}

// --- #/committee/center/ID --------------------------------------------------------------

async function pageCenter(seq, id) {
  const r = await get('/api/committee/center', { id });
  if (!current(seq)) return;
  const c = r.center;
  const notice = h('div', { id: 'hh-notice' });
  const again = (msg) => pageCenter(seq, id).then(() => { if (msg) fill(document.getElementById('hh-notice'), h('div.notice.good', {}, msg)); })
    .catch((e) => fill(notice, problem(e)));
  const open = !c.ended_on;
  const cover = open && c.households < c.max_households ? postForm('hh-cover-form', '登记联系户', '/api/committee/center/cover', [
    ['name', '户主姓名', text('hh-cover-name', 100)],
    ['address', '住址', text('hh-cover-address', 200)],
    ['phone', '联系电话', text('hh-cover-phone', 32)],
  ], () => ({ id: c.id }), async () => { await again('已登记联系户。'); }) : null;
  const close = open ? postForm('hh-end-form', '撤销党员中心户', '/api/committee/center/end', [
    ['date', '撤销日期', date('hh-end-date', today())],
  ], () => ({ id: c.id }), async () => { await again('已撤销。'); }) : null;
  fill(main, h('h1', {}, `党员中心户 · ${dash(c.member_name)}`),
    h('p', {}, h('a', { href: '#/committee' }, '← 返回委员会与党员中心户')),
    notice,
    h('dl.items', { id: 'hh-center' },
      h('dt', {}, '中心户党员'), h('dd', {}, dash(c.member_name)),
      h('dt', {}, '所在党支部'), h('dd', {}, dash(c.org_name)),
      h('dt', {}, '网格'), h('dd', {}, dash(c.grid)),
      h('dt', {}, '住址'), h('dd', {}, dash(c.address)),
      h('dt', {}, '设立日期'), h('dd', {}, c.started_on),
      h('dt', {}, '撤销日期'), h('dd', {}, dash(c.ended_on)),
      h('dt', {}, '联系户数'), h('dd', { id: 'hh-count' }, `${c.households} / ${c.max_households}`)),
    h('h2', {}, '联系户'),
    table('hh-households', ['户主姓名', '住址', '联系电话'],
      r.households.map((x) => h('tr', { dataset: { id: x.id } }, h('td', {}, x.head_name), h('td', {}, x.address), h('td', {}, dash(x.phone)))),
      '尚未登记联系户。'),
    open && !cover ? h('p.muted', { id: 'hh-full' }, `已联系 ${c.households} 户，达到上限。`) : null,
    h('div.steps', {}, cover, close));
}

export const pages = { committee: pageCommittee };

// The member page: his committee seats (ended ones too) and whether he is a 党员中心户.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  const r = await get('/api/committee/member', { id });
  const open = r.centers.filter((c) => !c.ended_on);
  return [h('section', { id: 'member-committee' }, h('h2', {}, '委员会职务与党员中心户'),
    table('member-seats', ['组织', '职务', '任职日期', '离任日期'],
      r.seats.map((s) => h('tr', { dataset: { id: s.id } }, h('td', {}, dash(s.org_name)), h('td', {}, label(s.role)),
        h('td', {}, s.started_on), h('td', {}, dash(s.ended_on)))),
      '未在委员会任职。'),
    h('p', { id: 'member-center' }, open.length
      ? h('a', { href: `#/committee/center/${open[0].id}` },
        `党员中心户：是（${open[0].grid || '网格未填'}，联系 ${open[0].households} 户）`)
      : '党员中心户：否'))];
}
