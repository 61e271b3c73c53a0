// page_transfer.js - the desk's pages for 转接 (transfers), and for administrators 冲突 (conflicts), 设备 (devices), 审计 (audit).
// Each entry of pages: route name (the hash's first part) -> async (seq, parts).
// Check current(seq) after every await: a newer route may have begun.
import { get, post } from './api.js';
import { fill, h, label, when } from './dom.js';
import { current, loadMeta, main, meta, problem } from './desk.js';

const dash = (v) => (v === null || v === undefined || v === '' ? '—' : v);

function table(id, heads, rows, empty) {
  if (rows.length === 0) return h('p.muted', { id: `${id}-empty` }, empty);
  return h('table', { id }, h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))), h('tbody', {}, rows));
}

// --- 转接 ---------------------------------------------------------------------

// The sending branch as this replica sees it: the receiving office cannot see the other community's branches.
function fromOrg(t) {
  if (t.from.visible) return `${t.from.name}（${t.from.code}）`;
  return '外社区支部（本副本不可见）';
}

function toOrg(t) {
  return t.to.visible ? `${t.to.name}（${t.to.code}）` : t.to.code;
}

// The request form: a member picked by search, the receiving organisation's code, a reason.
function requestForm(reload) {
  const search = h('input', { type: 'search', id: 'tr-search', placeholder: '输入姓名或公民身份号码查找党员', autocomplete: 'off' });
  const picks = h('div.tr-picks', { id: 'tr-picks' });
  const chosen = h('span', { id: 'tr-chosen' }, '尚未选择党员');
  const to = h('input', { type: 'text', id: 'tr-to', placeholder: '如 SQ02-01', maxLength: 32, autocomplete: 'off', list: 'tr-orgs' });
  const orgs = h('datalist', { id: 'tr-orgs' }, (meta.orgs || []).filter((o) => !o.dissolved && o.kind.code === 'branch')
    .map((o) => h('option', { value: o.code }, o.name)));
  const reason = h('input', { type: 'text', id: 'tr-reason', maxLength: 500, placeholder: '如 搬迁、工作调动' });
  const status = h('div', { id: 'tr-status' });
  const save = h('button.primary', { type: 'submit', id: 'tr-save' }, '申请转出');
  let member = null;
  let asked = 0;
  let timer = null;

  async function find() {
    const mine = ++asked;
    const q = search.value.trim();
    if (!q) { fill(picks); return; }
    const r = await get('/api/members', { q, limit: 8 });
    if (mine !== asked) return;
    fill(picks, r.rows.length === 0 ? h('span.muted', {}, '没有找到') : r.rows.map((m) =>
      h('button.pick', { type: 'button', dataset: { id: m.id }, onclick: () => {
        member = m;
        fill(chosen, `${m.name} · ${m.org_name || ''}`);
        fill(picks);
      } }, `${m.name}（${m.org_name || ''}）`)));
  }
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { find().catch((e) => fill(status, problem(e))); }, 150);
  });
  const f = h('form.tr-form', { id: 'tr-form' },
    h('div.field', {}, h('label', { for: 'tr-search' }, '转出党员'), search, picks, h('div', {}, '已选：', chosen)),
    h('div.field', {}, h('label', { for: 'tr-to' }, '转入组织编码'), to, orgs),
    h('div.field', {}, h('label', { for: 'tr-reason' }, '转接原因'), reason),
    h('div.actions', {}, save), status);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!member) { fill(status, h('div.notice.bad', {}, '请先查找并选择要转出的党员。')); return; }
    save.disabled = true;
    try {
      const r = await post('/api/transfers', { member: member.id, to: to.value.trim(), reason: reason.value.trim() });
      fill(status, h('div.notice.good', {}, `已申请把 ${r.member_name} 转往 ${to.value.trim()}；同步后对方社区可以看到并办理。`));
      member = null;
      fill(chosen, '尚未选择党员');
      search.value = '';
      await reload();
    } catch (e) {
      fill(status, problem(e));
    } finally {
      save.disabled = false;
    }
  });
  return f;
}

