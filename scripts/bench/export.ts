/**
 * Export throughput on a city database (read-only): GET /export/assets.geojson beside
 * `ogr2ogr -f GeoJSON … -lco RFC7946=YES` on the same assets table in the same run (time, output size),
 * the server's peak RSS during the export, and the latency of OGC items pages of 1,000 features
 * (following next links, and at random bboxes).
 *
 *   npx tsx scripts/bench/export.ts [--url postgres://gridwork:gridwork@localhost/gridwork_city] [--runs 2] [--pages 100]
 *
 * The server runs in a child process (this script with --serve), so its memory is measured alone.
 * When the database has no assets, a city is generated first (only into a database you name).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { createApp } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/connect.js';
import { pgSource } from '../../server/export/gdal_test_utils.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const DB_URL = arg('url', 'postgres://gridwork:gridwork@localhost/gridwork_city');
const RUNS = Number(arg('runs', '2'));
const PAGES = Number(arg('pages', '100'));
const run = promisify(execFile);

/** Percentile of sorted numbers. */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Child mode: serve the app on an ephemeral port and print the port. */
async function serve(): Promise<void> {
  const db = await openDatabase({ url: DB_URL });
  const app = createApp({ db, config: parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent' }, []), logger: pino({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  // Exit cleanly on SIGINT, so that `node --cpu-prof` can write its profile.
  process.on('SIGINT', () => process.exit(0));
}

/** Resident set size of a process now, in MB (from /proc). */
function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Download a URL to a file, sampling the server's RSS meanwhile; answers time, bytes and peak RSS. */
async function timedDownload(url: string, file: string, serverPid: number) {
  let peak = rssMb(serverPid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(serverPid))), 50);
  const t0 = performance.now();
  const res = await fetch(url);
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
  const out = fs.createWriteStream(file);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb(serverPid));
  return { ms, bytes, peak };
}

async function main(): Promise<void> {
  if (args.includes('--serve')) return serve();
  const db = await openDatabase({ url: DB_URL });
  const { rows } = await db.knex.raw('select count(*)::int as n from assets');
  const assets: number = rows[0].n;
  await db.close();
  if (assets === 0) {
    throw new Error(`${DB_URL} has no assets: generate a city first (DATABASE_URL=<scratch db> npm run generate:city -- --grids 10000 --assets 1000000) and pass --url`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-bench-export-'));
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', '--url', DB_URL], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const idleRss = rssMb(child.pid!);
    const table: string[][] = [];
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const file = path.join(tmp, 'ours.geojson');
      const r = await timedDownload(`${base}/export/assets.geojson`, file, child.pid!);
      ours.push(r.ms);
      table.push([`GET /export/assets.geojson (run ${i + 1})`, (r.ms / 1000).toFixed(1), (r.bytes / 1e6).toFixed(0), r.peak.toFixed(0)]);
      fs.rmSync(file);

      const gfile = path.join(tmp, 'ogr.geojson');
      const t0 = performance.now();
      await run('ogr2ogr', ['-f', 'GeoJSON', gfile, pgSource(DB_URL), 'assets', '-lco', 'RFC7946=YES']);
      const gms = performance.now() - t0;
      theirs.push(gms);
      table.push([`ogr2ogr -f GeoJSON -lco RFC7946=YES (run ${i + 1})`, (gms / 1000).toFixed(1), (fs.statSync(gfile).size / 1e6).toFixed(0), '-']);
      fs.rmSync(gfile);
    }
    const seq = await timedDownload(`${base}/export/assets.geojsonseq`, path.join(tmp, 'ours.geojsonseq'), child.pid!);
    table.push(['GET /export/assets.geojsonseq', (seq.ms / 1000).toFixed(1), (seq.bytes / 1e6).toFixed(0), seq.peak.toFixed(0)]);
    const csv = await timedDownload(`${base}/export/assets.csv`, path.join(tmp, 'ours.csv'), child.pid!);
    table.push(['GET /export/assets.csv', (csv.ms / 1000).toFixed(1), (csv.bytes / 1e6).toFixed(0), csv.peak.toFixed(0)]);

    console.log(`\nExport of ${assets.toLocaleString('en')} assets from ${DB_URL.replace(/\/\/[^@]*@/, '//')} (${os.cpus().length} cores, ${new Date().toISOString()})`);
    console.log(`server RSS when idle: ${idleRss.toFixed(0)} MB`);
    console.log(`| what | seconds | MB out | server peak RSS MB |\n| --- | ---: | ---: | ---: |`);
    for (const r of table) console.log(`| ${r.join(' | ')} |`);
    const best = (xs: number[]) => Math.min(...xs);
    console.log(`speed-up (best of ${RUNS} each): ${(best(theirs) / best(ours)).toFixed(2)}×`);

    // OGC items pages of 1,000: the first page (with numberMatched over the whole table), then next links.
    const pageTimes: number[] = [];
    let url: string | undefined = `${base}/ogc/collections/assets/items?limit=1000`;
    let firstMs = 0;
    for (let i = 0; i <= PAGES && url; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      const body = (await res.json()) as { numberReturned: number; links: { rel: string; href: string }[] };
      const ms = performance.now() - t0;
      if (res.status !== 200 || body.numberReturned !== 1000) throw new Error(`page answered ${res.status} with ${body.numberReturned} features`);
      if (i === 0) firstMs = ms;
      else pageTimes.push(ms);
      url = body.links.find((l) => l.rel === 'next')?.href;
    }
    // Random pages of 1,000 at bboxes of about 2 km around random assets (counted: numberMatched per bbox).
    const bboxTimes: number[] = [];
    const dbr = await openDatabase({ url: DB_URL });
    await dbr.knex.raw('select setseed(0.42)');
    const sample = await dbr.knex.raw(
      `select ST_X(geom) as lon, ST_Y(geom) as lat from assets order by random() limit ?`,
      [PAGES],
    );
    await dbr.close();
    for (const p of sample.rows as { lon: number; lat: number }[]) {
      const bbox = [p.lon - 0.01, p.lat - 0.01, p.lon + 0.01, p.lat + 0.01].map((v) => v.toFixed(6)).join(',');
      const t0 = performance.now();
      const res = await fetch(`${base}/ogc/collections/assets/items?limit=1000&bbox=${bbox}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`bbox page answered ${res.status}`);
      bboxTimes.push(performance.now() - t0);
    }
    pageTimes.sort((a, b) => a - b);
    bboxTimes.sort((a, b) => a - b);
    console.log(`\nOGC /collections/assets/items, pages of 1,000 features`);
    console.log(`| pages | n | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |`);
    console.log(`| first page (counts all ${assets.toLocaleString('en')} for numberMatched) | 1 | ${firstMs.toFixed(0)} | ${firstMs.toFixed(0)} | ${firstMs.toFixed(0)} |`);
    console.log(`| following next links (keyset) | ${pageTimes.length} | ${pct(pageTimes, 50).toFixed(1)} | ${pct(pageTimes, 95).toFixed(1)} | ${pageTimes[pageTimes.length - 1].toFixed(1)} |`);
    console.log(`| random 2 km bbox, with numberMatched | ${bboxTimes.length} | ${pct(bboxTimes, 50).toFixed(1)} | ${pct(bboxTimes, 95).toFixed(1)} | ${bboxTimes[bboxTimes.length - 1].toFixed(1)} |`);
  } finally {
    child.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
