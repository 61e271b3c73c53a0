// page_develop.js - 发展党员 (the development pipeline) and the member page's
// probation section (转正, 延长预备期). The same domain operations as tongxin
// develop and member promote/extend, through /api/develop* and
// /api/member/promote|extend (each write with a /check twin that runs the same
// rules without saving). Every rule is the domain layer's; a step offers only
// the meetings that may decide it (/api/develop/meetings). Data is only ever
// text (h()).
import { ApiError, get, post } from './api.js';
import { fill, h, label } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

// The next step of each stage: the API path's last part and the button.
const NEXT = {
  applicant: { step: 'activist', button: '确定为积极分子', title: '确定为入党积极分子' },
  activist: { step: 'candidate', button: '确定为发展对象', title: '确定为发展对象' },
  candidate: { step: 'admit', button: '接收为预备党员', title: '接收为预备党员' },
};

// The list's filter, kept while the clerk moves between pages.
const filter = { stage: '' };

// The options of a member form item (gender, ethnicity, education share the vocabulary).
function formOptions(name) {
  const c = meta.form.find((i) => i.name === name);
  return c && c.options ? c.options : [];
}

function select(id, name, options, first) {
  return h('select', { id, name }, h('option', { value: '' }, first || '请选择'),
    options.map((o) => h('option', { value: o.code }, o.label)));
}

function text(id, name, max) {
  return h('input', { id, name, type: 'text', maxLength: max, autocomplete: 'off' });
}

function date(id, name) {
  return h('input', { id, name, type: 'date' });
}

// The meetings that may decide step for a person of organisation org, as a select.
async function meetingSelect(id, org, step) {
  const r = await get('/api/develop/meetings', { org, step });
  if (r.meetings.length === 0) {
    return h('select', { id, name: 'meeting' },
      h('option', { value: '' }, '（没有可作决定的会议，请先在“会议”中记录）'));
  }
  return h('select', { id, name: 'meeting' }, h('option', { value: '' }, '请选择会议'),
    r.meetings.map((m) => h('option', { value: m.id }, `${m.held_on} ${label(m.kind)}：${m.topic || ''}`)));
}

// A small form: boxes ([name, label, element]) each with its error line, 确定 and
// 取消, checked then saved through path (+ /check) with fixed values extra;
// done(answer) after saving. A refusal shows beside the box the API names
// (field), else under the form.
function stepForm(key, title, path, extra, boxes, done) {
  const errs = {};
  const status = h('div.err.wide', { id: `${key}-status` });
  const fields = boxes.map(([name, txt, box]) => {
    errs[name] = h('div.err', { id: `${key}-e-${name}` });
    // The meeting's long description takes a whole line.
    return h(name === 'meeting' ? 'div.field.wide' : 'div.field', {}, h('label', { for: box.id }, txt), box, errs[name]);
  });
  const f = h('form.form', { id: `${key}-form`, novalidate: true }, h('h3.wide', {}, title), fields,
    h('div.actions.wide', {}, h('button.primary', { type: 'submit', id: `${key}-save` }, '确定'),
      h('button', { type: 'button', onclick: () => f.remove() }, '取消')), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of Object.values(errs)) fill(el);
    fill(status);
    const v = { ...extra };
    for (const el of f.elements) if (el.name) v[el.name] = el.value.trim();
    try {
      // The same rules first, without saving: a "no" is an answer, not a failed request.
      if (path.check) {
        const r = await post(`${path.save}/check`, v);
        if (!r.ok) throw new ApiError(422, r);
      }
      done(await post(path.save, v));
    } catch (e) {
      const field = e instanceof ApiError ? e.body.field : null;
      if (field && errs[field]) fill(errs[field], e.message);
      else fill(status, e.message);
    }
  });
  return f;
}

// --- 发展: the list, the add form, the steps ---------------------------------------

// The organisations an applicant may be registered in: branches and groups, not dissolved.
function memberOrgs() {
  return meta.orgs.filter((o) => !o.dissolved && (o.kind.code === 'branch' || o.kind.code === 'group'));
}

