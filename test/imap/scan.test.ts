import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, imapClient, makeMessage } from '../support/messages.js';
import { capabilitiesWithout, encoder, repositoryOn } from './helpers.js';
import { folderAt } from '../support/folder-at.js';
import { folderRef } from '../../src/api/folder-ref.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);
const mail = (subject: string) => ({ body: encoder.encode(`Subject: ${subject}\r\nMessage-ID: <${subject}@scan.test>\r\n\r\n${subject}\r\n`), flags: [], internalDate: T0 });

describe('scan with CONDSTORE + QRESYNC', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  beforeAll(async () => {
    server = await startDovecot({ rawlog: true });
    repo = repositoryOn(server);
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  it('is unchanged without any FETCH, then reports changes with vanished UIDs', async () => {
    await repo.createFolder('Incremental');
    const [a, b, c] = await repo.store('Incremental', [mail('a'), mail('b'), mail('c')]);
    const first = await repo.scan('Incremental');
    expect(first.kind).toBe('full');
    expect(first.status.highestModseq).toMatch(/^\d+$/);
    expect(JSON.parse(first.checkpoint)).toEqual({ uidValidity: first.status.uidValidity, uidNext: 4, highestModseq: first.status.highestModseq, exists: 3 });

    const fetchesBefore = (await server.commandsSeen()).filter((c) => /FETCH/i.test(c)).length;
    const second = await repo.scan('Incremental', first.checkpoint);
    expect(second).toMatchObject({ kind: 'unchanged', messages: [], vanished: [] });
    expect(second.checkpoint).toBe(first.checkpoint);
    expect((await server.commandsSeen()).filter((c) => /FETCH/i.test(c)).length).toBe(fetchesBefore);

    const [d] = await repo.store('Incremental', [mail('d')]);
    await repo.setFlags(await folderAt(repo, 'Incremental'), [{ id: a!, add: ['\\Seen'], remove: [] }]);
    await repo.delete(await folderAt(repo, 'Incremental'), [b!]);
    const third = await repo.scan('Incremental', second.checkpoint);
    expect(third.kind).toBe('changes');
    expect(third.vanished).toEqual([b]);
    expect(third.messages.map((m) => [m.id, m.flags])).toEqual([
      [a, ['\\Seen']],
      [d, []],
    ]);
    expect((await server.commandsSeen()).some((cmd) => /^UID FETCH 1:4294967295 .*\(CHANGEDSINCE \d+ VANISHED\)$/i.test(cmd))).toBe(true);
    expect(c).toBeDefined();
  });

  it("answers from the listing's LIST-STATUS without opening the folder while it proves nothing changed", async () => {
    await repo.createFolder('Listed');
    const [a] = await repo.store('Listed', [mail('l1'), mail('l2')]);
    const first = await repo.scan('Listed');
    // Not from `repo`'s session, where Listed is selected: a selected folder's STATUS is that session's view of it, so none is given.
    expect((await repo.listFolders()).find((folder) => folder.name === 'Listed')!.status).toBeUndefined();
    const lister = repositoryOn(server);
    const listedNow = async () => (await lister.listFolders()).find((folder) => folder.name === 'Listed')!.status!;
    const listed = await listedNow();
    expect(listed).toEqual({ uidValidity: first.status.uidValidity, uidNext: 3, highestModseq: first.status.highestModseq, exists: 2 });
    expect((await lister.listFolders()).find((folder) => folder.name === 'INBOX')!.status).toBeDefined();

    // A repository that never logged in answers from the status alone: no session, no SELECT.
    const fresh = repositoryOn(server);
    const sessions = (await server.commandsBySession()).length;
    expect(await fresh.listedUnchanged(first.checkpoint, listed)).toBe(true);
    expect(await fresh.scan('Listed', first.checkpoint, { listed })).toEqual({ status: listed, checkpoint: first.checkpoint, kind: 'unchanged', messages: [], vanished: [] });
    expect((await server.commandsBySession()).length).toBe(sessions);

    // A flag change moves HIGHESTMODSEQ: the next listing no longer proves it, and the scan opens the folder.
    await repo.setFlags(folderRef('Listed', first), [{ id: a!, add: ['\\Flagged'], remove: [] }]);
    expect(await fresh.listedUnchanged(first.checkpoint, await listedNow())).toBe(false);
    const changed = await fresh.scan('Listed', first.checkpoint, { listed: await listedNow() });
    expect(changed.kind).toBe('changes');
    expect(changed.messages.map((m) => [m.id, m.flags])).toEqual([[a, ['\\Flagged']]]);

    // Whether any message left since the checkpoint: not after a flag change and a delivery; after an expunge, yes.
    expect(await fresh.listedKept(first.checkpoint, await listedNow())).toBe(true);
    await repo.store('Listed', [mail('l3')]);
    expect(await fresh.listedKept(first.checkpoint, await listedNow())).toBe(true);
    await repo.delete(folderRef('Listed', first), [a!]);
    expect(await fresh.listedKept(first.checkpoint, await listedNow())).toBe(false);
    await Promise.all([fresh.close(), lister.close()]);
  });

  it('scans in full when UIDVALIDITY changed or the checkpoint is unreadable', async () => {
    await repo.createFolder('Validity');
    await repo.store('Validity', [mail('v1')]);
    const first = await repo.scan('Validity');
    const stale = JSON.stringify({ ...JSON.parse(first.checkpoint), uidValidity: '1' });
    expect((await repo.scan('Validity', stale)).kind).toBe('full');
    expect((await repo.scan('Validity', 'garbage')).kind).toBe('full');
  });

  it('opens a folder on a session that never listed with its SELECT alone, and a missing one still fails as missing', async () => {
    await repo.createFolder('Unlisted');
    await repo.store('Unlisted', [mail('u1')]);
    const fresh = repositoryOn(server);
    expect((await fresh.scan('Unlisted')).messages).toHaveLength(1);
    await expect(fresh.scan('Nowhere')).rejects.toMatchObject({ name: 'FolderNotFoundError' });
    await fresh.close();
    const session = (await server.commandsBySession()).at(-1)!;
    // imapflow alone would send LIST "" "Unlisted" and LSUB "" "Unlisted" before it: two round trips per folder per connection.
    const untilSelect = session.slice(0, session.findIndex((command) => /^SELECT "?Unlisted"?$/i.test(command)) + 1);
    expect(untilSelect.at(-1)).toMatch(/^SELECT/i);
    expect(untilSelect.filter((command) => /^(LIST|LSUB)\b/i.test(command))).toEqual([]);
  });

  it('lists the folders with one LIST and no LSUB (imapfw never reads subscriptions)', async () => {
    await repo.createFolder('Listed');
    // With no folder subscribed, imapflow alone follows its LIST with an LSUB (as on an account filled by delivery).
    const admin = await imapClient(server, 'alice');
    for (const folder of await admin.list()) if (folder.subscribed) await admin.mailboxUnsubscribe(folder.path);
    await admin.logout();
    const fresh = repositoryOn(server);
    expect((await fresh.listFolders()).map((folder) => folder.name)).toContain('Listed');
    await fresh.close();
    const session = (await server.commandsBySession()).at(-1)!;
    expect(session.filter((command) => /^LIST\b/i.test(command))).toHaveLength(1);
    expect(session.filter((command) => /^LSUB\b/i.test(command))).toEqual([]);
  });
});

describe('scan without CONDSTORE/QRESYNC', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  beforeAll(async () => {
    server = await startDovecot({ rawlog: true, capabilities: capabilitiesWithout('CONDSTORE', 'QRESYNC') });
    repo = repositoryOn(server);
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  it('fetches the whole list every time, and calls it unchanged only when no UID or flag changed', async () => {
    await repo.createFolder('Plain');
    const [a, b] = await repo.store('Plain', [mail('a'), mail('b')]);
    const first = await repo.scan('Plain');
    expect(first.kind).toBe('full');
    expect(first.status.highestModseq).toBeUndefined();
    expect(JSON.parse(first.checkpoint).highestModseq).toBeUndefined();

    const second = await repo.scan('Plain', first.checkpoint);
    expect(second).toMatchObject({ kind: 'unchanged', messages: [], vanished: [] });

    // A flag change moves neither UIDNEXT nor EXISTS: it must still be seen.
    await repo.setFlags(folderRef('Plain', first), [{ id: a!, add: ['\\Flagged'], remove: [] }]);
    const third = await repo.scan('Plain', second.checkpoint);
    expect(third.kind).toBe('full');
    expect(third.messages.map((m) => [m.id, m.flags])).toEqual([
      [a, ['\\Flagged']],
      [b, []],
    ]);
    // Without CONDSTORE a status proves nothing: the listing gives none.
    expect((await repo.listFolders()).every((folder) => folder.status === undefined)).toBe(true);
    const commands = await server.commandsSeen();
    expect(commands.some((c) => /CHANGEDSINCE|QRESYNC|CONDSTORE/i.test(c))).toBe(false);
    expect(commands.filter((c) => /^UID FETCH 1:\* \(UID FLAGS INTERNALDATE RFC822\.SIZE\)$/i.test(c))).toHaveLength(3);
  });
});

describe('scan speed', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  beforeAll(async () => {
    server = await startDovecot();
    repo = repositoryOn(server);
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  it('lists 10,000 messages in a full scan, and an unchanged rescan reports unchanged (timings printed)', async () => {
    const count = 10_000;
    const messages = Array.from({ length: count }, (_, i) => ({
      raw: makeMessage({ subject: `bulk ${i}`, size: 2000 }),
      flags: i % 3 === 0 ? ['\\Seen'] : [],
      internalDate: new Date(T0 + i * 1000),
    }));
    await dropIntoMaildir(server, 'alice', 'Bulk', messages);
    await repo.scan('INBOX'); // connect and log in outside the measurement

    let started = performance.now();
    const full = await repo.scan('Bulk');
    const fullMs = performance.now() - started;
    expect(full.kind).toBe('full');
    expect(full.messages).toHaveLength(count);
    expect(full.messages.filter((m) => m.flags.includes('\\Seen'))).toHaveLength(Math.ceil(count / 3));

    started = performance.now();
    const again = await repo.scan('Bulk', full.checkpoint);
    const unchangedMs = performance.now() - started;
    expect(again.kind).toBe('unchanged');

    const ids = full.messages.slice(0, 1000).map((m) => m.id);
    started = performance.now();
    const bodies = await repo.fetch(await folderAt(repo, 'Bulk'), ids);
    const fetchMs = performance.now() - started;
    const bytes = bodies.reduce((sum, m) => sum + m.body.byteLength, 0);

    started = performance.now();
    const identified = await repo.identify(await folderAt(repo, 'Bulk'), full.messages.map((m) => m.id));
    const identifyMs = performance.now() - started;
    expect(identified).toHaveLength(count);

    const large = Array.from({ length: 200 }, (_, i) => ({ raw: makeMessage({ subject: `large ${i}`, size: 500_000 }) }));
    await dropIntoMaildir(server, 'alice', 'Large', large);
    const largeIds = (await repo.scan('Large')).messages.map((m) => m.id);
    started = performance.now();
    let largeBytes = 0;
    for (let i = 0; i < largeIds.length; i += 20) {
      for (const m of await repo.fetch(await folderAt(repo, 'Large'), largeIds.slice(i, i + 20))) largeBytes += m.body.byteLength;
    }
    const largeMs = performance.now() - started;

    console.log(
      `[imap speed] fetch of ${largeIds.length} x 500 KB in batches of 20: ${(largeBytes / 1e6).toFixed(0)} MB in ${largeMs.toFixed(0)} ms ` +
        `(${(largeBytes / 1e6 / (largeMs / 1000)).toFixed(0)} MB/s)`,
    );
    console.log(
      `[imap speed] full scan of ${count}: ${fullMs.toFixed(0)} ms; unchanged rescan: ${unchangedMs.toFixed(1)} ms; ` +
        `fetch of 1000 bodies (${(bytes / 1e6).toFixed(1)} MB): ${fetchMs.toFixed(0)} ms; identify ${count}: ${identifyMs.toFixed(0)} ms`,
    );
  });
});
