// page_dues.js - the desk's 党费 pages: 党费: each member's monthly dues by the 党费收缴 rules, payments per month, arrears.
// Being built: see issue 10.

// Route name -> async (seq, parts) drawing the page.
export const pages = {};

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  return [];
}
