import pg from 'pg';
import request from 'supertest';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { ASSET_STATUSES, sqlRebuildableIndexes } from './sql.js';
import { claimStaging, dropDeadStagedTables, loadBeside, newCellPyramid } from './bulk.js';
import { BinaryRows, writeAssetTuple } from './copy.js';
import { importAssets } from './importer.js';

const t = useTestApp();
const run = `${process.pid}-${Date.now()}`;
/** Points inside the demo grids (several per grid), with the grid each is in. */
let points: { lon: number; lat: number; grid: string }[];
const CATEGORIES = ['0101', '0120', '0304', '0312'];

beforeAll(async () => {
  const { rows } = await t.db.knex.raw(
    `select ST_X(p) as lon, ST_Y(p) as lat, code as grid from (
       select code, (ST_Dump(ST_GeneratePoints(geom, 6, 7))).geom as p from areas where level = 3 and valid_to is null) s
      order by grid, lon`,
  );
  points = rows;
});

/** A CSV of the points, with codes of this run; extra lines replace the rows at their (0-based) positions. */
function csvOf(prefix: string, bad: Record<number, string> = {}): string {
  const lines = points.map((p, i) => bad[i] ?? `${prefix}-${i},${CATEGORIES[i % CATEGORIES.length]},${ASSET_STATUSES[i % 3]},${p.lon},${p.lat}`);
  return ['code,category_code,status,lon,lat', ...lines].join('\n');
}

/** The pyramid tables' indexes and settings, and any staged tables (a native bulk load writes assets and the pyramid beside the live tables). */
async function pyramidTables(): Promise<{ indexes: string[]; options: unknown[]; staged: string[] }> {
  const indexes = [];
  for (const table of ['asset_cells', 'asset_cell_sums']) indexes.push(...((await sqlRebuildableIndexes(t.db.knex, table)).rows as { name: string; def: string }[]).map((r) => `${r.name}: ${r.def}`));
  const { rows: options } = await t.db.knex.raw(`select relname, reloptions from pg_class where relname in ('asset_cells', 'asset_cell_sums') and relkind = 'r' order by relname`);
  const { rows: staged } = await t.db.knex.raw(`select relname from pg_class where relkind = 'r' and (relname like 'asset\\_cell%\\_load\\_%' or relname like 'assets\\_load\\_%')`);
  return { indexes: indexes.sort(), options, staged: staged.map((r: { relname: string }) => r.relname) };
}

const indexesOf = async () => ((await sqlRebuildableIndexes(t.db.knex, 'assets')).rows as { name: string; def: string }[]).map((r) => `${r.name}: ${r.def}`).sort();

/** The pyramid as stored, and as migration 006's SQL makes it from every asset, inside a rolled-back transaction. */
async function pyramidAndRecomputed(): Promise<{ stored: unknown[]; recomputed: unknown[] }> {
  const read = `select z, tx, ty, cell, category_code, status, n, round(sum_lon::numeric, 6)::float8 as lon, round(sum_lat::numeric, 6)::float8 as lat
                  from asset_cells order by z, tx, ty, cell, category_code, status`;
  const readSums = `select z, tx, ty, cell, n, category_code, round(sum_lon::numeric, 6)::float8 as lon from asset_cell_sums order by z, tx, ty, cell`;
  const out = { stored: [] as unknown[], recomputed: [] as unknown[] };
  await t.db.knex
    .transaction(async (trx) => {
      out.stored = [...(await trx.raw(read)).rows, ...(await trx.raw(readSums)).rows];
      await trx.raw('delete from asset_cells');
      await trx.raw('delete from asset_cell_sums');
      await trx.raw(`do $$ begin execute asset_cells_sql('select geom, category_code, status, 1 as s from assets'); end $$`);
      out.recomputed = [...(await trx.raw(read)).rows, ...(await trx.raw(readSums)).rows];
      throw new Error('roll back');
    })
    .catch((err) => {
      if ((err as Error).message !== 'roll back') throw err;
    });
  return out;
}

