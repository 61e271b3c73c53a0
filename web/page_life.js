// page_life.js - the member page's sections for the end of membership (党员减少),
// discipline (党纪处分) and the member's life in date order (党员历程). The
// same domain operations as tongxin member leave / discipline / sanctions /
// history, through /api/member/life, /api/member/leave and
// /api/member/discipline (each with a /check twin that runs the same rules
// without saving). Data is only ever text (h()).
import { ApiError, get, post } from './api.js';
import { fill, h } from './dom.js';
import { problem } from './desk.js';

// Route name -> async (seq, parts) drawing the page.
export const pages = {};

// Long text in a table cell: its first n characters, the whole as the cell's title.
function cut(s, n) {
  const t = s || '';
  return [...t].length > n ? `${[...t].slice(0, n).join('')}…` : t;
}

// A small form: boxes ([name, label, element]) each with its error line, 确定 and
// 取消, checked then saved through path (+ /check); done() after saving. The
// API names the refused item as the form's box (field), else the message goes
// under the form.
function lifeForm(key, title, id, path, boxes, done) {
  const errs = {};
  const status = h('div.err.wide', { id: `${key}-status` });
  const fields = boxes.map(([name, text, box]) => {
    errs[name] = h('div.err', { id: `${key}-e-${name}` });
    return h('div.field', {}, h('label', { for: box.id }, text), box, errs[name]);
  });
  const f = h('form.form', { id: `${key}-form`, novalidate: true }, h('h3.wide', {}, title), fields,
    h('div.actions.wide', {}, h('button.primary', { type: 'submit', id: `${key}-save` }, '确定'),
      h('button', { type: 'button', onclick: () => f.remove() }, '取消')), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of Object.values(errs)) fill(el);
    fill(status);
    const v = { id };
    for (const el of f.elements) if (el.name) v[el.name] = el.value.trim();
    try {
      // The same rules first, without saving: a "no" is an answer, not a failed request.
      const r = await post(`${path}/check`, v);
      if (!r.ok) throw new ApiError(422, r);
      await post(path, v);
      done();
    } catch (e) {
      const field = e instanceof ApiError ? e.body.field : null;
      if (field && errs[field]) fill(errs[field], e.message);
      else fill(status, e.message);
    }
  });
  return f;
}

function select(id, name, options) {
  return h('select', { id, name }, h('option', { value: '' }, '请选择'),
    options.map((o) => h('option', { value: o.code }, o.label)));
}

function text(id, name, max) {
  return h('input', { id, name, type: 'text', maxLength: max, autocomplete: 'off' });
}

function date(id, name) {
  return h('input', { id, name, type: 'date' });
}

// 党员减少: what was recorded, or the button and its form.
function leaveSection(id, d, again) {
  const holder = h('div', { id: 'leave-forms' });
  if (d.left) {
    return h('section', { id: 'life-leave' }, h('h2', {}, '党员减少'),
      h('p', { id: 'life-left' }, `已于 ${d.left.on || '—'} 减少：${d.left.reason ? d.left.reason.label : ''}`,
        d.left.note ? `（${d.left.note}）` : ''),
      h('p.muted', {}, '减少记录保留在党员历程中，不再计入党员人数；如登记有误，只能由管理员修改党员信息撤销。'));
  }
  const open = () => {
    const old = document.getElementById('leave-form');
    if (old) { old.remove(); return; }
    const f = lifeForm('leave', '党员减少', id, '/api/member/leave', [
      ['reason', '减少方式', select('l-reason', 'reason', d.reasons)],
      ['date', '减少日期', date('l-date', 'date')],
      ['note', '减少原因', text('l-note', 'note', 500)],
    ], again);
    holder.append(f);
    f.querySelector('select').focus();
  };
  return h('section', { id: 'life-leave' }, h('h2', {}, '党员减少'),
    h('div.bar', {}, h('button', { id: 'act-leave', onclick: open }, '登记党员减少'),
      h('span.muted', {}, `${d.reasons.map((r) => r.label).join('、')}；登记后该党员不再计入党员人数，但保留在历程中。`)),
    holder);
}

// The label of code in a vocabulary's [{code, label}] (the code itself if absent).
function labelOf(list, code) {
  const e = list.find((x) => x.code === code);
  return e ? e.label : code;
}

// 党纪处分: the list, and the add form while the member has not left.
function disciplineSection(id, d, again) {
  const holder = h('div', { id: 'discipline-forms' });
  const L = d.labels;
  const list = d.sanctions.length === 0 ? h('p.muted', { id: 'sanctions-none' }, '没有党纪处分记录。') :
    h('table', { id: 'sanctions' },
      h('thead', {}, h('tr', {}, ['kind', 'decided_on', 'decided_by', 'grounds', 'until', 'note'].map((n) => h('th', {}, L[n])))),
      h('tbody', {}, d.sanctions.map((s) => h('tr', {},
        h('td', {}, s.kind ? s.kind.label : ''), h('td', {}, s.decided_on || ''),
        h('td', {}, s.decided_by || ''), h('td', { title: s.grounds || '' }, cut(s.grounds, 30)),
        h('td', {}, s.until || ''), h('td', { title: s.note || '' }, cut(s.note, 20))))));
  const open = () => {
    const old = document.getElementById('discipline-form');
    if (old) { old.remove(); return; }
    const f = lifeForm('discipline', '添加党纪处分', id, '/api/member/discipline', [
      ['kind', L.kind, select('d-kind', 'kind', d.kinds)],
      ['decided_on', L.decided_on, date('d-decided_on', 'decided_on')],
      ['decided_by', L.decided_by, text('d-decided_by', 'decided_by', 200)],
      ['grounds', L.grounds, text('d-grounds', 'grounds', 2000)],
      ['until', `${L.until}（${labelOf(d.kinds, 'probation')}一年或两年）`, date('d-until', 'until')],
      ['note', L.note, text('d-note', 'note', 500)],
    ], again);
    // 察看期满 belongs to 留党察看 alone: shown (and sent) only for it.
    const kind = f.querySelector('#d-kind');
    const until = f.querySelector('#d-until');
    const untilField = until.closest('.field');
    const toggle = () => {
      untilField.hidden = kind.value !== 'probation';
      if (untilField.hidden) until.value = '';
    };
    kind.addEventListener('change', toggle);
    toggle();
    holder.append(f);
    f.querySelector('select').focus();
  };
  return h('section', { id: 'life-discipline' }, h('h2', {}, '党纪处分'),
    d.left ? null : h('div.bar', {}, h('button', { id: 'act-discipline', onclick: open }, '添加处分'),
      h('span.muted', {}, `${labelOf(d.kinds, 'expulsion')}同时登记党员减少。`)),
    holder, list, d.more ? h('p.muted', {}, '只列出前若干条。') : null);
}

// 党员历程: the member's life in date order.
function historySection(d) {
  return h('section', { id: 'life-history' }, h('h2', {}, '党员历程'),
    d.history.length === 0 ? h('p.muted', {}, '没有记录。') :
      h('ol.history', { id: 'history' }, d.history.map((ev) => h('li', { dataset: { event: ev.event } },
        `${ev.date}  ${ev.title}`, ev.detail ? `  ${ev.detail}` : ''))));
}

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  let d;
  try {
    d = await get('/api/member/life', { id });
  } catch (e) {
    // The member's own items still show; these sections say what went wrong.
    return [h('section', { id: 'life-leave' }, h('h2', {}, '党员减少与党纪处分'), problem(e))];
  }
  return [leaveSection(id, d, again), disciplineSection(id, d, again), historySection(d)];
}
