// page_claimfund.js - the desk's pages for claims on list items (双向认领), the month's public
// board (认领公示) and the service fund (服务群众专项经费): the same domain operations as
// tongxin item claim|progress|done|withdraw|claims|board and tongxin fund budget|spend|list|
// disclose, through web_api_claimfund.c.
//   - claimsSection(itemId): an item's claims with their state and the steps each may take now,
//     and the form to claim it by a branch, a resident unit or a member (page_work.js's item
//     page shows it).
//   - #/board[/YYYY-MM[/print]]: the month's board per community, its CSV, a print view (A4,
//     print.css) like the reports'.
//   - #/fund: the year's budget, the spending form, the book with the running balance, the
//     quarter's disclosure (its CSV) and the year's spending per quarter as plain SVG bars.
// Data reaches the page only as text (h()); no inline script or style.
import { get, post } from './api.js';
import { fill, h } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

// The nav entries these pages add (app.js places them): [route, text].
export const nav = [['board', '认领公示'], ['fund', '专项经费']];

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

function field(id, text, input) {
  return h('div.field', {}, h('label', { for: id }, text), input);
}

const text = (id, max) => h('input', { type: 'text', id, maxLength: max, autocomplete: 'off' });
const date = (id, value) => h('input', { type: 'date', id, value: value || '', max: today() });

// A small form posting to path; fields: [[name, label, input]]; extra() adds fixed values;
// done(answer) after success. A refusal shows the API's Chinese message in the form.
function postForm(id, title, path, fields, extra, done, button = '保存') {
  const status = h('div', { id: `${id}-status` });
  const save = h('button.primary', { type: 'submit', id: `${id}-save` }, button);
  const f = h('form.step', { id, novalidate: true },
    title ? h('h3', {}, title) : null,
    fields.map(([, label, input]) => field(input.id, label, input)),
    h('div.actions', {}, save), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = { ...extra() };
    for (const [name, , input] of fields) {
      const v = input.value.trim();
      if (v !== '') form[name] = v;
    }
    save.disabled = true;
    fill(status);
    try {
      const r = await post(path, form);
      await done(r);
    } catch (e) {
      fill(status, problem(e));
    } finally {
      save.disabled = false;
    }
  });
  return f;
}

// --- an item's claims (on the item's page) ------------------------------------------------

const CLAIMANT_KINDS = [['branch', '支部（组织编码）'], ['unit', '驻区单位（名称或编号）'], ['member', '党员（姓名或公民身份号码）']];

// The claims of item itemId with their steps, and the claim form. onChange() after a write
// (the item's page redraws: its status follows its claims).
export function claimsSection(itemId, onChange) {
  const box = h('section.claims', { id: 'claims' }, h('p.muted', {}, '正在读取认领…'));
  const notice = h('div', { id: 'claims-notice' });
  const changed = async (msg) => {
    if (onChange) await onChange();
    else await draw();
    const n = document.getElementById('claims-notice');
    if (n && msg) fill(n, h('div.notice.good', {}, msg));
  };

  // The steps a claim may take now, each a small form of its own.
  function actions(c) {
    const out = [];
    if (c.next.includes('progress')) {
      out.push(postForm(`cl-progress-${c.handle}`, null, '/api/claims/progress', [], () => ({ id: c.id }),
        () => changed('已开始办理。'), '开始办理'));
    }
    if (c.next.includes('done')) {
      out.push(postForm(`cl-done-${c.handle}`, null, '/api/claims/done', [
        ['result', '完成情况', text(`cl-done-result-${c.handle}`, 2000)],
        ['date', '完成日期', date(`cl-done-date-${c.handle}`, today())],
      ], () => ({ id: c.id }), () => changed('已完成。'), '完成'));
    }
    if (c.next.includes('withdraw')) {
      out.push(postForm(`cl-withdraw-${c.handle}`, null, '/api/claims/withdraw', [
        ['note', '撤回原因', text(`cl-withdraw-note-${c.handle}`, 500)],
      ], () => ({ id: c.id }), () => changed('已撤回。'), '撤回'));
    }
    return out.length ? h('div.claim-actions', {}, out) : '—';
  }

  async function draw() {
    const r = await get('/api/claims', { item: itemId });
    const rows = r.rows.map((c) => h('tr', { dataset: { id: c.id, state: c.state.code } },
      h('td', {}, c.claimant ? c.claimant.label : '—'),
      h('td', {}, c.claimant ? dash(c.claimant.name) : '—'),
      h('td.state', {}, c.state.label),
      h('td', {}, dash(c.claimed_on)),
      h('td', {}, dash(c.done_on)),
      h('td', {}, dash(c.result || c.note)),
      h('td', {}, actions(c))));
    const kind = h('select', { id: 'cl-add-kind' }, CLAIMANT_KINDS.map(([k, t]) => h('option', { value: k }, t)));
    const who = text('cl-add-who', 200);
    const when = date('cl-add-date', today());
    const add = postForm('cl-add', '认领', '/api/claims/add', [
      ['date', '认领日期', when],
    ], () => ({ item: itemId, [kind.value]: who.value.trim() }), () => changed('已认领。'), '认领');
    add.insertBefore(h('div.field', {}, h('label', { for: 'cl-add-kind' }, '认领方'), kind, who), add.children[1]);
    fill(box, h('h2', {}, '认领（双向认领）'), notice,
      table('claims-table', ['认领方类别', '认领方', '状态', '认领日期', '完成日期', '完成情况或备注', '办理'], rows, '尚无认领。'),
      h('div.steps', {}, add));
  }
  draw().catch((e) => fill(box, problem(e)));
  return box;
}

