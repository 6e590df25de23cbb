/**
 * Create a user in the configured database (outside demo mode there are no default accounts).
 *   npm run user:add -- --username ops --role admin --scope 210103007 [--name "Command centre"] [--department police]
 * The password is read from the GRIDWORK_PASSWORD environment variable, or asked for on the terminal.
 */
import { parseArgs } from 'node:util';
import readline from 'node:readline/promises';
import { passwordProblem } from '../server/auth/password_policy.js';
import { hashPassword } from '../server/auth/service.js';
import { insertUser, ROLES, type Role } from '../server/auth/store.js';
import { parseConfig } from '../server/config.js';
import { openDatabase } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';

/** Ask for the password without echoing it. */
async function askPassword(): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => {
    if (s.startsWith('Password')) write.call(rl, s);
  };
  const password = await rl.question('Password: ');
  rl.close();
  process.stdout.write('\n');
  return password;
}

const { values } = parseArgs({
  options: {
    username: { type: 'string' },
    role: { type: 'string' },
    scope: { type: 'string', multiple: true, default: [] },
    name: { type: 'string' },
    department: { type: 'string' },
  },
});
if (!values.username || !values.role || !ROLES.includes(values.role as Role)) {
  console.error(`usage: npm run user:add -- --username NAME --role ${ROLES.join('|')} --scope AREA_CODE [--scope …] [--name "Display name"] [--department CODE]`);
  process.exit(2);
}
const password = process.env.GRIDWORK_PASSWORD ?? (await askPassword());
const weak = passwordProblem(password, [values.username, values.name ?? '']);
if (weak) {
  console.error(weak);
  process.exit(2);
}
const config = parseConfig();
const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
try {
  await migrate(db);
  const unknown = [];
  for (const code of values.scope) {
    if (!(await db.knex('areas').where({ code }).whereNull('valid_to').first('id'))) unknown.push(code);
  }
  if (unknown.length) throw new Error(`no area in force has the code ${unknown.join(', ')}; list them with GET /api/areas`);
  if (await db.knex('users').where({ username: values.username }).first('id')) throw new Error(`the user ${values.username} exists already`);
  const id = await insertUser(db.knex, {
    username: values.username,
    password_hash: await hashPassword(password),
    display_name: values.name ?? values.username,
    role: values.role as Role,
    department_code: values.department ?? null,
    scope: values.scope,
  });
  console.log(`created user ${values.username} (id ${id}, role ${values.role}, scope ${values.scope.join(', ') || 'none'})`);
} catch (err) {
  console.error(`gridwork: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
