// desk.js - what every page of the desk shares: the main pane, the route
// counter (a page drawn for an older route is dropped), the replica's
// metadata (member form, organisations, session) and how a failure shows.
import { ApiError, get } from './api.js';
import { fill, h } from './dom.js';

export const main = document.getElementById('main');

// form: the member form's items [{name, label, type, required, options}];
// orgs: every organisation of the replica; session: /api/session's answer.
export const meta = { form: null, orgs: null, session: null };

let routeSeq = 0;

// A new route began: its number, which pages pass to current().
export function newRoute() {
  return ++routeSeq;
}

// Whether the route numbered seq is still the one shown.
export function current(seq) {
  return seq === routeSeq;
}

// Load the member form once and the organisations afresh.
export async function loadMeta() {
  if (!meta.form) meta.form = (await get('/api/form')).member;
  meta.orgs = (await get('/api/orgs')).orgs;
}

// A failure as a notice: the API's Chinese message, else the error's.
export function problem(err) {
  return h('div.notice.bad', {}, err instanceof ApiError ? err.message : `出错了：${err.message}`);
}

// Replace the page with a failure.
export function show(err) {
  fill(main, problem(err));
}