// An incoming request's decision: a note, 接收 or 退回 (a rejection needs the note).
function decide(t, reload, say) {
  const note = h('input', { type: 'text', maxLength: 500, placeholder: '办理说明（退回时必填）', dataset: { note: t.id } });
  const act = (accept) => async () => {
    try {
      const r = await post(accept ? '/api/transfers/accept' : '/api/transfers/reject', { id: t.id, note: note.value.trim() });
      await reload();
      say(h('div.notice.good', {}, `${accept ? '已接收' : '已退回'} ${r.member_name || ''} 的转接，同步后生效。`));
    } catch (e) {
      say(problem(e));
    }
  };
  return h('div.tr-decide', {}, note,
    h('button.primary', { type: 'button', dataset: { accept: t.id }, onclick: act(true) }, '接收'),
    h('button', { type: 'button', dataset: { reject: t.id }, onclick: act(false) }, '退回'));
}

async function pageTransfers(seq) {
  await loadMeta();
  if (!current(seq)) return;
  const all = h('input', { type: 'checkbox', id: 'tr-all' });
  const out = h('div', { id: 'tr-out' });
  const inc = h('div', { id: 'tr-in' });
  const notice = h('div', { id: 'tr-notice' });
  const say = (n) => fill(notice, n);

  async function reload() {
    const r = await get('/api/transfers', all.checked ? { all: 1 } : {});
    if (!current(seq)) return;
    const st = (t) => h(`td.tr-st-${t.status.code}`, { dataset: { status: t.status.code } }, label(t.status));
    fill(out, table('tr-out-table', ['党员', '转出支部', '转入组织', '申请日期', '原因', '状态', '办理说明', ''],
      r.rows.filter((t) => t.direction.code === 'out').map((t) => h('tr', { dataset: { id: t.id } },
        h('td', {}, t.member_name || '（已转出，本副本不再保存）'), h('td', {}, fromOrg(t)), h('td', {}, toOrg(t)),
        h('td', {}, t.requested_on), h('td', {}, dash(t.reason)), st(t), h('td', {}, dash(t.decision_note)),
        // Within one community (or on the street's replica) the sender may also be the receiver.
        h('td', {}, t.can_decide ? decide(t, reload, say) : null,
          t.can_withdraw ? h('button', { type: 'button', dataset: { withdraw: t.id }, onclick: async () => {
            try { await post('/api/transfers/withdraw', { id: t.id }); await reload(); say(h('div.notice.good', {}, '已撤回转接申请。')); } catch (e) { say(problem(e)); }
          } }, '撤回') : null))),
      all.checked ? '没有转出的转接。' : '没有待办的转出。'));
    fill(inc, table('tr-in-table', ['党员', '转出支部', '转入支部', '申请日期', '原因', '状态', '办理'],
      r.rows.filter((t) => t.direction.code === 'in').map((t) => h('tr', { dataset: { id: t.id } },
        h('td.tr-name', {}, dash(t.member_name)), h('td', {}, fromOrg(t)), h('td', {}, toOrg(t)),
        h('td', {}, t.requested_on), h('td', {}, dash(t.reason)), st(t),
        h('td', {}, t.can_decide ? decide(t, reload, say) : dash(t.decision_note)))),
      all.checked ? '没有转入的转接。' : '没有待接收的转入。'));
  }
  all.addEventListener('change', () => { reload().catch((e) => say(problem(e))); });
  fill(main, h('h1', {}, '组织关系转接'),
    h('p.muted', {}, '转出：本社区党员转往其他组织，由对方社区接收后才转移。转入：其他社区转来的党员，接收前本副本只有转接申请（姓名和原因），没有党员档案。'),
    notice,
    h('div.bar', {}, h('label', {}, all, ' 显示已办理的转接')),
    h('h2', {}, '待接收的转入'), inc,
    h('h2', {}, '转出'), out,
    h('h2', {}, '申请转出'), requestForm(reload));
  await reload();
}

// --- 冲突 ---------------------------------------------------------------------

function author(side) {
  const who = [side.device, side.org_code, side.operator ? `经办人 ${side.operator}` : null].filter(Boolean).join(' · ');
  return `${who || '未知'} · ${when(side.at_ms)}`;
}

