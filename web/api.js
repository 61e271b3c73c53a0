// api.js - the desk's JSON API. The session cookie goes with every request
// by itself; state changes add the session's CSRF token as a header.

let csrf = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function call(method, path, form) {
  const opts = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') {
    if (csrf === null) await session();
    opts.headers['X-Tongxin-CSRF'] = csrf;
    opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    opts.body = new URLSearchParams(form || {}).toString();
  }
  const res = await fetch(path, opts);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function session() {
  const s = await call('GET', '/api/session');
  csrf = s.csrf;
  return s;
}

export const get = (path, params) =>
  call('GET', params ? `${path}?${new URLSearchParams(params)}` : path);
export const post = (path, form) => call('POST', path, form);
