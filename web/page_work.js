// page_work.js - the desk's pages for 会议 (meetings with attendance) and 清单 (items).
// Each entry of pages: route name (the hash's first part) -> async (seq, parts).
// Check current(seq) after every await: a newer route may have begun.

export const pages = {
};
