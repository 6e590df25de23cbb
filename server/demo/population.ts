import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { chiefsNow } from '../staff/service.js';
import { hash32, mulberry32, pick } from './synthetic.js';
import { idCheckChar, storedIdNumber } from '../population/pii.js';

/**
 * Synthetic population for the demo office and the generated city: buildings placed at random inside
 * each grid, households in them, residents with invented names, phone numbers and ID numbers (valid
 * check character, region 210103), a realistic share of vulnerable residents, and care visits to them.
 * The same seed, grids and reference time give the same rows.
 */

/** What to generate. */
export interface PopulationOptions {
  /** Seed of every random choice. */
  seed: number;
  /** Only grids whose code starts with this (e.g. the office code); all grids in force when absent. */
  areaPrefix?: string;
  /** Buildings per grid. */
  buildingsPerGrid: number;
  /** Key of the ID number HMAC (see pii.ts). */
  idKey: string;
  /** Care visits are dated in the 60 days before this instant (so the current month has some). */
  now?: Date;
  /** Rows per insert statement. */
  batch?: number;
}

/** Counts of what was generated. */
export interface PopulationResult {
  buildings: number;
  households: number;
  residents: number;
  vulnerable: number;
  visits: number;
}

/** A seeded PRNG for one named stream of the population generator, answering floats in [0, 1). */
export function populationRng(seed: number, ...stream: (string | number)[]): () => number {
  return mulberry32(hash32(`population/${seed}/${stream.join('/')}`));
}

// Names: common surnames, and given-name characters distinct from the staff generator's, so that a
// resident name is unlikely to equal a staff name (the leak tests search responses for resident names).
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '淑桂凤兰琴芝云珍素梅翠荣春宝福禄寿喜庆德贵顺恒瑞祥泰和嘉怡欣悦涵萱琪瑶睿泽浩宇轩博铭晨旭辰阳昊天佳雪婷倩蕾璐彤';
const PHONE_PREFIXES = ['150', '151', '152', '155', '156', '157', '158', '159', '180', '181', '182', '185', '186', '187', '188', '189'];
const VISIT_NOTES = ['上门走访，身体状况良好', '电话问候，了解生活需求', '协助购买生活用品', '陪同就医复查', '检查燃气、用电安全', '送达慰问品'];
const VISIT_KINDS = ['home', 'phone', 'escort', 'home', 'home', 'other'];


/** Buildings as inserted: id, grid and its order in the grid. */
interface NewBuilding {
  id: number;
  office_code: string;
  grid_code: string;
  k: number;
}

/** Insert `n` random buildings inside each grid in force under the prefix, set-based, in code order. */
function sqlInsertDemoBuildings(knex: Knex, prefix: string, n: number, seed: number): Knex.Raw {
  return knex.raw(
    `insert into buildings (office_code, address, use, floors, grid_code, area_version_id, geom)
     select c.parent_code, g.name || ' ' || d.path[1] || '号楼',
            case when abs(('x' || substr(md5(g.code || '/' || d.path[1] || '/' || :seed), 1, 7))::bit(28)::int) % 10 = 0 then 'mixed' else 'residential' end,
            2 + abs(('x' || substr(md5(g.code || '/' || d.path[1] || '/' || :seed), 8, 7))::bit(28)::int) % 17,
            g.code, g.id, d.geom
       from areas g
       join areas c on c.code = g.parent_code and c.valid_to is null
       cross join lateral ST_Dump(ST_GeneratePoints(g.geom, :n, :seed)) d
      where g.level = ${AREA_LEVELS.grid} and g.valid_to is null and g.code like :prefix
      order by g.code, d.path[1]
     returning id, office_code, grid_code, (regexp_match(address, ' (\\d+)号楼$'))[1]::int as k`,
    { prefix: `${prefix}%`, n, seed: Math.max(1, seed) },
  );
}