// --- the month's board (公示) ---------------------------------------------------------------

// The report pages' styles (the print view); index.html links style.css only.
function printStyles() {
  if (!document.querySelector('link[href="/print.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/print.css' }));
  }
}

function boardRows(rows) {
  return rows.map((r) => h('tr', { dataset: { item: r.item_id } },
    h('td', {}, `${dash(r.comm_name)}`),
    h('td', {}, r.kind ? r.kind.label : '—'),
    h('td', {}, dash(r.title)),
    h('td', {}, dash(r.org_name)),
    h('td', {}, r.claimant ? `${r.claimant.label}：${dash(r.claimant.name)}` : '—'),
    h('td', {}, r.state ? r.state.label : '—'),
    h('td', {}, dash(r.claimed_on)),
    h('td', {}, dash(r.done_on)),
    h('td', {}, dash(r.result)),
    h('td', {}, r.closed_on ? `已销号 ${r.closed_on}` : (r.status ? r.status.label : '—'))));
}

const BOARD_HEADS = ['社区', '类型', '事项', '责任组织', '认领方', '认领状态', '认领日期', '完成日期', '完成情况', '清单状态'];

async function pageBoard(seq, parts) {
  await loadMeta();
  if (!current(seq)) return;
  const printView = parts[2] === 'print';
  const month = h('input', { type: 'month', id: 'bd-month', value: parts[1] || today().slice(0, 7) });
  const csv = h('a.button', { id: 'bd-csv', download: '' }, '导出 CSV');
  const printLink = h('a.button', { id: 'bd-print' }, '打印预览');
  const body = h('div', { id: 'bd-body', dataset: { ready: '' } }, h('p.muted', {}, '正在读取…'));
  const title = h('h2.report-title', { id: 'bd-title' });

  async function draw() {
    body.dataset.ready = '';
    const m = month.value;
    const r = await get('/api/board', m ? { month: m } : {});
    if (!current(seq)) return;
    csv.href = `/api/board.csv?${new URLSearchParams({ month: r.month })}`;
    printLink.href = `#/board/${r.month}/print`;
    fill(title, `清单认领公示 ${r.month.slice(0, 4)}年${Number(r.month.slice(5, 7))}月`);
    const t = table('bd-table', BOARD_HEADS, boardRows(r.rows), '本月没有认领、完成或销号的清单事项。');
    if (t.tagName === 'TABLE') t.classList.add('report');   // print.css: headers on every printed page
    fill(body, t);
    body.dataset.ready = r.month;
  }
  if (printView) {
    printStyles();
    const btn = h('button', { id: 'bd-print-now', onclick: () => window.print() }, '打印');
    fill(main, h('div.report-page.print-view', { id: 'print-view' },
      h('div.bar.noprint', {}, btn, h('a.button', { href: `#/board/${parts[1] || ''}` }, '返回'),
        h('span.muted', {}, '打印预览：A4 纸，表头在每页重复。')),
      title,
      h('p.report-scope', {}, `制表：${meta.session ? meta.session.org_code : ''}　制表日期：${today()}`),
      body,
      h('p.signature', {}, `制表人：　　　　　　审核人：　　　　　　公示日期：${today()}`)));
  } else {
    month.addEventListener('change', () => {
      location.hash = `#/board/${month.value}`;
    });
    fill(main, h('h1', {}, '清单认领公示'),
      h('p.muted', {}, '本月认领、完成或销号的清单事项（需求、资源、项目、责任、问题），按社区列出，连同各项的全部认领。'),
      h('div.bar', {}, h('label', { for: 'bd-month' }, '月份'), month, csv, printLink),
      title, body);
  }
  await draw();
}

