import ExcelJS from 'exceljs';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../auth/service.js';
import { insertUser } from '../auth/store.js';
import { addPoints } from '../patrols/service.js';
import { loginAs, TEST_PASSWORD, useTestApp } from '../../test/app.js';

/*
 * A hand-made month: March 2026 (Asia/Shanghai, so [2026-02-28T16:00Z, 2026-03-31T16:00Z)) in a test
 * office TEST7 with one community C1 and two grids G1, G2. The boundary between G1 and G2 moves on
 * 15 March: the point P (lon 100.015) lies in G1 before and in G2 after. G2's chief changes on 19 March
 * (TB, then TC). Every expected figure below is worked out by hand from the definitions in design.md
 * and issue 7, not from the code.
 *
 *   inc  point  source    reported  due    what happened (all at 02:00Z unless noted)
 *   i1   G1     patrol    03-02     03-05  handled at grid 03-03, confirmed 03-04         → closed on time
 *   i2   G1     resident  03-03     03-06  handled 03-04, rejected 03-05 (rework), handled 03-08, confirmed 03-09 → closed late
 *   i3   G1     patrol    03-10     03-28  deferred 03-15 (deadline moved to 03-28), still open → deferred, overdue now
 *   i4   P→G1   media     03-12     03-20  never handled, open                            → overdue now
 *   i5   P→G2   resident  03-18     03-22  escalated 03-19, handled at community 03-20, confirmed 03-21 → closed on time
 *   i6   G2     patrol    03-20     03-24  escalated 03-20, 03-21, dispatched to sanitation 03-21, handled by it 03-23,
 *                                          confirmed 03-23 06:00Z → closed on time
 *   i7   G1     patrol    02-25     03-02  handled at grid 03-01, confirmed 03-01 06:00Z → closed on time (reported in February)
 *   i8   G2     patrol    03-30     04-02  handled at grid 03-31, awaiting confirmation   → not due in March, not overdue
 *   i9   G1     hotline   03-05     03-08  cancelled 03-06                                → not due
 *   i10  G2     patrol    03-01     03-04  handled at grid 03-02, confirmed 03-02 06:00Z → closed on time
 *   i11  G1     patrol    01-10     01-12  handled and confirmed 01-11                    → matters in March only by its rating
 *
 * Residents' ratings (public satisfaction, counted in the month they are given): i1 satisfied 03-05,
 * i2 dissatisfied 03-10, i7 basically satisfied 03-02, i10 satisfied 03-03, i11 satisfied 03-01, and
 * i6 dissatisfied on 1 April (not March).
 */

const t = useTestApp();
let token: string;
const OFFICE = 'TEST7';
const C1 = 'TEST7-C1';
const G1 = 'TEST7-C1-G1';
const G2 = 'TEST7-C1-G2';
const at = (md: string, hh = '02') => `2026-${md}T${hh}:00:00Z`;
const box = (x0: number, x1: number) => JSON.stringify({ type: 'MultiPolygon', coordinates: [[[[x0, 10], [x1, 10], [x1, 10.01], [x0, 10.01], [x0, 10]]]] });
const staffIds: Record<string, number> = {};

/** Insert an incident at lon x, routed (as intake does) to the grid version in force at its report time. */
async function incident(n: number, x: number, f: { source: string; reported: string; due: string; status: string; level: string; closed?: string; deferred?: boolean; department?: string }) {
  const { rows } = await t.db.knex.raw(
    `insert into incidents (office_code, case_no, category_code, source, status, level, grid_code, community_code, area_version_id,
                            department_code, geom, due_at, deferred, reported_at, closed_at)
     select :office, :no, (select code from incident_categories order by code limit 1), :source, :status, :level, g.code, g.parent_code, g.id,
            :department, ST_SetSRID(ST_MakePoint(:x, 10.005), 4326), :due, :deferred, :reported, :closed
       from areas g
      where g.level = 3 and g.code like 'TEST7-%' and g.valid_from <= :reported and (g.valid_to is null or g.valid_to > :reported)
        and ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(:x, 10.005), 4326))
     returning id, grid_code`,
    { office: OFFICE, no: `T7-${n}`, source: f.source, status: f.status, level: f.level, department: f.department ?? null, x, due: f.due, deferred: f.deferred ?? false, reported: f.reported, closed: f.closed ?? null },
  );
  if (rows.length !== 1) throw new Error(`incident ${n} was routed to ${rows.length} grids`);
  return rows[0] as { id: number; grid_code: string };
}