function addForm(done) {
  const boxes = [
    ['name', '姓名', text('d-name', 'name', 100)],
    ['gender', '性别', select('d-gender', 'gender', formOptions('gender'))],
    ['ethnicity', '民族', select('d-ethnicity', 'ethnicity', formOptions('ethnicity'))],
    ['id_number', '公民身份号码', text('d-id_number', 'id_number', 18)],
    ['org_id', '所在党支部', h('select', { id: 'd-org_id', name: 'org_id' }, h('option', { value: '' }, '请选择'),
      memberOrgs().map((o) => h('option', { value: o.id }, `${o.name}（${o.code}）`)))],
    ['applied_on', '递交申请日期', date('d-applied_on', 'applied_on')],
    ['education', '学历', select('d-education', 'education', formOptions('education'), '（未填）')],
    ['phone', '联系电话', text('d-phone', 'phone', 32)],
    ['job', '工作岗位', text('d-job', 'job', 100)],
    ['note', '备注', text('d-note', 'note', 500)],
  ];
  return stepForm('dev-add', '登记入党申请人', { save: '/api/develop', check: true }, {}, boxes, done);
}

// The form of row a's next step: the deciding meeting, the date, and for admission the member's items.
async function nextForm(a, done) {
  const n = NEXT[a.stage.code];
  const boxes = [
    ['meeting', '作出决定的会议', await meetingSelect('dev-meeting', a.org_id, n.step)],
    ['date', '日期（默认会议日期）', date('dev-date', 'date')],
  ];
  if (n.step === 'admit') {
    boxes.push(['education', '学历（申请时未填则必填）',
      select('dev-education', 'education', formOptions('education'), '（沿用申请时所填）')]);
    boxes.push(['address', '家庭住址', text('dev-address', 'address', 200)]);
  }
  return stepForm('dev-step', `${n.title} · ${a.name}`, { save: `/api/develop/${n.step}`, check: true },
    { id: a.id }, boxes, done);
}

function stopForm(a, done) {
  return stepForm('dev-stop', `停止培养 · ${a.name}`, { save: '/api/develop/stop', check: false }, { id: a.id },
    [['note', '原因', text('dev-note', 'note', 500)]], done);
}

// The month whose reminders are shown ('' for this month), kept while the clerk moves between pages.
let dueMonth = '';

// 到期提醒: activists whose year of training ends in the month, probationary
// members due then or overdue; another month can be chosen.
function dueSection(d, again) {
  const month = h('input', { id: 'dev-month', type: 'month', value: d.month });
  month.addEventListener('change', () => { dueMonth = month.value; again(); });
  const head = h('div.bar', {}, h('h2', {}, '到期提醒'), month);
  if (d.rows.length === 0) {
    return h('section', { id: 'dev-due' }, head, h('p.muted', {}, `${d.month} 没有到期或逾期的发展步骤。`));
  }
  return h('section', { id: 'dev-due' }, head,
    h('table', {}, h('thead', {}, h('tr', {}, ['事项', '状态', '姓名', '所在党支部', '起始日期', '到期日期'].map((t) => h('th', {}, t)))),
      h('tbody', {}, d.rows.map((r) => h('tr', { dataset: { id: r.id } },
        h('td', {}, r.step_label), h('td', {}, r.overdue ? h('span.tag.late', {}, '逾期') : '本月到期'),
        h('td', {}, r.step === 'promote' ? h('a', { href: `#/member/${r.id}` }, r.name) :
          h('a', { href: `#/applicant/${r.id}` }, r.name)),
        h('td', {}, r.org_name || ''), h('td', {}, r.since || ''),
        h('td', {}, r.due_on || '', r.extended ? '（已延长）' : ''))))));
}

