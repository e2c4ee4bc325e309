// The shipped apps against servers that refuse, drop or rewrite what they
// are given (the scripted server): a refused message fails alone, by name;
// a message stored a little differently is still recognised, so a lost
// state or a rerun copies nothing twice; a copy the server dropped is
// copied again; and after the server is made well, every message is on
// each side exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { identityFromBody } from '../../src/core/identity.js';
import type { MigrateSummary } from '../../src/apps/migrate/summary.js';
import { describeAppRun, startApp, type AppRun } from '../support/cli-run.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { addFinalCrlf, appendNotStored, refuse, refuseBareNewlines, rewrite8bitHeaders, storeDifferently } from '../support/scripted-imap/misbehaviours.js';
import { dropLocal, localFiles, syncDirs, type SyncDirs, type SyncRun, type SyncSummary } from '../sync-app/support.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);

/** Mail as mutt or procmail writes it: bare LF, often no final line break, raw 8-bit headers; one without Message-ID. */
function unixMail(tag: string, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const id = i === 2 ? '' : `Message-ID: <${tag}.${i}@unix.example>\n`;
    const subject = i % 2 ? `Gr\xfc\xdfe ${tag} ${i}` : `${tag} ${i}`;
    return Buffer.from(`From: J\xf6rg <j@x.example>\nDate: Mon, 15 Jan 2024 10:3${i}:00 +0000\nSubject: ${subject}\n${id}\nline one\nline two ${i}${i % 3 ? '' : '\n'}`, 'latin1');
  });
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scripted(capabilities?: string[]): Promise<ScriptedImapServer> {
  const server = await startScriptedImap(capabilities ? { capabilities } : {});
  cleanups.push(() => server.stop());
  return server;
}

function dirs(): SyncDirs {
  const made = syncDirs();
  cleanups.push(() => made.remove());
  return made;
}

function sync(server: ScriptedImapServer, where: SyncDirs, args: string[] = []): Promise<SyncRun> {
  return startApp<SyncSummary>(
    'sync',
    ['--remote', server.url('alice'), '--maildir', where.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', where.state, '--json', ...args],
    { env: { IMAPFW_TEST_PW: server.users.alice! }, timeoutMs: 120_000 },
  ).done;
}

function migrate(from: ScriptedImapServer, to: ScriptedImapServer, state: string): Promise<AppRun<MigrateSummary>> {
  return startApp<MigrateSummary>(
    'migrate',
    ['--from', from.url('alice'), '--from-password-env', 'FROM_PW', '--to', to.url('alice'), '--to-password-env', 'TO_PW', '--state-dir', state, '--json'],
    { env: { FROM_PW: from.users.alice!, TO_PW: to.users.alice! }, timeoutMs: 120_000 },
  ).done;
}

/** The identities of a server folder's messages, sorted: each message of a folder exactly once means no repeats. */
function serverIdentities(server: ScriptedImapServer, folder = 'INBOX'): string[] {
  return server.account.get(folder).messages.map((m) => identityFromBody(m.body).identity).sort();
}

function localIdentities(where: SyncDirs): string[] {
  return localFiles(where.maildir, 'INBOX')
    .map((file) => identityFromBody(readFileSync(file.path)).identity)
    .sort();
}

/** No file outside the Maildir and the state directory. */
function expectOnlyMaildirAndState(where: SyncDirs): void {
  for (const name of readdirSync(where.root)) expect(['Maildir', 'state', 'state-lost']).toContain(name);
  for (const name of readdirSync(where.state)) expect(name).toMatch(/\.sqlite(-wal|-shm|\.lock)?$/);
}

describe('sync uploading to a server that refuses or rewrites', () => {
  it('uploads bare-LF mail to a server that refuses bare newlines (sent as CRLF)', async () => {
    const server = await scripted();
    server.script.on('APPEND', refuseBareNewlines());
    const where = dirs();
    const mail = unixMail('lf', 5);
    dropLocal(where.maildir, 'INBOX', mail.map((raw) => ({ raw })));
    const run = await sync(server, where);
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, skipped: [] });
    expect(serverIdentities(server)).toEqual(mail.map((m) => identityFromBody(m).identity).sort());
    const again = await sync(server, where);
    expect(again.summary).toMatchObject({ copied: 0, complete: true });
    expectOnlyMaildirAndState(where);
  });

  it('a NO on one message of a batch fails that message alone, by name; the rest is uploaded; well again, the rerun finishes', async () => {
    const server = await scripted();
    server.script.on('APPEND', refuse('[OVERQUOTA] Quota exceeded (mailbox for user is full)'), { nth: 3 });
    const where = dirs();
    const mail = unixMail('no', 5);
    dropLocal(where.maildir, 'INBOX', mail.map((raw) => ({ raw })));
    const run = await sync(server, where);
    expect(run.code, describeAppRun(run)).toBe(1);
    expect(run.summary!.complete).toBe(false);
    expect(run.summary!.skipped, describeAppRun(run)).toEqual([{ folder: 'INBOX', id: expect.any(String), reason: expect.stringMatching(/not copied to "INBOX": .*Quota exceeded/) }]);
    expect(server.account.get('INBOX').messages).toHaveLength(4);

    server.script.clear();
    const again = await sync(server, where);
    expect(again.code, describeAppRun(again)).toBe(0);
    expect(again.summary).toMatchObject({ complete: true, skipped: [] });
    expect(serverIdentities(server)).toEqual(mail.map((m) => identityFromBody(m).identity).sort());
    expect(localIdentities(where)).toEqual(serverIdentities(server));
    expectOnlyMaildirAndState(where);
  });

  it('without UIDPLUS, on a server that adds a final CRLF and rewrites 8-bit headers: found again, and a lost state copies nothing twice', async () => {
    const server = await scripted(withoutCapabilities('UIDPLUS'));
    server.script.on('APPEND', storeDifferently((body) => rewrite8bitHeaders(addFinalCrlf(body))));
    const where = dirs();
    const mail = unixMail('norm', 6);
    dropLocal(where.maildir, 'INBOX', mail.map((raw) => ({ raw })));
    const run = await sync(server, where);
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, skipped: [] });
    expect(run.summary!.copied).toBe(6);
    const again = await sync(server, where);
    expect(again.code, describeAppRun(again)).toBe(0);
    expect(again.summary).toMatchObject({ copied: 0, complete: true });

    const lost = { ...where, state: `${where.state}-lost` };
    const rebuilt = await sync(server, lost);
    expect(rebuilt.code, describeAppRun(rebuilt)).toBe(0);
    expect(rebuilt.summary).toMatchObject({ copied: 0, complete: true });
    expect(server.account.get('INBOX').messages).toHaveLength(6);
    expect(localIdentities(where)).toEqual(serverIdentities(server));
  });
});