// --- the service fund (专项经费) --------------------------------------------------------------

// An SVG element (the chart's pieces: attributes, not styles, so the CSP holds).
function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// The year's spending per quarter (yuan, numbers), one bar each, against the budget.
function quarterChart(year, spent, budget) {
  const top = Math.max(1, budget || 0, ...spent);
  const W = 520, H = 200, base = 165, bw = 60, step = 110, left = 50;
  const g = svg('svg', { id: 'fd-chart', class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `${year} 年专项经费各季度支出` });
  g.append(svg('line', { x1: left - 10, y1: base, x2: W - 10, y2: base, class: 'axis' }));
  if (budget) {
    const y = base - Math.round((budget / top) * 130);
    g.append(svg('line', { x1: left - 10, y1: y, x2: W - 10, y2: y, class: 'budget-line' }));
    g.append(svg('text', { x: W - 40, y: y - 4, class: 'n' }, `预算 ${budget.toFixed(2)}`));
  }
  spent.forEach((v, i) => {
    const x = left + i * step;
    const hgt = Math.round((v / top) * 130);
    const bar = svg('rect', { x, y: base - hgt, width: bw, height: hgt, class: 'bar-fulfilled', 'data-quarter': i + 1, 'data-yuan': v.toFixed(2) });
    bar.append(svg('title', {}, `第${i + 1}季度 支出 ${v.toFixed(2)} 元`));
    g.append(bar);
    g.append(svg('text', { x: x + bw / 2, y: base - hgt - 4, class: 'n' }, v.toFixed(2)));
    g.append(svg('text', { x: x + bw / 2, y: base + 16, class: 'm' }, `Q${i + 1}`));
  });
  return h('div.chart-box', {}, g, h('div.legend', {}, h('span.key.fulfilled', {}), ' 各季度支出（元）'));
}

const BOOK_HEADS = ['社区', '年度', '类别', '日期', '用途', '金额（元）', '审批人', '关联项目或微心愿', '余额（元）'];

function bookRows(rows) {
  return rows.map((x) => h('tr', { dataset: { id: x.id, kind: x.kind } },
    h('td', {}, dash(x.org_name)),
    h('td', {}, x.year),
    h('td', {}, x.kind === 'budget' ? '预算' : '支出'),
    h('td', {}, dash(x.date)),
    h('td', {}, x.kind === 'budget' ? '年度预算' : dash(x.purpose)),
    h('td.num', {}, x.amount),
    h('td', {}, dash(x.approver)),
    h('td', {}, dash(x.item_title || x.wish)),
    h(x.balance_fen < 0 ? 'td.num.late' : 'td.num', {}, x.balance)));
}

