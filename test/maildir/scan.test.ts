import { readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, FolderNotFoundError } from '../../src/api/errors.js';
import { listMessageFiles } from '../../src/core/maildir/list-messages.js';
import { MaildirRepository } from '../../src/api/repositories/maildir.js';
import { mail } from '../contract/repository.contract.js';
import { tempMaildir, type TempMaildir } from './helpers.js';
import { folderAt } from '../support/folder-at.js';
import { folderRef } from '../../src/api/folder-ref.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

/** Sets cur/ and new/ mtimes to a whole second in the past (exact in ns), as if nothing had changed for a while. */
async function ageDirs(root: string, seconds = 1_700_000_000): Promise<void> {
  for (const sub of ['cur', 'new']) await utimes(join(root, sub), seconds, seconds);
}

describe('scan checkpoints', () => {
  it('skip listing when cur/ and new/ mtimes are unchanged', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [id] = await repo.store('INBOX', [{ body: mail('one'), flags: [], internalDate: 0 }]);
    await ageDirs(root);
    const first = await repo.scan('INBOX');
    expect(JSON.parse(first.checkpoint)).toMatchObject({ v: 1, uidValidity: first.status.uidValidity, settled: true });

    // Slip a file in behind the scan's back and put the mtime back: a scan that lists would see it.
    await writeFile(join(root, 'cur', '1700000000.M1P1.sneaky:2,'), mail('sneaky'));
    await ageDirs(root);
    const skipped = await repo.scan('INBOX', first.checkpoint);
    // The count is the listing's the checkpoint was taken with (one message), not the folder's now (two).
    expect(skipped).toMatchObject({ kind: 'unchanged', messages: [], vanished: [], status: { uidValidity: first.status.uidValidity, exists: 1 } });
    // A checkpoint of an older build, without the count: the folder is still skipped, with no count claimed.
    const { messages: _count, ...older } = JSON.parse(first.checkpoint);
    expect((await repo.scan('INBOX', JSON.stringify(older))).status).toEqual({ uidValidity: first.status.uidValidity });

    // Any real change moves the mtime.
    await repo.setFlags(folderRef('INBOX', first), [{ id: id!, add: ['\\Seen'], remove: [] }]);
    const listed = await repo.scan('INBOX', skipped.checkpoint);
    expect(listed.kind).toBe('full');
    expect(listed.messages.map((m) => m.id).sort()).toEqual([id, '1700000000.M1P1.sneaky'].sort());
  });

  it('does not trust a directory mtime within one timestamp tick of the scan', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.store('INBOX', [{ body: mail('fresh'), flags: [], internalDate: 0 }]);
    // As if the store had just happened, whatever time the machine took to get here (a tick is 20 ms).
    const justNow = Date.now() / 1000 + 1 + 0.000123;
    for (const sub of ['cur', 'new']) await utimes(join(root, sub), justNow, justNow);
    const first = await repo.scan('INBOX');
    expect(JSON.parse(first.checkpoint).settled).toBe(false);
    expect((await repo.scan('INBOX', first.checkpoint)).kind).toBe('full');

    // Whole-second mtimes mean a coarse file system: 2 s ticks. The next whole second is within a tick of any
    // scan in the next 3 s, however slow the machine.
    const wholeSecond = Math.floor(Date.now() / 1000) + 1;
    for (const sub of ['cur', 'new']) await utimes(join(root, sub), wholeSecond, wholeSecond);
    expect(JSON.parse((await repo.scan('INBOX')).checkpoint).settled).toBe(false);
    await ageDirs(root, wholeSecond - 5);
    expect(JSON.parse((await repo.scan('INBOX')).checkpoint).settled).toBe(true);

    // Nanosecond mtimes: settled once a kernel tick has passed.
    const fine = Date.now() / 1000 - 0.5 + 0.000123;
    for (const sub of ['cur', 'new']) await utimes(join(root, sub), fine, fine);
    expect(JSON.parse((await repo.scan('INBOX')).checkpoint).settled).toBe(true);
  });

  it('after the run\'s own writes, waits out the tick so the checkpoint is settled, but never a coarse file system\'s seconds', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.store('INBOX', [{ body: mail('fresh'), flags: [], internalDate: 0 }]);
    // A write 2 ms from now, in nanoseconds: a scan without the wait is within the tick (20 ms).
    const soon = Date.now() / 1000 + 0.002 + 0.000123;
    for (const sub of ['cur', 'new']) await utimes(join(root, sub), soon, soon);
    const after = await repo.scan('INBOX', undefined, { afterWrites: true });
    expect(JSON.parse(after.checkpoint)).toMatchObject({ settled: true, messages: 1 });
    expect((await repo.scan('INBOX', after.checkpoint)).kind).toBe('unchanged');

    // Whole seconds: waiting for a 2 s tick would cost every written folder seconds; the checkpoint stays unsettled.
    const wholeSecond = Math.floor(Date.now() / 1000) + 1;
    for (const sub of ['cur', 'new']) await utimes(join(root, sub), wholeSecond, wholeSecond);
    expect(JSON.parse((await repo.scan('INBOX', undefined, { afterWrites: true })).checkpoint).settled).toBe(false);
  });

  it('detects each kind of change through a settled checkpoint: delivery to new/, flag change, deletion', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [a, b] = await repo.store('INBOX', [
      { body: mail('a'), flags: [], internalDate: 0 },
      { body: mail('b'), flags: [], internalDate: 0 },
    ]);
    const settledScan = async () => {
      await ageDirs(root);
      return (await repo.scan('INBOX')).checkpoint;
    };

    const inbox = await folderAt(repo, 'INBOX');
    let checkpoint = await settledScan();
    await writeFile(join(root, 'new', '1700000002.M1P1.mda'), mail('delivered'));
    expect((await repo.scan('INBOX', checkpoint)).messages.map((m) => m.id)).toContain('1700000002.M1P1.mda');

    checkpoint = await settledScan();
    await repo.setFlags(inbox, [{ id: a!, add: ['\\Flagged'], remove: [] }]);
    expect((await repo.scan('INBOX', checkpoint)).messages.find((m) => m.id === a)!.flags).toEqual(['\\Flagged']);

    checkpoint = await settledScan();
    await repo.delete(inbox, [b!]);
    expect((await repo.scan('INBOX', checkpoint)).messages.map((m) => m.id)).not.toContain(b);
  });

  it('lists in full for a checkpoint that is not ours, or of another uidValidity', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.store('INBOX', [{ body: mail('x'), flags: [], internalDate: 0 }]);
    await ageDirs(root);
    const { checkpoint } = await repo.scan('INBOX');
    for (const bad of ['', 'garbage', '{"v":2}', JSON.stringify({ ...JSON.parse(checkpoint), uidValidity: '1' })]) {
      expect((await repo.scan('INBOX', bad)).kind).toBe('full');
    }
  });
});

