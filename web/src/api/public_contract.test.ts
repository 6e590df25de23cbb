import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api.js';
import { isMissingRoute, photoUrlWithCode } from './public_contract.js';

describe('photoUrlWithCode', () => {
  it('adds the check code to a photo URL', () => {
    expect(photoUrlWithCode('/api/public/incidents/20260101000001/photos/1', '7KQ2PX')).toBe('/api/public/incidents/20260101000001/photos/1?k=7KQ2PX');
    expect(photoUrlWithCode('/api/public/incidents/20260101000001/photos/1?size=thumb', '7KQ2PX')).toBe('/api/public/incidents/20260101000001/photos/1?size=thumb&k=7KQ2PX');
  });

  it('leaves a URL that carries a code already, or when there is no code', () => {
    expect(photoUrlWithCode('/p/1?k=AAAAAA&size=thumb', '7KQ2PX')).toBe('/p/1?k=AAAAAA&size=thumb');
    expect(photoUrlWithCode('/p/1', '')).toBe('/p/1');
  });
});

describe('isMissingRoute', () => {
  // An ApiError writes its message in the page's language.
  beforeEach(() => {
    vi.stubGlobal('localStorage', { getItem: () => 'zh', setItem: () => undefined, removeItem: () => undefined });
    vi.stubGlobal('navigator', { languages: [], language: '' });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is true only for the 404 of a route the server does not have', () => {
    expect(isMissingRoute(new ApiError(404, 'No route', '/x', { code: 'route_not_found' }))).toBe(true);
    expect(isMissingRoute(new ApiError(404, 'No case', '/x', { code: 'case_not_found' }))).toBe(false);
    expect(isMissingRoute(new Error('x'))).toBe(false);
  });
});
