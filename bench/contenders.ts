// The two contenders, run the same way: one directory per mirror holding the
// Maildir and the tool's state (imapfw: --state-dir; mbsync: its config, and
// SyncState * keeps its state inside the Maildir).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DovecotServer } from '../test/support/dovecot.js';
import { measure, type Measurement } from './measure.js';
import { mbsyncConfig } from './mbsync.js';

export const TOOLS = ['imapfw', 'mbsync'] as const;
export type Tool = (typeof TOOLS)[number];

export interface Account {
  server: DovecotServer;
  user: string;
  password: string;
}

export interface Mirror {
  tool: Tool;
  account: Account;
  dir: string;
  maildir: string;
}

/** What `imapfw mirror --json` prints (the fields the bench reads). */
export interface ImapfwSummary {
  copied: number;
  flagsChanged: number;
  bytes: number;
  seconds: number;
  complete: boolean;
  errors: unknown[];
}

export interface Run extends Measurement {
  tool: Tool;
  summary?: ImapfwSummary;
}

const PASSWORD_ENV = 'IMAPFW_BENCH_PASSWORD';

export async function newMirror(tool: Tool, account: Account, dir: string): Promise<Mirror> {
  const maildir = path.join(dir, 'Maildir');
  await mkdir(dir, { recursive: true });
  if (tool === 'mbsync') {
    const { server, user, password } = account;
    await writeFile(path.join(dir, 'mbsyncrc'), mbsyncConfig({ host: server.host, port: server.port, user, password, maildir }), { mode: 0o600 });
  }
  return { tool, account, dir, maildir };
}

let runs = 0;

/** One measured run; throws unless the tool reports success. Logs stay in the mirror's directory. */
export async function runMirror(mirror: Mirror, imapfwBin: string): Promise<Run> {
  const logBase = path.join(mirror.dir, `run-${++runs}-${mirror.tool}`);
  const { server, user, password } = mirror.account;
  const measured =
    mirror.tool === 'imapfw'
      ? await measure(
          process.execPath,
          [imapfwBin, 'mirror', '--remote', server.url(user), '--maildir', mirror.maildir, '--password-env', PASSWORD_ENV, '--state-dir', path.join(mirror.dir, 'state'), '--json'],
          { env: { ...process.env, [PASSWORD_ENV]: password }, logBase },
        )
      : await measure('mbsync', ['-c', path.join(mirror.dir, 'mbsyncrc'), '-a'], { logBase });
  const run: Run = { tool: mirror.tool, ...measured };
  if (mirror.tool === 'imapfw') {
    try {
      run.summary = JSON.parse(measured.stdout) as ImapfwSummary;
    } catch {
      // no summary: reported below with the exit code and the end of stderr
    }
  }
  if (measured.exitCode !== 0 || (mirror.tool === 'imapfw' && run.summary?.complete !== true)) {
    const stderr = (await readFile(`${logBase}.err`, 'utf8')).trim().split('\n').slice(-15).join('\n');
    throw new Error(`${mirror.tool} failed (exit ${measured.exitCode}) on ${mirror.maildir}:\n${measured.stdout.trim()}\n${stderr}`);
  }
  return run;
}
