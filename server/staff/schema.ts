import { z } from 'zod';
import { STAFF_ROLES } from './sql.js';

/** The public contact card of a staff member (a grid's chief on its notice board and its map popup). */
export const staffContactSchema = z
  .object({ name: z.string(), name_en: z.string().optional(), phone: z.string().nullable() })
  .meta({ description: 'Name and phone of the person who holds the area' });

/** A staff role. */
export const staffRoleSchema = z.enum(STAFF_ROLES).meta({ description: 'chief, grid_leader, cleaner, cadre, party_member, volunteer or police' });
