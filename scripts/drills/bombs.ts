/**
 * Drill: upload every kind of archive bomb to a real server and show what each costs it.
 *
 *   npx tsx scripts/drills/bombs.ts
 *
 * The server runs in a child process (an embedded database with the demo office, listening on 127.0.0.1),
 * so that its memory is its own: its peak resident set during each upload is read from the kernel
 * (/proc/PID/status VmHWM, reset before each upload through /proc/PID/clear_refs), which holds even while
 * its event loop is blocked. The child measures its own event loop (perf_hooks monitorEventLoopDelay) and
 * reports the longest block of each upload. The rows marked 3 × send three at once. New rows counts plans,
 * buildings and incidents: a photo under the pixel limit is taken, so its report is a new incident.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import initSqlJs from 'sql.js';
import { manyEntries, shapefileBomb, xlsxBomb, xlsxRows } from '../../test/bombs.js';
import { login } from './support.js';

const MB = 1024 * 1024;
const PASSWORD = 'gridwork-demo';

/** The child: open a database with the demo office, listen, and answer the drill's questions about its event loop. */
async function serve(): Promise<void> {
  const { createApp } = await import('../../server/app.js');
  const { parseConfig } = await import('../../server/config.js');
  const { openDatabase } = await import('../../server/db/connect.js');
  const { migrate } = await import('../../server/db/migrate.js');
  const { loadDemoOffice } = await import('../../server/demo/load.js');
  const db = await openDatabase({ memory: true });
  await migrate(db);
  await loadDemoOffice(db, PASSWORD);
  const app = createApp({ db, config: parseConfig({ NODE_ENV: 'test' }, []), logger: pino({ level: 'silent' }) });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', async (msg: { type: string }) => {
    if (msg.type === 'reset') {
      loop.reset();
      process.send?.({ type: 'reset' });
    } else if (msg.type === 'stats') {
      process.send?.({ type: 'stats', maxLoopMs: loop.max / 1e6, rows: await counts() });
    } else if (msg.type === 'stop') {
      server.close();
      await db.close();
      process.exit(0);
    }
  });
  /** Rows of the tables the uploads would write. */
  async function counts(): Promise<number> {
    const counts = await Promise.all(['plans', 'buildings', 'incidents'].map((t) => db.knex(t).count({ n: '*' }).first()));
    return counts.reduce((sum, c) => sum + Number(c?.n), 0);
  }
}

/** The plan fixture GeoPackage with its layer replaced by a view that repeats its rows without end (a recursive CTE). */
async function geoPackageWithEndlessView(): Promise<Buffer> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(fs.readFileSync(fileURLToPath(new URL('../../server/plans/fixtures/epsg3857_grids.gpkg', import.meta.url))));
  db.exec(`alter table grids rename to grids_data;
    create view grids as with recursive n(i) as (select 1 union all select i + 1 from n) select g.* from grids_data g, n;`);
  const bytes = Buffer.from(db.export());
  db.close();
  return bytes;
}

/** Ask the child something and wait for its answer. */
function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (msg: { type: string } & T) => {
      if (msg.type !== type) return;
      child.off('message', on);
      resolve(msg);
    };
    child.on('message', on);
    child.send({ type });
  });
}

/** A field of /proc/PID/status, in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** One bomb of the drill. */
interface Bomb {
  name: string;
  route: 'plan' | 'import' | 'photo';
  file: string;
  bytes: Buffer;
  /** What it inflates to, for the table. */
  inflates: string;
  /** How many are sent at once. */
  copies?: number;
}