async function event(id: number, action: string, when: string, from: [string, string], to: [string, string]) {
  await t.db.knex('incident_events').insert({ office_code: OFFICE, incident_id: id, action, from_status: from[0], from_level: from[1], to_status: to[0], to_level: to[1], created_at: when });
}

beforeAll(async () => {
  const k = t.db.knex;
  await k('areas').insert([
    { code: OFFICE, level: 1, name: '测试街道', name_en: 'Test office', parent_code: null, geom: k.raw('ST_Multi(ST_GeomFromGeoJSON(?))::geometry(MultiPolygon, 4326)', [box(100, 100.04)]), valid_from: at('01-01', '00'), valid_to: at('04-02', '00') },
    { code: C1, level: 2, name: '测试社区', name_en: 'Test community', parent_code: OFFICE, geom: k.raw('ST_GeomFromGeoJSON(?)', [box(100, 100.04)]), valid_from: at('01-01', '00'), valid_to: at('04-02', '00') },
    // Version 1 until 15 March, version 2 for the rest of March, version 3 (a later redraw) from 1 April.
    ...[
      [G1, 100, 100.02, '01-01', '03-15'], [G2, 100.02, 100.04, '01-01', '03-15'],
      [G1, 100, 100.01, '03-15', '04-01'], [G2, 100.01, 100.04, '03-15', '04-01'],
    ].map(([code, x0, x1, from, to]) => ({
      code, level: 3, name: code === G1 ? '测试一网格' : '测试二网格', name_en: String(code), parent_code: C1,
      geom: k.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [box(x0 as number, x1 as number)]), valid_from: at(from as string, '00'), valid_to: at(to as string, '00'),
    })),
  ]);
  for (const [code, name] of [['t7-ta', '甲网格长'], ['t7-tb', '乙网格长'], ['t7-tc', '丙网格长']]) {
    const [row] = await k('staff').insert({ code, name, name_en: code, role: 'chief' }).returning('id');
    staffIds[code] = row.id;
  }
  await k('staff_assignments').insert([
    { staff_id: staffIds['t7-ta'], area_code: G1, valid_from: at('01-01', '00') },
    { staff_id: staffIds['t7-tb'], area_code: G2, valid_from: at('01-01', '00'), valid_to: at('03-19', '00') },
    { staff_id: staffIds['t7-tc'], area_code: G2, valid_from: at('03-19', '00') },
  ]);

  const i1 = await incident(1, 100.005, { source: 'patrol', reported: at('03-02'), due: at('03-05'), status: 'closed', level: 'grid', closed: at('03-04') });
  await event(i1.id, 'handle', at('03-03'), ['open', 'grid'], ['handled', 'grid']);
  await event(i1.id, 'confirm', at('03-04'), ['handled', 'grid'], ['closed', 'grid']);
  const i2 = await incident(2, 100.005, { source: 'resident', reported: at('03-03'), due: at('03-06'), status: 'closed', level: 'grid', closed: at('03-09') });
  await event(i2.id, 'handle', at('03-04'), ['open', 'grid'], ['handled', 'grid']);
  await event(i2.id, 'reject', at('03-05'), ['handled', 'grid'], ['open', 'grid']);
  await event(i2.id, 'handle', at('03-08'), ['open', 'grid'], ['handled', 'grid']);
  await event(i2.id, 'confirm', at('03-09'), ['handled', 'grid'], ['closed', 'grid']);
  const i3 = await incident(3, 100.005, { source: 'patrol', reported: at('03-10'), due: at('03-28'), status: 'open', level: 'grid', deferred: true });
  await event(i3.id, 'defer', at('03-15'), ['open', 'grid'], ['open', 'grid']);
  const i4 = await incident(4, 100.015, { source: 'media', reported: at('03-12'), due: at('03-20'), status: 'open', level: 'grid' });
  const i5 = await incident(5, 100.015, { source: 'resident', reported: at('03-18'), due: at('03-22'), status: 'closed', level: 'community', closed: at('03-21') });
  await event(i5.id, 'escalate', at('03-19'), ['open', 'grid'], ['open', 'community']);
  await event(i5.id, 'handle', at('03-20'), ['open', 'community'], ['handled', 'community']);
  await event(i5.id, 'confirm', at('03-21'), ['handled', 'community'], ['closed', 'community']);
  const i6 = await incident(6, 100.035, { source: 'patrol', reported: at('03-20'), due: at('03-24'), status: 'closed', level: 'department', closed: at('03-23', '06'), department: 'sanitation' });
  await event(i6.id, 'escalate', at('03-20', '04'), ['open', 'grid'], ['open', 'community']);
  await event(i6.id, 'escalate', at('03-21'), ['open', 'community'], ['open', 'centre']);
  await event(i6.id, 'dispatch', at('03-21', '04'), ['open', 'centre'], ['open', 'department']);
  await event(i6.id, 'handle', at('03-23'), ['open', 'department'], ['handled', 'department']);
  await event(i6.id, 'confirm', at('03-23', '06'), ['handled', 'department'], ['closed', 'department']);
  const i7 = await incident(7, 100.005, { source: 'patrol', reported: at('02-25'), due: at('03-02'), status: 'closed', level: 'grid', closed: at('03-01', '06') });
  await event(i7.id, 'handle', at('03-01'), ['open', 'grid'], ['handled', 'grid']);
  await event(i7.id, 'confirm', at('03-01', '06'), ['handled', 'grid'], ['closed', 'grid']);
  const i8 = await incident(8, 100.035, { source: 'patrol', reported: at('03-30'), due: at('04-02'), status: 'handled', level: 'grid' });
  await event(i8.id, 'handle', at('03-31'), ['open', 'grid'], ['handled', 'grid']);
  const i9 = await incident(9, 100.005, { source: 'hotline', reported: at('03-05'), due: at('03-08'), status: 'cancelled', level: 'centre', closed: at('03-06') });
  await event(i9.id, 'cancel', at('03-06'), ['open', 'centre'], ['cancelled', 'centre']);
  const i10 = await incident(10, 100.035, { source: 'patrol', reported: at('03-01'), due: at('03-04'), status: 'closed', level: 'grid', closed: at('03-02', '06') });
  await event(i10.id, 'handle', at('03-02'), ['open', 'grid'], ['handled', 'grid']);
  await event(i10.id, 'confirm', at('03-02', '06'), ['handled', 'grid'], ['closed', 'grid']);
  const i11 = await incident(11, 100.005, { source: 'patrol', reported: at('01-10'), due: at('01-12'), status: 'closed', level: 'grid', closed: at('01-11', '06') });
  await event(i11.id, 'handle', at('01-11'), ['open', 'grid'], ['handled', 'grid']);
  await event(i11.id, 'confirm', at('01-11', '06'), ['handled', 'grid'], ['closed', 'grid']);
  await k('incident_ratings').insert(
    ([[i1, 'satisfied', '03-05'], [i2, 'dissatisfied', '03-10'], [i7, 'basically_satisfied', '03-02'], [i10, 'satisfied', '03-03'], [i11, 'satisfied', '03-01'], [i6, 'dissatisfied', '04-01']] as const).map(
      ([i, rating, day]) => ({ office_code: OFFICE, incident_id: i.id, rating, created_at: at(day) }),
    ),
  );
  // The boundary change is real: the same point P went to G1 before 15 March and to G2 after.
  expect([i4.grid_code, i5.grid_code]).toEqual([G1, G2]);

  await insertUser(k, { username: 'appraiser7', password_hash: await hashPassword(TEST_PASSWORD), display_name: '考核员', role: 'admin', scope: [OFFICE] });
  token = await loginAs(t.app, 'appraiser7');
});

