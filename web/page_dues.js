// page_dues.js - the desk's 党费 pages: the month's list with a 交纳 button per
// member and 全部交纳, the arrears (3 months 提醒, 6 months 党章), and on the
// member page the member's class and base and the last 12 months. The same
// domain operations as tongxin dues, through /api/dues, /api/dues/pay,
// /api/dues/pay-all, /api/dues/arrears, /api/dues/member and /api/dues/set
// (pay and set each with a /check twin that runs the same rules without
// saving). Amounts come as 元 text from the API. Data is only ever text (h()).
import { ApiError, get, post } from './api.js';
import { fill, h } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

const dash = (v) => (v === null || v === undefined || v === '' ? '—' : v);

// This month as YYYY-MM (the desk's clock: the office's own day).
function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

// The page's choices, kept while the clerk moves between pages.
const state = { month: '', org: '' };

function table(id, heads, rows, empty) {
  if (rows.length === 0) return h('p.muted', { id: `${id}-empty` }, empty);
  return h('table', { id }, h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))), h('tbody', {}, rows));
}

// Check first (a "no" is an answer), then write: the refusal's message, else null.
async function checked(path, form) {
  const r = await post(`${path}/check`, form);
  if (!r.ok) throw new ApiError(422, r);
  return post(path, form);
}

function memberLink(id, name) {
  return h('a', { href: `#/member/${encodeURIComponent(id)}` }, name);
}

// --- 党费 page -------------------------------------------------------------------

function monthRow(m, month, status, reload) {
  let action = null;
  if (!m.paid && m.owes && m.monthly !== null) {
    const btn = h('button.pay', { dataset: { member: m.member_id } }, '交纳');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      fill(status);
      try {
        const r = await checked('/api/dues/pay', { member: m.member_id, month });
        fill(status, h('div.notice.good', {}, `已登记 ${m.name} ${month} 的党费 ${r.amount} 元。`));
        await reload();
      } catch (e) {
        btn.disabled = false;
        fill(status, problem(e));
      }
    });
    action = btn;
  } else if (!m.paid && m.owes) {
    action = h('a', { href: `#/member/${encodeURIComponent(m.member_id)}` }, '先设定党费类别');
  }
  const st = m.paid ? (m.owes ? '已交纳' : '已交纳（已减少）') : '未交纳';
  return h('tr', { dataset: { member: m.member_id } },
    h('td', {}, memberLink(m.member_id, m.name)), h('td', {}, dash(m.org_name)),
    h('td', {}, m.class ? m.class.label : '未设定'), h('td.num', {}, dash(m.base)),
    h('td.num', {}, dash(m.monthly)), h(`td.${m.paid ? 'it-closed' : 'it-open'}`, {}, st),
    h('td.num', {}, dash(m.amount)), h('td', {}, dash(m.paid_on)), h('td', {}, dash(m.received_by)),
    h('td', {}, action));
}

function arrearsRow(a) {
  const tag = a.flag.code === 'charter' ? 'span.tag.late' : a.flag.code === 'warning' ? 'span.tag' : null;
  return h('tr', { dataset: { member: a.member_id, flag: a.flag.code } },
    h('td', {}, memberLink(a.member_id, a.name)), h('td', {}, dash(a.org_name)),
    h('td', {}, a.class ? a.class.label : '未设定'), h('td.num', {}, dash(a.monthly)),
    h('td.num', {}, `${a.months}${a.capped ? '+' : ''}`), h('td', {}, `${a.from} 至 ${a.to}`),
    h('td.num', {}, dash(a.owed)), h('td', {}, tag ? h(tag, {}, a.flag.label) : ''));
}

