// page_develop.js - 发展党员 (the development pipeline) and the member page's
// probation section (转正, 延长预备期). Being built: see issue 10.

// Route name -> async (seq, parts) drawing the page.
export const pages = {};

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  return [];
}
