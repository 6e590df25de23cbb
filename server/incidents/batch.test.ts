import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import { IntakeBatcher, type InsertedRow } from './batch.js';
import type { NewIncident } from './sql.js';

const report = (description: string) => ({ description }) as NewIncident;

/** A stand-in for the statement: records each batch, answers after a turn of the event loop, fails on a report named "bad". */
function fakeInsert() {
  const batches: string[][] = [];
  const insert = async (_knex: Knex, reports: NewIncident[]): Promise<InsertedRow[]> => {
    batches.push(reports.map((r) => r.description));
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (reports.some((r) => r.description === 'bad')) throw new Error('statement failed');
    return reports.map((r) => (r.description === 'outside' ? undefined : { case_no: r.description }));
  };
  return { batches, insert };
}

describe('IntakeBatcher', () => {
  it('sends a report alone when nothing is in flight, and those arriving meanwhile together', async () => {
    const fake = fakeInsert();
    const batcher = new IntakeBatcher({} as Knex, 1, fake.insert);
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((d) => batcher.insert(report(d))));
    expect(answers).toEqual([{ case_no: 'a' }, { case_no: 'b' }, { case_no: 'c' }, { case_no: 'd' }]);
    expect(fake.batches).toEqual([['a'], ['b', 'c', 'd']]);
    expect(batcher.queued).toBe(0);
    // Later, with nothing in flight, one goes alone again.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await batcher.insert(report('e'))).toEqual({ case_no: 'e' });
    expect(fake.batches.at(-1)).toEqual(['e']);
  });

  it('keeps at most maxInFlight statements running', async () => {
    const fake = fakeInsert();
    const batcher = new IntakeBatcher({} as Knex, 2, fake.insert);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((d) => batcher.insert(report(d))));
    expect(fake.batches).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
  });

  it('answers an unrouted report with undefined and the others with their rows', async () => {
    const fake = fakeInsert();
    const batcher = new IntakeBatcher({} as Knex, 1, fake.insert);
    const answers = await Promise.all(['a', 'outside', 'c'].map((d) => batcher.insert(report(d))));
    expect(answers).toEqual([{ case_no: 'a' }, undefined, { case_no: 'c' }]);
  });

  it('when a batch fails, sends each report again alone, so that only the faulty one fails', async () => {
    const fake = fakeInsert();
    const batcher = new IntakeBatcher({} as Knex, 1, fake.insert);
    const answers = await Promise.allSettled(['a', 'b', 'bad', 'd'].map((d) => batcher.insert(report(d))));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(answers[3]).toEqual({ status: 'fulfilled', value: { case_no: 'd' } });
    expect(fake.batches).toEqual([['a'], ['b', 'bad', 'd'], ['b'], ['bad'], ['d']]);
  });
});
