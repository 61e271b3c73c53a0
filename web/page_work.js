// page_work.js - the desk's pages for 会议 (meetings with attendance) and 清单 (items).
// Each entry of pages: route name (the hash's first part) -> async (seq, parts).
// Check current(seq) after every await: a newer route may have begun.
//
// Every label comes from the replica's vocabulary and schema (/api/work-form);
// every rule is the domain layer's: the forms ask /api/meetings/check as the
// clerk types, and an item offers only the steps the API lists in `next`.
import { claimsSection } from './page_claimfund.js';
import { ApiError, get, post } from './api.js';
import { fill, h, label } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

// The work form (vocabularies and column labels), loaded once.
let work = null;
async function loadWork() {
  if (!work) work = await get('/api/work-form');
  await loadMeta();
}

// The nav entry of a page drawn under another route (meeting -> 会议).
function navActive(page) {
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
}

function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function attLabel(code) {
  const e = work.attendance.find((a) => a.code === code);
  return e ? e.label : code;
}

// Organisations a meeting or an item may belong to: not dissolved, below the street.
function workOrgs() {
  return meta.orgs.filter((o) => !o.dissolved && o.kind.code !== 'street');
}

function orgOptions(all, selected) {
  return [all ? h('option', { value: '' }, all) : null,
    workOrgs().map((o) => h('option', { value: o.id, selected: o.id === selected }, `${o.name}（${o.code}）`))];
}

function vocabOptions(list, all, selected) {
  return [all ? h('option', { value: '' }, all) : null,
    list.map((v) => h('option', { value: v.code, selected: v.code === selected }, v.label))];
}

// A labelled form field: {wrap, box, err}.
function field(name, text, box, required) {
  const err = h('div.err', { id: `e-${name}` });
  const wrap = h('div.field', {}, h('label', { for: box.id }, text, required ? h('span.req', {}, '*') : null), box, err);
  return { wrap, box, err };
}

// Show error e beside the field it names (errs: name -> err div), else in status.
function showError(errs, status, e) {
  for (const el of Object.values(errs)) {
    fill(el);
    el.closest('.field, tr')?.classList.remove('bad');
  }
  fill(status);
  if (!e) return;
  const f = e.body && e.body.field;
  if (f && errs[f]) {
    fill(errs[f], e.message);
    errs[f].closest('.field, tr')?.classList.add('bad');
  } else {
    fill(status, problem(e));
  }
}

// --- 会议: the list --------------------------------------------------------------

const mfilter = { org: '', kind: '', year: String(new Date().getFullYear()) };

async function pageMeetings(seq) {
  await loadWork();
  if (!current(seq)) return;
  const L = work.meeting;
  const org = h('select', { id: 'm-org' }, orgOptions('全部组织', mfilter.org));
  const kind = h('select', { id: 'm-kind' }, vocabOptions(work.meeting_kind, '全部类型', mfilter.kind));
  const y = new Date().getFullYear();
  const years = [];
  for (let i = y; i >= y - 6; i--) years.push(String(i));
  const year = h('select', { id: 'm-year' }, h('option', { value: '' }, '全部年份'),
    years.map((v) => h('option', { value: v, selected: v === mfilter.year }, `${v} 年`)));
  const body = h('tbody', { id: 'meetings' });
  const info = h('p.muted', { id: 'meetings-info' });

  async function load() {
    const r = await get('/api/meetings', { org: mfilter.org, kind: mfilter.kind, year: mfilter.year });
    if (!current(seq)) return;
    const rows = r.rows.slice().reverse();   // newest first
    fill(body, rows.map((m) => h('tr.link', { dataset: { id: m.id }, onclick: () => { location.hash = `#/meeting/${m.id}`; } },
      h('td', {}, m.held_on), h('td', {}, label(m.kind)), h('td', {}, m.org_name || ''),
      h('td', {}, m.topic || ''), h('td', {}, m.host || ''),
      h('td.num', {}, m.present), h('td.num', {}, m.excused), h('td.num', {}, m.absent))));
    fill(info, r.total === 0 ? '没有符合条件的会议记录。' : `共 ${r.total} 次会议${r.more ? '（只列出前一部分，请缩小范围）' : ''}。`);
  }
  for (const [sel, key] of [[org, 'org'], [kind, 'kind'], [year, 'year']]) {
    sel.addEventListener('change', () => { mfilter[key] = sel.value; load().catch((e) => fill(info, problem(e))); });
  }
  fill(main,
    h('h1', {}, '会议（三会一课）'),
    h('div.bar', {}, org, kind, year,
      h('button.primary', { id: 'add-meeting', onclick: () => { location.hash = '#/meetings/new'; } }, '记录会议')),
    h('table', {}, h('thead', {}, h('tr', {},
      [L.held_on, L.kind, L.org_id, L.topic, L.host].map((t) => h('th', {}, t)),
      ['present', 'excused', 'absent'].map((c) => h('th.num', {}, attLabel(c))))), body),
    info);
  await load();
}

