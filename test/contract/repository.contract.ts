/**
 * The contract every Repository must pass (DESIGN §3), whatever its store.
 *
 * Usage, in a `*.test.ts` file:
 *
 *   describeRepositoryContract('MaildirRepository', async () => ({ repo, cleanup }));
 *
 * `make` is called before each test and must give a repository whose store
 * holds an INBOX; other folders may exist (an IMAP test account). The suite
 * only touches folders it creates and, after each test, deletes the folders
 * that were not there before it (messages first), then calls `repo.close()`
 * and `cleanup()`.
 *
 * What a store must do to pass, beyond the obvious:
 * - flags are reported exactly as stored: no '\\Recent', keywords verbatim;
 * - INTERNALDATE keeps at least whole seconds (the suite uses whole seconds);
 * - `size` is the CRLF size, and the suite's bodies are CRLF, so size = byte length;
 * - `fetch`/`identify` leave out ids that no longer exist instead of failing;
 * - a scan with a checkpoint right after no change is 'unchanged' or an empty
 *   'changes' (the suite first waits 2.1 s so that coarse directory mtimes settle);
 * - a folder name a store cannot hold is refused with an ImapfwError, never
 *   silently changed;
 * - every request on ids (identify, fetch, setFlags, delete, move) is refused
 *   with UidValidityChangedError, nothing done, when the folder's uidValidity
 *   is no longer the one the request names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderNotFoundError, ImapfwError, UidValidityChangedError } from '../../src/api/errors.js';
import type { MessageMeta, NewMessage, Repository, ScanResult } from '../../src/api/types.js';
import { folderAt } from '../support/folder-at.js';

export interface ContractSubject {
  repo: Repository;
  cleanup(): Promise<void>;
}

/** Names a server may send: each must round-trip or be refused with a typed error. */
export const UNSAFE_FOLDER_NAMES: readonly string[] = [
  '../../etc',
  'a/../../b',
  '.',
  '..',
  '.hidden',
  'nul\u0000byte',
  'ctl\u0001\u001f\u007fchars',
  '&AMk-t&AOk-',
  'dotted.name',
  'per%cent',
  '%2E%2E',
  'Été/日本語',
];

const SECOND = 1000;
const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);
const encoder = new TextEncoder();

let folderCounter = 0;

/** A folder name unique to this run, safe for any store. */
function uniqueFolder(): string {
  folderCounter += 1;
  return `contract${Date.now().toString(36)}x${folderCounter}`;
}

