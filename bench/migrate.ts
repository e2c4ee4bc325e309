// One `imapfw migrate` run from one account of the test Dovecot to another.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { imapfwCommand } from './imapfw-command.js';
import { nextLogBase, PASSWORD_ENV, type Account, type Run } from './contenders.js';
import { measure } from './measure.js';

/** What `imapfw migrate --json` prints (the fields the bench reads). */
export interface MigrateSummary {
  transferred: number;
  bytes: number;
  seconds: number;
  complete: boolean;
}

export interface MigrationRun extends Run {
  migrateSummary?: MigrateSummary;
}

const TO_PASSWORD_ENV = 'IMAPFW_BENCH_TO_PASSWORD';

/** Throws unless the run reports a complete migration. */
export async function runMigration(imapfwBin: string, from: Account, to: Account, dir: string, connections: number): Promise<MigrationRun> {
  await mkdir(dir, { recursive: true });
  const logBase = nextLogBase(dir, 'imapfw');
  const args = [
    'migrate', '--from', from.server.url(from.user), '--to', to.server.url(to.user),
    '--from-password-env', PASSWORD_ENV, '--to-password-env', TO_PASSWORD_ENV,
    '--state-dir', path.join(dir, 'state'), '--max-connections', String(connections), '--json',
  ];
  const measured = await measure(...imapfwCommand(imapfwBin, args), { env: { ...process.env, [PASSWORD_ENV]: from.password, [TO_PASSWORD_ENV]: to.password }, logBase });
  const run: MigrationRun = { tool: 'imapfw', ...measured };
  try {
    run.migrateSummary = JSON.parse(measured.stdout) as MigrateSummary;
  } catch {
    // no summary: reported below
  }
  if (measured.exitCode !== 0 || run.migrateSummary?.complete !== true) {
    const stderr = (await readFile(`${logBase}.err`, 'utf8')).trim().split('\n').slice(-15).join('\n');
    throw new Error(`imapfw migrate failed (exit ${measured.exitCode}) to ${to.user}:\n${measured.stdout.trim()}\n${stderr}`);
  }
  return run;
}
