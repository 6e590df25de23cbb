/**
 * The resident's report form on a simulated phone: Debian's Chromium (playwright-core) with the CPU slowed 4×
 * and the network at 1.6 Mbps down, 750 kbps up and 150 ms latency (CDP Emulation.setCPUThrottlingRate and
 * Network.emulateNetworkConditions, on the page and on its service worker), against the server started as
 * `npm start` starts it (embedded demo office, in a scratch DATA_DIR).
 *
 * For `/#/report`, a first visit (new browser profile) and a repeat visit (same profile: HTTP cache and service
 * worker warm), it measures the time from navigation to a usable form (the first screen's GPS button visible
 * and enabled, and the category tiles of the next screen in the page: the rest needs no network), the time to the map's
 * last `idle` (every tile drawn), and the bytes transferred by kind (JS, CSS, map worker, tiles, API, other).
 *
 *   npm run bench:phone -- [--runs 3] [--baseline DIR] [--keep-data] [--cpu-prof DIR]
 *
 * --baseline DIR also measures another checkout (e.g. `git archive` of main into DIR, with a node_modules
 * link), built and started the same way, in the same run, the two taking turns. --cpu-prof DIR writes a CPU
 * profile of each visit's page (open it in Chrome DevTools); --keep-data keeps the scratch data folders;
 * BENCH_DEBUG=1 prints each visit's requests and the page's resource timings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(arg('runs', '3'));
const BASELINE = args.includes('--baseline') ? path.resolve(arg('baseline', '')) : undefined;
const KEEP_DATA = args.includes('--keep-data');
const CPU_PROF = args.includes('--cpu-prof') ? path.resolve(arg('cpu-prof', 'profiles')) : undefined;
let profiles = 0;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The simulated phone's link (CDP units: bytes per second, ms). */
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) };
const CPU_SLOWDOWN = 4;
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' };
/** The map counts as idle once it has been idle this long with no new tile asked for. */
const QUIET_MS = 2000;

type Kind = 'html' | 'js' | 'css' | 'worker' | 'tiles' | 'api' | 'other';
const KINDS: Kind[] = ['html', 'js', 'css', 'worker', 'tiles', 'api', 'other'];

/** The kind of a request, by its URL. */
function kindOf(pathAndQuery: string): Kind {
  const p = pathAndQuery.split('?')[0];
  if (/maplibre-gl-worker/.test(p)) return 'worker';
  if (p.startsWith('/tiles/') && p.endsWith('.mvt')) return 'tiles';
  if (p.startsWith('/api/') || p.startsWith('/tiles/')) return 'api';
  if (/\.m?js$/.test(p)) return p === '/sw.js' ? 'other' : 'js';
  if (p.endsWith('.css')) return 'css';
  if (p === '/' || p.endsWith('.html')) return 'html';
  return 'other';
}

/** One visit's figures: bytes and requests up to the map's idle, and the service worker's precache after it. */
interface Visit {
  submitMs: number;
  mapIdleMs: number;
  bytes: Record<Kind, number>;
  requests: number;
  afterKb: number;
}

/** A response as it crossed the link: when it ended (epoch ms), its path and its bytes (status line, headers, body as sent). */
interface Transfer {
  at: number;
  path: string;
  bytes: number;
}

/**
 * A pass-through proxy in front of a server that counts the bytes of every response as sent (encoded), whoever
 * asked: the page, MapLibre's worker or the service worker. Responses from a browser cache never reach it.
 */
function meter(target: string): Promise<{ base: string; transfers: Transfer[]; close: () => Promise<void> }> {
  const transfers: Transfer[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent }, (ur) => {
      let bytes = `HTTP/1.1 ${ur.statusCode} ${ur.statusMessage}\r\n\r\n`.length;
      for (let i = 0; i < ur.rawHeaders.length; i += 2) bytes += ur.rawHeaders[i].length + ur.rawHeaders[i + 1].length + 4;
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, ur.rawHeaders);
      ur.on('data', (c: Buffer) => (bytes += c.length));
      ur.on('end', () => transfers.push({ at: Date.now(), path: req.url ?? '', bytes }));
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      transfers,
      close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); agent.destroy(); }),
    }));
  });
}

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Run a command in a folder and wait for it. */
function run(cmd: string, argv: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${argv.join(' ')} in ${cwd} exited ${code}`))));
  });
}

/** A checkout's server, built and started as `npm start` does (embedded demo office in a scratch DATA_DIR). */
async function startServer(dir: string): Promise<{ base: string; transfers: Transfer[]; stop: () => Promise<void> }> {
  await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'web/build.ts', '--force'], dir);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-bench-phone-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'server/main.ts', '--demo'], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server in ${dir} did not start within 180 s`)), 180_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('Gridwork is up')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`the server in ${dir} exited ${code} before it was up`)));
  });
  const proxy = await meter(`http://127.0.0.1:${port}`);
  return {
    base: proxy.base,
    transfers: proxy.transfers,
    stop: async () => {
      await proxy.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      if (!KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Slow a CDP target down to the phone's CPU and link. */
async function throttle(cdp: CDPSession, cpu: boolean): Promise<void> {
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', NETWORK);
  if (cpu) await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
}

/**
 * Put every service worker of the browser on the phone's link too: CDP's network conditions hold for the target
 * they are sent to, and a service worker is a target of its own (MapLibre's worker follows its page).
 */
async function throttleServiceWorkers(browser: Browser): Promise<void> {
  const cdp = await browser.newBrowserCDPSession();
  let id = 0;
  const attach = async (targetId: string) => {
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: false })) as { sessionId: string };
    for (const [method, params] of [['Network.enable', {}], ['Network.emulateNetworkConditions', NETWORK]] as const) {
      await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: ++id, method, params }) });
    }
  };
  cdp.on('Target.targetCreated', ({ targetInfo }: { targetInfo: { type: string; targetId: string } }) => {
    if (targetInfo.type === 'service_worker') attach(targetInfo.targetId).catch((err) => console.error('could not throttle a service worker:', err));
  });
  if (process.env.BENCH_DEBUG) cdp.on('Target.receivedMessageFromTarget', (m: { message: string }) => console.error('sw cdp:', m.message.slice(0, 200)));
  await cdp.send('Target.setDiscoverTargets', { discover: true });
}