async function pageDues(seq) {
  await loadMeta();
  if (!current(seq)) return;
  if (!state.month) state.month = thisMonth();
  const month = h('input', { type: 'month', id: 'dues-month', value: state.month });
  const org = h('select', { id: 'dues-org' }, h('option', { value: '' }, '全部组织'),
    meta.orgs.filter((o) => !o.dissolved && o.kind.code !== 'street')
      .map((o) => h('option', { value: o.code, selected: o.code === state.org }, `${o.name}（${o.code}）`)));
  const all = h('button.primary', { id: 'dues-pay-all' }, '全部交纳');
  const status = h('div', { id: 'dues-status' });
  const totals = h('p', { id: 'dues-totals' });
  const list = h('div', { id: 'dues-list-holder' });
  const arrears = h('div', { id: 'dues-arrears-holder' });
  let asked = 0;

  async function load() {
    const mine = ++asked;
    const q = { month: state.month, org: state.org };
    const [r, a] = await Promise.all([get('/api/dues', q), get('/api/dues/arrears', { as_of: state.month, org: state.org })]);
    if (mine !== asked || !current(seq)) return;
    const t = r.totals;
    fill(totals, `${r.month}：应交纳 ${t.members} 人，已交 ${t.paid} 人，未交 ${t.unpaid} 人` +
      `（其中未设定党费类别 ${t.no_class} 人）；应收 ${t.due} 元，实收 ${t.received} 元`);
    all.disabled = t.unpaid === t.no_class;
    fill(list, table('dues-list', ['姓名', '所在党支部', '党费类别', '交纳基数（元）', '月应交（元）', '状态', '实交（元）', '交纳日期', '收缴人', ''],
      r.rows.map((m) => monthRow(m, r.month, status, load)), '这个月没有应交纳党费的党员。'),
    r.totals.more ? h('p.muted', {}, '人数过多，只列出一部分。') : null);
    const withClass = a.rows.filter((x) => x.class);
    const apart = a.rows.filter((x) => !x.class);
    fill(arrears,
      h('p.muted', {}, `截至 ${a.as_of}（不含当月）连续未交纳党费的月数：满 ${a.warn_months} 个月提醒，` +
        `满 ${a.charter_months} 个月为党章规定的界限（没有正当理由连续六个月不交纳党费的，按自行脱党处理）。`),
      table('dues-arrears', ['姓名', '所在党支部', '党费类别', '月应交（元）', '连续未交（月）', '未交月份', '应补交（元）', '提示'],
        withClass.map(arrearsRow), '没有欠交党费的党员。'),
      apart.length === 0 ? null : [h('h3', {}, '未设定党费类别的党员（另列）'),
        table('dues-arrears-apart', ['姓名', '所在党支部', '党费类别', '月应交（元）', '连续未交（月）', '未交月份', '应补交（元）', '提示'],
          apart.map(arrearsRow), '')]);
  }
  month.addEventListener('change', () => {
    if (!/^\d{4}-\d{2}$/.test(month.value)) return;
    state.month = month.value;
    fill(status);
    load().catch((e) => fill(status, problem(e)));
  });
  org.addEventListener('change', () => {
    state.org = org.value;
    fill(status);
    load().catch((e) => fill(status, problem(e)));
  });
  all.addEventListener('click', async () => {
    all.disabled = true;
    fill(status);
    try {
      const r = await post('/api/dues/pay-all', { month: state.month, org: state.org });
      fill(status, h('div.notice.good', {}, `已为 ${r.paid} 名党员登记 ${state.month} 的党费，共 ${r.amount} 元` +
        (r.no_class ? `；${r.no_class} 名未设定党费类别，未登记。` : '。')));
      await load();
    } catch (e) {
      all.disabled = false;
      fill(status, problem(e));
    }
  });
  fill(main, h('h1', {}, '党费'),
    h('div.bar', {}, h('label', { for: 'dues-month' }, '月份'), month, org, all),
    status, totals, list, h('h2', {}, '欠交党费'), arrears);
  await load();
}

// Route name -> async (seq, parts) drawing the page.
export const pages = {
  dues: (seq) => pageDues(seq),
};

// --- the member page's section ---------------------------------------------------