async function pageDevelop(seq) {
  await loadMeta();
  const [due, list] = await Promise.all([get('/api/develop/due', { month: dueMonth }), get('/api/develop', filter)]);
  if (!current(seq)) return;
  const again = () => pageDevelop(seq).catch((e) => fill(main, problem(e)));
  const forms = h('div.steps', { id: 'dev-forms' });
  const open = (f) => {
    fill(forms, f);
    const first = f.querySelector('input, select');
    if (first) first.focus();
  };
  const stage = h('select', { id: 'dev-stage' }, h('option', { value: '' }, '全部阶段'),
    list.stages.map((s) => h('option', { value: s.code, selected: s.code === filter.stage }, s.label)));
  stage.addEventListener('change', () => { filter.stage = stage.value; again(); });
  const rows = list.rows.map((a) => {
    const n = a.stage && NEXT[a.stage.code];
    const acts = [];
    if (n) {
      acts.push(h('button', { type: 'button', dataset: { step: n.step },
        onclick: () => nextForm(a, again).then(open).catch((e) => fill(forms, problem(e))) }, n.button));
      acts.push(h('button', { type: 'button', dataset: { step: 'stop' }, onclick: () => open(stopForm(a, again)) }, '停止培养'));
    }
    if (a.member_id) acts.push(h('a.member', { href: `#/member/${a.member_id}` }, '党员记录'));
    return h('tr', { dataset: { id: a.id } },
      h('td', {}, h('a', { href: `#/applicant/${a.id}` }, a.name)), h('td', {}, label(a.gender)), h('td.stage', {}, label(a.stage)),
      h('td', {}, a.org_name || ''), h('td', {}, a.applied_on || ''), h('td', {}, a.activist_on || ''),
      h('td', {}, a.candidate_on || '', a.candidate_from && !a.candidate_on ? h('span.muted', {}, `（${a.candidate_from} 起可确定）`) : null),
      h('td', {}, a.admitted_on || ''), h('td.acts', {}, acts));
  });
  fill(main,
    h('h1', {}, '发展党员'),
    dueSection(due, again),
    h('h2', {}, '入党申请人、积极分子与发展对象'),
    h('div.bar', {}, stage, h('button.primary', { id: 'dev-add', onclick: () => open(addForm(again)) }, '登记入党申请人')),
    forms,
    h('table', { id: 'dev-list' }, h('thead', {}, h('tr', {},
      ['姓名', '性别', '发展阶段', '所在党支部', '申请日期', '积极分子日期', '发展对象日期', '接收日期', '操作'].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows)),
    h('p.muted', { id: 'dev-info' }, list.total === 0 ? '没有符合条件的记录。' : `共 ${list.total} 人${list.more ? '（只列出前一部分）' : ''}。`));
}

// --- 发展: one person's record ---------------------------------------------------------

async function pageApplicant(seq, id) {
  const a = await get('/api/applicant', { id });
  if (!current(seq)) return;
  for (const n of document.querySelectorAll('#nav a')) n.classList.toggle('active', n.dataset.page === 'develop');
  const v = Object.fromEntries(a.items.map((i) => [i.name, i]));
  const dl = h('dl.items', { id: 'applicant-items' });
  for (const it of a.items) {
    if (it.name === 'member_id') continue;
    const shown = it.display === null || it.display === '' ? '—' : it.display;
    dl.append(h('dt', {}, it.label), h('dd', { dataset: { item: it.name } }, shown));
  }
  fill(main, h('h1', {}, `发展党员 · ${v.name.value}`),
    h('p', {}, h('a', { href: '#/develop' }, '← 返回发展党员'),
      v.member_id.value ? [' · ', h('a', { id: 'applicant-member', href: `#/member/${v.member_id.value}` }, '党员记录')] : null),
    dl);
}

// Route name -> async (seq, parts) drawing the page.
export const pages = {
  develop: (seq) => pageDevelop(seq),
  applicant: (seq, parts) => pageApplicant(seq, parts[1]),
};

// --- 党员: the probation section ------------------------------------------------------

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) {
  if (!v || v.category !== 'probationary') return [];
  const p = await get('/api/probation', { id });
  if (!p.probationary) return [];
  const forms = h('div.steps', { id: 'probation-forms' });
  const open = (f) => {
    fill(forms, f);
    const first = f.querySelector('input, select');
    if (first) first.focus();
  };
  const fail = (e) => fill(forms, problem(e));
  const promote = async () => open(stepForm('promote', '预备党员转正', { save: '/api/member/promote', check: true }, { id },
    [['meeting', '支部党员大会', await meetingSelect('promote-meeting', p.org_id, 'promote')],
      ['date', '转正日期（默认会议日期）', date('promote-date', 'date')]], again));
  const extend = async () => open(stepForm('extend', '延长预备期', { save: '/api/member/extend', check: true }, { id },
    [['meeting', '支部党员大会', await meetingSelect('extend-meeting', p.org_id, 'extend')],
      ['until', '延长至（不超过一年）', date('extend-until', 'until')]], again));
  return [h('section', { id: 'probation' }, h('h2', {}, '预备期'),
    h('dl.items', {},
      h('dt', {}, '入党日期'), h('dd', {}, p.join_date || '—'),
      h('dt', {}, '预备期满'), h('dd', { id: 'probation-ends' }, p.ends_on || '—', p.extended ? '（已延长）' : '')),
    h('div.bar', {},
      h('button.primary', { id: 'act-promote', onclick: () => promote().catch(fail) }, '转正'),
      p.extended ? null : h('button', { id: 'act-extend', onclick: () => extend().catch(fail) }, '延长预备期')),
    forms)];
}
