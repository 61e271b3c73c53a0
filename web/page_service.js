// page_service.js - the desk's 双报到 pages: 在职党员到社区报到: the limited records of
// in-service members who report to this community (name, unit, phone; never the citizen ID),
// the services they do, and the report back to their units (反馈原单位).
// Each entry of pages: route name -> async (seq, parts). Check current(seq) after every await.
import { get, post } from './api.js';
import { fill, h } from './dom.js';
import { current, main, problem } from './desk.js';

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

// An organisation as this replica sees it: the other office's is only an id here.
function orgName(o) {
  if (!o || !o.id) return '—';
  return o.visible ? o.name : '其他组织（本副本不可见）';
}

function field(id, text, input) {
  return h('div.field', {}, h('label', { for: id }, text), input);
}

// A small form posting to path; fields: [[name, label, input]]; done(answer) after success.
function postForm(id, title, path, fields, extra, done) {
  const status = h('div', { id: `${id}-status` });
  const save = h('button.primary', { type: 'submit', id: `${id}-save` }, '保存');
  const f = h('form.step', { id },
    h('h3', {}, title),
    fields.map(([, text, input]) => field(input.id, text, input)),
    h('div.actions', {}, save), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = { ...extra() };
    for (const [name, , input] of fields) form[name] = input.value.trim();
    save.disabled = true;
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

const text = (id, max, placeholder) => h('input', { type: 'text', id, maxLength: max, placeholder: placeholder || '', autocomplete: 'off' });
const date = (id, value) => h('input', { type: 'date', id, value: value || '' });

function reportRow(r) {
  return h('tr.link', { dataset: { id: r.id }, onclick: () => { location.hash = `#/service/${r.id}`; } },
    h('td', {}, r.name), h('td', {}, dash(r.unit)), h('td', {}, dash(r.phone)),
    h('td', { dataset: { side: r.side.code } }, r.side.label),
    h('td', {}, r.side.code === 'outside' ? '（街道外）' : orgName(r.home)), h('td', {}, orgName(r.community)),
    h('td', {}, r.reported_on), h('td', {}, dash(r.ended_on)),
    h('td.num', {}, r.services), h('td.num', { dataset: { minutes: r.minutes } }, r.hours));
}

const HEADS = ['姓名', '工作单位', '联系电话', '类别', '所在组织', '报到社区', '报到日期', '结束日期', '服务次数', '服务时长（小时）'];

async function pageService(seq, parts) {
  if (parts[1]) return pageReport(seq, parts[1]);
  const all = h('input', { type: 'checkbox', id: 'sv-all' });
  const list = h('div', { id: 'sv-list' });
  const notice = h('div', { id: 'sv-notice' });
  const recSlot = h('div', { id: 'sv-rec-slot' });
  const year = h('input', { type: 'number', id: 'sv-year', min: 2000, max: 2100, value: today().slice(0, 4) });
  const back = h('div', { id: 'sv-back' });
  // 导出 CSV: a plain link to the CSV route (the one CSV writer), for sending to the units.
  const csv = h('a', { id: 'sv-back-csv', download: '' }, '导出 CSV');
  const say = (n) => fill(notice, n);

  async function reloadBack() {
    csv.href = `/api/service/back.csv?${new URLSearchParams({ year: year.value })}`;
    const r = await get('/api/service/back', { year: year.value });
    if (!current(seq)) return;
    fill(back, table('sv-back-table', ['姓名', '工作单位', '所在组织', '报到社区', '服务次数', '服务时长（小时）', '服务内容'],
      r.rows.map((s) => h('tr', { dataset: { id: s.id } },
        h('td', {}, s.name), h('td', {}, dash(s.unit)),
        h('td', {}, s.side.code === 'outside' ? '（街道外）' : orgName(s.home)), h('td', {}, orgName(s.community)),
        h('td.num', {}, s.services), h('td.num', {}, s.hours), h('td', {}, dash(s.activities)))),
      `${year.value} 年没有报到登记。`));
  }

  async function reload() {
    const r = await get('/api/service', all.checked ? { all: 1 } : {});
    if (!current(seq)) return;
    fill(list, table('sv-table', HEADS, r.rows.map(reportRow), all.checked ? '没有报到登记。' : '没有进行中的报到登记。'));
    // The services are recorded by the community: only reports to an organisation of this replica.
    const open = r.rows.filter((s) => s.can_record && !s.ended_on);
    if (open.length === 0) {
      fill(recSlot, h('p.muted', { id: 'sv-rec-none' }, '没有报到本社区、可以登记服务的党员。'));
    } else {
      const pick = h('select', { id: 'sv-rec-report' }, open.map((s) => h('option', { value: s.id }, `${s.name}（${s.unit || '单位未填'}）`)));
      fill(recSlot, postForm('sv-rec-form', '登记服务', '/api/service/record', [
        ['date', '服务日期', date('sv-rec-date', today())],
        ['activity', '服务内容', text('sv-rec-activity', 500, '如 社区义诊、垃圾分类宣传')],
        ['hours', '服务时长（小时）', text('sv-rec-hours', 16, '如 2 或 1.5')],
      ], () => ({ id: pick.value }), async (_r, status) => {
        const who = open.find((s) => s.id === pick.value);
        await reload();
        await reloadBack();
        say(h('div.notice.good', {}, `已为 ${who ? who.name : ''} 登记服务。`));
        fill(status);
      }));
      recSlot.firstChild.insertBefore(field('sv-rec-report', '报到党员', pick), recSlot.firstChild.children[1]);
    }
  }

  const add = postForm('sv-add-form', '登记街道外党员报到', '/api/service/add', [
    ['name', '姓名', text('sv-add-name', 100)],
    ['unit', '工作单位', text('sv-add-unit', 200)],
    ['phone', '联系电话', text('sv-add-phone', 32)],
    ['reported_on', '报到日期', date('sv-add-date', today())],
  ], () => ({}), async (_r, status) => {
    await reload();
    say(h('div.notice.good', {}, '已登记报到。'));
    fill(status);
    for (const i of ['sv-add-name', 'sv-add-unit', 'sv-add-phone']) document.getElementById(i).value = '';
  });

  all.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  year.addEventListener('change', () => { reloadBack().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '在职党员双报到'),
    h('p.muted', {}, '在职党员到居住地社区报到：社区只保存姓名、工作单位和联系电话（不含公民身份号码和党员档案），并登记其服务；本组织党员的报到情况与服务时长也在这里。'),
    notice,
    h('div.bar', {}, h('label', {}, all, ' 显示已结束的报到')),
    list,
    h('h2', {}, '登记'),
    h('div.steps', {}, recSlot, add),
    h('h2', {}, '反馈原单位'),
    h('div.bar', {}, h('label', { for: 'sv-year' }, '年度'), year, csv),
    back);
  await reload();
  await reloadBack();
}

// One report: its items, its services, and its end.
async function pageReport(seq, id) {
  const r = await get('/api/service/show', { id });
  if (!current(seq)) return;
  const s = r.report;
  const notice = h('div', { id: 'sv-notice' });
  const again = () => pageReport(seq, id).catch((e) => fill(notice, problem(e)));
  const end = s.ended_on ? null : postForm('sv-end-form', '结束报到', '/api/service/end', [
    ['date', '结束日期', date('sv-end-date', today())],
  ], () => ({ id: s.id }), async () => { await again(); });
  fill(main, h('h1', {}, `双报到 · ${s.name}`),
    h('p', {}, h('a', { href: '#/service' }, '← 返回双报到')),
    notice,
    h('dl.items', { id: 'sv-report' },
      h('dt', {}, '姓名'), h('dd', {}, s.name),
      h('dt', {}, '工作单位'), h('dd', {}, dash(s.unit)),
      h('dt', {}, '联系电话'), h('dd', {}, dash(s.phone)),
      h('dt', {}, '类别'), h('dd', {}, s.side.label),
      h('dt', {}, '所在组织'), h('dd', {}, s.side.code === 'outside' ? '（街道外）' : orgName(s.home)),
      h('dt', {}, '报到社区'), h('dd', {}, orgName(s.community)),
      h('dt', {}, '报到日期'), h('dd', {}, s.reported_on),
      h('dt', {}, '结束日期'), h('dd', {}, dash(s.ended_on)),
      h('dt', {}, '服务次数'), h('dd', {}, s.services),
      h('dt', {}, '服务时长（小时）'), h('dd', { id: 'sv-hours' }, s.hours)),
    h('h2', {}, '服务记录'),
    table('sv-records', ['服务日期', '服务内容', '时长（小时）', '备注'],
      r.records.map((x) => h('tr', {}, h('td', {}, x.served_on), h('td', {}, x.activity), h('td.num', {}, x.hours), h('td', {}, dash(x.note)))),
      '尚无服务记录。'),
    end ? h('div.steps', {}, end) : null);
}

export const pages = { service: pageService };

// The member page (the member's own office): his reports to communities with their hours,
// and the form to report him to a community this replica holds.
export async function memberSections(id, v, again) {
  const r = await get('/api/service/member', { id });
  const form = postForm('sv-report-form', '到社区报到', '/api/service/report', [
    ['community', '报到社区编码', text('sv-report-community', 32, '如 SQ02')],
    ['date', '报到日期', date('sv-report-date', today())],
    ['unit', '工作单位（默认工作岗位）', text('sv-report-unit', 200)],
  ], () => ({ member: id }), async () => { await again(); });
  return [h('section', { id: 'member-service' }, h('h2', {}, '双报到'),
    table('member-service-table', ['报到社区', '工作单位', '报到日期', '结束日期', '服务次数', '服务时长（小时）'],
      r.rows.map((s) => h('tr.link', { dataset: { id: s.id }, onclick: () => { location.hash = `#/service/${s.id}`; } },
        h('td', {}, orgName(s.community)), h('td', {}, dash(s.unit)), h('td', {}, s.reported_on),
        h('td', {}, dash(s.ended_on)), h('td.num', {}, s.services), h('td.num', {}, s.hours))),
      '尚未到社区报到。'),
    h('div.steps', {}, form))];
}
