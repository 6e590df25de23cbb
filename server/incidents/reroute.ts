import type { Knex } from 'knex';
import { regrid } from '../areas/service.js';
import type { PlanMoves } from '../areas/sql.js';
import { INCIDENT_PLACE, sqlLogIncidentMoves } from './sql.js';

/**
 * Move the open and handled incidents of some grid codes to the grid in force at their point, with its
 * community (a boundary plan's publish, inside its transaction), and record each move in the incident's
 * trail; finished incidents keep the grid they were closed in. Answers how many changed grid.
 */
export async function rerouteIncidents(trx: Knex, { codes, planId, actor }: PlanMoves): Promise<number> {
  const moves = await regrid(trx, { ...INCIDENT_PLACE, where: `x.grid_code = any(:codes::text[]) and ${INCIDENT_PLACE.follows}`, bindings: { codes } });
  if (moves.length) await sqlLogIncidentMoves(trx, moves, { planId, actor });
  return moves.length;
}
