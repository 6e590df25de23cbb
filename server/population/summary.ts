import type { Knex } from 'knex';
import { NotFound } from '../http/errors.js';
import { sqlSummary } from './sql.js';

/** Per-grid counts (buildings, households, residents, vulnerable residents, visits this month); public. */
export async function populationSummary(knex: Knex, filter: { grid?: string; community?: string }) {
  const { rows } = await sqlSummary(knex, filter);
  if (filter.grid && rows.length === 0) {
    throw new NotFound('area_not_found', `No grid ${filter.grid} is in force; list the grids with GET /api/areas?level=grid.`, { params: { code: filter.grid } });
  }
  return rows;
}
