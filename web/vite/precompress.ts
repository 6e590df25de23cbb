import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Extensions of files worth compressing (text and uncompressed binaries); images and fonts are compressed already. */
const COMPRESSIBLE = /\.(html|js|mjs|css|json|webmanifest|svg|txt|xml|wasm)$/;

/** What precompressing a folder did: files compressed, and their bytes as they were, in brotli and in gzip. */
export interface Precompressed {
  files: number;
  bytes: number;
  br: number;
  gz: number;
}

/** Every file under a folder, as paths relative to it. */
function walk(dir: string, sub = ''): string[] {
  return fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(dir, path.join(sub, e.name)) : [path.join(sub, e.name)]);
}

/** Brotli (quality 11) and gzip (level 9) of some bytes. */
export async function compress(bytes: Buffer): Promise<{ br: Buffer; gz: Buffer }> {
  const [br, gz] = await Promise.all([
    brotli(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
    gzip(bytes, { level: 9 }),
  ]);
  return { br, gz };
}

/**
 * Write `name.br` and `name.gz` beside every compressible file of a folder, each only when it is smaller than the
 * file (a tiny file gains nothing and is served as it is).
 */
export async function precompressDir(dir: string): Promise<Precompressed> {
  const out: Precompressed = { files: 0, bytes: 0, br: 0, gz: 0 };
  for (const name of walk(dir).filter((n) => COMPRESSIBLE.test(n))) {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(file);
    const { br, gz } = await compress(bytes);
    if (br.length < bytes.length) fs.writeFileSync(`${file}.br`, br);
    if (gz.length < bytes.length) fs.writeFileSync(`${file}.gz`, gz);
    out.files += 1;
    out.bytes += bytes.length;
    out.br += Math.min(br.length, bytes.length);
    out.gz += Math.min(gz.length, bytes.length);
  }
  return out;
}

/** Vite plugin: precompress the whole output once everything (the service worker included) is written. */
export function precompress(): Plugin {
  return {
    name: 'gridwork:precompress',
    apply: 'build',
    writeBundle: {
      sequential: true,
      order: 'post',
      async handler(options) {
        const r = await precompressDir(options.dir!);
        this.info(`precompressed ${r.files} files: ${kb(r.bytes)} → brotli ${kb(r.br)}, gzip ${kb(r.gz)}`);
      },
    },
  };
}

function kb(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}
