/**
 * Reports that arrive while the database is busy with earlier ones go to it together: one statement and
 * one commit for all of them (`sqlInsertIncidents`), the way PostgreSQL groups commits, so that a burst of
 * reports costs the database one round trip, one plan run and one WAL flush per batch rather than per
 * report. A report that finds nothing in flight is sent at once, alone: batching adds no wait, and a
 * report is answered only once its statement has committed (as durable as one sent alone).
 */
import type { Knex } from 'knex';
import { queryPrepared } from '../db/connect.js';
import { sqlInsertIncidents, type NewIncident } from './sql.js';

/** An inserted report as the statement answers it; undefined when it could not be routed (outside every grid, unknown category). */
export type InsertedRow = Record<string, any> | undefined;

interface Waiting {
  report: NewIncident;
  resolve: (row: InsertedRow) => void;
  reject: (err: unknown) => void;
}

/** At most this many reports in one statement (its JSON parameter stays well under 1 MB with full descriptions). */
const MAX_BATCH = 64;

/** Insert reports, batching those that arrive together. */
export class IntakeBatcher {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  /**
   * @param knex the database (not a transaction: a report in a transaction is inserted alone, with `insertReports`)
   * @param maxInFlight statements running at once; the rest wait and go together in the next
   * @param insertBatch the statement (a stand-in in tests)
   */
  constructor(
    private readonly knex: Knex,
    private readonly maxInFlight = 2,
    private readonly insertBatch: typeof insertReports = insertReports,
  ) {}

  /** Insert one report; resolves with its row once committed, or undefined when it was not routed. */
  insert(report: NewIncident): Promise<InsertedRow> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ report, resolve, reject });
      this.pump();
    });
  }

  /** Reports waiting for a statement (for tests and health). */
  get queued(): number {
    return this.waiting.length;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    let rows: InsertedRow[];
    try {
      rows = await this.insertBatch(this.knex, batch.map((w) => w.report));
    } catch (err) {
      // One statement failed for all: a report's own fault (or a conflict) must not fail the others, so
      // each is sent again alone and answers with its own outcome.
      if (batch.length === 1) return batch[0].reject(err);
      await Promise.all(batch.map((w) => this.insertBatch(this.knex, [w.report]).then(([row]) => w.resolve(row), w.reject)));
      return;
    }
    batch.forEach((w, i) => w.resolve(rows[i]));
  }
}

/** Insert reports in one statement (prepared when outside a transaction); the row of each, by position, or undefined. */
export async function insertReports(knex: Knex, reports: NewIncident[]): Promise<InsertedRow[]> {
  const rows = await queryPrepared(knex, sqlInsertIncidents(knex, reports));
  const byOrd: InsertedRow[] = reports.map(() => undefined);
  for (const row of rows) byOrd[row.ord as number] = row;
  return byOrd;
}
