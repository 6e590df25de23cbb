import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Run `npm run user:add` with a password, on a database directory of its own. */
function addUser(password: string, username = 'ops') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-user-add-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/add_user.ts', '--username', username, '--role', 'admin', '--scope', '210103007'], {
    env: { ...process.env, GRIDWORK_PASSWORD: password, DATA_DIR: dataDir, DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  return run;
}

describe('npm run user:add', () => {
  it('refuses a guessable password before touching the database, saying what makes a good one', () => {
    for (const password of ['1234567890', 'qwertyuiop', 'password1234', 'ops-ops-ops-ops']) {
      const run = addUser(password);
      expect(run.status, password).toBe(2);
      expect(run.stderr, password).toMatch(/too easy to guess|at least 10 characters/);
    }
  });
});
