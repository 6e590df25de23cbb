import { z } from 'zod';
import { paging } from '../http/input.js';
import { COUNT_FIGURES, ROW_KINDS } from './sql.js';
import { TARGET_FIGURES } from './service.js';

const month = z.string().trim().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month must be YYYY-MM, e.g. 2026-03').meta({ description: 'The month, YYYY-MM' });
const by = z.enum(ROW_KINDS).default('chief').meta({ description: 'Rows per chief, grid, community or department' });
const tz = z.string().trim().min(1).max(64).optional().meta({ description: 'Time zone of the month boundaries (IANA); Asia/Shanghai when absent' });

/** Query of GET /api/appraisal. */
export const appraisalQuery = z.object({ month, by, tz });

/** Path of the export. */
export const exportParams = z.object({ format: z.enum(['csv', 'xlsx'], 'format must be csv or xlsx') });

/** Query of GET /api/appraisal/items. */
export const itemsQuery = z.object({
  month,
  by,
  key: z.string().trim().min(1).max(64).meta({ description: 'The row key, as in the row (grid or community code, department code, chief staff id)' }),
  figure: z.enum(COUNT_FIGURES).meta({ description: 'Which figure' }),
  tz,
  ...paging({ defaultLimit: 200, maxLimit: 1000, noun: 'incidents' }),
});

const nullableInt = z.number().int().nullable();
/** One row of the appraisal. */
export const appraisalRow = z.object({
  rank: z.number().int(),
  key: z.string(),
  code: z.string(),
  name: z.string(),
  grids: z.array(z.string()).optional(),
  reported: nullableInt,
  found: nullableInt,
  missed: nullableInt,
  handled: z.number().int(),
  due: z.number().int(),
  deferred: z.number().int(),
  closed: z.number().int(),
  closed_on_time: z.number().int(),
  closure_rate: z.number().nullable(),
  on_time_rate: z.number().nullable(),
  rework: z.number().int(),
  overdue: z.number().int(),
  avg_handling_hours: z.number().nullable(),
  rated: z.number().int(),
  satisfied: z.number().int(),
  satisfaction_rate: z.number().nullable(),
  targets: z.array(z.object({ figure: z.string(), minimum: z.number(), value: z.number().nullable(), met: z.boolean() })),
  target_met: z.boolean().nullable(),
  patrol_coverage: z.number().nullable().meta({ description: 'Patrol coverage of the month, 0–1: the share of the grids’ 50 m cells a fix came within 30 m of (see definitions.patrol_coverage); null for departments' }),
  items: z.record(z.string(), z.string()),
}).meta({ id: 'AppraisalRow' });

/** A target. */
export const targetSchema = z.object({ row_kind: z.enum(ROW_KINDS), figure: z.enum(TARGET_FIGURES), minimum: z.number().min(0) });

/** Answer of GET /api/appraisal. */
export const appraisalResponse = z.object({
  month: z.string(),
  by: z.enum(ROW_KINDS),
  tz: z.string(),
  from: z.string(),
  to: z.string(),
  generated_at: z.string(),
  targets: z.array(targetSchema),
  definitions: z.record(z.string(), z.string()),
  rows: z.array(appraisalRow),
}).meta({ id: 'Appraisal' });

/** Answer of GET /api/appraisal/items. */
export const itemsResponse = z.object({
  month: z.string(),
  by: z.string(),
  key: z.string(),
  figure: z.string(),
  definition: z.string(),
  total: z.number().int(),
  items: z.array(z.object({ id: z.number().int(), case_no: z.string(), status: z.string(), grid_code: z.string().nullable(), reported_at: z.string() }).catchall(z.unknown())),
});

/** Body of PUT /api/appraisal/targets. */
export const targetsBody = z.object({ targets: z.array(targetSchema).max(100) });

/** Query of GET /api/appraisal/trend. */
export const trendQuery = z.object({
  to: month.meta({ description: 'The last month, YYYY-MM' }),
  months: z.coerce.number().int().min(1).max(12).default(6).meta({ description: 'How many months up to `to` (1–12, default 6)' }),
  by,
  key: itemsQuery.shape.key,
  tz,
});

/** Answer of GET /api/appraisal/trend. */
export const trendResponse = z.object({
  by: z.string(),
  key: z.string(),
  tz: z.string(),
  months: z.array(appraisalRow.omit({ rank: true, key: true, code: true, name: true, grids: true, targets: true, items: true, patrol_coverage: true }).extend({ month: z.string() })),
});
