// page_report.js - the desk's pages for 报表 (reports, CSV exports, print views).
// Each entry of pages: route name (the hash's first part) -> async (seq, parts).
// Check current(seq) after every await: a newer route may have begun.

export const pages = {
};