describe('scan', () => {
  it('keeps a stable uidValidity per folder in imapfw-uidvalidity', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.createFolder('Other');
    const inbox = (await repo.scan('INBOX')).status.uidValidity;
    expect(inbox).toMatch(/^[1-9]\d*$/);
    expect((await readFile(join(root, 'imapfw-uidvalidity'), 'utf8')).trim()).toBe(inbox);
    expect((await new MaildirRepository({ root }).scan('INBOX')).status.uidValidity).toBe(inbox);
    expect((await repo.scan('Other')).status.uidValidity).not.toBe(inbox);
  });

  it('counts messages in new/ (no info part) and takes flags from an info part there', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await writeFile(join(root, 'new', '1700000000.M1P1.a'), mail('plain'));
    await writeFile(join(root, 'new', '1700000000.M2P1.b:2,S'), mail('seen'));
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => [m.id, m.flags]).sort()).toEqual([
      ['1700000000.M1P1.a', []],
      ['1700000000.M2P1.b', ['\\Seen']],
    ]);
    expect(scan.status.exists).toBe(2);
  });

  it('takes the size from W=, else S=, else the file size', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await writeFile(join(root, 'cur', '1.M1P1.h,S=10,W=12:2,'), 'abc');
    await writeFile(join(root, 'cur', '2.M1P1.h,S=10:2,'), 'abc');
    await writeFile(join(root, 'cur', '3.M1P1.h:2,'), 'abc');
    const sizes = Object.fromEntries((await repo.scan('INBOX')).messages.map((m) => [m.id, m.size]));
    expect(sizes).toEqual({ '1.M1P1.h,S=10,W=12': 12, '2.M1P1.h,S=10': 10, '3.M1P1.h': 3 });
  });

  it('finds a message renamed by another client between scan and fetch', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [id] = await repo.store('INBOX', [{ body: mail('moving'), flags: [], internalDate: 1_000 }]);
    const inbox = folderRef('INBOX', await repo.scan('INBOX'));
    // mutt marks it seen and flagged.
    await rename(join(root, 'cur', `${id}:2,`), join(root, 'cur', `${id}:2,FS`));
    const [fetched] = await repo.fetch(inbox, [id!]);
    expect([...fetched!.flags].sort()).toEqual(['\\Flagged', '\\Seen']);
    expect((await repo.identify(inbox, [id!])).map((m) => m.id)).toEqual([id]);

    await rename(join(root, 'cur', `${id}:2,FS`), join(root, 'cur', `${id}:2,S`));
    await repo.setFlags(inbox, [{ id: id!, add: ['\\Answered'], remove: ['\\Seen'] }]);
    expect((await repo.scan('INBOX')).messages[0]!.flags).toEqual(['\\Answered']);

    await rename(join(root, 'cur', `${id}:2,R`), join(root, 'cur', `${id}:2,RT`));
    await repo.delete(inbox, [id!]);
    expect((await repo.scan('INBOX')).messages).toEqual([]);
  });
});

