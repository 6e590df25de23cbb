import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { precompressDir } from './precompress.js';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('precompressDir', () => {
  it('writes a brotli and a gzip copy beside each text file, each decompressing to the file', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-precompress-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    const js = Buffer.from(`export const s = ${JSON.stringify('网格'.repeat(5000))};`);
    fs.writeFileSync(path.join(dir, 'assets', 'index-AbCd1234.js'), js);
    const r = await precompressDir(dir);
    expect(r.files).toBe(1);
    expect(zlib.brotliDecompressSync(fs.readFileSync(path.join(dir, 'assets', 'index-AbCd1234.js.br'))).equals(js)).toBe(true);
    expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'assets', 'index-AbCd1234.js.gz'))).equals(js)).toBe(true);
    expect(r.br).toBeLessThan(r.bytes);
  });

  it('leaves images alone and writes no copy that would be larger than the file', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-precompress-'));
    fs.writeFileSync(path.join(dir, 'icon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    fs.writeFileSync(path.join(dir, 'a.json'), '{}');
    await precompressDir(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.json', 'icon.png']);
  });
});
