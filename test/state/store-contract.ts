/** The behaviour every StateStore backend shares; each backend's test file runs it. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { MessagePair, StateStore } from '../../src/api/state/index.js';

export interface StoreFactory {
  /** A new, empty store. */
  create(): StateStore;
  /** For persistent backends: closes `store` and opens the same state again. */
  reopen?(store: StateStore): Promise<StateStore>;
}

/** Pairs in a stable order, for comparing results given "in no particular order". */
export function sortPairs(pairs: MessagePair[]): MessagePair[] {
  const key = (pair: MessagePair) => `${pair.left ?? ''}\u0000${pair.right ?? ''}`;
  return [...pairs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function describeStateStore(name: string, factory: StoreFactory): void {
  describe(`${name}: StateStore contract`, () => {
    let store: StateStore;
    let folder: number;

    beforeEach(async (context) => {
      store = factory.create();
      folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;
      context.onTestFinished(() => store.close());
    });

    describe('folder pairs', () => {
      it('creates a folder pair once and lists pairs by id', async () => {
        const again = await store.ensureFolderPair('INBOX', 'INBOX');
        const archive = await store.ensureFolderPair('Archive/2024', 'Archive.2024');
        expect(again).toStrictEqual({ id: folder, left: 'INBOX', right: 'INBOX' });
        expect(archive.id).not.toBe(folder);
        expect(await store.folderPairs()).toStrictEqual([again, archive]);
      });

      it('removes a folder pair with its pairs and intents, and never reuses its id', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }], openIntents: [{ from: 'left', sourceId: '2' }] });
        await store.removeFolderPair(folder);
        await store.removeFolderPair(folder); // unknown ids are ignored
        expect(await store.folderPairs()).toStrictEqual([]);
        await expect(store.pairs(folder)).rejects.toThrow(RangeError);
        const recreated = await store.ensureFolderPair('INBOX', 'INBOX');
        expect(recreated.id).not.toBe(folder);
        expect(await store.pairs(recreated.id)).toStrictEqual([]);
        expect(await store.intents(recreated.id)).toStrictEqual([]);
      });

      it('refuses calls on an unknown folder pair', async () => {
        await expect(store.pairs(999)).rejects.toThrow(/no folder pair with id 999/);
        await expect(store.intents(999)).rejects.toThrow(RangeError);
        await expect(store.commit(999, {})).rejects.toThrow(RangeError);
        await expect(store.forgetSide(999, 'left')).rejects.toThrow(RangeError);
      });
    });

    describe('pairs', () => {
      it('stores pairs and gives them back without undefined fields', async () => {
        await store.commit(folder, {
          upsertPairs: [
            { left: '1', right: 'a', flags: ['\\Seen', '$Label1'], identity: 'mid:<1@x>:100' },
            { left: '2', right: 'b', flags: [] },
          ],
        });
        expect(sortPairs(await store.pairs(folder))).toStrictEqual([
          { left: '1', right: 'a', flags: ['\\Seen', '$Label1'], identity: 'mid:<1@x>:100' },
          { left: '2', right: 'b', flags: [] },
        ]);
      });

      it('keeps the flags a side does not hold, per side, and no empty list', async () => {
        await store.commit(folder, {
          upsertPairs: [
            { left: '1', right: 'a', flags: ['$a', '$b', '$c'], notHeld: { right: ['$b', '$c'] } },
            { left: '2', right: 'b', flags: ['$a'], notHeld: { left: [], right: [] } },
          ],
        });
        expect(sortPairs(await store.pairs(folder))).toStrictEqual([
          { left: '1', right: 'a', flags: ['$a', '$b', '$c'], notHeld: { right: ['$b', '$c'] } },
          { left: '2', right: 'b', flags: ['$a'] },
        ]);
        await store.forgetSide(folder, 'left');
        expect(sortPairs(await store.pairs(folder))[0]).toStrictEqual({ right: 'a', flags: ['$a', '$b', '$c'], notHeld: { right: ['$b', '$c'] } });
      });

      it('keeps folder pairs apart', async () => {
        const other = (await store.ensureFolderPair('Sent', 'Sent')).id;
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }] });
        await store.commit(other, { upsertPairs: [{ left: '1', right: 'z', flags: ['\\Seen'] }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'a', flags: [] }]);
        expect(await store.pairs(other)).toStrictEqual([{ left: '1', right: 'z', flags: ['\\Seen'] }]);
      });

      it('replaces the pair holding the same left id, as a whole record', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [], identity: 'i1' }] });
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'] }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'a', flags: ['\\Seen'] }]);
      });

      it('never lets a pair silently replace another: a conflicting commit is refused whole and names the pairs', async () => {
        const three = [
          { left: '1', right: 'a', flags: [] },
          { left: '2', right: 'b', flags: [] },
          { left: '3', right: 'c', flags: [] },
        ];
        await store.commit(folder, { upsertPairs: three, checkpoints: { leftCheckpoint: 'c1' } });
        const attempts = [
          [{ left: '1', right: 'b', flags: ['\\Flagged'] }], // holds 1 (with a) and b (with 2)
          [{ left: '9', right: 'a', flags: [] }], // a is 1's
          [{ left: '2', flags: [] }], // would drop 2's partner
          [{ left: '7', right: 'x', flags: [] }, { left: '7', right: 'y', flags: [] }], // a later pair against an earlier one
        ];
        for (const upsertPairs of attempts) {
          const refused = store.commit(folder, { upsertPairs, openIntents: [{ from: 'left', sourceId: '5' }], checkpoints: { leftCheckpoint: 'c2' } });
          await expect(refused).rejects.toMatchObject({ name: 'StateConflictError', code: 'ESTATECONFLICT', conflicts: [expect.objectContaining({ holders: expect.any(Array) })] });
        }
        await expect(store.commit(folder, { upsertPairs: attempts[0] })).rejects.toMatchObject({
          conflicts: [{ pair: attempts[0]![0], holders: expect.arrayContaining([three[0], three[1]]) }],
        });
        expect(sortPairs(await store.pairs(folder))).toStrictEqual(three);
        expect(await store.intents(folder)).toStrictEqual([]);
        expect((await store.folderPairs())[0]!.leftCheckpoint).toBe('c1');
      });

      it('takes an id from another pair when the commit removes that pair first', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }, { left: '2', right: 'b', flags: [] }] });
        await store.commit(folder, { removePairs: [{ left: '1' }, { right: 'b' }], upsertPairs: [{ left: '1', right: 'b', flags: ['\\Flagged'] }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'b', flags: ['\\Flagged'] }]);
      });

      it('merges a half pair into the pair that completes it', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', flags: [] }, { right: 'b', flags: ['\\Seen'] }] });
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'b', flags: ['\\Seen'] }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'b', flags: ['\\Seen'] }]);
      });

      it('removes pairs by left id, by right id, and ignores unknown ids', async () => {
        await store.commit(folder, {
          upsertPairs: [
            { left: '1', right: 'a', flags: [] },
            { left: '2', right: 'b', flags: [] },
            { left: '3', right: 'c', flags: [] },
          ],
        });
        await store.commit(folder, { removePairs: [{ left: '1' }, { right: 'b' }, { left: '99' }, { right: 'zz' }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '3', right: 'c', flags: [] }]);
      });

      it('removes before it upserts within one commit', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }] });
        await store.commit(folder, { removePairs: [{ left: '1' }], upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'] }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'a', flags: ['\\Seen'] }]);
      });

      it('gives copies: changing a result changes nothing stored', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'] }] });
        const [pair] = await store.pairs(folder);
        (pair!.flags as string[]).push('\\Deleted');
        pair!.left = '7';
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'a', flags: ['\\Seen'] }]);
      });
    });

    describe('intents', () => {
      it('opens intents, lists them oldest first, and closes them in the commit that records the pair', async () => {
        const before = Date.now();
        const { intentIds } = await store.commit(folder, {
          openIntents: [
            { from: 'left', sourceId: '1', identity: 'mid:<1@x>:10' },
            { from: 'right', sourceId: 'b' },
          ],
        });
        expect(intentIds).toHaveLength(2);
        expect(intentIds[1]).toBeGreaterThan(intentIds[0]!);
        const intents = await store.intents(folder);
        expect(intents).toMatchObject([
          { id: intentIds[0], folderPairId: folder, from: 'left', sourceId: '1', identity: 'mid:<1@x>:10' },
          { id: intentIds[1], folderPairId: folder, from: 'right', sourceId: 'b' },
        ]);
        expect(intents[1]).not.toHaveProperty('identity');
        for (const intent of intents) expect(intent.createdAt).toBeGreaterThanOrEqual(before);

        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }], closeIntents: [intentIds[0]!] });
        expect((await store.intents(folder)).map((intent) => intent.id)).toStrictEqual([intentIds[1]]);
        expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'a', flags: [] }]);
      });

      it('closes only intents of its own folder pair, and ignores closed ones', async () => {
        const other = (await store.ensureFolderPair('Sent', 'Sent')).id;
        const { intentIds: [mine] } = await store.commit(folder, { openIntents: [{ from: 'left', sourceId: '1' }] });
        const { intentIds: [theirs] } = await store.commit(other, { openIntents: [{ from: 'left', sourceId: '1' }] });
        await store.commit(folder, { closeIntents: [theirs!, mine!, mine!] });
        expect(await store.intents(folder)).toStrictEqual([]);
        expect((await store.intents(other)).map((intent) => intent.id)).toStrictEqual([theirs]);
      });
    });

    describe('intents marked unfound', () => {
      it('keeps a marked intent open with the time of the first mark, ignores closed and other folder pairs\' ids, and closes it like any other', async () => {
        const other = (await store.ensureFolderPair('Sent', 'Sent')).id;
        const before = Date.now();
        const { intentIds: [marked, plain] } = await store.commit(folder, { openIntents: [{ from: 'left', sourceId: '1', identity: 'mid:<1@x>' }, { from: 'left', sourceId: '2' }] });
        const { intentIds: [theirs] } = await store.commit(other, { openIntents: [{ from: 'left', sourceId: '1' }] });
        const { intentIds: [closed] } = await store.commit(folder, { openIntents: [{ from: 'right', sourceId: 'c' }] });
        await store.commit(folder, { closeIntents: [closed!] });
        await store.commit(folder, { markUnfound: [marked!, theirs!, closed!] });
        const intents = await store.intents(folder);
        expect(intents.map((intent) => intent.id)).toStrictEqual([marked, plain]);
        expect(intents[0]!.unfoundAt).toBeGreaterThanOrEqual(before);
        expect(intents[1]).not.toHaveProperty('unfoundAt');
        expect(await store.intents(other)).toStrictEqual([expect.not.objectContaining({ unfoundAt: expect.anything() })]);

        const first = intents[0]!.unfoundAt!;
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.commit(folder, { markUnfound: [marked!] });
        expect((await store.intents(folder))[0]!.unfoundAt).toBe(first);
        await store.commit(folder, { closeIntents: [marked!] });
        expect((await store.intents(folder)).map((intent) => intent.id)).toStrictEqual([plain]);
      });
    });

    describe('checkpoints', () => {
      it('sets the fields given and keeps the others', async () => {
        await store.commit(folder, { checkpoints: { leftUidValidity: '1700000000', leftCheckpoint: 'modseq:5', rightUidValidity: '1', rightCheckpoint: 'r1' } });
        await store.commit(folder, { checkpoints: { leftCheckpoint: 'modseq:9' } });
        expect(await store.folderPairs()).toStrictEqual([
          { id: folder, left: 'INBOX', right: 'INBOX', leftUidValidity: '1700000000', leftCheckpoint: 'modseq:9', rightUidValidity: '1', rightCheckpoint: 'r1' },
        ]);
      });
    });

    describe('forgetSide', () => {
      it("drops that side's ids, UIDVALIDITY and checkpoint, keeping identity, flags and intents", async () => {
        await store.commit(folder, {
          upsertPairs: [
            { left: '1', right: 'a', flags: ['\\Seen'], identity: 'i1' },
            { left: '2', right: 'b', flags: [] },
          ],
          openIntents: [{ from: 'left', sourceId: '3', identity: 'i3' }],
          checkpoints: { leftUidValidity: '5', leftCheckpoint: 'L', rightUidValidity: '7', rightCheckpoint: 'R' },
        });
        await store.forgetSide(folder, 'left');
        expect(sortPairs(await store.pairs(folder))).toStrictEqual([
          { right: 'a', flags: ['\\Seen'], identity: 'i1' },
          { right: 'b', flags: [] },
        ]);
        expect(await store.folderPairs()).toStrictEqual([{ id: folder, left: 'INBOX', right: 'INBOX', rightUidValidity: '7', rightCheckpoint: 'R' }]);
        expect(await store.intents(folder)).toMatchObject([{ from: 'left', sourceId: '3', identity: 'i3' }]);
      });

      it('lets a half pair be re-paired by identity, and removes pairs left with no id', async () => {
        await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'], identity: 'i1' }, { left: '2', flags: [] }] });
        await store.forgetSide(folder, 'left');
        expect(await store.pairs(folder)).toStrictEqual([{ right: 'a', flags: ['\\Seen'], identity: 'i1' }]);
        await store.commit(folder, { upsertPairs: [{ left: '41', right: 'a', flags: ['\\Seen'], identity: 'i1' }] });
        expect(await store.pairs(folder)).toStrictEqual([{ left: '41', right: 'a', flags: ['\\Seen'], identity: 'i1' }]);
      });
    });

    describe('atomicity', () => {
      it('applies nothing of a commit that throws midway', async () => {
        const { intentIds } = await store.commit(folder, {
          upsertPairs: [{ left: '1', right: 'a', flags: [] }],
          openIntents: [{ from: 'left', sourceId: '2' }],
          checkpoints: { leftCheckpoint: 'c1' },
        });
        const snapshot = async () => ({ pairs: await store.pairs(folder), intents: await store.intents(folder), folders: await store.folderPairs() });
        const before = await snapshot();
        await expect(
          store.commit(folder, {
            removePairs: [{ left: '1' }],
            upsertPairs: [{ left: '5', right: 'e', flags: [] }, { flags: ['\\Seen'] }],
            closeIntents: intentIds,
            openIntents: [{ from: 'right', sourceId: 'x' }],
            checkpoints: { leftCheckpoint: 'c2' },
          }),
        ).rejects.toThrow(TypeError);
        await expect(store.commit(folder, { removePairs: [{}] })).rejects.toThrow(/neither a left nor a right id/);
        await expect(store.commit(folder, { openIntents: [{ from: 'up' as 'left', sourceId: '1' }] })).rejects.toThrow(TypeError);
        expect(await snapshot()).toStrictEqual(before);
      });
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps everything committed across close and reopen', async () => {
        const other = (await store.ensureFolderPair('Sent', 'Sent Items')).id;
        await store.commit(folder, {
          upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'], identity: 'i1' }, { right: 'b', flags: [] }],
          openIntents: [{ from: 'left', sourceId: '2', identity: 'i2' }],
          checkpoints: { leftUidValidity: '9', rightCheckpoint: 'r' },
        });
        await store.commit(other, { upsertPairs: [{ left: '7', right: 'g', flags: [] }] });
        const before = { folders: await store.folderPairs(), pairs: await store.pairs(folder), others: await store.pairs(other), intents: await store.intents(folder) };
        store = await reopen(store);
        expect({ folders: await store.folderPairs(), pairs: await store.pairs(folder), others: await store.pairs(other), intents: await store.intents(folder) }).toStrictEqual(before);
      });
    }
  });
}
