import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { assignAssetGrids } from '../assets/service.js';
import { sqlInsertAssetFeatures } from '../assets/sql.js';
import { hashPassword } from '../auth/service.js';
import { insertUser, type Role } from '../auth/store.js';
import type { Db } from '../db/connect.js';
import { generatePopulation } from './population.js';
import { idNumberKey } from '../population/pii.js';

/** Where the generated demo office lives (see data/demo/README.md). */
export const DEMO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/demo');

/** A demo account as listed in data/demo/users.json. */
export interface DemoUser {
  username: string;
  display_name: string;
  role: Role;
  scope: string[];
  department_code?: string;
  staff_code?: string;
}

interface DemoStaff {
  code: string;
  name: string;
  name_en: string;
  role: string;
  phone: string | null;
  areas: string[];
  department_code?: string;
}

interface AreaFeature {
  properties: { code: string; name: string; name_en: string; level: number; parent_code: string | null };
  geometry: unknown;
}

const readJson = (dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

/** Whether the database already holds areas (then the demo is not loaded again). */
export async function hasAreas(knex: Knex): Promise<boolean> {
  const row = await knex('areas').first('id');
  return row !== undefined;
}

/** Counts of what the demo load inserted. */
export interface DemoLoadResult {
  areas: number;
  staff: number;
  users: number;
  assets: number;
}

/**
 * Load the demo office (areas, staff, accounts, assets) in one transaction, so a failed load leaves
 * nothing behind. Every demo account gets `password`; demo passwords exist only here.
 */
export async function loadDemoOffice(db: Db, password: string, dir = DEMO_DIR): Promise<DemoLoadResult> {
  const areas = readJson(dir, 'areas.geojson').features as AreaFeature[];
  const staff = readJson(dir, 'staff.json') as DemoStaff[];
  const users = readJson(dir, 'users.json') as DemoUser[];
  const assets = readJson(dir, 'assets.geojson').features as unknown[];
  const office = areas.find((a) => a.properties.level === AREA_LEVELS.office);
  if (!office) throw new Error(`${dir}/areas.geojson has no office (level 1) feature`);
  // One hash for every demo account: they share the demo password, and hashing 100+ times would slow the first start.
  const passwordHash = await hashPassword(password);

  await db.knex.transaction(async (trx) => {
    await trx.raw(
      `insert into areas (code, level, name, name_en, parent_code, geom, valid_from)
       select f->'properties'->>'code', (f->'properties'->>'level')::smallint, f->'properties'->>'name',
              f->'properties'->>'name_en', f->'properties'->>'parent_code',
              ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326)), '2026-01-01T00:00:00Z'
         from json_array_elements(:features::json) f`,
      { features: JSON.stringify(areas) },
    );
    const invalid = await trx.raw(`select code from areas where not ST_IsValid(geom)`);
    if (invalid.rows.length) throw new Error(`demo areas are invalid: ${invalid.rows.map((r: { code: string }) => r.code).join(', ')}`);

    const staffIds = new Map<string, number>();
    for (const s of staff) {
      const [row] = await trx('staff')
        .insert({ code: s.code, name: s.name, name_en: s.name_en, role: s.role, phone: s.phone, department_code: s.department_code ?? null })
        .returning('id');
      staffIds.set(s.code, row.id);
    }
    const assignments = staff.flatMap((s) => s.areas.map((area_code) => ({ staff_id: staffIds.get(s.code)!, area_code, valid_from: '2026-01-01T00:00:00Z' })));
    for (let i = 0; i < assignments.length; i += 500) await trx('staff_assignments').insert(assignments.slice(i, i + 500));

    for (const u of users) {
      const id = await insertUser(trx, { ...u, password_hash: passwordHash, department_code: u.department_code ?? null });
      if (u.staff_code) await trx('staff').where({ code: u.staff_code }).update({ user_id: id });
    }

    for (let i = 0; i < assets.length; i += 2000) {
      await sqlInsertAssetFeatures(trx, office.properties.code, assets.slice(i, i + 2000));
    }
    await assignAssetGrids(trx);
    // Synthetic buildings, households, residents and care visits (server/demo/population.ts).
    await generatePopulation(trx, { seed: 7, areaPrefix: office.properties.code, buildingsPerGrid: 6, idKey: idNumberKey() });
  });
  return { areas: areas.length, staff: staff.length, users: users.length, assets: assets.length };
}

/** The demo accounts, for the start-up banner and the README. */
export function demoAccounts(dir = DEMO_DIR): DemoUser[] {
  return readJson(dir, 'users.json') as DemoUser[];
}