/**
 * Marks in the page, from navigation start (performance.now()): when the submit button is first visible and
 * enabled, and every `idle` of the page's map (window.gridworkMap, set by createMap). Plain JavaScript in a
 * string: tsx would wrap a function's inner functions in a helper the page does not have.
 */
const MARKS = `(() => {
  const bench = (window.__bench = { idles: [], tilesAsked: 0 });
  // Looked for once per frame after a change, when the page lays itself out anyway to paint.
  let asked = false;
  const check = () => {
    asked = false;
    if (bench.submit !== undefined) return;
    // The report's first screen can be used (its GPS button shown and enabled) and the categories of the
    // next screen are in the page: from here a resident can go through to send without waiting for the network.
    const b = document.querySelector('section[data-screen=where] button.gps');
    if (b && !b.disabled && b.offsetParent !== null && document.querySelector('.category-tile')) bench.submit = performance.now();
  };
  new MutationObserver(() => {
    if (!asked && bench.submit === undefined) {
      asked = true;
      requestAnimationFrame(check);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });
  let map;
  Object.defineProperty(window, 'gridworkMap', {
    configurable: true,
    get: () => map,
    set: (m) => {
      map = m;
      m.on('idle', () => bench.idles.push(performance.now()));
      m.on('dataloading', () => (bench.tilesAsked += 1));
    },
  });
})();`;