// --- 会议: record one, with the attendance checklist ---------------------------

async function pageMeetingNew(seq) {
  await loadWork();
  if (!current(seq)) return;
  const L = work.meeting;
  const orgs = workOrgs();
  const first = orgs.find((o) => o.id === mfilter.org) || orgs.find((o) => o.kind.code === 'branch') || orgs[0];
  const errs = {};
  const touched = new Set();
  const mk = (name, box, required) => {
    const f = field(name, L[name], box, required);
    errs[name] = f.err;
    box.addEventListener('change', () => { touched.add(name); check(false).catch(() => {}); });
    return f.wrap;
  };
  const org = h('select', { id: 'f-org_id', name: 'org_id' }, orgOptions(null, first ? first.id : ''));
  const kind = h('select', { id: 'f-kind', name: 'kind' }, vocabOptions(work.meeting_kind, '请选择', ''));
  const fields = [
    mk('org_id', org, true),
    mk('kind', kind, true),
    mk('held_on', h('input', { id: 'f-held_on', name: 'held_on', type: 'date', value: today(), max: today() }), true),
    mk('topic', h('input', { id: 'f-topic', name: 'topic', type: 'text', maxLength: 200, autocomplete: 'off' }), true),
    mk('host', h('input', { id: 'f-host', name: 'host', type: 'text', maxLength: 100, autocomplete: 'off' }), false),
    mk('recorder', h('input', { id: 'f-recorder', name: 'recorder', type: 'text', maxLength: 100, autocomplete: 'off' }), false),
  ];
  const minutes = h('textarea', { id: 'f-minutes', name: 'minutes', rows: 4, maxLength: 20000 });
  const mwrap = mk('minutes', minutes, false);
  mwrap.classList.add('wide');
  const f = h('form.form', { id: 'meeting-form', novalidate: true }, fields, mwrap);
  const rollBody = h('tbody', { id: 'roll' });
  const rollInfo = h('p.muted', { id: 'roll-info' });
  const status = h('div', { id: 'meeting-status' });
  const save = h('button.primary', { type: 'button', id: 'save-meeting' }, '保存会议和出勤');
  let roll = [];   // [{id, name, status select value, reason input, err}]

  // The checklist of the chosen organisation's members (its groups' too), 出席 by default.
  async function loadRoll() {
    for (const k of Object.keys(errs)) if (k.startsWith('a.') || k.startsWith('r.')) delete errs[k];
    if (!org.value) { fill(rollBody); roll = []; return; }
    const r = await get('/api/branch-members', { org: org.value });
    if (!current(seq)) return;
    roll = r.members.map((m) => {
      const reason = h('input', { type: 'text', id: `r-${m.id}`, maxLength: 200, placeholder: '请假事由', disabled: true, autocomplete: 'off' });
      const err = h('div.err');
      errs[`a.${m.id}`] = err;
      errs[`r.${m.id}`] = err;
      const row = { id: m.id, name: m.name, reason, err, status: 'present' };
      const radios = work.attendance.map((a) => {
        const rb = h('input', { type: 'radio', name: `att-${m.id}`, id: `att-${m.id}-${a.code}`, value: a.code, checked: a.code === 'present' });
        rb.addEventListener('change', () => {
          row.status = a.code;
          reason.disabled = a.code !== 'excused';
          if (a.code === 'excused') reason.focus();
          touched.add(`a.${m.id}`);
          touched.add(`r.${m.id}`);
        });
        return h('label.choice', { for: rb.id }, rb, a.label);
      });
      reason.addEventListener('change', () => check(false).catch(() => {}));
      row.tr = h('tr', { dataset: { member: m.id } }, h('td', {}, m.name), h('td', {}, m.org_name || ''),
        h('td.choices', {}, radios), h('td', {}, reason, err));
      return row;
    });
    fill(rollBody, roll.map((x) => x.tr));
    fill(rollInfo, roll.length === 0 ? '这个组织还没有党籍正常的党员。' :
      `共 ${roll.length} 名党员${r.more ? '（人数超过一次会议的上限，只列出一部分）' : ''}；默认出席，请假须填写事由。`);
  }
  function values() {
    const v = [];
    for (const el of f.elements) if (el.name) v.push([el.name, el.value.trim()]);
    for (const x of roll) {
      v.push([`a.${x.id}`, x.status]);
      if (x.status === 'excused') v.push([`r.${x.id}`, x.reason.value.trim()]);
    }
    return v;
  }
  // The same rules as saving, without saving (the replica's transaction is rolled back).
  async function check(all) {
    const r = await post('/api/meetings/check', values());
    if (!current(seq)) return false;
    if (r.ok) { showError(errs, status, null); return true; }
    const e = new ApiError(422, r);
    if (all || !r.field || touched.has(r.field)) showError(errs, status, e);
    else showError(errs, status, null);
    return false;
  }
  org.addEventListener('change', () => { loadRoll().catch((e) => fill(status, problem(e))); });
  save.addEventListener('click', async () => {
    save.disabled = true;
    try {
      if (!(await check(true))) return;
      const r = await post('/api/meetings', values());
      location.hash = `#/meeting/${r.id}`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) showError(errs, status, e);
      else fill(status, problem(e));
    } finally {
      save.disabled = false;
    }
  });
  fill(main, h('h1', {}, '记录会议'), f,
    h('h2', {}, '出勤'),
    h('table.roll', {}, h('thead', {}, h('tr', {}, ['党员', '所在组织', work.attendance_cols.status, work.attendance_cols.reason].map((t) => h('th', {}, t)))), rollBody),
    rollInfo,
    h('div.actions', {}, save, h('a', { href: '#/meetings' }, '取消')), status);
  navActive('meetings');
  await loadRoll();
}

