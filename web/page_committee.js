// page_committee.js - the desk's 班子 pages: 委员会 and 党员中心户: committee seats with terms, and member households that keep in touch with a grid's households.
// Being built: see issue 10.

// Route name -> async (seq, parts) drawing the page.
export const pages = {};

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  return [];
}
