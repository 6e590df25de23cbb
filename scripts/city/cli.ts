/** The command line of generate:city: flags, progress bars and the final summary. */
import cliProgress from 'cli-progress';
import { parseConfig } from '../../server/config.js';
import { DatabaseSetupError, openDatabase, type Db } from '../../server/db/connect.js';
import { migrate } from '../../server/db/migrate.js';
import { CITY_PREFIX, type CityOptions } from './plan.js';
import { CityExistsError, PHASES, generateCity, type CityResult, type Phase } from './write.js';

/** Seed used when `--seed` is not given. */
export const DEFAULT_SEED = 1;

/** Command-line options after validation. */
export interface CityArgs extends CityOptions {
  replace: boolean;
  help: boolean;
}

const USAGE = `usage: npm run generate:city -- [--grids N] [--assets N] [--seed S] [--replace]
  --grids N    grids to generate (default 10000; ~100 per office, ~10 per community)
  --assets N   point assets to generate (default 1000000)
  --seed S     seed of the generator, a non-negative integer (default ${DEFAULT_SEED}); same seed, same city
  --replace    delete a previous synthetic city first (rows with codes starting ${CITY_PREFIX} only)
Writes into DATABASE_URL when set, else the embedded database under DATA_DIR (default ./.data).`;

/** The flags were wrong; the message says which and how. */
export class UsageError extends Error {}

/** Parse and validate the command-line flags. */
export function parseCityArgs(argv: string[]): CityArgs {
  const out: CityArgs = { grids: 10_000, assets: 1_000_000, seed: DEFAULT_SEED, replace: false, help: false };
  const integer = (flag: string, value: string | undefined, min: number, max: number): number => {
    if (value === undefined || !/^\d+$/.test(value.replace(/_/g, ''))) {
      throw new UsageError(`${flag} needs a whole number, got ${value === undefined ? 'nothing' : `"${value}"`} (e.g. ${flag} ${min === 0 ? 42 : 10000})`);
    }
    const n = Number(value.replace(/_/g, ''));
    if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--grids':
        out.grids = integer(flag, value(), 1, 1_000_000);
        break;
      case '--assets':
        out.assets = integer(flag, value(), 1, 100_000_000);
        break;
      case '--seed':
        out.seed = integer(flag, value(), 0, 2 ** 32 - 1);
        break;
      case '--replace':
        out.replace = true;
        break;
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${argv[i]}"`);
    }
  }
  return out;
}

/** The final summary as an aligned text table. */
export function formatSummary(result: CityResult, args: CityOptions): string {
  const rows: [string, string][] = [
    ['database', result.kind === 'postgis' ? 'native PostgreSQL + PostGIS' : 'embedded PGlite + PostGIS'],
    ['seed', String(args.seed)],
    ['offices', result.offices.toLocaleString('en')],
    ['communities', result.communities.toLocaleString('en')],
    ['grids', result.grids.toLocaleString('en')],
    ['staff (chiefs)', result.staff.toLocaleString('en')],
    ['assets', result.assets.toLocaleString('en')],
    ['assets verified', `${result.verifiedAssets.toLocaleString('en')} sampled, all in their grid`],
    ...PHASES.map((p): [string, string] => [`time: ${p}`, `${result.seconds[p].toFixed(1)} s`]),
    ['time: total', `${result.totalSeconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Run from the command line: parse flags, open and migrate the database, generate with progress bars, print the summary. */
export async function main(): Promise<void> {
  let args: CityArgs;
  try {
    args = parseCityArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`generate:city: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const config = parseConfig(process.env, []);
  if (!config.databaseUrl) console.log(`Opening the embedded database in ${config.dataDir} (its first start takes a while)`);
  let db: Db;
  try {
    db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DatabaseSetupError) {
      console.error(`generate:city: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const where = db.kind === 'postgis' ? 'DATABASE_URL' : `embedded database in ${config.dataDir}`;
  console.log(`Generating ${args.grids.toLocaleString('en')} grids and ${args.assets.toLocaleString('en')} assets (seed ${args.seed}) into ${where}`);
  let bar: cliProgress.SingleBar | undefined;
  let barPhase: Phase | undefined;
  try {
    await migrate(db);
    const result = await generateCity(db, {
      ...args,
      onProgress: ({ phase, done, total }) => {
        if (phase !== barPhase) {
          bar?.stop();
          barPhase = phase;
          bar = new cliProgress.SingleBar(
            { format: `${phase.padEnd(8)} {bar} {percentage}% | {value}/{total} | {duration_formatted} | ETA {eta_formatted}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done);
        } else {
          bar?.update(done);
        }
      },
    });
    bar?.stop();
    console.log(`\n${formatSummary(result, args)}`);
  } catch (err) {
    bar?.stop();
    if (err instanceof CityExistsError) {
      console.error(`generate:city: ${err.message}`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  } finally {
    await db.close();
  }
}
