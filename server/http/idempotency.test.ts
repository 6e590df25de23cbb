import { describe, expect, it } from 'vitest';
import { idempotencyHeaders, requestHash } from './idempotency.js';

describe('requestHash', () => {
  it('is the same for the same fields in another order', () => {
    expect(requestHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(requestHash({ b: { d: 'x', c: [1, 2] }, a: 1 }));
  });

  it('differs for another value, another order of a list, or other file bytes', () => {
    const base = requestHash({ a: 1, list: [1, 2] }, [{ bytes: Buffer.from('photo') }]);
    expect(requestHash({ a: 2, list: [1, 2] }, [{ bytes: Buffer.from('photo') }])).not.toBe(base);
    expect(requestHash({ a: 1, list: [2, 1] }, [{ bytes: Buffer.from('photo') }])).not.toBe(base);
    expect(requestHash({ a: 1, list: [1, 2] }, [{ bytes: Buffer.from('photp') }])).not.toBe(base);
    expect(requestHash({ a: 1, list: [1, 2] })).not.toBe(base);
  });
});

describe('the Idempotency-Key header', () => {
  const parse = (key: string) => idempotencyHeaders.safeParse({ 'idempotency-key': key }).success;

  it('takes 1 to 200 visible ASCII characters', () => {
    expect(parse('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(true);
    expect(parse('"quoted"')).toBe(true);
    expect(parse('k'.repeat(200))).toBe(true);
    expect(idempotencyHeaders.parse({})).toEqual({});
  });

  it('refuses an empty or too long key, spaces, control and non-ASCII characters', () => {
    for (const key of ['', 'k'.repeat(201), 'a b', 'tab\there', 'clé', '键']) expect(parse(key), JSON.stringify(key)).toBe(false);
  });
});
