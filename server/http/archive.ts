import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { Invalid, TooLarge } from './errors.js';
import { formatBytes } from './upload.js';

/*
 * Every archive an upload route reads goes through here, under limits of its kind. Before anything is
 * inflated, the central directory is checked: the number of entries, each entry's declared size and their
 * sum. While inflating, the real output is counted: past the size the directory declared (yauzl checks
 * that) or past the limit, inflating stops and the upload is refused, so a zip that lies about its sizes
 * costs no more than one that tells the truth. Inflating runs in zlib's thread pool, a chunk at a time, so
 * the event loop goes on answering meanwhile.
 */

/** The limits of one kind of archive, and the words its messages use. */
export interface ArchiveLimits {
  /** What the archive is, for messages: `The zipped Shapefile`. */
  what: string;
  /** What to do when a limit is hit, for messages: `split the layer`. */
  fix: string;
  /** Most entries (files and folders) in the central directory. */
  maxEntries: number;
  /** Largest inflated size of one entry, in bytes. */
  maxEntryBytes: number;
  /** Largest inflated size of all entries together, in bytes. */
  maxTotalBytes: number;
}

const MB = 1024 * 1024;

/**
 * A zipped Shapefile of grid polygons: .shp, .shx, .dbf, .prj, .cpg and side files of one layer. 32 MB of
 * .shp is two million vertices, a whole city's grids; read and checked, 31 MB of .shp took 210 MB (about 7 bytes of
 * memory for each byte of .shp).
 */
export const SHAPEFILE_ZIP_LIMITS: ArchiveLimits = {
  what: 'The zipped Shapefile',
  fix: 'zip only the .shp, .shx, .dbf, .prj and .cpg of one layer, or split the plan',
  maxEntries: 100,
  maxEntryBytes: 32 * MB,
  maxTotalBytes: 48 * MB,
};

/**
 * An XLSX workbook (Office Open XML, a zip of XML parts). 64 MB of sheet XML holds far more than the
 * 50,000 rows an import takes; the sheet is parsed as it inflates, so only the shared strings are held.
 */
export const XLSX_LIMITS: ArchiveLimits = {
  what: 'The XLSX workbook',
  fix: 'split it into files of at most 50,000 rows, or save the sheet as CSV',
  maxEntries: 1000,
  maxEntryBytes: 64 * MB,
  maxTotalBytes: 128 * MB,
};

/**
 * A GeoPackage is an SQLite file, read whole into sql.js (WebAssembly) memory and scanned synchronously:
 * it is not compressed, so its size bounds its memory; its rows are bounded as well (a view or a crafted
 * table could otherwise yield rows without end).
 */
export const GEOPACKAGE_LIMITS = { maxBytes: 32 * MB, maxRows: 100_000 } as const;

/** One entry of an archive as its central directory declares it. */
export interface ArchiveEntry {
  /** Its path inside the archive, `/`-separated. */
  name: string;
  /** Its inflated size as declared (checked against the limits; the real size is checked while inflating). */
  size: number;
  isDirectory: boolean;
}

/** The archive could not be opened as a zip at all; each reader answers this with its own code and fix. */
export class ZipUnreadable extends Error {}

/** The problem for an entry that inflates differently from what its header declares, or not at all. */
function corrupt(limits: ArchiveLimits, entry: string, why: string): Invalid<'archive_corrupt'> {
  return new Invalid('archive_corrupt', `${limits.what} is damaged or crafted: ${entry} ${why}. Make the file again from the original data.`, { params: { entry } });
}

/** The 413 for an archive over one of its size limits: `entry` null for the sum of all; `size` the declared size, undefined while inflating. */
function tooLarge(limits: ArchiveLimits, entry: string | null, max: number, size?: number): TooLarge<'archive_too_large'> {
  const what = entry === null ? limits.what : `${entry} in ${limits.what.charAt(0).toLowerCase()}${limits.what.slice(1)}`;
  const inflates = size === undefined ? `inflates to more than ${formatBytes(max)}` : `inflates to ${formatBytes(size)}${entry === null ? ' in all' : ''}, more than ${formatBytes(max)}`;
  const limit = entry === null ? 'the limit for all its files together' : 'the limit for one file';
  return new TooLarge('archive_too_large', `${what} ${inflates}, ${limit}; ${limits.fix}.`, { params: { max_bytes: max, entry } });
}