describe('bulk import (indexes rebuilt, pyramid summed in memory)', () => {
  it('imports every row with its grid, builds the same indexes again and leaves the pyramid as the triggers would', async () => {
    const before = await indexesOf();
    const pyramidBefore = await pyramidTables();
    expect(pyramidBefore.options).toHaveLength(2);
    const prefix = `BULK-${run}`;
    const r = await importAssets(t.db, csvOf(prefix), { format: 'csv', bulk: true });
    expect(r).toMatchObject({ rows: points.length, imported: points.length, error_count: 0 });
    const rows = await t.db.knex('assets').where('code', 'like', `${prefix}-%`).select('code', 'grid_code', 'area_version_id');
    expect(rows).toHaveLength(points.length);
    const byCode = new Map(rows.map((x) => [x.code, x]));
    points.forEach((p, i) => expect(byCode.get(`${prefix}-${i}`)?.grid_code).toBe(p.grid));
    expect(await indexesOf()).toEqual(before);
    const { stored, recomputed } = await pyramidAndRecomputed();
    expect(stored.length).toBeGreaterThan(points.length);
    expect(stored).toEqual(recomputed);
    expect(await pyramidTables()).toEqual({ ...pyramidBefore, staged: [] });
  });

  it('writes nothing and keeps every index when a row is bad, listing all bad rows by line', async () => {
    const before = await indexesOf();
    const cells = (await t.db.knex('asset_cells').count({ n: '*' }))[0].n;
    const prefix = `BULKBAD-${run}`;
    const csv = csvOf(prefix, { 3: `${prefix}-3,9999,normal,${points[3].lon},${points[3].lat}`, [points.length - 1]: `${prefix}-x,0120,normal,100,30` });
    const r = await importAssets(t.db, csv, { format: 'csv', bulk: true });
    expect(r.imported).toBe(0);
    expect(r.errors.map((e) => e.line)).toEqual([5, points.length + 1]);
    expect(r.errors[0].reason).toMatch(/unknown category 9999/);
    expect(r.errors[1].reason).toMatch(/outside every grid/);
    expect(await t.db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await indexesOf()).toEqual(before);
    expect((await t.db.knex('asset_cells').count({ n: '*' }))[0].n).toBe(cells);
    await expect.poll(async () => (await pyramidTables()).staged).toEqual([]);
  });

  it('reports codes already in the database by line and writes nothing', async () => {
    const prefix = `BULKDUP-${run}`;
    await importAssets(t.db, csvOf(prefix).split('\n').slice(0, 3).join('\n'), { format: 'csv' });
    const r = await importAssets(t.db, csvOf(prefix), { format: 'csv', bulk: true });
    expect(r.imported).toBe(0);
    expect(r.errors.map((e) => [e.line, e.code])).toEqual([
      [2, `${prefix}-0`],
      [3, `${prefix}-1`],
    ]);
    expect(r.errors[0].reason).toMatch(/already in the database/);
    expect(await t.db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' })).toEqual([{ n: 2 }]);
    expect((await indexesOf()).length).toBeGreaterThan(5);
    await expect.poll(async () => (await pyramidTables()).staged).toEqual([]);
  });
});

describe('import checked while it is written', () => {
  it('rolls back rows already copied when a later row is bad, and lists every bad row', async () => {
    // More rows than one COPY chunk, so that some are written before the bad ones are reached.
    const prefix = `PIPE-${run}`;
    const n = 25_000;
    const lines = ['code,category_code,lon,lat'];
    for (let i = 0; i < n; i++) {
      const p = points[i % points.length];
      lines.push(`${prefix}-${i},0120,${p.lon},${p.lat}`);
    }
    lines[n - 10] = `${prefix}-bad1,0120,abc,${points[0].lat}`;
    lines.push(`${prefix}-0,0120,${points[0].lon},${points[0].lat}`);
    const r = await importAssets(t.db, lines.join('\n'), { format: 'csv', bulk: false });
    expect(r).toMatchObject({ rows: n + 1, imported: 0, error_count: 2 });
    expect(r.errors.map((e) => e.line)).toEqual([n - 9, n + 2]);
    expect(r.errors[1].reason).toMatch(/duplicate code .* line 2/);
    expect(await t.db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it.each([true, false])('finds a code repeated in an otherwise good file by the unique key (bulk: %s), and lists it by line', async (bulk) => {
    const prefix = `REPEAT-${bulk}-${run}`;
    const csv = csvOf(prefix, { 4: `${prefix}-1,0120,normal,${points[4].lon},${points[4].lat}` });
    const before = await indexesOf();
    const r = await importAssets(t.db, csv, { format: 'csv', bulk });
    expect(r).toMatchObject({ rows: points.length, valid_rows: points.length - 1, imported: 0, error_count: 1 });
    expect(r.errors).toEqual([{ line: 6, code: `${prefix}-1`, reason: `duplicate code ${prefix}-1: also on line 3` }]);
    expect(await t.db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await indexesOf()).toEqual(before);
    // What was staged beside the live tables goes once the transaction has rolled back.
    await expect.poll(async () => (await pyramidTables()).staged).toEqual([]);
  });

  it('with skipInvalid imports all but the repeated code, keeping its first row', async () => {
    const prefix = `REPEATSKIP-${run}`;
    const csv = csvOf(prefix, { 4: `${prefix}-1,0120,normal,${points[4].lon},${points[4].lat}` });
    const r = await importAssets(t.db, csv, { format: 'csv', skipInvalid: true });
    expect(r).toMatchObject({ rows: points.length, imported: points.length - 1, error_count: 1 });
    expect(r.errors[0]).toMatchObject({ line: 6, code: `${prefix}-1` });
    const first = await t.db.knex('assets').where({ code: `${prefix}-1` }).select('category_code');
    expect(first).toEqual([{ category_code: CATEGORIES[1] }]);
  });
});

/** What the catalog holds on the assets table besides its rows: keys and checks, indexes, triggers, id sequence, privileges, comment, settings. */
async function assetTableShape(): Promise<unknown> {
  const { rows } = await t.db.knex.raw(
    `select array(select conname || ': ' || pg_get_constraintdef(k.oid) from pg_constraint k where k.conrelid = c.oid order by conname) as constraints,
            array(select pg_get_indexdef(i.indexrelid) from pg_index i where i.indrelid = c.oid order by 1) as indexes,
            array(select pg_get_triggerdef(g.oid) from pg_trigger g where g.tgrelid = c.oid and not g.tgisinternal order by g.tgname) as triggers,
            pg_get_serial_sequence('assets', 'id') as sequence, c.relacl::text as acl, obj_description(c.oid, 'pg_class') as comment, c.reloptions
       from pg_class c where c.oid = 'assets'::regclass`,
  );
  return rows[0];
}

describe('bulk load beside the live table', () => {
  it('keeps the rows there with their ids, and the table as the migrations and grants left it', async () => {
    await t.db.knex.raw(`comment on table assets is 'City components (城市部件)'`);
    await t.db.knex.raw(`alter table assets set (fillfactor = 95)`);
    if (t.db.kind === 'postgis') await t.db.knex.raw('grant select on assets to public');
    try {
      const shape = await assetTableShape();
      const old = await t.db.knex('assets').orderBy('id').select('id', 'code', 'grid_code', 'status');
      const maxId = old.at(-1)?.id ?? 0;
      const prefix = `BESIDE-${run}`;
      const r = await importAssets(t.db, csvOf(prefix), { format: 'csv', bulk: true });
      expect(r).toMatchObject({ imported: points.length, error_count: 0 });
      expect(await assetTableShape()).toEqual(shape);
      expect(await t.db.knex('assets').whereIn('id', old.map((a) => a.id)).orderBy('id').select('id', 'code', 'grid_code', 'status')).toEqual(old);
      const added = await t.db.knex('assets').where('code', 'like', `${prefix}-%`).select('id');
      expect(Math.min(...added.map((a) => a.id))).toBeGreaterThan(maxId);

      // The id sequence and the pyramid's triggers carry on: a small import next takes ids after these, and keeps the pyramid.
      const small = await importAssets(t.db, csvOf(`${prefix}-AFTER`).split('\n').slice(0, 4).join('\n'), { format: 'csv' });
      expect(small.imported).toBe(3);
      const next = await t.db.knex('assets').where('code', 'like', `${prefix}-AFTER-%`).select('id');
      expect(Math.min(...next.map((a) => a.id))).toBeGreaterThan(Math.max(...added.map((a) => a.id)));
      const { stored, recomputed } = await pyramidAndRecomputed();
      expect(stored).toEqual(recomputed);
    } finally {
      await t.db.knex.raw(`comment on table assets is null`);
      await t.db.knex.raw(`alter table assets reset (fillfactor)`);
      if (t.db.kind === 'postgis') await t.db.knex.raw('revoke select on assets from public');
    }
  });

  it('lets readers of assets, the pyramid and the tables its keys point at go on until the swap', async () => {
    const prefix = `READERS-${run}`;
    const grids = new Map(
      ((await t.db.knex.raw(
        `select g.code, g.id, coalesce(c.parent_code, g.parent_code) as office
           from areas g left join areas c on c.level = 2 and c.valid_to is null and c.code = g.parent_code
          where g.level = 3 and g.valid_to is null`,
      )).rows as { code: string; id: number; office: string }[]).map((g) => [g.code, g]),
    );
    const reads = () =>
      t.db.knex.transaction(async (r) => {
        await r.raw(`set local lock_timeout = '100ms'`);
        for (const table of ['assets', 'asset_cells', 'asset_cell_sums', 'asset_categories', 'departments']) await r.raw(`select count(*) from ${table}`);
      });
    await t.db.knex.transaction(async (trx) => {
      const load = await loadBeside(t.db, trx);
      if (t.db.kind !== 'postgis') {
        expect(load).toBe('the embedded database has one connection');
        return;
      }
      if (typeof load === 'string') throw new Error(load);
      await reads();
      const pyramid = await newCellPyramid(trx);
      const out = new BinaryRows();
      points.slice(0, 5).forEach((p, i) => {
        const g = grids.get(p.grid)!;
        writeAssetTuple(out, { office: g.office, code: `${prefix}-${i}`, category: '0120', status: 'normal', department: null, grid: g.code, version: g.id, attrs: {}, lon: p.lon, lat: p.lat });
        pyramid.addPoint(p.lon, p.lat, '0120', 'normal');
      });
      await load.copy([out.take()], () => undefined);
      await reads();
      // Nothing is there until the load commits.
      expect(await t.db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' })).toEqual([{ n: 0 }]);
      await load.finish(pyramid, () => undefined);
    });
    if (t.db.kind === 'postgis') expect(await t.db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' })).toEqual([{ n: 5 }]);
  });

  it('drops what a load that died had staged, keys and all, and loads', async () => {
    if (t.db.kind !== 'postgis') return expect(await t.db.knex.transaction((trx) => loadBeside(t.db, trx))).toBe('the embedded database has one connection');
    // As a load leaves it when its process dies after the keys were built: a table like assets, keys pointing at categories and departments.
    await t.db.knex.raw(`create table assets_load_1_dead (like assets including all excluding indexes)`);
    await t.db.knex.raw(`alter table assets_load_1_dead add foreign key (category_code) references asset_categories (code), add foreign key (department_code) references departments (code)`);
    await t.db.knex.raw(`create table asset_cells_load_1_dead (like asset_cells including all)`);
    const prefix = `ORPHAN-${run}`;
    const r = await importAssets(t.db, csvOf(prefix), { format: 'csv', bulk: true });
    expect(r).toMatchObject({ imported: points.length, error_count: 0 });
    expect((await pyramidTables()).staged).toEqual([]);
  });

  it('loads in place when the table has what a swap would not carry (here a view on it)', async () => {
    await t.db.knex.raw(`create view assets_by_grid as select grid_code, count(*) as n from assets group by grid_code`);
    try {
      const why = await t.db.knex.transaction((trx) => loadBeside(t.db, trx));
      expect(why).toBe(t.db.kind === 'postgis' ? 'the assets table has views' : 'the embedded database has one connection');
      const prefix = `VIEW-${run}`;
      const r = await importAssets(t.db, csvOf(prefix), { format: 'csv', bulk: true });
      expect(r).toMatchObject({ imported: points.length, error_count: 0 });
      const { rows } = await t.db.knex.raw(`select sum(n)::int as n from assets_by_grid`);
      expect(rows[0].n).toBe(Number((await t.db.knex('assets').count({ n: '*' }))[0].n));
      expect((await pyramidTables()).staged).toEqual([]);
    } finally {
      await t.db.knex.raw('drop view assets_by_grid');
    }
  });
});

/** Whether this run is on native PostGIS (the embedded database has one connection: nothing runs beside an import there). */
const NATIVE = inject('testDatabase').kind === 'postgis';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!NATIVE)('a bulk import beside other sessions (native only: the embedded database has one connection, so nothing runs beside an import)', () => {
  it('finishes, and every edit sent meanwhile waits for it and is kept', async () => {
    const token = await loginAs(t.app, 'admin');
    const ids = (await t.db.knex('assets').orderBy('id').limit(2).pluck('id')) as number[];
    const prefix = `EDITS-${run}`;
    const lines = ['code,category_code,lon,lat'];
    for (let i = 0; i < 40_000; i++) lines.push(`${prefix}-${i},0120,${points[i % points.length].lon},${points[i % points.length].lat}`);
    let importing = true;
    const patches: { status: number; start: number; end: number }[] = [];
    const last = new Map<number, number>();
    /** One editor: a PATCH of its asset at most 30 times a second, one at a time, until the import is over. */
    const editor = async (id: number) => {
      for (let n = 1; importing || n <= 3; n++) {
        const start = performance.now();
        const res = await request(t.app).patch(`/api/assets/${id}`).set({ Authorization: `Bearer ${token}` }).send({ attrs: { edit: n } });
        patches.push({ status: res.status, start, end: performance.now() });
        if (res.status === 200) last.set(id, n);
        await sleep(Math.max(0, 1000 / 30 - (performance.now() - start)));
      }
    };
    const editors = ids.map(editor);
    await expect.poll(() => patches.length).toBeGreaterThanOrEqual(4);
    const started = performance.now();
    try {
      const r = await importAssets(t.db, lines.join('\n'), { format: 'csv', bulk: true });
      expect(r).toMatchObject({ imported: 40_000, error_count: 0 });
    } finally {
      importing = false;
      await Promise.all(editors);
    }
    // Edits were sent while the import ran (and waited for it); none failed, and the last of each is what the asset holds.
    expect(patches.filter((p) => p.start > started && p.start < performance.now()).length).toBeGreaterThan(0);
    expect(patches.filter((p) => p.status !== 200)).toEqual([]);
    for (const id of ids) expect((await t.db.knex('assets').where({ id }).first('attrs')).attrs.edit).toBe(last.get(id));
    await t.db.knex('assets').where('code', 'like', `${prefix}-%`).delete();
  }, 30_000);

  it('finishes while more edits wait for it than the server has connections', async () => {
    const token = await loginAs(t.app, 'admin');
    const ids = (await t.db.knex('assets').orderBy('id').limit(15).pluck('id')) as number[];
    const prefix = `CROWD-${run}`;
    const lines = ['code,category_code,lon,lat'];
    for (let i = 0; i < 20_000; i++) lines.push(`${prefix}-${i},0120,${points[i % points.length].lon},${points[i % points.length].lat}`);
    const server = t.app.listen(0);
    try {
      const imported = importAssets(t.db, lines.join('\n'), { format: 'csv', bulk: true });
      imported.catch(() => undefined);
      const assetsLock = async (granted: boolean, mode: string) =>
        (await t.db.knex.raw(
          `select count(*)::int as n from pg_locks where granted = ? and mode = ? and relation = 'assets'::regclass and database = (select oid from pg_database where datname = current_database())`,
          [granted, mode],
        )).rows[0].n;
      await expect.poll(() => assetsLock(true, 'ExclusiveLock'), { timeout: 10_000, interval: 10 }).toBe(1);
      // Fifteen edits at once: ten hold the pool's connections waiting for the import, five wait for a connection.
      const edits = ids.map((id) => request(server).patch(`/api/assets/${id}`).set({ Authorization: `Bearer ${token}` }).send({ attrs: { crowd: run } }).then((r) => r.status));
      await expect(imported).resolves.toMatchObject({ imported: 20_000, error_count: 0 });
      expect(await Promise.all(edits)).toEqual(ids.map(() => 200));
    } finally {
      server.close();
    }
    await t.db.knex('assets').where('code', 'like', `${prefix}-%`).delete();
  }, 40_000);

  it('lets readers through while its swap waits for a long reader, and finishes when that one ends', async () => {
    const long = await t.db.knex.transaction();
    const prefix = `LONGREAD-${run}`;
    let imported: Promise<unknown> | undefined;
    try {
      await long.raw('select count(*) from asset_categories');
      imported = importAssets(t.db, csvOf(prefix), { format: 'csv', bulk: true });
      imported.catch(() => undefined);
      const swapWaits = async () =>
        (await t.db.knex.raw(
          `select count(*)::int as n from pg_locks
            where not granted and mode = 'AccessExclusiveLock' and relation = 'asset_categories'::regclass and database = (select oid from pg_database where datname = current_database())`,
        )).rows[0].n;
      await expect.poll(swapWaits, { timeout: 20_000, interval: 20 }).toBe(1);
      // A reader coming now queues behind the waiting swap; it gets through when the swap steps aside, again and again.
      for (let i = 0; i < 5; i++) {
        await t.db.knex.transaction(async (r) => {
          await r.raw(`set local lock_timeout = '2s'`);
          await r.raw('select count(*) from asset_categories');
        });
      }
    } finally {
      await long.commit();
    }
    await expect(imported).resolves.toMatchObject({ imported: points.length, error_count: 0 });
  });
});

/** Whether a table of this name exists. */
const tableExists = async (name: string) => (await t.db.knex.raw(`select to_regclass(?) is not null as e`, [name])).rows[0].e as boolean;

describe.skipIf(!NATIVE)('staged tables at server start (native only: the embedded database stages nothing, and has one connection)', () => {
  it('drops those of an import whose session is gone, keys and all, and keeps those of an import still running', async () => {
    // A dead import: its staged tables, named as bulk.ts names them, made by a session that then disconnects (as a killed process's does).
    const dead = `_load_${process.pid}_${Date.now().toString(36)}`;
    const target = inject('testDatabase');
    const session = new pg.Client({ connectionString: target.kind === 'postgis' ? target.url : '' });
    await session.connect();
    await session.query(`create table assets${dead} (like assets including all excluding indexes)`);
    await session.query(`alter table assets${dead} add foreign key (category_code) references asset_categories (code), add foreign key (department_code) references departments (code)`);
    await session.query(`insert into assets${dead} overriding system value select * from assets limit 10`);
    await session.query(`create table asset_cells${dead} (like asset_cells including all)`);
    await session.end();

    // A live import: its transaction holds the claim on its suffix while another connection stages (as loadBeside's does).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let claimed!: (suffix: string) => void;
    const live = new Promise<string>((resolve) => (claimed = resolve));
    const load = t.db.knex.transaction(async (trx) => {
      const suffix = await claimStaging(trx);
      await t.db.knex.raw(`create table asset_cell_sums${suffix} (like asset_cell_sums including all)`);
      claimed(suffix);
      await held;
    });
    // A load that fails before it claims fails the test here.
    const suffix = await Promise.race([live, load.then(() => '')]);
    try {
      const r = await dropDeadStagedTables(t.db);
      expect(r.dropped.sort()).toEqual([`asset_cells${dead}`, `assets${dead}`]);
      expect(r.kept).toEqual([`asset_cell_sums${suffix}`]);
      expect(await tableExists(`assets${dead}`)).toBe(false);
      expect(await tableExists(`asset_cells${dead}`)).toBe(false);
      expect(await tableExists(`asset_cell_sums${suffix}`)).toBe(true);
    } finally {
      release();
      await load;
    }
    // Its transaction over (the process died, or its cleanup failed), that import's table goes at the next start.
    expect((await dropDeadStagedTables(t.db)).dropped).toEqual([`asset_cell_sums${suffix}`]);
    expect(await tableExists(`asset_cell_sums${suffix}`)).toBe(false);
  });
});
