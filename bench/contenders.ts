// The two contenders, run the same way: one directory per mirror holding the
// Maildir and the tool's state (imapfw: --state-dir; mbsync: its config, and
// SyncState * keeps its state inside the Maildir).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { imapfwCommand } from './imapfw-command.js';
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
  /** `imapfw mirror` and mbsync `Sync Pull`, or `imapfw sync` and mbsync `Sync All`. */
  mode: 'mirror' | 'sync';
}

/** What `imapfw mirror --json` and `imapfw sync --json` print (the fields the bench reads). */
export interface ImapfwSummary {
  folders: number;
  /** Folders skipped on their checkpoints. */
  foldersUnchanged: number;
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

export const PASSWORD_ENV = 'IMAPFW_BENCH_PASSWORD';

export async function newMirror(tool: Tool, account: Account, dir: string, mode: Mirror['mode'] = 'mirror'): Promise<Mirror> {
  await mkdir(dir, { recursive: true });
  return { tool, account, dir, maildir: path.join(dir, 'Maildir'), mode };
}

let runs = 0;

/** The path of the next run's logs (.out, .err, .time) in `dir`. */
export function nextLogBase(dir: string, name: string): string {
  return path.join(dir, `run-${++runs}-${name}`);
}

/**
 * One run; throws unless the tool reports success. Logs stay in the mirror's
 * directory. `fsync: false` only for unmeasured set-up runs.
 */
export async function runMirror(mirror: Mirror, imapfwBin: string, { fsync = true } = {}): Promise<Run> {
  const logBase = nextLogBase(mirror.dir, mirror.tool);
  const { server, user, password } = mirror.account;
  let measured;
  if (mirror.tool === 'imapfw') {
    const args = [mirror.mode, '--remote', server.url(user), '--maildir', mirror.maildir, '--password-env', PASSWORD_ENV, '--state-dir', path.join(mirror.dir, 'state'), '--json'];
    measured = await measure(...imapfwCommand(imapfwBin, [...args, ...(fsync ? [] : ['--no-fsync'])]), { env: { ...process.env, [PASSWORD_ENV]: password }, logBase });
  } else {
    const config = path.join(mirror.dir, 'mbsyncrc');
    await writeFile(config, mbsyncConfig({ host: server.host, port: server.port, user, password, maildir: mirror.maildir, mode: mirror.mode, fsync }), { mode: 0o600 });
    measured = await measure('mbsync', ['-c', config, '-a'], { logBase });
  }
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