// --- 会议: one meeting with its attendance ---------------------------------------

async function pageMeeting(seq, id) {
  await loadWork();
  const m = await get('/api/meeting', { id });
  if (!current(seq)) return;
  const L = work.meeting;
  const dl = h('dl.items', { id: 'meeting-items' });
  const item = (k, v) => dl.append(h('dt', {}, k), h('dd', { dataset: { item: k } }, v === null || v === '' || v === undefined ? '—' : v));
  item(L.org_id, m.org_name ? `${m.org_name}（${m.org_code}）` : m.org_id);
  item(L.kind, label(m.kind));
  item(L.held_on, m.held_on);
  item(L.topic, m.topic);
  item(L.host, m.host);
  item(L.recorder, m.recorder);
  item(work.attendance_cols.status, `${attLabel('present')} ${m.present}，${attLabel('excused')} ${m.excused}，${attLabel('absent')} ${m.absent}`);
  fill(main, h('h1', {}, `会议 · ${m.topic}`),
    h('p', {}, h('a', { href: '#/meetings' }, '← 返回会议列表')), dl,
    h('h2', {}, L.minutes), h('div.minutes', { id: 'minutes' }, m.minutes || '—'),
    h('h2', {}, '出勤'),
    m.attendance.length === 0 ? h('p.muted', {}, '没有记录出勤。') :
      h('table', { id: 'attendance' }, h('thead', {}, h('tr', {}, ['党员', work.attendance_cols.status, work.attendance_cols.reason].map((t) => h('th', {}, t)))),
        h('tbody', {}, m.attendance.map((a) => h('tr', { dataset: { member: a.member_id } },
          h('td', {}, a.name || '（已不在本副本）'),
          h(`td.att-${a.status ? a.status.code : ''}`, {}, label(a.status)),
          h('td', {}, a.reason || ''))))));
  navActive('meetings');
}

// --- 清单: the list and the add form ---------------------------------------------

const ifilter = { kind: '', status: '', org: '' };

