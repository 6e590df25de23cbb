import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import { describe, expect, it } from 'vitest';
import { bboxSchema, codeList, commaList, paging, parseBBox, wholeNumber } from './input.js';

/** The message of the first issue when `schema` refuses `value`. */
function refusal(schema: z.ZodType, value: unknown): string {
  const r = schema.safeParse(value);
  if (r.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return r.error.issues[0].message;
}

describe('parseBBox', () => {
  it('reads 4 numbers', () => {
    expect(parseBBox('123.4,41.7,123.5,41.8', 'refuse')).toEqual([123.4, 41.7, 123.5, 41.8]);
  });

  it('reads 6 numbers with heights, which it ignores', () => {
    expect(parseBBox('123.4,41.7,0,123.5,41.8,100', 'refuse')).toEqual([123.4, 41.7, 123.5, 41.8]);
  });

  it('allows spaces around the numbers, signs and exponents', () => {
    expect(parseBBox(' -1.5e1, -2 ,+3,4 ', 'refuse')).toEqual([-15, -2, 3, 4]);
  });

  it('names the form and gives an example for the wrong count', () => {
    expect(parseBBox('1,2,3', 'refuse')).toBe('bbox must be minLon,minLat,maxLon,maxLat: 4 numbers in WGS84 decimal degrees, e.g. 123.40,41.78,123.45,41.82');
  });

  it('refuses blanks and words, which Number() would read as 0 or NaN', () => {
    expect(parseBBox('1,,3,4', 'refuse')).toMatch(/^bbox must hold only numbers/);
    expect(parseBBox('1,2,3,north', 'refuse')).toMatch(/^bbox must hold only numbers/);
    expect(parseBBox('0x10,2,3,4', 'refuse')).toMatch(/^bbox must hold only numbers/);
  });

  it('refuses numbers that overflow to Infinity as out of range', () => {
    expect(parseBBox('1e999,2,3,4', 'crosses')).toMatch(/longitudes must be within -180..180/);
  });

  it('names the mistake in lat,lon order', () => {
    expect(parseBBox('41.7,123.4,41.8,123.5', 'refuse')).toBe('bbox latitudes must be within -90..90 (is the order lon,lat?)');
    expect(parseBBox('200,0,201,1', 'refuse')).toBe('bbox longitudes must be within -180..180 (is the order lon,lat?)');
  });

  it('refuses minLat above maxLat, whatever the antimeridian rule', () => {
    expect(parseBBox('0,5,1,4', 'crosses')).toBe('bbox minLat is above maxLat; write it as minLon,minLat,maxLon,maxLat (min ≤ max)');
  });

  it('reads minLon above maxLon as a box across the antimeridian where the route takes one', () => {
    expect(parseBBox('170,-10,-170,10', 'crosses')).toEqual([170, -10, -170, 10]);
  });

  it('refuses minLon above maxLon where the route does not, saying what to send', () => {
    expect(parseBBox('170,-10,-170,10', 'refuse')).toMatch(/minLon is east of maxLon.*write it as w,s,e,n \(minLon ≤ maxLon\), one request each side of 180°/);
  });

  it('takes the edges of the world', () => {
    expect(parseBBox('-180,-90,180,90', 'refuse')).toEqual([-180, -90, 180, 90]);
  });
});

describe('bboxSchema', () => {
  it('parses a query value into a bbox', () => {
    expect(bboxSchema('refuse').parse('1,2,3,4')).toEqual([1, 2, 3, 4]);
  });

  it('refuses with the message of parseBBox', () => {
    expect(refusal(bboxSchema('crosses'), '1,2,3')).toMatch(/^bbox must be minLon,minLat,maxLon,maxLat/);
  });
});

describe('commaList', () => {
  const statuses = commaList(z.enum(['open', 'closed'], { error: 'status must be open or closed' }), { name: 'status', max: 2 });

  it('trims the items and drops blanks and repeats, keeping the order', () => {
    expect(statuses.parse(' closed, ,open,closed ')).toEqual(['closed', 'open']);
  });

  it('refuses an empty list', () => {
    expect(refusal(statuses, ' , ')).toBe('status needs at least one value (comma-separated)');
  });

  it('refuses more than max values, counting them', () => {
    expect(refusal(codeList('grid', 2), 'a,b,c')).toBe('grid takes at most 2 values, comma-separated; got 3');
  });

  it("refuses a bad item with the item's message and the value", () => {
    expect(refusal(statuses, 'open,lost')).toBe('status must be open or closed (got "lost")');
  });

  it('gives items their parsed type', () => {
    expect(commaList(wholeNumber('id', 1, 99), { name: 'id', max: 10 }).parse('3,12')).toEqual([3, 12]);
  });
});

describe('codeList', () => {
  it('refuses a code over 64 characters', () => {
    expect(refusal(codeList('category', 100), 'x'.repeat(65))).toMatch(/^category: each code has at most 64 characters/);
  });
});

describe('paging', () => {
  const query = z.object(paging({ defaultLimit: 50, maxLimit: 500 }));

  it('defaults limit and offset', () => {
    expect(query.parse({})).toEqual({ limit: 50, offset: 0 });
  });

  it('reads whole numbers', () => {
    expect(query.parse({ limit: '500', offset: '20' })).toEqual({ limit: 500, offset: 20 });
  });

  it('refuses a limit above the maximum, naming the range', () => {
    expect(refusal(query, { limit: '501' })).toBe('limit must be from 1 to 500');
  });

  it('refuses a limit of 0', () => {
    expect(refusal(query, { limit: '0' })).toBe('limit must be from 1 to 500');
  });

  it.each(['-1', '1.5', '1e2', '', ' 5', '0x10'])('refuses offset=%j, which z.coerce would read, as not a whole number', (bad) => {
    expect(refusal(query, { offset: bad })).toBe(`offset must be a whole number, from 0 to ${Number.MAX_SAFE_INTEGER}`);
  });

  it('caps the offset where the route asks', () => {
    expect(refusal(z.object(paging({ defaultLimit: 1, maxLimit: 1, maxOffset: 10 })), { offset: '11' })).toBe('offset must be from 0 to 10');
  });
});

describe('the OpenAPI document', () => {
  /** The parameters of a GET /x whose query is `query`, as zod-openapi renders them. */
  function parameters(query: z.ZodObject) {
    const doc = createDocument({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/x': { get: { requestParams: { query }, responses: {} } } } });
    return Object.fromEntries((doc.paths?.['/x']?.get?.parameters ?? []).map((p) => ['name' in p ? p.name : '', p]));
  }

  it('documents limit and offset as integers with their range and default', () => {
    const p = parameters(z.object(paging({ defaultLimit: 50, maxLimit: 500, noun: 'plans' })));
    expect(p.limit).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, description: 'At most this many plans, 1..500 (default 50)' });
    expect(p.offset).toMatchObject({ schema: { type: 'integer', minimum: 0, default: 0 } });
    expect(p.limit).not.toHaveProperty('schema.pattern');
  });

  it('documents bbox as a string with its form, antimeridian rule and an example', () => {
    const p = parameters(z.object({ bbox: bboxSchema('crosses').optional() }));
    expect(p.bbox).toMatchObject({
      schema: {
        type: 'string',
        example: '123.40,41.78,123.45,41.82',
        description: 'minLon,minLat,maxLon,maxLat in WGS84 (CRS84) degrees; minLon > maxLon crosses the antimeridian',
      },
    });
  });

  it('documents a comma list as a string with its description', () => {
    const p = parameters(z.object({ grid: codeList('grid', 1000).optional() }));
    expect(p.grid).toMatchObject({ schema: { type: 'string', description: 'grid: one or more values, comma-separated (at most 1000)' } });
  });
});

describe('rowId', () => {
  it('reads digits only, 1 to the largest integer id, and refuses what other parsers would coerce', async () => {
    const { rowId, MAX_ROW_ID } = await import('./input.js');
    const id = rowId('id');
    expect(id.parse('7')).toBe(7);
    expect(id.parse(String(MAX_ROW_ID))).toBe(MAX_ROW_ID);
    for (const bad of ['1e5', '0x10', ' 7', '7.0', '+7', '-1', '0', '007', '', String(MAX_ROW_ID + 1), '99999999999']) expect(id.safeParse(bad).success, bad).toBe(false);
  });
});