/** One visit of /#/report in a context: its figures, once the map has been idle for QUIET_MS. */
async function visit(context: BrowserContext, base: string, transfers: Transfer[]): Promise<Omit<Visit, 'afterKb'> & { idleAt: number }> {
  const page: Page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await throttle(cdp, true);
  const from = transfers.length;
  if (CPU_PROF) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  await page.addInitScript({ content: MARKS });
  await page.goto(`${base}/#/report`, { waitUntil: 'commit' });
  await page.waitForFunction('window.__bench && window.__bench.submit !== undefined', undefined, { timeout: 60_000, polling: 200 });
  // The map is idle when it has gone QUIET_MS without a new idle or tile request after its last idle.
  let last = '';
  for (const t0 = Date.now(); Date.now() - t0 < 90_000;) {
    await page.waitForTimeout(QUIET_MS);
    const now = await page.evaluate('JSON.stringify([window.__bench.idles.length, window.__bench.tilesAsked])');
    if (now === last && JSON.parse(now as string)[0] > 0) break;
    last = now as string;
  }
  if (CPU_PROF) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
    fs.mkdirSync(CPU_PROF, { recursive: true });
    fs.writeFileSync(path.join(CPU_PROF, `visit-${++profiles}.cpuprofile`), JSON.stringify(profile));
  }
  const { submit, idles, origin } = (await page.evaluate('({ submit: window.__bench.submit, idles: window.__bench.idles, origin: performance.timeOrigin })')) as { submit: number; idles: number[]; origin: number };
  if (process.env.BENCH_DEBUG) {
    console.error(await page.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const line = (n, e) => n.padEnd(40) + ' start ' + e.startTime.toFixed(0) + ' worker ' + e.workerStart.toFixed(0) + ' resp ' + e.responseStart.toFixed(0) + '-' + e.responseEnd.toFixed(0);
      return [line('navigation', nav), 'domInteractive ' + nav.domInteractive.toFixed(0) + ' dcl ' + nav.domContentLoadedEventEnd.toFixed(0) + ' load ' + nav.loadEventEnd.toFixed(0) + ' submit ' + window.__bench.submit.toFixed(0) + ' idles ' + window.__bench.idles.map((i) => i.toFixed(0)).join(','),
        ...performance.getEntriesByType('resource').map((e) => line(e.name.replace(location.origin, ''), e))].join('\\n');
    })()`));
  }
  await page.close();
  const mapIdleMs = idles[idles.length - 1] ?? NaN;
  const idleAt = origin + mapIdleMs;
  const bytes = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  let requests = 0;
  for (const t of transfers.slice(from)) {
    if (t.at > idleAt) continue;
    bytes[kindOf(t.path)] += t.bytes;
    requests += 1;
    if (process.env.BENCH_DEBUG) console.error(`  ${kindOf(t.path)} ${t.path} ${t.bytes} B at ${(t.at - origin).toFixed(0)}`);
  }
  return { submitMs: submit, mapIdleMs, bytes, requests, idleAt };
}

/** Wait until the context's service worker (if the app has one) has precached the shell and taken over. */
async function swReady(context: BrowserContext, base: string): Promise<boolean> {
  const page = await context.newPage();
  await page.goto(`${base}/#/track`);
  const ready = await page.evaluate(async () => {
    if (!('serviceWorker' in navigator)) return false;
    const reg = await Promise.race([navigator.serviceWorker.ready, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    return !!reg?.active;
  });
  await page.close();
  return ready;
}

/** Bytes that crossed the link after a moment. */
const bytesAfter = (transfers: Transfer[], at: number) => transfers.filter((t) => t.at > at).reduce((n, t) => n + t.bytes, 0);

/** First and repeat visits of one checkout in a fresh browser profile. */
async function measure(browser: Browser, base: string, transfers: Transfer[]): Promise<{ first: Visit; repeat: Visit; sw: boolean }> {
  const context = await browser.newContext(PHONE);
  const mark = transfers.length;
  const first = await visit(context, base, transfers);
  const sw = await swReady(context, base);
  const firstAfter = bytesAfter(transfers.slice(mark), first.idleAt);
  const mark2 = transfers.length;
  const repeat = await visit(context, base, transfers);
  await new Promise((r) => setTimeout(r, QUIET_MS));
  const repeatAfter = bytesAfter(transfers.slice(mark2), repeat.idleAt);
  await context.close();
  return { first: { ...first, afterKb: firstAfter / 1024 }, repeat: { ...repeat, afterKb: repeatAfter / 1024 }, sw };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n: number) => (n / 1024).toFixed(0);

function rows(label: string, visits: { first: Visit; repeat: Visit }[]): string[][] {
  return (['first', 'repeat'] as const).map((which) => {
    const vs = visits.map((v) => v[which]);
    const total = (v: Visit) => KINDS.reduce((s, k) => s + v.bytes[k], 0);
    return [
      label, which,
      `${(median(vs.map((v) => v.submitMs)) / 1000).toFixed(2)} (${vs.map((v) => (v.submitMs / 1000).toFixed(2)).join(', ')})`,
      `${(median(vs.map((v) => v.mapIdleMs)) / 1000).toFixed(2)} (${vs.map((v) => (v.mapIdleMs / 1000).toFixed(2)).join(', ')})`,
      ...KINDS.map((k) => kb(median(vs.map((v) => v.bytes[k])))),
      kb(median(vs.map(total))),
      String(median(vs.map((v) => v.requests))),
      median(vs.map((v) => v.afterKb)).toFixed(0),
    ];
  });
}

async function main(): Promise<void> {
  const servers: { label: string; base: string; transfers: Transfer[]; stop: () => Promise<void> }[] = [];
  servers.push({ label: 'this checkout', ...(await startServer(ROOT)) });
  if (BASELINE) servers.push({ label: `baseline (${path.basename(BASELINE)})`, ...(await startServer(BASELINE)) });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  await throttleServiceWorkers(browser);
  console.error(`servers up; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}`);
  const results = new Map<string, { first: Visit; repeat: Visit }[]>(servers.map((s) => [s.label, []]));
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const s of servers) {
        const r = await measure(browser, s.base, s.transfers);
        results.get(s.label)!.push(r);
        console.error(`run ${i + 1}/${RUNS} ${s.label}: first ${(r.first.submitMs / 1000).toFixed(2)} s / map ${(r.first.mapIdleMs / 1000).toFixed(2)} s; repeat ${(r.repeat.submitMs / 1000).toFixed(2)} s / map ${(r.repeat.mapIdleMs / 1000).toFixed(2)} s${r.sw ? '' : ' (no service worker)'}`);
      }
    }
  } finally {
    await browser.close();
    for (const s of servers) await s.stop();
  }
  const head = ['app', 'visit', 'submit visible s, median (runs)', 'map idle s, median (runs)', ...KINDS.map((k) => `${k} KB`), 'total KB', 'requests', 'then, after idle KB'];
  console.log(`${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end`);
  console.log(`/#/report on a simulated phone: CPU ${CPU_SLOWDOWN}× slower, ${NETWORK.downloadThroughput * 8 / 1e6} Mbps down / ${NETWORK.uploadThroughput * 8 / 1e3} kbps up, ${NETWORK.latency} ms latency, ${PHONE.viewport.width}×${PHONE.viewport.height} @${PHONE.deviceScaleFactor}x; ${RUNS} runs; KB transferred up to the map's idle (status line, headers and body as sent, counted by a proxy in front of the server, whoever asked), then after it (the service worker's precache), medians; Chromium ${browser.version()}`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => ' --- ').join('|')}|`);
  for (const [label, visits] of results) for (const r of rows(label, visits)) console.log(`| ${r.join(' | ')} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
