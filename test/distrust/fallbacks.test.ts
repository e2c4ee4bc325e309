// Issue 10 item 14: servers without CONDSTORE/QRESYNC, MOVE or UIDPLUS are
// common; the fallbacks (full listing, COPY + EXPUNGE, new UIDs found by
// identity) keep every promise. Each scenario ends with the standard check.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { addFinalCrlf, addMessageId, omitRows, storeDifferently } from '../support/scripted-imap/misbehaviours.js';
import { readLocalMaildir } from '../mirror/support.js';
import { SCENARIO_TIMEOUT, expectEachOnce, expectRun, idOf, mail, maildirIds, runLocalApp, runMigrateScripted, scenarioDirs, serverIds, type ScenarioDirs } from './support.js';

const BARE = withoutCapabilities('CONDSTORE', 'QRESYNC', 'UIDPLUS', 'MOVE');

let servers: ScriptedImapServer[] = [];
let dirs: ScenarioDirs;

async function bareServer(folders: { name: string; messages?: { body: Buffer; flags?: string[] }[] }[] = [], delimiter: string | null = '.'): Promise<ScriptedImapServer> {
  const server = await startScriptedImap({ capabilities: BARE, delimiter, folders });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const server of servers) await server.stop();
  servers = [];
  dirs?.remove();
});

/** The server's folders with '/' as separator, as the Maildir side names them. */
function slashNames(ids: Record<string, string[]>, delimiter: string): Record<string, string[]> {
  return Object.fromEntries(Object.entries(ids).map(([folder, list]) => [folder.split(delimiter).join('/'), list]));
}

