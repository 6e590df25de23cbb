import { describe, expect, it } from 'vitest';
import { routeOf, tileKey } from './sw_policy.js';

const ORIGIN = 'https://grid.example.cn';
const route = (path: string, method = 'GET', mode = 'cors') => routeOf(new URL(path, ORIGIN), method, mode, ORIGIN);

describe('routeOf', () => {
  it('answers opening the app from the shell, whatever the hash route', () => {
    expect(route('/', 'GET', 'navigate')).toBe('shell');
    expect(route('/index.html', 'GET', 'navigate')).toBe('shell');
  });

  it('leaves other pages of the server (API docs, exports) to the network', () => {
    expect(route('/api/docs', 'GET', 'navigate')).toBe('network');
    expect(route('/export/assets.csv', 'GET', 'navigate')).toBe('network');
  });

  it('answers the build files cache first', () => {
    expect(route('/assets/index-DPcOKuIg.js')).toBe('asset');
    expect(route('/assets/maplibre-gl-worker-CZtFQQIV.mjs')).toBe('asset');
    expect(route('/icons/icon-192.png')).toBe('asset');
    expect(route('/manifest.webmanifest')).toBe('asset');
  });

  it('keeps the public dictionaries and tiles, network first', () => {
    expect(route('/api/incident-categories')).toBe('dictionary');
    expect(route('/api/asset-categories')).toBe('dictionary');
    expect(route('/tiles/grids/14/13741/6130.mvt')).toBe('tile');
    expect(route('/tiles/map-config.json')).toBe('tile');
  });

  it('never keeps an API answer with personal data', () => {
    for (const p of ['/api/me', '/api/incidents?grid=G1', '/api/incidents/12', '/api/auth/login', '/api/public/incidents/2026000001', '/api/assets?grid=G1']) {
      expect(route(p)).toBe('network');
    }
  });

  it('leaves every write and every other origin to the network', () => {
    expect(route('/api/public/incidents', 'POST')).toBe('network');
    expect(route('/api/incident-categories', 'POST')).toBe('network');
    expect(routeOf(new URL('https://tiles.example.com/1/2/3.png'), 'GET', 'cors', ORIGIN)).toBe('network');
  });
});

describe('tileKey', () => {
  it('drops the refresh counter and keeps the filters', () => {
    expect(tileKey(new URL(`${ORIGIN}/tiles/incidents/14/1/2.mvt?grid=G1&v=1764780000000`))).toBe(`${ORIGIN}/tiles/incidents/14/1/2.mvt?grid=G1`);
    expect(tileKey(new URL(`${ORIGIN}/tiles/grids/14/1/2.mvt`))).toBe(`${ORIGIN}/tiles/grids/14/1/2.mvt`);
  });
});