describe('migrate to a server that drops or rewrites', () => {
  async function seeded(): Promise<ScriptedImapServer> {
    const source = await scripted();
    for (const [i, body] of unixMail('mig', 6).entries()) {
      // A source server keeps what it was given: LF, no final line break, raw 8-bit.
      source.account.addMessage('INBOX', { body, flags: i % 2 ? ['\\Seen'] : [], internalDate: new Date(T0 + i * 1000) });
    }
    return source;
  }

  it('a copy answered OK but never stored is named, then copied by the rerun: COMPLETE, once', async () => {
    const source = await seeded();
    const target = await scripted();
    target.script.on('APPEND', appendNotStored(), { nth: 2 });
    const state = dirs().state;
    const run = await migrate(source, target, state);
    expect(run.code, describeAppRun(run)).toBe(1);
    expect(run.summary!.complete).toBe(false);
    expect(run.summary!.skipped).toEqual([expect.objectContaining({ folder: 'INBOX', reason: expect.stringMatching(/answered OK but the message is not in "INBOX"/) })]);

    target.script.clear();
    const again = await migrate(source, target, state);
    expect(again.code, describeAppRun(again)).toBe(0);
    expect(again.summary).toMatchObject({ complete: true, transferred: 1 });
    expect(serverIdentities(target)).toEqual(serverIdentities(source));
  });

  it('to a target without UIDPLUS that adds a final CRLF and rewrites 8-bit headers: verified COMPLETE, and a lost state copies nothing again', async () => {
    const source = await seeded();
    const target = await scripted(withoutCapabilities('UIDPLUS'));
    target.script.on('APPEND', storeDifferently((body) => rewrite8bitHeaders(addFinalCrlf(body))));
    const state = dirs().state;
    const run = await migrate(source, target, state);
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, transferred: 6, verified: { missing: 0 } });
    const again = await migrate(source, target, state);
    expect(again.summary).toMatchObject({ complete: true, transferred: 0 });
    const lost = await migrate(source, target, `${state}-lost`);
    expect(lost.code, describeAppRun(lost)).toBe(0);
    expect(lost.summary).toMatchObject({ complete: true, transferred: 0, alreadyPresent: 6 });
    expect(serverIdentities(target)).toEqual(serverIdentities(source));
  });
});