/** A CRLF message; `messageId: null` leaves the header out. */
export function mail(subject: string, options: { messageId?: string | null; text?: string } = {}): Uint8Array {
  const messageId = options.messageId === undefined ? `<${subject.replace(/\W/g, '')}.${Date.now()}@contract.test>` : options.messageId;
  const lines = [
    'From: Alice <alice@example.org>',
    'To: Bob <bob@example.org>',
    `Subject: ${subject}`,
    'Date: Mon, 15 Jan 2024 10:30:00 +0000',
    ...(messageId === null ? [] : [`Message-ID: ${messageId}`]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    options.text ?? `Body of ${subject}.`,
    '',
  ];
  return encoder.encode(lines.join('\r\n'));
}

function sorted(flags: readonly string[]): string[] {
  return [...flags].sort();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The folder's messages after applying a scan result to what was known before it. */
export function applyScan(known: Map<string, MessageMeta>, result: ScanResult): Map<string, MessageMeta> {
  switch (result.kind) {
    case 'unchanged':
      expect(result.messages).toEqual([]);
      expect(result.vanished).toEqual([]);
      return new Map(known);
    case 'full':
      return new Map(result.messages.map((m) => [m.id, m]));
    case 'changes': {
      const next = new Map(known);
      for (const id of result.vanished) next.delete(id);
      for (const m of result.messages) next.set(m.id, m);
      return next;
    }
  }
}

function flagsById(messages: Iterable<MessageMeta>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of messages) out[m.id] = sorted(m.flags);
  return out;
}

async function expectFolderNotFound(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(FolderNotFoundError);
}

export function describeRepositoryContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`Repository contract: ${name}`, () => {
    let subject: ContractSubject;
    let repo: Repository;
    let foldersBefore: Set<string>;

    beforeEach(async () => {
      subject = await make();
      repo = subject.repo;
      foldersBefore = new Set((await repo.listFolders()).map((f) => f.name));
    });

    afterEach(async () => {
      const added = (await repo.listFolders()).map((f) => f.name).filter((n) => !foldersBefore.has(n));
      // Children before parents.
      added.sort((a, b) => b.split('/').length - a.split('/').length);
      for (const folder of added) {
        try {
          const scan = await repo.scan(folder);
          if (scan.messages.length > 0) await repo.delete(await folderAt(repo, folder), scan.messages.map((m) => m.id));
          await repo.deleteFolder(folder);
        } catch {
          // Best effort: a folder refused or already gone is the store's own business.
        }
      }
      await repo.close();
      await subject.cleanup();
    });

    async function freshFolder(): Promise<string> {
      const folder = uniqueFolder();
      await repo.createFolder(folder);
      return folder;
    }

    it('lists INBOX', async () => {
      const names = (await repo.listFolders()).map((f) => f.name);
      expect(names).toContain('INBOX');
    });

    it('creates, lists and deletes folders, nested ones included', async () => {
      const parent = uniqueFolder();
      const child = `${parent}/Sub`;
      await repo.createFolder(parent);
      await repo.createFolder(child);
      let names = (await repo.listFolders()).map((f) => f.name);
      expect(names).toContain(parent);
      expect(names).toContain(child);

      const empty = await repo.scan(child);
      expect(empty.kind).toBe('full');
      expect(empty.messages).toEqual([]);

      await repo.deleteFolder(child);
      await repo.deleteFolder(parent);
      names = (await repo.listFolders()).map((f) => f.name);
      expect(names).not.toContain(child);
      expect(names).not.toContain(parent);
    });

    it('refuses every operation on an unknown folder with FolderNotFoundError', async () => {
      const missing = uniqueFolder();
      await expectFolderNotFound(repo.scan(missing));
      await expectFolderNotFound(repo.identify({ name: missing, uidValidity: '1' }, ['1']));
      await expectFolderNotFound(repo.fetch({ name: missing, uidValidity: '1' }, ['1']));
      await expectFolderNotFound(repo.store(missing, [{ body: mail('lost'), flags: [], internalDate: T0 }]));
      await expectFolderNotFound(repo.setFlags({ name: missing, uidValidity: '1' }, [{ id: '1', add: ['\\Seen'], remove: [] }]));
      await expectFolderNotFound(repo.delete({ name: missing, uidValidity: '1' }, ['1']));
      await expectFolderNotFound(repo.deleteFolder(missing));
      expect((await repo.listFolders()).map((f) => f.name)).not.toContain(missing);
    });

    it('round-trips messages: bytes, flags, keywords, internal date and size', async () => {
      const folder = await freshFolder();
      const messages: NewMessage[] = [
        { body: mail('plain'), flags: [], internalDate: T0 },
        { body: mail('flagged'), flags: ['\\Seen', '\\Flagged', '$Forwarded', 'work'], internalDate: T0 + 60 * SECOND },
        { body: mail('Grüße aus Köln', { text: 'Ünïcödé body ✓' }), flags: ['\\Answered', '\\Draft', '\\Deleted'], internalDate: T0 - 86_400 * SECOND },
      ];
      const ids = await repo.store(folder, messages);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);

      const scan = await repo.scan(folder, undefined, { internalDates: true });
      expect(scan.kind).toBe('full');
      expect(scan.vanished).toEqual([]);
      // Not asked for dates, a store may leave them out; the rest is the same.
      const plain = await repo.scan(folder);
      const withoutDates = (messages: MessageMeta[]) => messages.map(({ internalDate: _, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));
      expect(withoutDates(plain.messages)).toEqual(withoutDates(scan.messages));
      expect(scan.status.uidValidity).toMatch(/\S/);
      const byId = new Map(scan.messages.map((m) => [m.id, m]));
      expect([...byId.keys()].sort()).toEqual([...ids].sort());
      ids.forEach((id, i) => {
        const meta = byId.get(id)!;
        const sent = messages[i]!;
        expect(sorted(meta.flags)).toEqual(sorted(sent.flags));
        expect(meta.size).toBe(sent.body.byteLength);
        expect(meta.internalDate).toBe(sent.internalDate);
      });

      const fetched = new Map((await repo.fetch(await folderAt(repo, folder), ids)).map((m) => [m.id, m]));
      ids.forEach((id, i) => {
        const got = fetched.get(id)!;
        const sent = messages[i]!;
        expect(got.body).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(got.body).equals(Buffer.from(sent.body))).toBe(true);
        expect(sorted(got.flags)).toEqual(sorted(sent.flags));
        expect(got.internalDate).toBe(sent.internalDate);
      });

      expect((await repo.scan(folder)).status.uidValidity).toBe(scan.status.uidValidity);
    });

    it('applies flag deltas: add and remove, idempotently', async () => {
      const folder = await freshFolder();
      const [id] = await repo.store(folder, [{ body: mail('deltas'), flags: ['\\Flagged', 'work'], internalDate: T0 }]);
      await repo.setFlags(await folderAt(repo, folder), [{ id: id!, add: ['\\Seen', 'todo'], remove: ['\\Flagged', 'work'] }]);
      let meta = (await repo.scan(folder)).messages.find((m) => m.id === id);
      expect(sorted(meta!.flags)).toEqual(['\\Seen', 'todo']);

      // Adding a present flag and removing an absent one change nothing.
      await repo.setFlags(await folderAt(repo, folder), [{ id: id!, add: ['\\Seen'], remove: ['\\Draft', 'absent'] }]);
      meta = (await repo.scan(folder)).messages.find((m) => m.id === id);
      expect(sorted(meta!.flags)).toEqual(['\\Seen', 'todo']);

      const [fetched] = await repo.fetch(await folderAt(repo, folder), [id!]);
      expect(sorted(fetched!.flags)).toEqual(['\\Seen', 'todo']);
      expect(fetched!.internalDate).toBe(T0);
    });

    it('deletes messages; a missing id is neither an error nor fetched', async () => {
      const folder = await freshFolder();
      const [gone, kept] = await repo.store(folder, [
        { body: mail('gone'), flags: [], internalDate: T0 },
        { body: mail('kept'), flags: ['\\Seen'], internalDate: T0 },
      ]);
      await repo.delete(await folderAt(repo, folder), [gone!]);
      expect((await repo.scan(folder)).messages.map((m) => m.id)).toEqual([kept]);
      await repo.delete(await folderAt(repo, folder), [gone!]);
      expect((await repo.fetch(await folderAt(repo, folder), [gone!, kept!])).map((m) => m.id)).toEqual([kept]);
      expect((await repo.identify(await folderAt(repo, folder), [gone!, kept!])).map((m) => m.id)).toEqual([kept]);
    });

    it('refuses every request on ids under a uidValidity the folder no longer has, and changes nothing', async () => {
      const folder = await freshFolder();
      const ids = await repo.store(folder, [
        { body: mail('stale one'), flags: ['\\Flagged'], internalDate: T0 },
        { body: mail('stale two'), flags: [], internalDate: T0 },
      ]);
      const before = await repo.scan(folder);
      const now = before.status.uidValidity;
      const stale = { name: folder, uidValidity: /^\d+$/.test(now) ? String(BigInt(now) + 1n) : `${now}x` };
      const requests: [string, () => Promise<unknown>][] = [
        ['identify', () => repo.identify(stale, ids)],
        ['fetch', () => repo.fetch(stale, ids)],
        ['setFlags', () => repo.setFlags(stale, [{ id: ids[0]!, add: ['\\Seen'], remove: ['\\Flagged'] }])],
        ['delete', () => repo.delete(stale, ids)],
      ];
      if (repo.move) {
        const target = await freshFolder();
        requests.push(['move', () => repo.move!(stale, target, ids)]);
      }
      for (const [operation, request] of requests) {
        const error = await request().then(() => undefined, (e: unknown) => e);
        expect(error, operation).toBeInstanceOf(UidValidityChangedError);
        expect((error as ImapfwError).code, operation).toBe('EUIDVALIDITY');
        expect((error as Error).message, operation).toContain(folder);
      }
      const after = await repo.scan(folder);
      expect(after.status.uidValidity).toBe(now);
      expect(flagsById(after.messages)).toEqual(flagsById(before.messages));
    });

    it('refuses ids listed before the folder was renumbered (deleted and created again), even ids that exist again', async () => {
      const folder = await freshFolder();
      const [oldId] = await repo.store(folder, [{ body: mail('before renumbering'), flags: [], internalDate: T0 }]);
      const old = await folderAt(repo, folder);
      await repo.delete(old, [oldId!]);
      await repo.deleteFolder(folder);
      await repo.createFolder(folder);
      const [newId] = await repo.store(folder, [{ body: mail('after renumbering'), flags: [], internalDate: T0 }]);
      const renumbered = await repo.scan(folder);
      expect(renumbered.status.uidValidity).not.toBe(old.uidValidity);
      // An IMAP server numbers the new folder from 1 again: the old UID now names the new message.
      for (const id of new Set([oldId!, newId!])) {
        await expect(repo.delete(old, [id])).rejects.toBeInstanceOf(UidValidityChangedError);
        await expect(repo.setFlags(old, [{ id, add: ['\\Seen'], remove: [] }])).rejects.toBeInstanceOf(UidValidityChangedError);
      }
      expect(flagsById((await repo.scan(folder)).messages)).toEqual({ [newId!]: [] });
    });

    it('identifies the same message stored twice alike, and different messages apart', async () => {
      const folder = await freshFolder();
      const withId = mail('with id', { messageId: '<same.message@contract.test>' });
      const otherId = mail('other id', { messageId: '<other.message@contract.test>' });
      const noId = mail('no id', { messageId: null });
      const noIdOther = mail('no id', { messageId: null, text: 'A different body.' });
      const ids = await repo.store(
        folder,
        [withId, withId, otherId, noId, noId, noIdOther].map((body) => ({ body, flags: [], internalDate: T0 })),
      );
      expect(new Set(ids).size).toBe(6);

      const found = await repo.identify(await folderAt(repo, folder), ids);
      const identity = new Map(found.map((m) => [m.id, m.identity]));
      const [a1, a2, b, c1, c2, d] = ids.map((id) => identity.get(id));
      expect(a1).toBeDefined();
      expect(a1).toBe(a2);
      expect(b).not.toBe(a1);
      expect(c1).toBe(c2);
      expect(d).not.toBe(c1);
      expect(c1).not.toBe(a1);
      expect(found.find((m) => m.id === ids[0])?.messageId).toBe('<same.message@contract.test>');
    });

    it('checkpoints: unchanged after no change, then reports new, changed and vanished messages', async () => {
      const folder = await freshFolder();
      const [m1, m2, m3] = await repo.store(folder, [
        { body: mail('one'), flags: [], internalDate: T0 },
        { body: mail('two'), flags: [], internalDate: T0 },
        { body: mail('three'), flags: ['\\Flagged'], internalDate: T0 },
      ]);
      await sleep(2100);

      const first = await repo.scan(folder);
      let known = applyScan(new Map(), first);
      const second = await repo.scan(folder, first.checkpoint);
      expect(['unchanged', 'changes']).toContain(second.kind);
      expect(second.messages).toEqual([]);
      expect(second.vanished).toEqual([]);
      known = applyScan(known, second);

      const [m4] = await repo.store(folder, [{ body: mail('four'), flags: ['\\Seen'], internalDate: T0 }]);
      await repo.setFlags(await folderAt(repo, folder), [
        { id: m1!, add: ['\\Seen', 'later'], remove: [] },
        { id: m3!, add: [], remove: ['\\Flagged'] },
      ]);
      await repo.delete(await folderAt(repo, folder), [m2!]);

      const third = await repo.scan(folder, second.checkpoint);
      expect(third.kind).not.toBe('unchanged');
      known = applyScan(known, third);
      expect(flagsById(known.values())).toEqual({
        [m1!]: ['\\Seen', 'later'],
        [m3!]: [],
        [m4!]: ['\\Seen'],
      });
    });

    it('round-trips unsafe folder names, or refuses them with a typed error', async () => {
      for (const unsafe of UNSAFE_FOLDER_NAMES) {
        let created = true;
        try {
          await repo.createFolder(unsafe);
        } catch (error) {
          created = false;
          expect(error, `createFolder(${JSON.stringify(unsafe)})`).toBeInstanceOf(ImapfwError);
        }
        const names = (await repo.listFolders()).map((f) => f.name);
        if (!created) {
          expect(names).not.toContain(unsafe);
          continue;
        }
        expect(names, JSON.stringify(unsafe)).toContain(unsafe);
        const body = mail(`in ${JSON.stringify(unsafe)}`);
        const [id] = await repo.store(unsafe, [{ body, flags: ['\\Seen'], internalDate: T0 }]);
        const [fetched] = await repo.fetch(await folderAt(repo, unsafe), [id!]);
        expect(Buffer.from(fetched!.body).equals(Buffer.from(body))).toBe(true);
      }
    });
  });
}
