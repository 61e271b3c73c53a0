// page_transfer.js - the desk's pages for 转接 (transfers), and for administrators 冲突 (conflicts), 设备 (devices), 审计 (audit), 核对 (reconciliation).
// Each entry of pages: route name (the hash's first part) -> async (seq, parts).
// Check current(seq) after every await: a newer route may have begun.

export const pages = {
};
