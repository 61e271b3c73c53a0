// dom.js - building the page without HTML strings: every piece of data
// becomes a text node (textContent), never markup, so a name from the
// replica cannot inject anything.

// h('tag.class', {attr: value, onclick: fn}, child, ...): children are
// nodes, strings (as text), numbers, null/false (skipped) or arrays.
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// Replace el's content with the given children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A date and time from Unix milliseconds, or 从未 for 0.
export function when(ms) {
  if (!ms) return '从未';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// The label of a coded value {code, label}, or '' for null.
export function label(v) {
  return v ? v.label : '';
}
