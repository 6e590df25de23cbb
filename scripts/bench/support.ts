/** What the benchmarks share: their command-line numbers and their scratch database. */
import knexFactory from 'knex';

/** A number given on the command line as `--name N`, or the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Create the bench database when it does not exist. */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bench database name ${name} must be a plain identifier`);
  u.pathname = '/postgres';
  const admin = knexFactory({ client: 'pg', connection: u.toString(), pool: { min: 0, max: 1 } });
  try {
    const { rows } = await admin.raw('select 1 from pg_database where datname = ?', [name]);
    if (rows.length === 0) await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
}
