// harness.mjs - what every browser story shares: Debian's chromium headless
// (puppeteer-core), one page at 1366x768, and the checks every story makes
// throughout: no console error, no page error, no dialog, no failed request,
// no request to any host but 127.0.0.1. Screenshots go to OUTDIR and their
// paths are printed at the end.
//
//   const d = await desk(outdir, 'story');
//   try { ... d.step('...'); await d.page.goto(url); d.check(ok, 'why'); await d.shot('1-home'); ... }
//   finally { await d.finish(); }      // exits 1 on any failure or problem
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

// GB 11643 check character of 17 digits.
export function checkChar(s17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s17[i]) * w[i];
  return '10X98765432'[sum % 11];
}

export async function desk(outdir, name) {
  fs.mkdirSync(outdir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-chromium-'));
  const problems = [];
  const shots = [];
  const t0 = Date.now();
  let failed = null;
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking', '--lang=zh-CN',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 768 });
  page.setDefaultTimeout(15000);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (dl) => { problems.push(`dialog: ${dl.message()}`); await dl.dismiss(); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    // data: and blob: URLs are the page's own (the date picker's icon, a CSV download), not hosts.
    if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.hostname !== '127.0.0.1') {
      problems.push(`request to another host: ${r.url()}`);
    }
  });
  const d = {
    page,
    problems,
    step(text) {
      console.log(`[${name} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${text}`);
    },
    check(ok, text) {
      if (!ok) throw new Error(`check failed: ${text}`);
    },
    async shot(file) {
      const p = path.join(outdir, `${file}.png`);
      await page.screenshot({ path: p });
      shots.push(p);
    },
    // Set a form control's value as a person's choice would, and fire change.
    async set(sel, value) {
      await page.$eval(sel, (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }, value);
    },
    // GET an API path with the page's own session; the parsed JSON.
    api(p) {
      return page.evaluate(async (q) => (await fetch(q)).json(), p);
    },
    // Text of the first element matching sel.
    text(sel) {
      return page.$eval(sel, (e) => e.textContent);
    },
    // Run fn, which makes the page receive HTTP status code on purpose (a
    // refused form): the browser logs that as a console error, expected
    // here and only here, so those lines are dropped from the problems.
    async expectStatus(code, fn) {
      const before = problems.length;
      await fn();
      await new Promise((r) => setTimeout(r, 200));
      for (let i = problems.length - 1; i >= before; i--) {
        if (problems[i].includes(`status of ${code}`)) problems.splice(i, 1);
      }
    },
    fail(e) {
      failed = e;
    },
    // Close the browser, print the screenshots, exit 0 or 1.
    async finish() {
      if (!failed && problems.length) failed = new Error(`problems on the page:\n${problems.join('\n')}`);
      if (failed) {
        console.error(`FAIL: ${failed.message}`);
        for (const p of problems) console.error(`  ${p}`);
      }
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
      for (const s of shots) console.log(`screenshot: ${s}`);
      process.exit(failed ? 1 : 0);
    },
  };
  return d;
}