/** Insert rows in one statement, answering the new ids in ascending (insertion) order. */
async function insertRows(knex: Knex, table: 'households' | 'residents' | 'care_visits', rows: Record<string, unknown>[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const inserted = await knex(table).insert(rows).returning('id');
  return inserted.map((r: { id: number }) => r.id).sort((a: number, b: number) => a - b);
}

/** Generate the population of the grids under a prefix; one pass, batched, deterministic for a seed. */
export async function generatePopulation(knex: Knex, options: PopulationOptions): Promise<PopulationResult> {
  const { seed, idKey } = options;
  const now = options.now ?? new Date();
  const batch = options.batch ?? 2000;
  const { rows } = await sqlInsertDemoBuildings(knex, options.areaPrefix ?? '', options.buildingsPerGrid, seed);
  const buildings = (rows as NewBuilding[]).sort((a, b) => a.grid_code.localeCompare(b.grid_code) || a.k - b.k);
  const expected = (await knex('areas').where({ level: AREA_LEVELS.grid }).whereNull('valid_to').where('code', 'like', `${options.areaPrefix ?? ''}%`).count<{ n: number }[]>({ n: '*' }))[0].n;
  // Zero rows from a statement that must return some is a swallowed GEOS error on the embedded build.
  if (Number(expected) > 0 && buildings.length === 0) throw new Error('no demo buildings could be placed: check the grid geometries (ST_IsValid)');

  const chiefs = await chiefsNow(knex, options.areaPrefix ?? '');

  const result: PopulationResult = { buildings: buildings.length, households: 0, residents: 0, vulnerable: 0, visits: 0 };
  const usedIds = new Set<string>();
  for (let i = 0; i < buildings.length; i += Math.max(1, Math.floor(batch / 4))) {
    const chunk = buildings.slice(i, i + Math.max(1, Math.floor(batch / 4)));
    // Households: 1–5 per building, 1–5 people each.
    const households: { office_code: string; building_id: number; unit: string; size: number; grid_code: string; key: string }[] = [];
    for (const b of chunk) {
      const rng = populationRng(seed, b.grid_code, b.k, 'households');
      const count = 1 + Math.floor(rng() * 5);
      for (let u = 1; u <= count; u++) {
        const r = rng();
        const size = r < 0.15 ? 1 : r < 0.45 ? 2 : r < 0.75 ? 3 : r < 0.9 ? 4 : 5;
        households.push({ office_code: b.office_code, building_id: b.id, unit: `${1 + Math.floor((u - 1) / 2)}单元${100 * (1 + ((u - 1) % 6)) + u}室`, size, grid_code: b.grid_code, key: `${b.grid_code}/${b.k}/${u}` });
      }
    }
    const householdIds = await insertRows(knex, 'households', households.map(({ grid_code: _g, key: _k, ...h }) => h));
    result.households += householdIds.length;

    const residents: Record<string, unknown>[] = [];
    const residentGrid: string[] = [];
    const residentKey: string[] = [];
    households.forEach((h, hi) => {
      const rng = populationRng(seed, h.key, 'residents');
      const surname = pick(rng, SURNAMES);
      const alone = h.size === 1;
      for (let p = 0; p < h.size; p++) {
        const male = rng() < 0.5;
        const elderly = alone ? rng() < 0.45 : rng() < 0.12;
        const birthYear = elderly ? 1930 + Math.floor(rng() * 26) : p >= 2 ? 2000 + Math.floor(rng() * 24) : 1955 + Math.floor(rng() * 45);
        const given = pick(rng, GIVEN) + (rng() < 0.7 ? pick(rng, GIVEN) : '');
        const name = (p === 0 || rng() < 0.8 ? surname : pick(rng, SURNAMES)) + given;
        const month = 1 + Math.floor(rng() * 12);
        const day = 1 + Math.floor(rng() * 28);
        let seq = Math.floor(rng() * 500) * 2 + (male ? 1 : 0);
        let first17 = '';
        do {
          first17 = `210103${birthYear}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${String(seq % 1000).padStart(3, '0')}`;
          seq += 2;
        } while (usedIds.has(`${h.office_code}/${first17}`));
        usedIds.add(`${h.office_code}/${first17}`);
        const idNumber = first17 + idCheckChar(first17);
        const tags: string[] = [];
        const age = now.getUTCFullYear() - birthYear;
        if (alone && age >= 70) tags.push('elderly_alone');
        if (rng() < (age >= 70 ? 0.1 : 0.04)) tags.push('disabled');
        if (rng() < (age >= 70 ? 0.06 : 0.025)) tags.push('low_income');
        if (rng() < 0.015) tags.push('other_needs');
        const hasPhone = age >= 12 && rng() < 0.95;
        const phone = hasPhone ? pick(rng, PHONE_PREFIXES) + String(Math.floor(rng() * 1e8)).padStart(8, '0') : null;
        residents.push({
          office_code: h.office_code,
          household_id: householdIds[hi],
          name,
          gender: male ? 'male' : 'female',
          birth_year: birthYear,
          ...storedIdNumber(idNumber, idKey),
          phone,
          tags: tags.sort(),
          note: '',
        });
        residentGrid.push(h.grid_code);
        residentKey.push(`${h.key}/${p}`);
      }
    });
    const residentIds: number[] = [];
    for (let r = 0; r < residents.length; r += batch) residentIds.push(...(await insertRows(knex, 'residents', residents.slice(r, r + batch))));
    result.residents += residentIds.length;

    // Care visits: 1–3 to each vulnerable resident in the last 60 days, by the grid's chief.
    const visits: Record<string, unknown>[] = [];
    residents.forEach((r, ri) => {
      const tags = r.tags as string[];
      if (!tags.some((t) => t !== 'other_needs')) return;
      result.vulnerable++;
      const rng = populationRng(seed, residentKey[ri], 'visits');
      const n = 1 + Math.floor(rng() * 3);
      const chief = chiefs.get(residentGrid[ri]);
      for (let v = 0; v < n; v++) {
        const k = Math.floor(rng() * VISIT_NOTES.length);
        visits.push({
          office_code: r.office_code,
          resident_id: residentIds[ri],
          visitor_user_id: chief?.user_id ?? null,
          visitor_name: chief?.name ?? '网格员',
          visited_at: new Date(now.getTime() - Math.floor(rng() * 60 * 24 * 3600) * 1000),
          kind: VISIT_KINDS[k],
          note: VISIT_NOTES[k],
        });
      }
    });
    for (let v = 0; v < visits.length; v += batch) result.visits += (await insertRows(knex, 'care_visits', visits.slice(v, v + batch))).length;
  }
  return result;
}
