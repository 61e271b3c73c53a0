// page_life.js - the member page's sections for the end of membership (党员减少)
// and discipline (党纪处分). Being built: see issue 10.

// Route name -> async (seq, parts) drawing the page.
export const pages = {};

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  return [];
}
