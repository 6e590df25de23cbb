import request from 'supertest';
import type { Db } from '../db/connect.js';
import type { testApp } from '../../test/app.js';
import { idCheckChar } from './pii.js';

/** The grid of demo account chief01, and of chief02 (same community), and a grid of another community. */
export const GRID_01 = '210103007001001';
export const GRID_02 = '210103007001002';
export const GRID_OTHER_COMMUNITY = '210103007002001';

/** A point well inside a grid in force, [lon, lat]. */
export async function pointIn(db: Db, code: string): Promise<[number, number]> {
  const { rows } = await db.knex.raw(
    `select ST_X(p) as lon, ST_Y(p) as lat
       from (select ST_PointOnSurface(ST_Buffer(geom::geography, -40)::geometry) as p from areas where code = ? and valid_to is null) t`,
    [code],
  );
  return [rows[0].lon, rows[0].lat];
}

let serial = 0;
/** A valid synthetic ID number, different on every call in a run (sequence from the clock and a counter). */
export function uniqueIdNumber(): string {
  serial += 1;
  const n = (Date.now() % 1e6) * 100 + (process.pid % 10) * 10 + (serial % 10);
  const day = String(1 + (serial % 28)).padStart(2, '0');
  const first17 = `110101${1950 + (serial % 50)}07${day}${String(n % 1000).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

/** Create a building, a household and a resident in a grid as a user; answers their ids. */
export async function makeResident(
  app: ReturnType<typeof testApp>,
  db: Db,
  token: string,
  grid: string,
  resident: Record<string, unknown> = {},
): Promise<{ building: number; household: number; resident: number }> {
  const [lon, lat] = await pointIn(db, grid);
  const auth = { Authorization: `Bearer ${token}` };
  const b = await request(app).post('/api/buildings').set(auth).send({ address: `测试路${Math.random().toString(36).slice(2, 6)}号`, floors: 6, geometry: { type: 'Point', coordinates: [lon, lat] } });
  if (b.status !== 201) throw new Error(`building: ${b.status} ${b.text}`);
  const h = await request(app).post('/api/households').set(auth).send({ building_id: b.body.id, unit: '1单元101室', size: 2 });
  if (h.status !== 201) throw new Error(`household: ${h.status} ${h.text}`);
  const r = await request(app)
    .post('/api/residents')
    .set(auth)
    .send({ household_id: h.body.id, name: '测试居民', gender: 'female', birth_year: 1950, phone: '19900000000', tags: ['elderly_alone'], ...resident });
  if (r.status !== 201) throw new Error(`resident: ${r.status} ${r.text}`);
  return { building: b.body.id, household: h.body.id, resident: r.body.id };
}
