import { describe, expect, it } from 'vitest';
import { apiUrl, queryString } from './contract.js';

describe('apiUrl', () => {
  it('fills the path parameters in, encoded', () => {
    expect(apiUrl('/api/areas/{code}', { path: { code: '210103 007/03' } })).toBe('/api/areas/210103%20007%2F03');
    expect(apiUrl('/api/incidents/{id}/photos/{n}', { path: { id: 12, n: 0 } })).toBe('/api/incidents/12/photos/0');
  });

  it('appends the query values that are defined, and no "?" when there are none', () => {
    expect(apiUrl('/api/assets', { query: { grid: 'G-1,G-2', status: undefined, limit: 100, code: null } })).toBe('/api/assets?grid=G-1%2CG-2&limit=100');
    expect(apiUrl('/api/assets', { query: { status: undefined } })).toBe('/api/assets');
    expect(apiUrl('/api/me')).toBe('/api/me');
  });

  it('keeps an empty string and false, which are values', () => {
    expect(apiUrl('/api/plans', { query: { title: '', dry_run: false } })).toBe('/api/plans?title=&dry_run=false');
  });

  it('says which path parameter is missing', () => {
    expect(() => apiUrl('/api/assets/{id}', {})).toThrow('/api/assets/{id} needs its path parameter "id"');
  });
});

describe('queryString', () => {
  it('is empty for no values', () => {
    expect(queryString({})).toBe('');
    expect(queryString()).toBe('');
  });
});