// What the member pays: "在岗职工，交纳基数 4500.00 元，每月应交 45.00 元".
function sentence(d) {
  if (!d.class) return '未设定党费类别';
  if (d.farmer_amount !== null) return `${d.class.label}，每月应交 ${d.monthly} 元`;
  if (d.base === null) return `${d.class.label}，每月应交 ${d.monthly} 元（固定标准）`;
  const rate = `${d.rate_bp / 100}%`;
  return `${d.class.label}，交纳基数 ${d.base} 元，比例 ${rate}，每月应交 ${d.monthly} 元`;
}

// The class and base form: the base box follows the class (income, a farmer's amount, none).
function setForm(id, d, again) {
  const errs = { class: h('div.err', { id: 'dues-e-class' }), base: h('div.err', { id: 'dues-e-base' }) };
  const status = h('div.err.wide', { id: 'dues-set-status' });
  const cls = h('select', { id: 'dues-class', name: 'class' }, h('option', { value: '' }, '请选择'),
    d.classes.map((c) => h('option', { value: c.code, selected: d.class && d.class.code === c.code }, c.label)));
  const base = h('input', { id: 'dues-base', name: 'base', type: 'text', inputMode: 'decimal', maxLength: 16, autocomplete: 'off',
    value: d.farmer_amount !== null ? d.farmer_amount : (d.base || '') });
  const baseLabel = h('label', { for: 'dues-base' });
  const baseField = h('div.field', {}, baseLabel, base, errs.base);
  function follow() {
    const c = d.classes.find((x) => x.code === cls.value);
    const kind = c ? c.base : null;
    baseField.hidden = !kind;
    fill(baseLabel, kind === 'amount' ? '每月交纳金额（元，0.20 至 1.00）' : kind === 'income' ?
      (c.code === 'retired' ? '交纳基数：每月离退休费（元，税后）' : '交纳基数：每月工资收入（元，税后）') : '');
  }
  cls.addEventListener('change', follow);
  follow();
  const f = h('form.form', { id: 'dues-set-form', novalidate: true },
    h('div.field', {}, h('label', { for: 'dues-class' }, '党费类别'), cls, errs.class), baseField,
    h('div.actions.wide', {}, h('button.primary', { type: 'submit', id: 'dues-set-save' }, '保存党费标准')), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of Object.values(errs)) fill(el);
    fill(status);
    const v = { id, class: cls.value, base: baseField.hidden ? '' : base.value.trim() };
    try {
      await checked('/api/dues/set', v);
      again();
    } catch (e) {
      const field = e instanceof ApiError ? e.body.field : null;
      if (field && errs[field]) fill(errs[field], e.message);
      else fill(status, e.message);
    }
  });
  return f;
}

function monthsTable(id, d, again, status) {
  return table('dues-months', ['月份', '状态', '金额（元）', '交纳日期', '收缴人', ''], d.months.map((m) => {
    let action = null;
    if (!m.paid && m.owes && !d.left && d.monthly !== null) {
      const btn = h('button', { dataset: { month: m.month } }, '交纳');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        fill(status);
        try {
          await checked('/api/dues/pay', { member: id, month: m.month });
          again();
        } catch (e) {
          btn.disabled = false;
          fill(status, problem(e));
        }
      });
      action = btn;
    }
    const st = m.paid ? '已交纳' : m.owes ? '未交纳' : '（尚未入党）';
    return h('tr', { dataset: { month: m.month } }, h('td', {}, m.month),
      h(`td.${m.paid ? 'it-closed' : 'it-open'}`, {}, st), h('td.num', {}, dash(m.amount)),
      h('td', {}, dash(m.paid_on)), h('td', {}, dash(m.received_by)), h('td', {}, action));
  }), '');
}

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  const d = await get('/api/dues/member', { id });
  const status = h('div', { id: 'dues-member-status' });
  return [h('section', { id: 'member-dues' }, h('h2', {}, '党费'),
    h('p', { id: 'dues-sentence' }, sentence(d), d.left ? '（已减少或党籍不正常，不再交纳党费）' : ''),
    d.left ? null : setForm(id, d, again),
    h('h3', {}, '最近 12 个月'), status, monthsTable(id, d, again, status))];
}