/** A zip opened under its limits: its directory checked, its entries inflated only within them. */
export class ZipArchive {
  /** The entries, as the central directory lists them. */
  readonly entries: readonly ArchiveEntry[];
  private readonly zip: yauzl.ZipFile;
  private readonly raw: Map<string, yauzl.Entry>;
  private readonly limits: ArchiveLimits;
  /** Bytes inflated so far, over all entries read. */
  private inflated = 0;

  private constructor(zip: yauzl.ZipFile, raw: yauzl.Entry[], limits: ArchiveLimits) {
    this.zip = zip;
    this.limits = limits;
    this.raw = new Map(raw.map((e) => [e.fileName, e]));
    this.entries = raw.map((e) => ({ name: e.fileName, size: e.uncompressedSize, isDirectory: e.fileName.endsWith('/') }));
  }

  /**
   * Open a zip held in memory and check its central directory against `limits` before inflating anything:
   * the entry count (from the end record, before one entry is read), each declared size and their sum.
   * Throws ZipUnreadable for what is not a zip, and 413 problems naming the limit and the fix.
   */
  static async open(bytes: Buffer, limits: ArchiveLimits): Promise<ZipArchive> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true });
    } catch (err) {
      throw new ZipUnreadable((err as Error).message);
    }
    if (zip.entryCount > limits.maxEntries) {
      zip.close();
      throw new TooLarge('archive_too_many_entries', `${limits.what} holds ${zip.entryCount} files, more than ${limits.maxEntries}, the limit; ${limits.fix}.`, {
        params: { max_entries: limits.maxEntries },
      });
    }
    try {
      const raw = await readDirectory(zip);
      let total = 0;
      for (const e of raw) {
        if (e.uncompressedSize > limits.maxEntryBytes) throw tooLarge(limits, e.fileName, limits.maxEntryBytes, e.uncompressedSize);
        total += e.uncompressedSize;
      }
      if (total > limits.maxTotalBytes) throw tooLarge(limits, null, limits.maxTotalBytes, total);
      return new ZipArchive(zip, raw, limits);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  /**
   * The inflated bytes of an entry, a chunk at a time, never past what its header declares nor past the
   * limits (of the entry, and of all entries read from this archive together).
   */
  async *stream(name: string): AsyncGenerator<Buffer> {
    const entry = this.raw.get(name);
    if (!entry) throw new Error(`no entry ${name} in the archive`);
    let source: Readable;
    try {
      source = await this.zip.openReadStreamPromise(entry);
    } catch (err) {
      throw corrupt(this.limits, name, `cannot be inflated (${(err as Error).message})`);
    }
    let size = 0;
    try {
      for await (const chunk of iterate(source, this.limits, name)) {
        size += chunk.length;
        this.inflated += chunk.length;
        // The directory was checked, and yauzl stops at the declared size; this holds even if either did not.
        if (size > this.limits.maxEntryBytes) throw tooLarge(this.limits, name, this.limits.maxEntryBytes);
        if (this.inflated > this.limits.maxTotalBytes) throw tooLarge(this.limits, null, this.limits.maxTotalBytes);
        yield chunk;
      }
    } finally {
      source.destroy();
    }
  }

  /** The whole inflated content of an entry, within the limits (see `stream`). */
  async read(name: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.stream(name)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** Let go of the archive (its entries can no longer be read). */
  close(): void {
    this.zip.close();
  }
}

/** Every entry of the central directory (the count was checked first), or ZipUnreadable. */
function readDirectory(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (err: Error) => reject(new ZipUnreadable(err.message)));
    zip.readEntry();
  });
}

/** The chunks of an inflating stream; its errors (yauzl's size checks, zlib's data errors) become archive_corrupt. */
async function* iterate(source: Readable, limits: ArchiveLimits, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield chunk as Buffer;
  } catch (err) {
    const message = (err as Error).message;
    const m = /too many bytes in the stream\. expected (\d+)/.exec(message);
    throw corrupt(limits, name, m ? `inflates to more than the ${formatBytes(Number(m[1]))} its header declares` : `cannot be inflated (${message})`);
  }
}