describe('without CONDSTORE/QRESYNC/UIDPLUS/MOVE', () => {
  it('mirror: the full listing carries new, changed and vanished messages', { timeout: SCENARIO_TIMEOUT }, async () => {
    const server = await bareServer([
      { name: 'INBOX', messages: [mail('in1'), mail('in2'), mail('in3')].map((body) => ({ body })) },
      { name: 'Work', messages: [{ body: mail('w1'), flags: ['\\Seen'] }] },
      { name: 'Work.Sub', messages: [{ body: mail('s1') }] },
    ]);
    dirs = scenarioDirs();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(slashNames(serverIds(server), '.'));

    const account = server.account;
    account.setFlags('INBOX', account.get('INBOX').messages[0]!, new Set(['\\Flagged']));
    account.expunge('INBOX', [account.get('INBOX').messages[1]!.uid]);
    account.addMessage('Work', { body: mail('w2') });
    const second = await runLocalApp('mirror', server, dirs);
    expectRun(second, dirs, ExitCode.OK);
    expect(second.summary).toMatchObject({ copied: 1, deleted: 1, flagsChanged: 1 });
    expect(maildirIds(dirs.maildir)).toEqual(slashNames(serverIds(server), '.'));
    expectEachOnce(maildirIds(dirs.maildir), 'Maildir');
  });

  it('mirror: a short full listing (EXISTS 3, two rows) deletes nothing and fails INBOX for the run', { timeout: SCENARIO_TIMEOUT }, async () => {
    const server = await bareServer([{ name: 'INBOX', messages: [mail('in1'), mail('in2'), mail('in3')].map((body) => ({ body })) }]);
    dirs = scenarioDirs();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);

    server.script.on('UID FETCH', omitRows((_row, i) => i === 0));
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.PARTIAL, /INBOX/);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));

    server.script.clear();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));
  });

  it('sync: local new messages are found again by identity, local deletions and server changes go through', { timeout: SCENARIO_TIMEOUT }, async () => {
    const server = await bareServer([{ name: 'INBOX', messages: [{ body: mail('a') }, { body: mail('b'), flags: ['\\Seen'] }] }]);
    dirs = scenarioDirs();
    expectRun(await runLocalApp('sync', server, dirs), dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));

    const fresh = mail('local');
    writeFileSync(path.join(dirs.maildir, 'new', `1700000000.distrust1.host`), fresh);
    const second = await runLocalApp('sync', server, dirs);
    expectRun(second, dirs, ExitCode.OK);
    expect(serverIds(server).INBOX).toContain(idOf(fresh));
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));

    // Third run: nothing to do, nothing doubled on either side.
    const third = await runLocalApp('sync', server, dirs);
    expectRun(third, dirs, ExitCode.OK);
    expect(third.summary!.copied).toBe(0);
    expectEachOnce(serverIds(server), 'server');
    expectEachOnce(maildirIds(dirs.maildir), 'Maildir');
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));
  });

  it('migrate: every message once on the target, a rerun transfers nothing, --delete-source empties the source', { timeout: SCENARIO_TIMEOUT }, async () => {
    const from = await bareServer([
      { name: 'INBOX', messages: [mail('m1'), mail('m2'), mail('m3')].map((body) => ({ body })) },
      { name: 'Work', messages: [{ body: mail('w1'), flags: ['\\Seen', 'project'] }] },
    ]);
    const to = await bareServer([], '/');
    dirs = scenarioDirs();
    const sourceIds = serverIds(from);

    const first = await runMigrateScripted(from, to, dirs);
    expectRun(first, dirs, ExitCode.OK);
    expect(first.summary!.complete).toBe(true);
    expect(serverIds(to)).toEqual(sourceIds);

    const second = await runMigrateScripted(from, to, dirs);
    expectRun(second, dirs, ExitCode.OK);
    expect(second.summary!.transferred).toBe(0);
    expect(serverIds(to)).toEqual(sourceIds);

    const third = await runMigrateScripted(from, to, dirs, ['--delete-source']);
    expectRun(third, dirs, ExitCode.OK);
    expect(serverIds(to)).toEqual(sourceIds);
    expect(Object.values(serverIds(from)).flat()).toEqual([]);
  });

  it('migrate to a target without UIDPLUS that adds a final CRLF: found again by identity, never appended twice', { timeout: SCENARIO_TIMEOUT }, async () => {
    const noFinalBreak = (tag: string): Buffer => Buffer.from(mail(tag).toString('latin1').replace(/\r\n$/, ''), 'latin1');
    const from = await bareServer([{ name: 'INBOX', messages: [noFinalBreak('n1'), noFinalBreak('n2'), mail('n3')].map((body) => ({ body })) }]);
    const to = await bareServer([], '/');
    to.script.on('APPEND', storeDifferently(addFinalCrlf));
    dirs = scenarioDirs();
    const sourceIds = serverIds(from);

    const first = await runMigrateScripted(from, to, dirs);
    expectRun(first, dirs, ExitCode.OK);
    const second = await runMigrateScripted(from, to, dirs);
    expectRun(second, dirs, ExitCode.OK);
    expect(second.summary).toMatchObject({ transferred: 0, complete: true });
    expect(to.commands('APPEND')).toHaveLength(3);
    expect(serverIds(to)).toEqual(sourceIds);
  });

  // Issue 10 item 11: a copy that cannot be found again is never copied again blindly.
  it('migrate to a target without UIDPLUS that adds a Message-ID: the copy it cannot find again is not appended again, and is reported', { timeout: SCENARIO_TIMEOUT }, async () => {
    const withoutId = Buffer.from('From: Alice <alice@example.org>\r\nSubject: no id\r\nDate: Mon, 15 Jan 2024 10:30:00 +0000\r\n\r\nA message without a Message-ID.\r\n');
    const from = await bareServer([{ name: 'INBOX', messages: [{ body: mail('plain') }, { body: withoutId }] }]);
    const to = await bareServer([], '/');
    to.script.on('APPEND', storeDifferently(addMessageId));
    dirs = scenarioDirs();
    const first = await runMigrateScripted(from, to, dirs);
    expectRun(first, dirs, ExitCode.PARTIAL, /not found there again/);
    expect(first.summary!.skipped).toEqual([{ folder: 'INBOX', id: expect.any(String), reason: expect.stringMatching(/Subject "no id": copied to "INBOX", but not found there again .*not copied again.*state database/) }]);
    expect(first.summary!.errors).toEqual([]);

    // The rerun and one on a server well again append nothing: the message is on the target once, still reported.
    for (const well of [false, true]) {
      if (well) to.script.clear();
      const again = await runMigrateScripted(from, to, dirs);
      expectRun(again, dirs, ExitCode.PARTIAL, /not found there again/);
      expect(again.summary!.skipped).toEqual([{ folder: 'INBOX', id: first.summary!.skipped[0]!.id, reason: expect.stringMatching(/^copied to "INBOX", but not found there again \(no message there has its identity since/) }]);
      expect(again.summary!.transferred).toBe(0);
    }
    expect(to.commands('APPEND')).toHaveLength(2);
    expect(to.account.get('INBOX').messages.map((m) => m.body.toString('latin1')).filter((body) => body.includes('without a Message-ID'))).toHaveLength(1);
    expectEachOnce(serverIds(to), 'target');

    // Gone from the source, the message is no longer reported: the run is complete.
    from.account.expunge('INBOX', [from.account.get('INBOX').messages.find((m) => m.body.equals(withoutId))!.uid]);
    const settled = await runMigrateScripted(from, to, dirs);
    expectRun(settled, dirs, ExitCode.OK);
    expect(settled.summary!.skipped).toEqual([]);
  });

  it('sync to a server without UIDPLUS that adds a Message-ID: the upload it cannot find again is not made again', { timeout: SCENARIO_TIMEOUT }, async () => {
    const server = await bareServer([{ name: 'INBOX', messages: [] }], '/');
    server.script.on('APPEND', storeDifferently(addMessageId));
    dirs = scenarioDirs();
    const local = Buffer.from('From: Alice <alice@example.org>\r\nSubject: local, no id\r\n\r\nWritten by a local tool.\r\n');
    mkdirSync(path.join(dirs.maildir, 'new'), { recursive: true });
    mkdirSync(path.join(dirs.maildir, 'cur'), { recursive: true });
    mkdirSync(path.join(dirs.maildir, 'tmp'), { recursive: true });
    writeFileSync(path.join(dirs.maildir, 'new', '1700000000.unfound.host'), local);
    const first = await runLocalApp('sync', server, dirs);
    expectRun(first, dirs, ExitCode.PARTIAL, /Subject \\"local, no id\\": copied to \\"INBOX\\", but not found there again/);
    const second = await runLocalApp('sync', server, dirs);
    expectRun(second, dirs, ExitCode.PARTIAL, /not found there again \(no message there has its identity since/);
    expect(server.commands('APPEND')).toHaveLength(1);
    expect(server.account.get('INBOX').messages).toHaveLength(1);
    // The server's version is a message of its own to sync: it comes down once, next to the original.
    expectEachOnce(maildirIds(dirs.maildir), 'Maildir');
    expect(maildirIds(dirs.maildir).INBOX).toHaveLength(2);
    expect(maildirIds(dirs.maildir).INBOX).toEqual(expect.arrayContaining(serverIds(server).INBOX!));
  });

  // Without UIDPLUS only a plain EXPUNGE exists: the other client's \Deleted message is undeleted around it and marked again.
  it('sync: a local move becomes COPY + EXPUNGE without expunging a message another client marked \\Deleted, and leaves no copy behind', { timeout: SCENARIO_TIMEOUT }, async () => {
    const marked = mail('marked-by-another-client');
    const moved = mail('moved-locally');
    const server = await bareServer(
      [
        { name: 'INBOX', messages: [{ body: marked, flags: ['\\Deleted'] }, { body: moved }] },
        { name: 'Archive', messages: [] },
      ],
      '/',
    );
    dirs = scenarioDirs();
    expectRun(await runLocalApp('sync', server, dirs), dirs, ExitCode.OK);

    // Another client marks a message \Deleted, then the user moves one locally.
    const file = readLocalMaildir(dirs.maildir).get('INBOX')!.find((m) => m.id === idOf(moved))!.file;
    mkdirSync(path.join(dirs.maildir, '.Archive', 'cur'), { recursive: true });
    renameSync(path.join(dirs.maildir, file), path.join(dirs.maildir, '.Archive', 'cur', path.basename(file)));
    const move = await runLocalApp('sync', server, dirs);
    expectRun(move, dirs, ExitCode.OK);
    const markedOnServer = () => server.account.get('INBOX').messages.find((m) => idOf(m.body) === idOf(marked));
    expect([...markedOnServer()!.flags]).toContain('\\Deleted');
    expect(server.commands('EXPUNGE').length).toBeGreaterThan(0);

    const settle = await runLocalApp('sync', server, dirs);
    expectRun(settle, dirs, ExitCode.OK);
    expect([...markedOnServer()!.flags]).toContain('\\Deleted');
    expect(Object.values(serverIds(server)).flat().filter((id) => id === idOf(moved))).toHaveLength(1);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));
  });
});