async function pageConflicts(seq, parts) {
  if (parts[1]) return pageConflict(seq, parts[1]);
  const status = h('select', { id: 'cf-status' },
    h('option', { value: 'open' }, '待处理'), h('option', { value: 'resolved' }, '已处理'), h('option', { value: 'all' }, '全部'));
  const list = h('div', { id: 'cf-list' }, h('p.muted', {}, '正在向街道服务器查询…'));
  async function load() {
    fill(list, h('p.muted', {}, '正在向街道服务器查询…'));
    const r = await get('/api/admin/conflicts', { status: status.value });
    if (!current(seq)) return;
    fill(list, table('cf-table', ['类型', '社区', '设备', '表', '收到时间', '状态', '原因', '处理'],
      r.conflicts.map((c) => h('tr.link', { dataset: { id: c.id }, onclick: () => { location.hash = `#/conflicts/${c.id}`; } },
        h('td', {}, label(c.kind)), h('td', {}, c.office.org_code), h('td', {}, c.office.device),
        h('td', {}, c.table ? c.table.label : ''), h('td', {}, when(c.received_ms)),
        h('td', {}, label(c.status)), h('td.cf-reason', {}, c.reason),
        h('td', {}, c.decision ? `${label(c.decision)}${c.resolved_by ? ` · ${c.resolved_by}` : ''}` : ''))),
      status.value === 'open' ? '没有待处理的冲突。' : '没有冲突。'));
  }
  status.addEventListener('change', () => { load().catch((e) => fill(list, problem(e))); });
  fill(main, h('h1', {}, '冲突'),
    h('p.muted', {}, '同一条记录被街道和社区（或两台设备）同时修改时，服务器保留街道的值并把冲突放在这里，由街道管理员决定。'),
    h('div.bar', {}, h('label', { for: 'cf-status' }, '状态'), status), list);
  try { await load(); } catch (e) { if (current(seq)) fill(list, problem(e)); }
}

function cell(v, cls) {
  return h(`td${cls}`, {}, v ? v.display : '—');
}

