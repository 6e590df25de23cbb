import { describe, expect, it } from 'vitest';
import { formatImport, parseImportArgs, UsageError } from './import_assets.js';

describe('parseImportArgs', () => {
  it('reads the file and the flags', () => {
    expect(parseImportArgs(['a.csv', '--crs', 'GCJ02', '--skip-invalid'])).toEqual({ file: 'a.csv', crs: 'gcj02', skipInvalid: true, dryRun: false });
    expect(parseImportArgs(['--format=geojsonseq', 'b.txt', '--dry-run'])).toMatchObject({ file: 'b.txt', format: 'geojsonseq', dryRun: true });
  });

  it('names what is wrong with bad flags', () => {
    expect(() => parseImportArgs([])).toThrow(UsageError);
    expect(() => parseImportArgs(['a.csv', '--format', 'xlsx'])).toThrow(/--format must be one of geojson, geojsonseq, csv/);
    expect(() => parseImportArgs(['a.csv', 'b.csv'])).toThrow(/one file at a time/);
  });
});

describe('formatImport', () => {
  it('lists the bad rows by line', () => {
    const text = formatImport(
      { format: 'csv', rows: 3, valid_rows: 2, imported: 0, error_count: 1, errors: [{ line: 3, code: 'X1', reason: 'unknown category 9999' }], grids: 2, seconds: { parse: 0.1, validate: 0.2, write: 0, total: 0.3 } },
      'a.csv',
    );
    expect(text).toMatch(/bad rows\s+1/);
    expect(text).toMatch(/^3\s+X1\s+unknown category 9999$/m);
    // Nothing written: no grids to speak of, and the time after the COPY went to checking the file again.
    expect(text).toMatch(/^imported\s+0$/m);
    expect(text).toMatch(/full check for the report 0\.0 s/);
  });

  it('says where an import went and what its time after the COPY was spent on', () => {
    const text = formatImport(
      { format: 'csv', rows: 3, valid_rows: 3, imported: 3, error_count: 0, errors: [], grids: 2, seconds: { parse: 0.1, validate: 0.2, write: 0.4, total: 0.7 } },
      'a.csv',
    );
    expect(text).toMatch(/^imported\s+3 into 2 grids$/m);
    expect(text).toMatch(/indexes \+ pyramid 0\.4 s, total 0\.7 s/);
  });
});