const bearer = () => ({ Authorization: `Bearer ${token}` });
const figures = ['reported', 'found', 'missed', 'handled', 'due', 'deferred', 'closed', 'closed_on_time', 'closure_rate', 'on_time_rate', 'rework', 'overdue', 'avg_handling_hours'] as const;
const pickFigures = (row: Record<string, unknown>) => Object.fromEntries(figures.map((f) => [f, row[f]]));
async function appraisal(by: string) {
  const res = await request(t.app).get(`/api/appraisal?month=2026-03&by=${by}`).set(bearer());
  expect(res.status).toBe(200);
  return res;
}

// Expected figures, from the table above.
const G1_FIGURES = { reported: 5, found: 2, missed: 3, handled: 3, due: 5, deferred: 1, closed: 3, closed_on_time: 2, closure_rate: 0.75, on_time_rate: 0.5, rework: 1, overdue: 2, avg_handling_hours: 48 };
const G2_FIGURES = { reported: 4, found: 3, missed: 1, handled: 2, due: 3, deferred: 0, closed: 3, closed_on_time: 3, closure_rate: 1, on_time_rate: 1, rework: 0, overdue: 0, avg_handling_hours: 24 };

describe('GET /api/appraisal on a hand-made month', () => {
  it('computes every figure per grid, attributing by the boundary version at report time', async () => {
    const res = await appraisal('grid');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ month: '2026-03', by: 'grid', tz: 'Asia/Shanghai', from: '2026-02-28T16:00:00.000Z', to: '2026-03-31T16:00:00.000Z' });
    const rows = Object.fromEntries(res.body.rows.map((r: { key: string }) => [r.key, r]));
    expect(Object.keys(rows).sort()).toEqual([G1, G2]);
    expect(pickFigures(rows[G1])).toEqual(G1_FIGURES);
    expect(pickFigures(rows[G2])).toEqual(G2_FIGURES);
    expect(rows[G1].name).toBe('测试一网格');
    expect(res.body.definitions.closure_rate).toMatch(/closed \/ \(due − deferred\)/);
  });

  it('computes the community row over both grids', async () => {
    const res = await appraisal('community');
    expect(res.body.rows).toHaveLength(1);
    expect(res.body.rows[0]).toMatchObject({ key: C1, name: '测试社区' });
    // Handled at grid or community level: i1, i2, i7, i8, i10 at grid and i5 at community = 6;
    // hours to first handling 24, 24, 96, 24, 24, 48 → mean 40. Rates 6/(8−1) and 5/(8−1).
    expect(pickFigures(res.body.rows[0])).toEqual({
      reported: 9, found: 5, missed: 4, handled: 6, due: 8, deferred: 1, closed: 6, closed_on_time: 5,
      closure_rate: 0.8571, on_time_rate: 0.7143, rework: 1, overdue: 2, avg_handling_hours: 40,
    });
  });

  it('computes the chief rows by the chief in charge at report time, and checks the target of 10 handled', async () => {
    const res = await appraisal('chief');
    const rows = Object.fromEntries(res.body.rows.map((r: { code: string }) => [r.code, r]));
    expect(Object.keys(rows).sort()).toEqual(['t7-ta', 't7-tb', 't7-tc']);
    expect(pickFigures(rows['t7-ta'])).toEqual(G1_FIGURES);
    // TB until 19 March: i10 and i5. TC from 19 March: i6 and i8.
    expect(pickFigures(rows['t7-tb'])).toEqual({ reported: 2, found: 1, missed: 1, handled: 1, due: 2, deferred: 0, closed: 2, closed_on_time: 2, closure_rate: 1, on_time_rate: 1, rework: 0, overdue: 0, avg_handling_hours: 24 });
    expect(pickFigures(rows['t7-tc'])).toEqual({ reported: 2, found: 2, missed: 0, handled: 1, due: 1, deferred: 0, closed: 1, closed_on_time: 1, closure_rate: 1, on_time_rate: 1, rework: 0, overdue: 0, avg_handling_hours: 24 });
    expect(rows['t7-ta']).toMatchObject({ rank: 1, name: '甲网格长', grids: [G1], target_met: false, targets: [{ figure: 'handled', minimum: 10, value: 3, met: false }] });
  });

  it('computes the department row from the incidents dispatched to it', async () => {
    const res = await appraisal('department');
    const row = res.body.rows.find((r: { key: string }) => r.key === 'sanitation');
    expect(pickFigures(row)).toEqual({ reported: null, found: null, missed: null, handled: 1, due: 1, deferred: 0, closed: 1, closed_on_time: 1, closure_rate: 1, on_time_rate: 1, rework: 0, overdue: 0, avg_handling_hours: 72 });
  });

  it('counts public satisfaction: the ratings given in the month, satisfied including basically satisfied', async () => {
    const satisfaction = (row: Record<string, unknown>) => [row.rated, row.satisfied, row.satisfaction_rate];
    const grids = Object.fromEntries((await appraisal('grid')).body.rows.map((r: { key: string }) => [r.key, r]));
    // G1: i1, i2, i7, i11 rated, all but i2 satisfied. G2: i10; i6's rating came in April.
    expect(satisfaction(grids[G1])).toEqual([4, 3, 0.75]);
    expect(satisfaction(grids[G2])).toEqual([1, 1, 1]);
    expect(satisfaction((await appraisal('community')).body.rows[0])).toEqual([5, 4, 0.8]);
    const chiefs = Object.fromEntries((await appraisal('chief')).body.rows.map((r: { code: string }) => [r.code, r]));
    expect([chiefs['t7-ta'], chiefs['t7-tb'], chiefs['t7-tc']].map(satisfaction)).toEqual([[4, 3, 0.75], [1, 1, 1], [0, 0, null]]);
    const sanitation = (await appraisal('department')).body.rows.find((r: { key: string }) => r.key === 'sanitation');
    expect(satisfaction(sanitation)).toEqual([0, 0, null]);
    const res = await appraisal('grid');
    expect(res.body.definitions.satisfaction_rate).toMatch(/satisfied \/ rated/);
    const cases = async (figure: string) => (await request(t.app).get(grids[G1].items[figure]).set(bearer())).body.items.map((i: { case_no: string }) => i.case_no);
    expect(await cases('rated')).toEqual(['T7-11', 'T7-7', 'T7-1', 'T7-2']);
    expect(await cases('satisfied')).toEqual(['T7-11', 'T7-7', 'T7-1']);
    const april = await request(t.app).get(`/api/appraisal?month=2026-04&by=department`).set(bearer());
    expect(satisfaction(april.body.rows.find((r: { key: string }) => r.key === 'sanitation'))).toEqual([1, 0, 0]);
  });

  it('does not change a past month when the boundaries are redrawn later', async () => {
    const before = (await appraisal('grid')).body.rows.map(pickFigures);
    await t.db.knex('areas').insert([
      { code: G1, level: 3, name: '测试一网格', name_en: G1, parent_code: C1, geom: t.db.knex.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [box(100, 100.03)]), valid_from: at('04-01', '00'), valid_to: at('04-02', '00') },
      { code: G2, level: 3, name: '测试二网格', name_en: G2, parent_code: C1, geom: t.db.knex.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [box(100.03, 100.04)]), valid_from: at('04-01', '00'), valid_to: at('04-02', '00') },
    ]);
    expect((await appraisal('grid')).body.rows.map(pickFigures)).toEqual(before);
  });

  it('links each figure to the incidents behind it', async () => {
    const res = await appraisal('grid');
    const g1 = res.body.rows.find((r: { key: string }) => r.key === G1);
    const cases = async (figure: string) => {
      const r = await request(t.app).get(g1.items[figure]).set(bearer());
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(r.body.items.length);
      return r.body.items.map((i: { case_no: string }) => i.case_no);
    };
    expect(await cases('overdue')).toEqual(['T7-3', 'T7-4']);
    expect(await cases('missed')).toEqual(['T7-2', 'T7-9', 'T7-4']);
    expect(await cases('deferred')).toEqual(['T7-3']);
    expect(await cases('closed_on_time')).toEqual(['T7-7', 'T7-1']);
    expect(await cases('rework')).toEqual(['T7-2']);
    expect(await cases('handled')).toEqual(['T7-7', 'T7-1', 'T7-2']);
  });

  it('answers a row month by month for the trend chart', async () => {
    const res = await request(t.app).get(`/api/appraisal/trend?by=grid&key=${G1}&to=2026-03&months=2`).set(bearer());
    expect(res.status).toBe(200);
    expect(res.body.months.map((m: { month: string }) => m.month)).toEqual(['2026-02', '2026-03']);
    // February: only i7 (reported 25 February by a patrol; handled and due in March).
    expect(pickFigures(res.body.months[0])).toEqual({ reported: 1, found: 1, missed: 0, handled: 0, due: 0, deferred: 0, closed: 0, closed_on_time: 0, closure_rate: null, on_time_rate: null, rework: 0, overdue: 0, avg_handling_hours: null });
    expect(pickFigures(res.body.months[1])).toEqual(G1_FIGURES);
  });

  it('meets the target once the command centre lowers it', async () => {
    const put = await request(t.app).put('/api/appraisal/targets').set(bearer()).send({ targets: [{ row_kind: 'chief', figure: 'handled', minimum: 3 }] });
    expect(put.status).toBe(200);
    try {
      const rows = (await appraisal('chief')).body.rows;
      expect(rows.map((r: { code: string; target_met: boolean }) => [r.code, r.target_met])).toEqual([['t7-ta', true], ['t7-tb', false], ['t7-tc', false]]);
    } finally {
      await request(t.app).put('/api/appraisal/targets').set(bearer()).send({ targets: [{ row_kind: 'chief', figure: 'handled', minimum: 10 }] });
    }
  });
});

