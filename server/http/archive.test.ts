import { describe, expect, it } from 'vitest';
import { manyEntries, zipOf } from '../../test/bombs.js';
import { ZipArchive, ZipUnreadable, type ArchiveLimits } from './archive.js';

const MB = 1024 * 1024;
const LIMITS: ArchiveLimits = { what: 'The test zip', fix: 'send a smaller one', maxEntries: 10, maxEntryBytes: 4 * MB, maxTotalBytes: 6 * MB };

/** A zip of one entry of `mb` MB of zeros, its headers declaring `declared` bytes when given. */
const zeros = (mb: number, declared?: number) => zipOf([{ name: 'z.bin', data: { chunk: Buffer.alloc(MB), times: mb }, declaredSize: declared }]);

describe('ZipArchive', () => {
  it('lists the entries and inflates them', async () => {
    const zip = await ZipArchive.open(zipOf([{ name: 'a/b.txt', data: 'hello' }, { name: 'c.txt', data: 'world', stored: true }]), LIMITS);
    expect(zip.entries).toEqual([
      { name: 'a/b.txt', size: 5, isDirectory: false },
      { name: 'c.txt', size: 5, isDirectory: false },
    ]);
    expect((await zip.read('a/b.txt')).toString()).toBe('hello');
    expect((await zip.read('c.txt')).toString()).toBe('world');
    zip.close();
  });

  it('refuses more entries than the limit from the end record, before reading the directory', async () => {
    await expect(ZipArchive.open(manyEntries(11), LIMITS)).rejects.toMatchObject({ code: 'archive_too_many_entries', params: { max_entries: 10 } });
  });

  it('refuses an entry whose declared size is over the limit, naming it, before inflating it', async () => {
    const err = await ZipArchive.open(zeros(5), LIMITS).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'archive_too_large', params: { max_bytes: 4 * MB, entry: 'z.bin' } });
    expect((err as Error).message).toBe('z.bin in the test zip inflates to 5 MB, more than 4 MB, the limit for one file; send a smaller one.');
  });

  it('refuses entries whose declared sizes add up to more than the limit', async () => {
    const two = zipOf(['a', 'b'].map((name) => ({ name, data: { chunk: Buffer.alloc(MB), times: 4 } })));
    await expect(ZipArchive.open(two, LIMITS)).rejects.toMatchObject({ code: 'archive_too_large', params: { max_bytes: 6 * MB, entry: null } });
  });

  it('stops inflating an entry that inflates to more than its header declares', async () => {
    const zip = await ZipArchive.open(zeros(300, 1000), LIMITS);
    const started = Date.now();
    const err = await zip.read('z.bin').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'archive_corrupt', params: { entry: 'z.bin' } });
    expect((err as Error).message).toMatch(/z\.bin inflates to more than the 1000 bytes its header declares/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('counts what it really inflated against the limit of all entries read', async () => {
    const zip = await ZipArchive.open(zeros(4), LIMITS);
    await zip.read('z.bin');
    // The same entry read again: 8 MB inflated from this archive, over its 6 MB.
    await expect(zip.read('z.bin')).rejects.toMatchObject({ code: 'archive_too_large', params: { entry: null } });
  });

  it('inflates no further than the reader reads', async () => {
    const zip = await ZipArchive.open(zeros(300), { ...LIMITS, maxEntryBytes: 400 * MB, maxTotalBytes: 400 * MB });
    const started = Date.now();
    let seen = 0;
    for await (const chunk of zip.stream('z.bin')) {
      seen += chunk.length;
      if (seen > MB) break;
    }
    expect(seen).toBeLessThan(2 * MB);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('answers ZipUnreadable for what is not a zip', async () => {
    await expect(ZipArchive.open(Buffer.from('PK\x03\x04 not really'), LIMITS)).rejects.toBeInstanceOf(ZipUnreadable);
  });

  it('answers archive_corrupt for deflated data that is damaged', async () => {
    const zip = zipOf([{ name: 'bad.bin', data: 'x'.repeat(1000) }]);
    zip.fill(0xff, 30 + 'bad.bin'.length, 30 + 'bad.bin'.length + 4);
    const archive = await ZipArchive.open(zip, LIMITS);
    await expect(archive.read('bad.bin')).rejects.toMatchObject({ code: 'archive_corrupt', params: { entry: 'bad.bin' } });
  });
});
