// The shipped apps against a server that renumbers a folder behind a dropped
// connection or lists it short (the scripted server): no message deleted on
// stale UIDs or because of a short listing, the partial exit code, and once
// the server is well again, every message exactly once on each side.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import type { RunSummary } from '../../src/contrib/cli/summary.js';
import type { MigrateSummary } from '../../src/apps/migrate/summary.js';
import { describeAppRun, startApp, type AppRun } from '../support/cli-run.js';
import { omitRows } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { readLocalMaildir } from '../mirror/support.js';

const TIMEOUT = 90_000;
const message = (n: number): string => `Subject: m${n}\r\nMessage-ID: <m${n}@distrust.test>\r\n\r\nbody ${n}\r\n`;

let server: ScriptedImapServer;
let root: string;

beforeEach(async () => {
  server = await startScriptedImap({
    folders: [{ name: 'INBOX', messages: [1, 2, 3].map((n) => ({ body: message(n) })) }],
  });
  root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-distrust-'));
});

afterEach(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Subjects in a server's INBOX, sorted. */
function serverSubjects(on: ScriptedImapServer = server): string[] {
  return (on.account.snapshot().INBOX ?? []).map((m) => /Subject: (\w+)/.exec(m.body.toString())![1]!).sort();
}

function localSubjects(): string[] {
  return (readLocalMaildir(path.join(root, 'Maildir')).get('INBOX') ?? []).map((m) => /<(\w+)@/.exec(m.id)![1]!).sort();
}

function run<S>(app: string, args: string[]): Promise<AppRun<S>> {
  return startApp<S>(app, [...args, '--state-dir', path.join(root, 'state'), '--json'], { env: { PW_ALICE: 'alice-pw' }, timeoutMs: TIMEOUT }).done;
}

function maildirApp(app: 'mirror' | 'sync'): () => Promise<AppRun<RunSummary>> {
  return () => run<RunSummary>(app, ['--remote', server.url('alice'), '--password-env', 'PW_ALICE', '--maildir', path.join(root, 'Maildir')]);
}

/** Nothing written outside the Maildir and the state directory. */
function expectOnlyOwnFiles(): void {
  expect(readdirSync(root).sort()).toEqual(['Maildir', 'state'].filter((name) => readdirSync(root).includes(name)));
}

describe('a renumbering behind a dropped connection', () => {
  it('sync never expunges a message with a UID from before the renumbering; a rerun re-pairs by identity', async () => {
    const sync = maildirApp('sync');
    const first = await sync();
    expect(first.code, describeAppRun(first)).toBe(ExitCode.OK);
    expect(localSubjects()).toEqual(['m1', 'm2', 'm3']);

    // The user deletes m1 locally: the next sync plans to expunge UID 1 on the server.
    const local = readLocalMaildir(path.join(root, 'Maildir')).get('INBOX')!.find((m) => m.id.startsWith('<m1@'))!;
    rmSync(path.join(root, 'Maildir', local.file));
    // Just then the server renumbers INBOX (reversed: UID 1 is now m3) and the connection drops.
    server.script.on(
      'UID STORE',
      (ctx) => {
        ctx.account.renumber('INBOX');
        ctx.drop();
      },
      { times: 1 },
    );
    const second = await sync();
    expect(second.code, describeAppRun(second)).toBe(ExitCode.PARTIAL);
    expect(JSON.stringify(second.summary?.errors)).toMatch(/renumbered/);
    expect(serverSubjects()).toEqual(['m1', 'm2', 'm3']);
    expectOnlyOwnFiles();

    server.script.clear();
    const third = await sync();
    expect(third.code, describeAppRun(third)).toBe(ExitCode.OK);
    // Re-paired by identity, the local deletion reaches m1 itself on the server; m3, which took UID 1, stays.
    expect(serverSubjects()).toEqual(['m2', 'm3']);
    expect(localSubjects()).toEqual(['m2', 'm3']);
  });

  it('migrate --delete-source never deletes a message that was not migrated; a rerun finishes the migration', async () => {
    const target = await startScriptedImap();
    const migrate = () => run<MigrateSummary>('migrate', ['--from', server.url('alice'), '--from-password-env', 'PW_ALICE', '--to', target.url('alice'), '--to-password-env', 'PW_ALICE', '--delete-source']);
    // When the source messages verified on the target are about to be deleted, a new message m4 arrives,
    // the server renumbers INBOX (reversed: m4 takes UID 1) and the connection drops.
    server.script.on(
      'UID STORE',
      (ctx) => {
        ctx.account.addMessage('INBOX', { body: message(4) });
        ctx.account.renumber('INBOX');
        ctx.drop();
      },
      { times: 1 },
    );
    try {
      const first = await migrate();
      expect(first.code, describeAppRun(first)).toBe(ExitCode.PARTIAL);
      expect(JSON.stringify(first.summary?.errors)).toMatch(/renumbered/);
      expect(serverSubjects()).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect(serverSubjects(target)).toEqual(['m1', 'm2', 'm3']);
      expectOnlyOwnFiles();

      server.script.clear();
      const second = await migrate();
      expect(second.code, describeAppRun(second)).toBe(ExitCode.OK);
      expect(serverSubjects(target)).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect(serverSubjects()).toEqual([]);
    } finally {
      await target.stop();
    }
  });
});

describe('a short listing', () => {
  for (const app of ['mirror', 'sync'] as const) {
    it(`${app}: deletes nothing locally, exits partial naming the folder; healed, every message exactly once`, async () => {
      // Without CONDSTORE/QRESYNC every scan is a full listing.
      server.capabilities = withoutCapabilities('CONDSTORE', 'QRESYNC');
      const runApp = maildirApp(app);
      const first = await runApp();
      expect(first.code, describeAppRun(first)).toBe(ExitCode.OK);
      expect(localSubjects()).toEqual(['m1', 'm2', 'm3']);

      // EXISTS says 4 (a new message), and the listing leaves out m2.
      server.account.addMessage('INBOX', { body: message(4) });
      server.script.on('UID FETCH', omitRows((row) => row.seq === 2), { when: (ctx) => ctx.session.selected?.folder.name === 'INBOX' });
      const short = await runApp();
      expect(short.code, describeAppRun(short)).toBe(ExitCode.PARTIAL);
      expect(JSON.stringify(short.summary?.errors)).toMatch(/INBOX.*incomplete.*3 of the 4 messages/);
      expect(localSubjects()).toEqual(['m1', 'm2', 'm3']);
      expect(serverSubjects()).toEqual(['m1', 'm2', 'm3', 'm4']);
      expectOnlyOwnFiles();

      server.script.clear();
      const healed = await runApp();
      expect(healed.code, describeAppRun(healed)).toBe(ExitCode.OK);
      expect(localSubjects()).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect(serverSubjects()).toEqual(['m1', 'm2', 'm3', 'm4']);
    });
  }
});