describe('patrol coverage in the appraisal', () => {
  it('gives each chief the coverage of the month beside the other figures, as the coverage route counts it', async () => {
    const k = t.db.knex;
    const [p] = await k('patrols')
      .insert({ office_code: OFFICE, community_code: C1, grid_code: G1, grid_codes: [G1], chief_staff_id: staffIds['t7-ta'], user_id: 1, started_at: at('03-02', '01'), ended_at: at('03-02', '03') })
      .returning('id');
    // A walk east along latitude 10.005 through G1 (version 1), a fix every 0.0001° (about 11 m).
    const fixes = Array.from({ length: 61 }, (_, i) => ({ lon: 100.002 + i * 0.0001, lat: 10.005, at: new Date(Date.parse(at('03-02', '01')) + i * 15_000).toISOString() }));
    // Sent as the chief's phone would (TA has no account here: a user standing for them).
    const ta = { id: 1, username: 't7-ta', display_name: '甲网格长', role: 'chief' as const, department_code: null, scope: [G1] };
    expect((await addPoints(k, ta, p.id, { points: fixes.map((f) => ({ ...f, accuracy_m: 5 })) })).accepted).toBe(61);
    const cov = await request(t.app).get('/api/patrols/coverage?month=2026-03').set(bearer());
    expect(cov.status).toBe(200);
    const taRows = cov.body.rows.filter((r: { chief: { code: string } }) => r.chief.code === 't7-ta');
    // TA held G1 through both of its March versions: one row each; the walk lies in the first.
    expect(taRows.map((r: { grid_code: string }) => r.grid_code)).toEqual([G1, G1]);
    const covered = taRows.reduce((n: number, r: { covered: number }) => n + r.covered, 0);
    const cells = taRows.reduce((n: number, r: { cells: number }) => n + r.cells, 0);
    expect(covered).toBeGreaterThan(10);

    const rows = Object.fromEntries((await appraisal('chief')).body.rows.map((r: { code: string }) => [r.code, r]));
    expect(rows['t7-ta'].patrol_coverage).toBe(Math.round((covered / cells) * 1e4) / 1e4);
    expect([rows['t7-tb'].patrol_coverage, rows['t7-tc'].patrol_coverage]).toEqual([0, 0]);
    expect(pickFigures(rows['t7-ta'])).toEqual(G1_FIGURES);
    const grids = Object.fromEntries((await appraisal('grid')).body.rows.map((r: { key: string }) => [r.key, r]));
    expect(grids[G1].patrol_coverage).toBe(rows['t7-ta'].patrol_coverage);
    expect(grids[G2].patrol_coverage).toBe(0);
    const dept = (await appraisal('department')).body;
    expect(dept.rows.every((r: { patrol_coverage: unknown }) => r.patrol_coverage === null)).toBe(true);
    expect(dept.definitions.patrol_coverage).toMatch(/50 m cells/);
  });
});

