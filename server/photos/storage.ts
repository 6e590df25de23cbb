import fs from 'node:fs/promises';
import path from 'node:path';

/** Where photo bytes live: a small interface so that an S3-compatible store can replace the disk. */
export interface PhotoStorage {
  /** Store bytes under a key (slash-separated, no `..`). */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The bytes under a key, or undefined when there are none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Remove a key; missing keys are ignored. */
  delete(key: string): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Photos as files under a directory (by default `DATA_DIR/photos`). */
export class DiskPhotoStorage implements PhotoStorage {
  constructor(readonly root: string) {}

  private file(key: string): string {
    if (!KEY.test(key) || key.includes('..')) throw new Error(`invalid photo key ${JSON.stringify(key)}`);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename, so a reader never sees half a photo.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }
}

/** The default photo store of a data directory. */
export function diskStorageIn(dataDir: string): PhotoStorage {
  return new DiskPhotoStorage(path.join(dataDir, 'photos'));
}
