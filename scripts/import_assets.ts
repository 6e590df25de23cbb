/**
 * Import assets (城市部件) from a GeoJSON, GeoJSONSeq or CSV file into the configured database, with a
 * progress bar: every row is checked first and reported by line; nothing is written unless all are good
 * (or --skip-invalid). Each asset gets the grid in force containing it in the same pass.
 *
 *   npm run import:assets -- assets.csv [--format csv|geojson|geojsonseq] [--crs wgs84|cgcs2000|gcj02|bd09] [--skip-invalid] [--dry-run]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { parseConfig } from '../server/config.js';
import { DatabaseSetupError, openDatabase, type Db } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { DomainError } from '../server/http/errors.js';
import { INPUT_CRS, type InputCrs } from '../server/geo/crs.js';
import { ASSET_FORMATS, decodeImportFile, detectFormat, type AssetFormat } from '../server/assets/import_read.js';
import { importAssets, type ImportPhase, type ImportResult } from '../server/assets/importer.js';

const USAGE = `usage: npm run import:assets -- FILE [--format csv|geojson|geojsonseq] [--crs wgs84|cgcs2000|gcj02|bd09] [--skip-invalid] [--dry-run]
Writes into DATABASE_URL when set, else the embedded database under DATA_DIR (default ./.data).`;

/** Command-line options after validation. */
export interface ImportArgs {
  file: string;
  format?: AssetFormat;
  crs: InputCrs;
  skipInvalid: boolean;
  dryRun: boolean;
}

/** The flags were wrong; the message says which and how. */
export class UsageError extends Error {}

/** Parse and validate the command line. */
export function parseImportArgs(argv: string[]): ImportArgs {
  const out: Partial<ImportArgs> = { crs: 'wgs84', skipInvalid: false, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--format') {
      const v = value();
      if (!(ASSET_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be one of ${ASSET_FORMATS.join(', ')}, got "${v}"`);
      out.format = v as AssetFormat;
    } else if (flag === '--crs') {
      const v = (value() ?? '').toLowerCase();
      if (!(INPUT_CRS as readonly string[]).includes(v)) throw new UsageError(`--crs must be one of ${INPUT_CRS.join(', ')}, got "${v}"`);
      out.crs = v as InputCrs;
    } else if (flag === '--skip-invalid') out.skipInvalid = true;
    else if (flag === '--dry-run') out.dryRun = true;
    else if (flag.startsWith('--')) throw new UsageError(`unknown flag ${flag}`);
    else if (out.file) throw new UsageError(`one file at a time; got "${out.file}" and "${flag}"`);
    else out.file = flag;
  }
  if (!out.file) throw new UsageError('name the file to import');
  return out as ImportArgs;
}

/** The outcome as text: counts, times, and the bad rows by line. */
export function formatImport(result: ImportResult, file: string): string {
  const lines = [
    `file        ${file} (${result.format})`,
    `rows        ${result.rows.toLocaleString('en')}`,
    `valid rows  ${result.valid_rows.toLocaleString('en')}`,
    `imported    ${result.imported.toLocaleString('en')}${result.imported ? ` into ${result.grids.toLocaleString('en')} grids` : ''}`,
    `bad rows    ${result.error_count.toLocaleString('en')}`,
    // After the COPY: the indexes and the pyramid when rows were written; else the whole file checked again for the report.
    `time        read ${result.seconds.parse.toFixed(1)} s, check + grid + copy ${result.seconds.validate.toFixed(1)} s, ${result.imported ? 'indexes + pyramid' : 'full check for the report'} ${result.seconds.write.toFixed(1)} s, total ${result.seconds.total.toFixed(1)} s`,
  ];
  if (result.errors.length) {
    lines.push('', 'line     code                 reason');
    for (const e of result.errors.slice(0, 50)) lines.push(`${String(e.line).padEnd(8)} ${(e.code ?? '').padEnd(20)} ${e.reason}`);
    if (result.error_count > 50) lines.push(`… and ${result.error_count - 50} more`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  let args: ImportArgs;
  try {
    args = parseImportArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`import:assets: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (!fs.existsSync(args.file)) {
    console.error(`import:assets: no such file ${args.file}`);
    process.exit(2);
  }
  let text: string;
  try {
    text = decodeImportFile(fs.readFileSync(args.file));
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    console.error(`import:assets: ${err.message}`);
    process.exit(1);
  }
  const format = args.format ?? detectFormat(path.basename(args.file), undefined, text.slice(0, 2000));
  const config = parseConfig(process.env, []);
  let db: Db;
  try {
    db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DatabaseSetupError) {
      console.error(`import:assets: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  let bar: cliProgress.SingleBar | undefined;
  let barPhase: ImportPhase | undefined;
  try {
    await migrate(db);
    const result = await importAssets(db, text, {
      format,
      crs: args.crs,
      skipInvalid: args.skipInvalid,
      dryRun: args.dryRun,
      onProgress: (phase, done, total) => {
        if (phase !== barPhase) {
          bar?.stop();
          barPhase = phase;
          bar = new cliProgress.SingleBar(
            { format: `${phase.padEnd(8)} {bar} {percentage}% | {value}/{total} | {duration_formatted}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done);
        } else bar?.update(done);
      },
    });
    bar?.stop();
    console.log(`\n${formatImport(result, args.file)}`);
    if (result.error_count && !args.skipInvalid && !args.dryRun) {
      console.error('\nNothing was imported: fix the rows above (or run with --skip-invalid).');
      process.exitCode = 1;
    }
  } catch (err) {
    bar?.stop();
    if (err instanceof DomainError) {
      console.error(`import:assets: ${err.message}`);
      process.exitCode = 1;
    } else throw err;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('import:assets failed:', err);
    process.exit(1);
  });
}