async function pageFund(seq) {
  await loadMeta();
  if (!current(seq)) return;
  const now = today();
  const year = h('input', { type: 'number', id: 'fd-year', min: 2000, max: 2100, value: now.slice(0, 4) });
  const quarter = h('select', { id: 'fd-quarter' }, [1, 2, 3, 4].map((n) => h('option', { value: n }, `第${n}季度`)));
  quarter.value = String(Math.floor(Number(now.slice(5, 7)) / 3.01) + 1);
  const notice = h('div', { id: 'fd-notice' });
  const book = h('div', { id: 'fd-book' });
  const disclose = h('div', { id: 'fd-disclose', dataset: { ready: '' } });
  const chart = h('div', { id: 'fd-chart-box' });
  const csv = h('a.button', { id: 'fd-csv', download: '' }, '导出公开表 CSV');
  const say = (n) => fill(notice, n);

  // Items a spending entry may pay for (optional).
  let items = [];
  try {
    items = (await get('/api/items', {})).rows || [];
  } catch (e) {
    items = [];
  }
  if (!current(seq)) return;

  async function drawBook() {
    const r = await get('/api/fund', { year: year.value });
    if (!current(seq)) return;
    fill(book, table('fd-book-table', BOOK_HEADS, bookRows(r.rows), `${year.value} 年没有专项经费记录。`));
  }
  async function drawDisclosure() {
    disclose.dataset.ready = '';
    const q = `${year.value}-Q${quarter.value}`;
    csv.href = `/api/fund/disclose.csv?${new URLSearchParams({ quarter: q })}`;
    const quarters = await Promise.all([1, 2, 3, 4].map((n) => get('/api/fund/disclose', { quarter: `${year.value}-Q${n}` })));
    if (!current(seq)) return;
    const r = quarters[Number(quarter.value) - 1];
    const sum = r.summary.map((s) => h('tr', { dataset: { org: s.org_code } },
      h('td', {}, dash(s.org_name)), h('td.num', {}, s.has_budget ? s.budget : '未编预算'),
      h('td.num', {}, s.spent_quarter), h('td.num', {}, s.spent_year), h('td.num', {}, s.balance)));
    fill(disclose,
      h('h3', {}, `服务群众专项经费公开 ${year.value}年第${quarter.value}季度`),
      table('fd-summary', ['社区', '年度预算（元）', '本季支出（元）', '年度累计支出（元）', '余额（元）'], sum, '本季度没有专项经费记录。'),
      h('h3', {}, '本季支出明细'),
      table('fd-entries', BOOK_HEADS, bookRows(r.entries), '本季没有支出。'));
    const spent = quarters.map((x) => x.summary.reduce((a, s) => a + s.spent_quarter_fen, 0) / 100);
    const budget = quarters[0].summary.reduce((a, s) => a + (s.has_budget ? s.budget_fen : 0), 0) / 100;
    fill(chart, quarterChart(year.value, spent, budget));
    disclose.dataset.ready = q;
  }
  const redraw = async () => { await drawBook(); await drawDisclosure(); };

  const budgetForm = postForm('fd-budget', '年度预算', '/api/fund/budget', [
    ['year', '年度', h('input', { type: 'number', id: 'fd-budget-year', min: 2000, max: 2100, value: now.slice(0, 4) })],
    ['amount', '金额（元）', text('fd-budget-amount', 32)],
    ['date', '批准日期', date('fd-budget-date', now)],
    ['note', '备注', text('fd-budget-note', 500)],
  ], () => ({}), async () => { await redraw(); say(h('div.notice.good', {}, '已登记年度预算。')); });
  const itemChoice = h('select', { id: 'fd-spend-item' }, h('option', { value: '' }, '（不关联）'),
    items.map((i) => h('option', { value: i.id }, i.title)));
  const spendForm = postForm('fd-spend', '登记支出', '/api/fund/spend', [
    ['amount', '金额（元）', text('fd-spend-amount', 32)],
    ['purpose', '用途', text('fd-spend-purpose', 500)],
    ['approver', '审批人', text('fd-spend-approver', 100)],
    ['date', '支出日期', date('fd-spend-date', now)],
    ['item_id', '关联清单项目', itemChoice],
    ['note', '备注', text('fd-spend-note', 500)],
  ], () => ({}), async (r) => {
    await redraw();
    say(h(r.over ? 'div.notice.bad' : 'div.notice.good', { id: 'fd-spent' },
      r.over ? `已登记支出；本年度支出 ${r.spent} 元，已超出预算${r.has_budget ? ` ${r.budget} 元` : '（尚无预算）'}。` :
        `已登记支出；本年度已支出 ${r.spent} 元，预算 ${r.budget} 元。`));
    for (const i of ['fd-spend-amount', 'fd-spend-purpose', 'fd-spend-note']) document.getElementById(i).value = '';
  });
  year.addEventListener('change', () => { redraw().catch((e) => say(problem(e))); });
  quarter.addEventListener('change', () => { drawDisclosure().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '服务群众专项经费'),
    h('p.muted', {}, '社区每年一份预算；每笔支出登记日期、用途、金额、审批人，可关联清单项目。超出预算的支出照常登记并在公开表中显示。'),
    notice,
    h('div.bar', {}, h('label', { for: 'fd-year' }, '年度'), year),
    h('h2', {}, '收支明细（余额滚动计算）'), book,
    h('h2', {}, '季度公开（党务公开）'),
    h('div.bar', {}, h('label', { for: 'fd-quarter' }, '季度'), quarter, csv),
    disclose, chart,
    h('h2', {}, '登记'),
    h('div.steps', {}, budgetForm, spendForm));
  await redraw();
}

export const pages = { board: pageBoard, fund: pageFund };