async function pageConflict(seq, id) {
  const r = await get('/api/admin/conflict', { id });
  if (!current(seq)) return;
  const c = r.conflict;
  const open = c.status && c.status.code === 'open';
  const merge = {};
  const changes = r.changes.map((ch) => {
    const rows = ch.columns.map((k) => {
      const d = k.differs ? '.differs' : '';
      const box = h('input', { type: 'text', name: `set.${k.name}`, value: k.office ? k.office.display : (k.server ? k.server.display : ''), dataset: { col: k.name } });
      merge[k.name] = box;
      const office = ch.op.code === 'delete' ? h('td.office', {}, '（删除）') : cell(k.office, `.office${d}`);
      return h('tr', { dataset: { col: k.name } }, h('th', {}, k.label), cell(k.base, '.base'), cell(k.server, `.server${d}`),
        office, h('td.merge', {}, box));
    });
    return h('div.cf-change', {},
      h('h2', {}, `${ch.op.label} · ${ch.table ? ch.table.label : ''}`,
        ch.server_never ? h('span.tag', {}, '服务器上没有这一行') : ch.server_deleted ? h('span.tag', {}, '服务器上已删除') : null,
        ch.server_row_id && ch.server_row_id !== ch.row_id ? h('span.tag', {}, '与服务器上的另一条记录冲突') : null),
      h('table.side', { id: `cf-side-${ch.index}` },
        h('thead', {}, h('tr', {}, ['字段', '原值', '街道（服务器）的值', '社区的值', '手工合并'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows)));
  });
  const note = h('input', { type: 'text', id: 'cf-note', maxLength: 500, placeholder: '处理说明，如：经核实…' });
  const status = h('div', { id: 'cf-result' });
  const act = (decision) => async () => {
    const form = { id: c.id, decision, note: note.value.trim() };
    if (decision === 'set') for (const [n, box] of Object.entries(merge)) form[`set.${n}`] = box.value;
    for (const b of buttons) b.disabled = true;
    try {
      const res = await post('/api/admin/conflict/resolve', form);
      fill(status, h('div.notice.good', {}, `已处理：${res.resolution}。各副本下次同步时收到这一决定。`));
      await pageConflict(seq, id);
    } catch (e) {
      fill(status, problem(e));
      for (const b of buttons) b.disabled = false;
    }
  };
  const buttons = [
    h('button', { type: 'button', id: 'cf-keep', onclick: act('keep_server') }, '保留街道的值'),
    h('button.primary', { type: 'button', id: 'cf-take', onclick: act('take_office') }, '采用社区的值'),
    h('button', { type: 'button', id: 'cf-set', onclick: act('set') }, '手工合并'),
  ];
  const main2 = h(open ? 'div.cf-open' : 'div.cf-closed', { id: 'cf-detail' },
    h('h1', {}, `冲突 · ${label(c.kind)}`),
    h('p', {}, h('a', { href: '#/conflicts' }, '← 返回冲突列表')),
    h('dl.items', { id: 'cf-head' },
      h('dt', {}, '状态'), h('dd', { id: 'cf-state' }, label(c.status), c.decision ? ` · ${label(c.decision)}` : '', c.resolved_by ? ` · ${c.resolved_by}` : ''),
      h('dt', {}, '原因'), h('dd', {}, c.reason),
      h('dt', {}, '社区一方'), h('dd', { id: 'cf-office-author' }, author(c.office)),
      h('dt', {}, '街道（服务器）一方'), h('dd', { id: 'cf-server-author' }, author(c.server)),
      h('dt', {}, '收到时间'), h('dd', {}, when(c.received_ms)),
      h('dt', {}, '处理结果'), h('dd', {}, dash(c.resolution))),
    changes,
    open ? h('div.cf-resolve', {}, h('h2', {}, '处理'),
      h('p.muted', {}, '标记的格子是两边不同的值。手工合并时采用右栏填写的值。'),
      h('div.bar', {}, note), h('div.actions', {}, buttons)) : null,
    status);
  if (!open) for (const box of Object.values(merge)) box.disabled = true;
  fill(main, main2);
}

// --- 设备 ---------------------------------------------------------------------

async function pageDevices(seq) {
  fill(main, h('h1', {}, '设备'), h('p.muted', {}, '正在向街道服务器查询…'));
  const r = await get('/api/admin/devices');
  if (!current(seq)) return;
  fill(main, h('h1', {}, '设备'),
    h('p.muted', {}, '每台登记设备最近一次与服务器联系的时间、修改的处理结果和最近一次副本核对。'),
    table('dev-table', ['设备', '组织', '角色', '最近联系', '已应用', '冲突', '退回', '未处理冲突', '副本核对', '状态'],
      r.devices.map((d) => h('tr', { dataset: { device: d.name } }, h('td', {}, d.name), h('td', {}, d.org_code), h('td', {}, label(d.role)),
        h('td', {}, when(d.last_seen_ms)), h('td', {}, d.applied), h('td', {}, d.conflict), h('td', {}, d.rejected),
        h('td', {}, d.open_conflicts), h('td', {}, dash(d.replica_check)),
        h('td', {}, d.revoked_at_ms ? `已吊销（${when(d.revoked_at_ms)}）` : '正常'))),
      '还没有登记的设备。'));
}

// --- 审计 ---------------------------------------------------------------------

async function pageAudit(seq) {
  const row = h('input', { type: 'text', id: 'au-row', placeholder: '记录编号', maxLength: 128 });
  const device = h('input', { type: 'text', id: 'au-device', placeholder: '设备名', maxLength: 128 });
  const since = h('input', { type: 'date', id: 'au-since' });
  const list = h('div', { id: 'au-list' });
  const go = h('button.primary', { type: 'submit', id: 'au-go' }, '查询');
  async function load() {
    fill(list, h('p.muted', {}, '正在向街道服务器查询…'));
    const r = await get('/api/admin/audit', { row: row.value.trim(), device: device.value.trim(), since: since.value });
    if (!current(seq)) return;
    fill(list, table('au-table', ['序号', '时间', '设备', '操作人', '动作', '表', '记录', '内容'],
      r.entries.map((a) => h('tr', {}, h('td', {}, a.version), h('td', {}, when(a.at_ms)), h('td', {}, a.device),
        h('td', {}, dash(a.operator)), h('td', {}, a.action), h('td', {}, a.table ? a.table.label : ''),
        h('td.au-row', {}, a.row_id), h('td.au-detail', {}, a.detail))),
      '没有符合条件的审计记录。'));
  }
  const f = h('form.bar', { id: 'au-form' }, row, device, h('label', { for: 'au-since' }, '起始日期'), since, go);
  f.addEventListener('submit', (ev) => { ev.preventDefault(); load().catch((e) => fill(list, problem(e))); });
  fill(main, h('h1', {}, '审计'), h('p.muted', {}, '服务器记录的每一次写入：谁、何时、改了什么。可按记录、设备和日期查找。'), f, list);
  try { await load(); } catch (e) { if (current(seq)) fill(list, problem(e)); }
}

export const pages = {
  transfers: (seq) => pageTransfers(seq),
  conflicts: (seq, parts) => pageConflicts(seq, parts),
  devices: (seq) => pageDevices(seq),
  audit: (seq) => pageAudit(seq),
};