async function pageItems(seq) {
  await loadWork();
  if (!current(seq)) return;
  const L = work.item;
  const kinds = h('div.tabs', { id: 'i-kinds' });
  const status = h('select', { id: 'i-status' }, vocabOptions(work.item_status, '全部状态', ifilter.status));
  const org = h('select', { id: 'i-org' }, orgOptions('全部组织', ifilter.org));
  const body = h('tbody', { id: 'items' });
  const info = h('p.muted', { id: 'items-info' });
  const addBox = h('div', { id: 'item-add', hidden: true });

  function drawTabs() {
    fill(kinds, [{ code: '', label: '全部' }, ...work.item_kind].map((k) =>
      h(`button.tab${k.code === ifilter.kind ? '.on' : ''}`, { type: 'button', dataset: { kind: k.code },
        onclick: () => { ifilter.kind = k.code; drawTabs(); load().catch((e) => fill(info, problem(e))); } }, k.label)));
  }
  async function load() {
    const r = await get('/api/items', ifilter);
    if (!current(seq)) return;
    fill(body, r.rows.map((i) => h('tr.link', { dataset: { id: i.id }, onclick: () => { location.hash = `#/item/${i.id}`; } },
      h('td', {}, i.title), h('td', {}, label(i.kind)), h('td', {}, i.org_name || ''),
      h(`td.it-${i.status ? i.status.code : ''}`, {}, label(i.status)),
      h('td', {}, i.due_on || '', i.overdue ? h('span.tag.late', {}, '逾期') : null),
      h('td', {}, i.claimed_by || ''),
      h('td.next', {}, i.next.map((st) => h('span.tag', {}, STEPS[st].button))))));
    fill(info, r.total === 0 ? '没有符合条件的清单事项。' : `共 ${r.total} 项${r.more ? '（只列出前一部分，请缩小范围）' : ''}。`);
  }
  status.addEventListener('change', () => { ifilter.status = status.value; load().catch((e) => fill(info, problem(e))); });
  org.addEventListener('change', () => { ifilter.org = org.value; load().catch((e) => fill(info, problem(e))); });

  // The add form: shown on 添加清单; the same rules as the CLI's item add.
  function drawAdd() {
    const errs = {};
    const touched = new Set();
    const mk = (name, box, required) => {
      const f = field(name, L[name], box, required);
      errs[name] = f.err;
      box.addEventListener('change', () => { touched.add(name); check(false).catch(() => {}); });
      return f.wrap;
    };
    const values = () => {
      const v = {};
      for (const el of f.elements) if (el.name) v[el.name] = el.value.trim();
      return v;
    };
    // The same rules as saving, without saving; a field's error shows once it was touched.
    async function check(all) {
      const r = await post('/api/items/check', values());
      if (!current(seq)) return false;
      if (r.ok) { showError(errs, st, null); return true; }
      const e = new ApiError(422, r);
      showError(errs, st, all || !r.field || touched.has(r.field) ? e : null);
      return false;
    }
    const orgs = workOrgs();
    const first = orgs.find((o) => o.id === ifilter.org) || orgs.find((o) => o.kind.code === 'branch') || orgs[0];
    const f = h('form.form', { id: 'item-form', novalidate: true },
      mk('org_id', h('select', { id: 'f-org_id', name: 'org_id' }, orgOptions(null, first ? first.id : '')), true),
      mk('kind', h('select', { id: 'f-kind', name: 'kind' }, vocabOptions(work.item_kind, '请选择', ifilter.kind)), true),
      mk('title', h('input', { id: 'f-title', name: 'title', type: 'text', maxLength: 200, autocomplete: 'off' }), true),
      mk('due_on', h('input', { id: 'f-due_on', name: 'due_on', type: 'date' }), false),
      mk('detail', h('textarea', { id: 'f-detail', name: 'detail', rows: 3, maxLength: 5000 }), false));
    f.lastChild.classList.add('wide');
    const st = h('div', { id: 'item-add-status' });
    const save = h('button.primary', { type: 'submit', form: 'item-form', id: 'save-item' }, '保存');
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      save.disabled = true;
      try {
        if (!(await check(true))) return;
        const r = await post('/api/items', values());
        location.hash = `#/item/${r.id}`;
      } catch (e) {
        if (e instanceof ApiError && e.status === 422) showError(errs, st, e);
        else fill(st, problem(e));
      } finally {
        save.disabled = false;
      }
    });
    fill(addBox, h('h2', {}, '添加清单事项'), f,
      h('div.actions', {}, save, h('button', { type: 'button', onclick: () => { addBox.hidden = true; } }, '取消')), st);
    addBox.hidden = false;
    f.querySelector('#f-title').focus();
  }
  drawTabs();
  fill(main,
    h('h1', {}, '清单'),
    kinds,
    h('div.bar', {}, status, org, h('button.primary', { id: 'add-item', onclick: drawAdd }, '添加清单')),
    addBox,
    h('table', {}, h('thead', {}, h('tr', {}, [L.title, L.kind, L.org_id, L.status, L.due_on, L.claimed_by, '下一步'].map((t) => h('th', {}, t)))), body),
    info);
  await load();
}