describe('sizes and dates', () => {
  it('come from the name when it states the size, from the file otherwise; dates only when asked', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [ours] = await repo.store('INBOX', [{ body: mail('ours'), flags: [], internalDate: 1_600_000_000_000 }]);
    // Another MDA's delivery, without S= in its name; and a name whose S= is not the file's size: the name is believed.
    const foreign = mail('delivered by procmail');
    await writeFile(join(root, 'new', '1700000000.M2P2.mda'), foreign);
    await writeFile(join(root, 'cur', '1700000001.M3P3.host,S=12345:2,S'), mail('short'));
    for (const [name, seconds] of [['new/1700000000.M2P2.mda', 1_650_000_000], ['cur/1700000001.M3P3.host,S=12345:2,S', 1_660_000_000]] as const) {
      await utimes(join(root, name), seconds, seconds);
    }
    const plain = new Map((await repo.scan('INBOX')).messages.map((m) => [m.id, m]));
    expect(plain.get(ours!)).toEqual({ id: ours, flags: [], size: expect.any(Number) });
    expect(plain.get('1700000000.M2P2.mda')).toEqual({ id: '1700000000.M2P2.mda', flags: [], size: foreign.length, internalDate: 1_650_000_000_000 });
    expect(plain.get('1700000001.M3P3.host,S=12345')).toEqual({ id: '1700000001.M3P3.host,S=12345', flags: ['\\Seen'], size: 12345 });

    const dated = new Map((await repo.scan('INBOX', undefined, { internalDates: true })).messages.map((m) => [m.id, m.internalDate]));
    expect(Object.fromEntries(dated)).toEqual({ [ours!]: 1_600_000_000_000, '1700000000.M2P2.mda': 1_650_000_000_000, '1700000001.M3P3.host,S=12345': 1_660_000_000_000 });
  });
});