async function drill(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve) => child.on('message', (m: { type: string; port: number }) => m.type === 'ready' && resolve(m)));
  const pid = child.pid as number;
  const base = `http://127.0.0.1:${port}`;
  const chief = await login(base, 'chief01', PASSWORD);
  const tokens = { plan: await login(base, 'planner', PASSWORD), import: chief, photo: chief };
  const url = { plan: `${base}/api/plans`, import: `${base}/api/population/import?kind=buildings`, photo: `${base}/api/incidents` };
  /** The form of an upload: a report with its photo, or the file alone. */
  const formOf = (bomb: Bomb) => {
    const form = new FormData();
    if (bomb.route === 'photo') {
      for (const [k, v] of Object.entries({ category: '0602', description: 'drill', lon: '123.43', lat: '41.79' })) form.append(k, v);
    }
    form.append(bomb.route === 'photo' ? 'photos' : 'file', new Blob([new Uint8Array(bomb.bytes)]), bomb.file);
    return form;
  };
  const heic = fs.readFileSync(fileURLToPath(new URL('../../server/photos/fixtures/gray-7000x7000.heic', import.meta.url)));
  const endlessView = await geoPackageWithEndlessView();

  const bombs: Bomb[] = [
    { name: 'Shapefile zip bomb (.shp of zeros)', route: 'plan', file: 'grids.zip', bytes: shapefileBomb(1536), inflates: '1.5 GB' },
    { name: 'Shapefile zip, sizes lie (declares 1 KB)', route: 'plan', file: 'grids.zip', bytes: shapefileBomb(1536, 1024), inflates: '1.5 GB' },
    { name: 'Zip of 65,535 entries', route: 'plan', file: 'grids.zip', bytes: manyEntries(65_535), inflates: '64 KB' },
    { name: 'XLSX bomb (sheet of blank rows)', route: 'import', file: 'b.xlsx', bytes: xlsxBomb(260), inflates: '260 MB' },
    { name: 'XLSX, sizes lie (declares 1 KB)', route: 'import', file: 'b.xlsx', bytes: xlsxBomb(260, 1024), inflates: '260 MB' },
    { name: 'XLSX of 500,000 rows', route: 'import', file: 'b.xlsx', bytes: xlsxRows(500_000), inflates: '50 MB' },
    { name: 'XLSX of 50,000 rows (largest taken)', route: 'import', file: 'b.xlsx', bytes: xlsxRows(50_000), inflates: '5 MB' },
    { name: 'GeoPackage whose layer is an endless view', route: 'plan', file: 'grids.gpkg', bytes: endlessView, inflates: 'rows without end' },
    { name: 'HEIC photo of 7000 × 7000 (49 MP)', route: 'photo', file: 'IMG_0001.HEIC', bytes: heic, inflates: '196 MB RGBA' },
    { name: '3 × HEIC 49 MP photo at once', route: 'photo', file: 'IMG_0001.HEIC', bytes: heic, inflates: '3 × 196 MB RGBA', copies: 3 },
    { name: '3 × XLSX bomb at once', route: 'import', file: 'b.xlsx', bytes: xlsxBomb(260), inflates: '3 × 260 MB', copies: 3 },
    { name: '3 × XLSX of 500,000 rows at once', route: 'import', file: 'b.xlsx', bytes: xlsxRows(500_000), inflates: '3 × 50 MB', copies: 3 },
  ];

  const baseline = procStatus(pid, 'VmRSS');
  const table: string[][] = [];
  for (const bomb of bombs) {
    const before = await ask<{ rows: number }>(child, 'stats');
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const rssBefore = procStatus(pid, 'VmRSS');
    await ask(child, 'reset');
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: bomb.copies ?? 1 }, async () => {
        const res = await fetch(url[bomb.route], { method: 'POST', headers: { Authorization: `Bearer ${tokens[bomb.route]}` }, body: formOf(bomb) });
        const body = (await res.json()) as { code?: string };
        const type = res.headers.get('content-type') ?? '';
        return `${res.status} ${type.startsWith('application/problem+json') ? (body.code ?? '') : res.ok ? 'created' : 'not a problem'}`;
      }),
    );
    const ms = performance.now() - started;
    const peak = procStatus(pid, 'VmHWM');
    const after = await ask<{ maxLoopMs: number; rows: number }>(child, 'stats');
    table.push([
      bomb.name,
      `${(bomb.bytes.length / 1024).toFixed(0)} KB`,
      bomb.inflates,
      [...new Set(answers)].join(', '),
      `${ms.toFixed(0)} ms`,
      `${((peak - rssBefore) / MB).toFixed(0)} MB`,
      `${after.maxLoopMs.toFixed(0)} ms`,
      String(after.rows - before.rows),
    ]);
  }
  child.send({ type: 'stop' });
  await once(child, 'exit');

  const head = ['bomb', 'sent', 'inflates to', 'status code', 'time', 'peak RSS above before', 'longest loop block', 'new rows'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`server baseline RSS ${(baseline / MB).toFixed(0)} MB (embedded database with the demo office), node ${process.version}`);
  console.log([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.map(line)].join('\n'));
}

if (process.argv.includes('--serve')) await serve();
else await drill();