// --- 清单: one item, its history and its next step ---------------------------------

// Each step: the API path, the button, the text field (name, column) and the date column.
const STEPS = {
  claim: { button: '认领', text: 'by', textCol: 'claimed_by', dateCol: 'claimed_on', required: true },
  rectify: { button: '整改', text: 'note', textCol: 'rectification', dateCol: 'rectified_on', required: true },
  close: { button: '销号', text: 'note', textCol: 'close_note', dateCol: 'closed_on', required: false },
};

async function pageItem(seq, id) {
  await loadWork();
  const i = await get('/api/item', { id });
  if (!current(seq)) return;
  const L = work.item;
  const dl = h('dl.items', { id: 'item-items' });
  const put = (k, v, attrs) => dl.append(h('dt', {}, L[k]), h('dd', { dataset: { item: k }, ...(attrs || {}) }, v === null || v === '' || v === undefined ? '—' : v));
  put('kind', label(i.kind));
  put('status', label(i.status), { id: 'item-status' });
  put('org_id', i.org_name);
  put('due_on', i.due_on ? [i.due_on, i.overdue ? h('span.tag.late', {}, '逾期') : null] : null);
  put('detail', i.detail);

  // What has been done, in order.
  const done = [];
  for (const [step, s] of Object.entries(STEPS)) {
    if (!i[s.dateCol]) continue;
    done.push(h('li', { dataset: { step } }, h('strong', {}, s.button), ` ${L[s.dateCol]} ${i[s.dateCol]}`,
      i[s.textCol] ? ` · ${L[s.textCol]}：${i[s.textCol]}` : ''));
  }
  // The steps the domain accepts now, each a small form.
  const forms = i.next.map((step) => {
    const s = STEPS[step];
    const text = step === 'claim' ?
      h('input', { id: `${step}-${s.text}`, name: s.text, type: 'text', maxLength: 200, autocomplete: 'off' }) :
      h('textarea', { id: `${step}-${s.text}`, name: s.text, rows: 2, maxLength: step === 'close' ? 2000 : 5000 });
    const date = h('input', { id: `${step}-date`, name: 'date', type: 'date', value: today(), max: today() });
    const errs = {};
    const ft = field(`${step}-${s.text}-e`, L[s.textCol], text, s.required);
    const fd = field(`${step}-date-e`, L[s.dateCol], date, true);
    errs[s.text] = ft.err;
    errs.date = fd.err;
    const st = h('div');
    const btn = h('button.primary', { type: 'submit', id: `do-${step}` }, s.button);
    const f = h('form.step', { id: `step-${step}`, novalidate: true }, h('h3', {}, s.button), ft.wrap, fd.wrap, h('div.actions', {}, btn), st);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      btn.disabled = true;
      try {
        await post(`/api/items/${step}`, { id: i.id, [s.text]: text.value.trim(), date: date.value });
        if (current(seq)) await pageItem(seq, id);
      } catch (e) {
        if (e instanceof ApiError && e.status === 422) showError(errs, st, e);
        else fill(st, problem(e));
      } finally {
        btn.disabled = false;
      }
    });
    return f;
  });
  fill(main, h('h1', {}, `清单 · ${i.title}`),
    h('p', {}, h('a', { href: '#/items' }, '← 返回清单')), dl,
    h('h2', {}, '办理经过'),
    done.length ? h('ol.history', { id: 'item-history' }, done) : h('p.muted', { id: 'item-history' }, '尚未办理。'),
    forms.length ? [h('h2', {}, '下一步'), h('div.steps', { id: 'item-steps' }, forms)] :
      h('p.muted', {}, i.status && i.status.code === 'closed' ? '已销号，办理完毕。' : ''),
    // The item's claims (page_claimfund.js): the item's status follows them, so a step redraws the page.
    claimsSection(i.id, async () => { if (current(seq)) await pageItem(seq, id); }));
  navActive('items');
}

export const pages = {
  meetings: (seq, parts) => (parts[1] === 'new' ? pageMeetingNew(seq) : pageMeetings(seq)),
  meeting: (seq, parts) => pageMeeting(seq, parts[1]),
  items: (seq) => pageItems(seq),
  item: (seq, parts) => pageItem(seq, parts[1]),
};