describe('sizes of messages whose names state none', () => {
  it('are kept in the checkpoint, and the next scan reads them from there instead of from the file', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [ours] = await repo.store('INBOX', [{ body: mail('ours'), flags: [], internalDate: 0 }]);
    const body = mail('delivered by procmail');
    await writeFile(join(root, 'cur', '1700000000.M2P2.mda:2,S'), body);
    const first = await repo.scan('INBOX');
    // Only the message without a size in its name: ours states it.
    expect(JSON.parse(first.checkpoint).sizes).toEqual({ '1700000000.M2P2.mda': body.length });

    // Against Maildir's rules, the file grows under the same name: a scan that stat-ed it would see.
    await writeFile(join(root, 'cur', '1700000000.M2P2.mda:2,S'), Buffer.concat([body, Buffer.from('more\r\n')]));
    const sizeOf = (result: { messages: { id: string; size: number }[] }) => result.messages.find((m) => m.id === '1700000000.M2P2.mda')?.size;
    // A new run (another repository), the folder changed since the checkpoint: listed, the size from the checkpoint.
    await repo.delete(await folderAt(repo, 'INBOX'), [ours!]);
    const next = await new MaildirRepository({ root }).scan('INBOX', first.checkpoint);
    expect(next.kind).toBe('full');
    expect(sizeOf(next)).toBe(body.length);
    expect(JSON.parse(next.checkpoint).sizes).toEqual({ '1700000000.M2P2.mda': body.length });
    // A rescan of the same run without a checkpoint (as after its writes) keeps it too; without either, the file is stat-ed.
    expect(sizeOf(await repo.scan('INBOX'))).toBe(body.length);
    expect(sizeOf(await new MaildirRepository({ root }).scan('INBOX'))).toBe(body.length + 6);
    // A checkpoint of another uidValidity lends no sizes.
    const foreign = JSON.stringify({ ...JSON.parse(first.checkpoint), uidValidity: '1' });
    expect(sizeOf(await new MaildirRepository({ root }).scan('INBOX', foreign))).toBe(body.length + 6);
  });
});

describe('a folder removed by another client', () => {
  it('is FolderNotFoundError, never an empty listing', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.createFolder('Gone');
    const [id] = await repo.store('Gone', [{ body: mail('g'), flags: [], internalDate: 0 }]);
    const listed = await repo.scan('Gone');
    const { checkpoint } = listed;
    await rm(join(root, '.Gone'), { recursive: true });
    await expect(repo.scan('Gone', checkpoint)).rejects.toBeInstanceOf(FolderNotFoundError);
    await expect(repo.fetch(folderRef('Gone', listed), [id!])).rejects.toBeInstanceOf(FolderNotFoundError);
    // Mid-listing, a missing cur/ is an error, while a missing new/ is just empty.
    await expect(listMessageFiles(join(root, '.Gone'))).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(join(root, 'new'), { recursive: true });
    expect((await listMessageFiles(root)).files.size).toBe(0);
  });
});

describe('options', () => {
  it('refuse a missing root unless create is set, with a ConfigError naming the option', async () => {
    maildir = await tempMaildir();
    const root = join(maildir.parent, 'missing');
    await expect(new MaildirRepository({ root }).listFolders()).rejects.toThrow(ConfigError);
    await expect(new MaildirRepository({ root }).scan('INBOX')).rejects.toThrow(/"root"/);
    expect(await new MaildirRepository({ root, create: true }).listFolders()).toEqual([{ name: 'INBOX' }]);
    expect(() => new MaildirRepository({ root, layout: 'mbox' as never })).toThrow(ConfigError);
    expect(() => new MaildirRepository({ root: '' })).toThrow(ConfigError);
  });
});

describe('subclass hooks', () => {
  /** Shows the Maildir's folders under 'Local/', hides 'Trash'. */
  class PrefixedMaildir extends MaildirRepository {
    protected override nameTrans(localName: string): string {
      return localName === 'INBOX' ? 'INBOX' : `Local/${localName}`;
    }
    protected override nameTransBack(name: string): string {
      return name.startsWith('Local/') ? name.slice('Local/'.length) : name;
    }
    protected override folderFilter(localName: string): boolean {
      return localName !== 'Trash';
    }
  }

  it('nameTrans, nameTransBack and folderFilter shape the names the repository speaks', async () => {
    maildir = await tempMaildir();
    const repo = new PrefixedMaildir({ root: maildir.root, create: true });
    await repo.createFolder('Local/Work');
    await repo.createFolder('Local/Trash');
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX', 'Local/Work']);
    const [id] = await repo.store('Local/Work', [{ body: mail('w'), flags: [], internalDate: 0 }]);
    expect((await repo.scan('Local/Work')).messages.map((m) => m.id)).toEqual([id]);
    await rm(join(maildir.root, '.Trash'), { recursive: true });
    expect((await maildir.repo.listFolders()).map((f) => f.name)).toEqual(['INBOX', 'Work']);
  });
});
