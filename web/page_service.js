// page_service.js - the desk's 双报到 pages: 在职党员到社区报到 (双报到): the limited records of in-service members who report to this community, the services they do, and the report back to their units.
// Being built: see issue 10.

// Route name -> async (seq, parts) drawing the page.
export const pages = {};

// Sections the member page adds below the member's items (elements), for member id
// with item values v; again() redraws the member page.
export async function memberSections(id, v, again) { // eslint-disable-line no-unused-vars
  return [];
}
