import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROBLEMS, problemMessage } from '../../web/src/i18n.js';
import { PROBLEM_CODES, statusesOf, type ProblemCode, type ProblemCodeEntry } from './problem_codes.js';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CODES = Object.keys(PROBLEM_CODES) as ProblemCode[];

/** The source of every server file that is not a test. */
function serverSources(dir = SERVER): { file: string; text: string }[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return serverSources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [{ file: path.relative(SERVER, p), text: fs.readFileSync(p, 'utf8') }] : [];
  });
}

/** The {param} names of a message text. */
const placeholders = (text: string) => [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);

/** Answer messages in a language, as the page would. */
function speak(lang: 'zh' | 'en') {
  vi.stubGlobal('localStorage', { getItem: () => lang, setItem: () => undefined });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the problem code catalogue', () => {
  it('names every code in snake_case with a status, a meaning and its params', () => {
    expect(CODES.length).toBeGreaterThan(100);
    for (const code of CODES) {
      const entry: ProblemCodeEntry = PROBLEM_CODES[code];
      expect(code).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
      for (const s of statusesOf(code)) expect(s === 500 || s === 503 || (s >= 400 && s < 500), code).toBe(true);
      expect(entry.meaning.length, code).toBeGreaterThan(10);
      for (const p of entry.params ?? []) expect(p, code).toMatch(/^[a-z_]+$/);
    }
  });

  it('holds every code a throw site in server/ uses, and every code it holds is sent somewhere', () => {
    const sources = serverSources().filter((s) => s.file !== path.join('http', 'problem_codes.ts'));
    const thrown = new Set(
      sources.flatMap((s) => [...s.text.matchAll(/new (?:Invalid|Unprocessable|NotFound|Unauthorized|Forbidden|Conflict|TooLarge|UnsupportedMedia|TooManyRequests)(?:<[^>]*>)?\(\s*'([^']+)'/g)].map((m) => m[1])),
    );
    expect(thrown.size).toBeGreaterThan(80);
    for (const code of thrown) expect(CODES, `thrown code ${code}`).toContain(code);
    const all = sources.map((s) => s.text).join('\n');
    for (const code of CODES) expect(all.includes(`'${code}'`), `no server file sends ${code}`).toBe(true);
  });
});

describe('the web app’s problem messages', () => {
  it('has a Chinese and an English text for every code the server can send, and none for a code it cannot', () => {
    for (const code of CODES) {
      const texts = PROBLEMS[code];
      expect(texts, `no message for ${code}`).toBeDefined();
      const [zh, en] = texts;
      expect(zh, `${code} (zh)`).toMatch(/[\u4e00-\u9fff]/);
      expect(en, `${code} (en)`).toMatch(/^[\x20-\x7e’]+$/);
    }
    expect(Object.keys(PROBLEMS).sort()).toEqual([...CODES].sort());
  });

  it('uses in its texts only the params the catalogue says the code carries', () => {
    for (const code of CODES) {
      const params = (PROBLEM_CODES[code] as ProblemCodeEntry).params ?? [];
      for (const text of PROBLEMS[code]) {
        for (const p of placeholders(text)) expect(params, `${code}: {${p}} in "${text}"`).toContain(p);
      }
    }
  });

  it('problemMessage fills the params in the page’s language', () => {
    speak('zh');
    expect(problemMessage({ code: 'point_outside_grids', params: { point: [123.4, 41.8], crs: 'wgs84' }, detail: 'The point …' })).toBe('该位置不在任何网格内，请在地图上重新选点');
    expect(problemMessage({ code: 'photo_too_large', params: { max_bytes: 8388608 }, detail: 'A photo …' })).toBe('照片太大（上限 8 MB），请换一张小一些的照片');
    expect(problemMessage({ code: 'import_columns_missing', params: { missing: ['name', 'unit'], required: [] }, detail: '…' })).toBe('表头缺少这些列：name、unit');
    speak('en');
    expect(problemMessage({ code: 'area_not_found', params: { code: '210103007001' }, detail: '…' })).toBe('No area has the code 210103007001');
    expect(problemMessage({ code: 'position_lat_lon_swapped', params: { grid: 'G1', position: [41.8, 123.4] }, detail: '…' })).toBe(
      'Position [41.8, 123.4] of grid G1 looks like [lat, lon]; GeoJSON is [lon, lat]',
    );
  });

  it('problemMessage falls back to the detail only for a code it does not know', () => {
    speak('zh');
    expect(problemMessage({ code: 'a_code_from_a_newer_server', params: {}, detail: 'Do this instead.' })).toBe('Do this instead.');
    expect(problemMessage({ detail: 'No code at all.' })).toBe('No code at all.');
    expect(problemMessage({ code: 'toString', detail: 'Not a code.' })).toBe('Not a code.');
  });
});
