// Headless Chromium opens the placement controller's dashboard, waits until it has rendered live data,
// reads the heatmap, tokens/s and the endpoints table's rows, and saves a screenshot. Prints one JSON object on stdout; exits 0 when the page went
// live with heatmap cells, a number in #tokens-per-second, no request beyond localhost and no page error,
// 1 when a check failed, 2 when the environment is not set. DashboardBrowserIT runs it (README.md here).
//
// Environment:
//   DASHBOARD_URL        the page, e.g. http://127.0.0.1:50054/dashboard (required)
//   SCREENSHOT_PATH      where the full-page PNG goes (required)
//   CHROMIUM_PATH        the browser to drive (default /usr/bin/chromium, Debian's `chromium`)
//   MIN_UPDATED_MS       wait until the page's data-updated is at least this (unix millis; default 0):
//                        the caller's clock when its traffic stopped, so the page shows what came after
//   LIVE_TIMEOUT_MS      how long to wait for that (default 120000)
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const url = process.env.DASHBOARD_URL;
const screenshotPath = process.env.SCREENSHOT_PATH;
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const minUpdated = Number(process.env.MIN_UPDATED_MS || 0);
const liveTimeout = Number(process.env.LIVE_TIMEOUT_MS || 120000);

if (!url || !screenshotPath || !Number.isFinite(minUpdated) || !(liveTimeout > 0)) {
  console.error('set DASHBOARD_URL and SCREENSHOT_PATH (MIN_UPDATED_MS, LIVE_TIMEOUT_MS: numbers)');
  process.exit(2);
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether the browser may fetch this: loopback, or something that never leaves the page. */
function isLocal(requestUrl) {
  const u = new URL(requestUrl);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') {
    return true;
  }
  return LOCAL_HOSTS.has(u.hostname);
}

const report = {
  url,
  ok: false,
  failures: [],
  state: null,
  updated: null,
  tokensPerSecond: null,
  endpoints: [],
  cells: [],
  blockedRequests: [],
  consoleErrors: [],
  pageErrors: [],
  screenshot: null,
};

// Chromium refuses to start as root with its sandbox on ("Running as root without --no-sandbox is not
// supported"): CI containers run as root. As any other user the sandbox stays on.
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let browser;
try {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: asRoot ? ['--no-sandbox'] : [],
    timeout: 60000,
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // Every request the page makes passes here: anything beyond loopback (a CDN, a web font, an
  // analytics beacon) is refused and recorded, so the check fails where the page needs the Internet.
  await context.route('**/*', (route) => {
    const requestUrl = route.request().url();
    if (isLocal(requestUrl)) {
      return route.continue();
    }
    report.blockedRequests.push(requestUrl);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      report.consoleErrors.push(msg.text());
    }
  });
  page.on('pageerror', (err) => report.pageErrors.push(String(err && err.stack ? err.stack : err)));

  await page.goto(url, { waitUntil: 'load', timeout: 60000 });
  try {
    await page.waitForFunction((min) => {
      const main = document.querySelector('#dashboard');
      return main !== null && main.dataset.state === 'live' && Number(main.dataset.updated) >= min;
    }, minUpdated, { timeout: liveTimeout, polling: 250 });
  } catch (e) {
    report.failures.push(`#dashboard did not become data-state="live" with data-updated >= ${minUpdated} `
      + `within ${liveTimeout} ms`);
  }
  // One evaluate runs in one task of the page: the cells, the state and tokens/s come from the same render.
  Object.assign(report, await page.evaluate(() => {
    const main = document.querySelector('#dashboard');
    const rate = document.querySelector('#tokens-per-second');
    return {
      state: main ? main.dataset.state : null,
      updated: main && main.dataset.updated ? Number(main.dataset.updated) : null,
      tokensPerSecond: rate ? rate.textContent.trim() : null,
      // columns: endpoint, address, calls/s, errors, refused/s, p50 ms, p99 ms, accepting
      endpoints: [...document.querySelectorAll('#endpoints tbody tr[data-endpoint]')].map((tr) => ({
        endpoint: tr.dataset.endpoint,
        callsPerSecond: tr.children[2] ? tr.children[2].textContent.trim() : null,
        p50Millis: tr.children[5] ? tr.children[5].textContent.trim() : null,
        p99Millis: tr.children[6] ? tr.children[6].textContent.trim() : null,
      })),
      cells: [...document.querySelectorAll('td.heat')].map((td) => ({
        layer: Number(td.dataset.layer),
        expert: Number(td.dataset.expert),
        tokens: Number(td.dataset.tokens),
      })),
    };
  }));
  mkdirSync(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  report.screenshot = screenshotPath;
} catch (e) {
  report.failures.push(`browser: ${e && e.message ? e.message : e}`);
} finally {
  if (browser) {
    await browser.close();
  }
}

if (report.cells.length === 0) {
  report.failures.push('no td.heat cells');
}
if (report.cells.some((c) => !Number.isInteger(c.layer) || !Number.isInteger(c.expert)
    || !Number.isInteger(c.tokens) || c.tokens < 0)) {
  report.failures.push('a td.heat cell lacks an integer data-layer, data-expert or data-tokens');
}
if (report.tokensPerSecond === null || report.tokensPerSecond === ''
    || !Number.isFinite(Number(report.tokensPerSecond.replace(/,/g, '')))) {
  report.failures.push(`#tokens-per-second holds no number: ${JSON.stringify(report.tokensPerSecond)}`);
}
if (report.blockedRequests.length > 0) {
  report.failures.push(`${report.blockedRequests.length} request(s) beyond localhost`);
}
if (report.pageErrors.length > 0) {
  report.failures.push(`${report.pageErrors.length} uncaught page error(s)`);
}
report.ok = report.failures.length === 0;
console.log(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);
