// Scenario helpers for "distrust the server": the shipped apps as child
// processes against the scripted IMAP server, and the standard check —
// no file outside the Maildir and state dir, a bounded run, the right exit
// code and message, and every message exactly once on each side.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { MigrateSummary } from '../../src/apps/migrate/summary.js';
import type { RunSummary } from '../../src/contrib/cli/summary.js';
import { describeAppRun, startApp, type AppRun } from '../support/cli-run.js';
import type { ScriptedImapServer } from '../support/scripted-imap/index.js';
import { messageIdOf, readLocalMaildir } from '../mirror/support.js';

export interface ScenarioDirs {
  /** The run's working directory; only `maildir` and `state` may hold files after a run. */
  root: string;
  maildir: string;
  state: string;
  /** HOME of the run, inside root: anything written there is a stray file. */
  home: string;
  remove(): void;
}

export function scenarioDirs(): ScenarioDirs {
  const root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-distrust-'));
  const dirs = { root, maildir: path.join(root, 'Maildir'), state: path.join(root, 'state'), home: path.join(root, 'home') };
  mkdirSync(dirs.home);
  return { ...dirs, remove: () => rmSync(root, { recursive: true, force: true }) };
}

const PASSWORD_ENV = 'IMAPFW_DISTRUST_PW';
/** A run that outlives this is a hang: killed, and the test fails on its signal. */
export const RUN_LIMIT_MS = 120_000;
/** A scenario's vitest timeout: a few CLI runs, each starting workers on a loaded machine (about 20 s each). */
export const SCENARIO_TIMEOUT = 600_000;

function runEnv(dirs: ScenarioDirs, extra: Record<string, string>): Record<string, string> {
  // TMPDIR stays: the CLI's TypeScript loader keeps its compile cache there.
  return { HOME: dirs.home, XDG_STATE_HOME: path.join(dirs.home, '.local/state'), XDG_CONFIG_HOME: path.join(dirs.home, '.config'), ...extra };
}

/** `imapfw mirror|sync --json` on the scripted server's account (alice). */
export function runLocalApp(app: 'mirror' | 'sync', server: ScriptedImapServer, dirs: ScenarioDirs, args: string[] = []): Promise<AppRun<RunSummary>> {
  return startApp<RunSummary>(
    app,
    ['--remote', server.url('alice'), '--maildir', dirs.maildir, '--password-env', PASSWORD_ENV, '--state-dir', dirs.state, '--json', ...args],
    { env: runEnv(dirs, { [PASSWORD_ENV]: server.users.alice! }), timeoutMs: RUN_LIMIT_MS, cwd: dirs.root },
  ).done;
}

/** `imapfw migrate --json` from one scripted server's alice to another's (no Maildir: `dirs.maildir` stays absent). */
export function runMigrateScripted(from: ScriptedImapServer, to: ScriptedImapServer, dirs: ScenarioDirs, args: string[] = []): Promise<AppRun<MigrateSummary>> {
  return startApp<MigrateSummary>(
    'migrate',
    ['--from', from.url('alice'), '--from-password-env', 'IMAPFW_FROM_PW', '--to', to.url('alice'), '--to-password-env', 'IMAPFW_TO_PW', '--state-dir', dirs.state, '--json', ...args],
    { env: runEnv(dirs, { IMAPFW_FROM_PW: from.users.alice!, IMAPFW_TO_PW: to.users.alice! }), timeoutMs: RUN_LIMIT_MS, cwd: dirs.root },
  ).done;
}

/** Files under `dirs.root` outside the Maildir and the state dir (relative paths). */
export function strayFiles(dirs: ScenarioDirs): string[] {
  const allowed = [dirs.maildir, dirs.state];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (allowed.includes(full)) continue;
      if (entry.isDirectory()) walk(full);
      else found.push(path.relative(dirs.root, full));
    }
  };
  walk(dirs.root);
  return found;
}

/**
 * The standard check of one run: it ended by itself (not killed as a hang),
 * with `code`, a summary, a message matching `message` when given, and no
 * file outside the Maildir and the state dir.
 */
export function expectRun(run: AppRun<{ errors: { message: string }[] } & object>, dirs: ScenarioDirs, code: number, message?: RegExp): void {
  const why = describeAppRun(run);
  expect(run.signal, why).toBeNull();
  expect(run.code, why).toBe(code);
  expect(run.summary, why).toBeDefined();
  if (message) expect(`${JSON.stringify(run.summary)}\n${run.stderr}`, why).toMatch(message);
  expect(strayFiles(dirs), why).toEqual([]);
}

/** Message identities (Message-ID) per folder on the scripted server, sorted; duplicates stay. */
export function serverIds(server: ScriptedImapServer): Record<string, string[]> {
  return Object.fromEntries(Object.entries(server.account.snapshot()).map(([folder, messages]) => [folder, messages.map((m) => messageIdOf(m.body) ?? '?').sort()]));
}

/** Message identities per folder in the Maildir, sorted (INBOX and '/'-separated names). */
export function maildirIds(maildir: string): Record<string, string[]> {
  return Object.fromEntries([...readLocalMaildir(maildir)].map(([folder, messages]) => [folder, messages.map((m) => m.id).sort()]));
}

/** Every identity once: no folder holds one twice. */
export function expectEachOnce(ids: Record<string, string[]>, where: string): void {
  for (const [folder, list] of Object.entries(ids)) expect(list, `${where} ${folder}`).toEqual([...new Set(list)]);
}

let counter = 0;

/** A CRLF message with a unique Message-ID; `tag` shows in the subject and the id. */
export function mail(tag: string, body = `Body of ${tag}.`): Buffer {
  counter += 1;
  const id = `<${tag.replace(/[^\w.-]/g, '_')}.${counter}.${process.pid}@distrust.test>`;
  return Buffer.from(
    [`From: Alice <alice@example.org>`, `To: Bob <bob@example.org>`, `Subject: ${tag}`, `Date: Mon, 15 Jan 2024 10:30:00 +0000`, `Message-ID: ${id}`, '', body, ''].join('\r\n'),
  );
}

/** The Message-ID of a message made by `mail`. */
export function idOf(body: Buffer): string {
  return messageIdOf(body)!;
}