describe('appraisal export and access', () => {
  it('exports CSV with a BOM, a bilingual header and the figures', async () => {
    const res = await request(t.app).get('/api/appraisal/export.csv?month=2026-03&by=grid').set(bearer());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('appraisal-2026-03-grid.csv');
    const lines = res.text.replace(/^\ufeff/, '').trim().split(/\r?\n/);
    expect(lines[0]).toContain('结案率 Closure rate');
    expect(lines.find((l) => l.includes(G1))).toContain(',0.75,0.5,');
    expect(lines[0]).toContain('群众满意率 Public satisfaction rate');
    expect(lines[0]).toContain('巡查覆盖率 Patrol coverage');
    // … average handling hours, rated, satisfied, satisfaction rate, patrol coverage (a share), target met (none for grids).
    expect(lines.find((l) => l.includes(G1))).toMatch(/,48,4,3,0\.75,(0|1|0\.\d+),$/);
  });

  it('exports XLSX that a spreadsheet library reads back', async () => {
    const res = await request(t.app)
      .get('/api/appraisal/export.xlsx?month=2026-03&by=grid')
      .set(bearer())
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body);
    const sheet = book.getWorksheet('appraisal')!;
    const codes = [3, 4].map((r) => sheet.getRow(r).getCell(2).value);
    expect(codes).toContain(G1);
  });

  it('refuses a bad month with 400 naming the format', async () => {
    const res = await request(t.app).get('/api/appraisal?month=2026-13&by=grid').set(bearer());
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/YYYY-MM/);
  });

  it('shows nothing of the test office to a chief of the demo office', async () => {
    const chief = await loginAs(t.app, 'chief01');
    const res = await request(t.app).get('/api/appraisal?month=2026-03&by=grid').set({ Authorization: `Bearer ${chief}` });
    expect(res.status).toBe(200);
    expect(res.body.rows.map((r: { key: string }) => r.key)).toEqual(['210103007001001']);
  });

  it('refuses anonymous clients (401) and a department asking for chiefs (403)', async () => {
    expect((await request(t.app).get('/api/appraisal?month=2026-03')).status).toBe(401);
    const dept = await loginAs(t.app, 'municipal');
    expect((await request(t.app).get('/api/appraisal?month=2026-03&by=chief').set({ Authorization: `Bearer ${dept}` })).status).toBe(403);
  });
});
